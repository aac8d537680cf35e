// Module: forward(x) keeps what backward needs; backward(gradOut) returns gradIn and adds into the
// .grad of every Parameter, as torch.nn.Module with autograd does. Subclass it for your own layer:
// call super(opts), implement forward and backward, list your parameters in ownParameters.
import { backend, type Device } from '../kernels/index.js';
import type { DType, Kernels } from '../kernels/types.js';
import type { Parameter, Tensor } from '../tensor.js';
import { resolveOptions, type ModuleOptions } from './options.js';

export abstract class Module {
  private dev: Device;
  private dt: DType;
  private k: Kernels;
  // device or dtype given by the caller; otherwise a container may change them (adopt)
  private readonly explicit: boolean;
  readonly seed: number;
  training = true;

  constructor(opts?: ModuleOptions) {
    const o = resolveOptions(`${new.target.name} options`, opts);
    this.dev = o.device;
    this.dt = o.dtype;
    this.seed = o.seed;
    this.explicit = o.explicit;
    this.k = backend(o.device);
  }

  get device(): Device {
    return this.dev;
  }

  get dtype(): DType {
    return this.dt;
  }

  // the raw kernels of this module's device; arguments are checked by the module, not by them
  protected get kernels(): Kernels {
    return this.k;
  }

  abstract forward(x: Tensor): Tensor;
  abstract backward(gradOut: Tensor): Tensor;

  // the modules inside this one, in order
  children(): readonly Module[] {
    return [];
  }

  // this module's own parameters with their local names (children's are added by namedParameters)
  protected ownParameters(): Array<[string, Parameter]> {
    return [];
  }

  // every parameter once, with a dotted path as torch's named_parameters ('0.weight', '2.bias')
  namedParameters(): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    const seen = new Set<Parameter>();
    const add = (name: string, p: Parameter): void => {
      if (seen.has(p)) return;
      seen.add(p);
      out.push([name, p]);
    };
    for (const [n, p] of this.ownParameters()) add(n, p);
    this.children().forEach((m, i) => {
      for (const [n, p] of m.namedParameters()) add(`${i}.${n}`, p);
    });
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  // sets every gradient to zero (buffers kept, as torch's zero_grad(set_to_none=False))
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  train(mode = true): this {
    this.training = mode;
    for (const m of this.children()) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  // whether device and dtype are fixed: given explicitly, or holding parameters already allocated
  isPinned(): boolean {
    return this.explicit || this.ownParameters().length > 0 || this.children().some((m) => m.isPinned());
  }

  // a container moves an unpinned module (no parameters, no explicit options) to its own device and dtype
  adopt(device: Device, dtype: DType): void {
    if (device === this.dev && dtype === this.dt) return;
    if (this.explicit || this.ownParameters().length > 0) {
      throw new TypeError(
        `${this.toString()}: expected device '${device}' and dtype '${dtype}' like the rest of the network, ` +
          `received device '${this.dev}' and dtype '${this.dt}'`,
      );
    }
    for (const m of this.children()) m.adopt(device, dtype);
    this.setPlacement(device, dtype);
  }

  // for containers, which take their children's placement
  protected setPlacement(device: Device, dtype: DType): void {
    this.dev = device;
    this.dt = dtype;
    this.k = backend(device);
  }

  toString(): string {
    return `${this.constructor.name}()`;
  }
}

// the unchecked entry points of ffnn's own modules; containers call these after validating once
export interface Unchecked {
  uncheckedForward(x: Tensor): Tensor;
  uncheckedBackward(gradOut: Tensor): Tensor;
}

export function isUnchecked(m: Module): m is Module & Unchecked {
  return typeof (m as Partial<Unchecked>).uncheckedForward === 'function';
}
