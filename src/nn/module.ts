// Module: forward(x) keeps what backward needs; backward(gradOut) returns gradIn and adds into the
// .grad of every Parameter, as torch.nn.Module with autograd does. Subclass it for your own layer:
// call super(opts), implement forward and backward, list your parameters in ownParameters.
import { backend, type Device } from '../kernels/index.js';
import type { DType, Kernels } from '../kernels/types.js';
import { Tensor, type Parameter } from '../tensor.js';
import { resolveOptions, type ModuleOptions } from './options.js';
import { typeError } from '../util/check.js';

// a built-in module's class and the option names it takes
export interface OwnOptions {
  cls: abstract new (...args: never[]) => Module;
  keys: readonly string[];
}

export abstract class Module {
  #dev: Device;
  #dt: DType;
  #k: Kernels;
  // device / dtype given by the caller; otherwise a container may change them (adopt)
  readonly #explicitDevice: boolean;
  readonly #explicitDtype: boolean;
  readonly seed: number;
  training = true;
  // the built-in class this module is (a user's subclass of one keeps it), undefined for a user's Module
  readonly #builtin: OwnOptions['cls'] | undefined;
  // the container that placed this module (adopt), null while none has
  #placedBy: Module | null = null;

  // own: the option names a built-in module takes, checked (others are a TypeError) only when that
  // class itself is constructed: a user's subclass, of Module or of a built-in, passes its own
  // options through
  constructor(opts?: ModuleOptions, own?: OwnOptions) {
    const keys = own !== undefined && new.target === own.cls ? own.keys : undefined;
    const o = resolveOptions(`${new.target.name} options`, opts, keys);
    this.#dev = o.device;
    this.#dt = o.dtype;
    this.seed = o.seed;
    this.#explicitDevice = o.explicitDevice;
    this.#explicitDtype = o.explicitDtype;
    this.#k = backend(o.device);
    this.#builtin = own?.cls;
  }

  // whether this module runs its built-in class's own forward and backward: only then do containers
  // and TrainStep fuse it or skip its checks. a subclass that overrides either is a user's layer,
  // called through its own methods
  isPlainBuiltin(): boolean {
    const proto = (this.#builtin as { prototype?: Module } | undefined)?.prototype;
    return proto !== undefined && this.forward === proto.forward && this.backward === proto.backward;
  }

  get device(): Device {
    return this.#dev;
  }

  get dtype(): DType {
    return this.#dt;
  }

  // the raw kernels of this module's device; arguments are checked by the module, not by them
  protected get kernels(): Kernels {
    return this.#k;
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

  // every parameter once, in namedParameters' order (without making the names: zeroGrad and the
  // optimizers' checks call it at every step)
  parameters(): Parameter[] {
    const out: Parameter[] = [];
    const seen = new Set<Parameter>();
    const add = (p: Parameter): void => {
      if (!seen.has(p)) {
        seen.add(p);
        out.push(p);
      }
    };
    const walk = (m: Module): void => {
      // a module that lists its own (FFNN's W1, b1, ..., a user's subclass) is taken at its word
      if (m.namedParameters !== Module.prototype.namedParameters) {
        for (const [, p] of m.namedParameters()) add(p);
        return;
      }
      for (const [, p] of m.ownParameters()) add(p);
      for (const c of m.children()) walk(c);
    };
    walk(this);
    return out;
  }

  // the weight matrices (2-D parameters: Linear weights), what weight decay and max-norm act on;
  // a parameter group each with biases(): new SGD([{params: net.weights(), weightDecay}, {params: net.biases()}])
  weights(): Parameter[] {
    return this.parameters().filter((p) => p.ndim === 2);
  }

  // every other parameter: biases and learnable activation parameters (usually without weight decay)
  biases(): Parameter[] {
    return this.parameters().filter((p) => p.ndim !== 2);
  }

  // sets every gradient to zero (buffers kept, as torch's zero_grad(set_to_none=False))
  zeroGrad(...args: unknown[]): void {
    // an option here would be ignored silently (the optimizers' zeroGrad takes { setToNone })
    if (args.length > 0) throw typeError('zeroGrad', 'no arguments (optimizer.zeroGrad({ setToNone }) drops the buffers)', args[0]);
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

  // whether the device is fixed: given explicitly, or a parameter (here or in a child) lives on it
  hasFixedDevice(): boolean {
    return this.#explicitDevice || this.ownParameters().length > 0 || this.children().some((m) => m.hasFixedDevice());
  }

  // whether the dtype is fixed: given explicitly, or parameters already allocated in it
  hasFixedDtype(): boolean {
    return this.#explicitDtype || this.ownParameters().length > 0 || this.children().some((m) => m.hasFixedDtype());
  }

  // a container (by) moves a module whose device / dtype are not fixed to its own; a fixed one that
  // differs is a TypeError, and so is one that another container placed elsewhere (moving it would
  // change that container's network under it; the same placement may be shared)
  adopt(device: Device, dtype: DType, by?: Module): void {
    const moves = device !== this.#dev || dtype !== this.#dt;
    if (moves && by !== undefined && this.#placedBy !== null && this.#placedBy !== by) {
      throw new TypeError(
        `${this.toString()}: expected device '${device}' and dtype '${dtype}' like the rest of the network, received a ` +
          `module that ${this.#placedBy.constructor.name} already runs on device '${this.#dev}' with dtype '${this.#dt}' (give each network its own instance)`,
      );
    }
    if (moves && ((device !== this.#dev && this.hasFixedDevice()) || (dtype !== this.#dt && this.hasFixedDtype()))) {
      throw new TypeError(
        `${this.toString()}: expected device '${device}' and dtype '${dtype}' like the rest of the network, ` +
          `received device '${this.#dev}' and dtype '${this.#dt}'`,
      );
    }
    if (by !== undefined) this.#placedBy = by;
    if (!moves) return;
    for (const m of this.children()) m.adopt(device, dtype, this);
    this.setPlacement(device, dtype);
  }

  // a parameter-free module without an explicit dtype takes the dtype of its input, as torch's do,
  // unless a container placed it (then its input must have the container's dtype)
  protected followDtype(x: unknown): void {
    if (x instanceof Tensor && x.dtype !== this.#dt && this.#placedBy === null && !this.hasFixedDtype()) this.setPlacement(this.#dev, x.dtype);
  }

  // for containers, which take their children's placement
  protected setPlacement(device: Device, dtype: DType): void {
    this.#dev = device;
    this.#dt = dtype;
    this.#k = backend(device);
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

// a built-in module's unchecked entry points, where its forward and backward are the built-in ones
export function isUnchecked(m: Module): m is Module & Unchecked {
  return typeof (m as Partial<Unchecked>).uncheckedForward === 'function' && m.isPlainBuiltin();
}

// the net and every module inside it with its training flag, for restoreModes after a pass in eval
// mode (evaluate, predict): a child the caller set apart keeps its own mode
export function trainingModes(net: Module): Array<[Module, boolean]> {
  const out: Array<[Module, boolean]> = [];
  const visit = (m: Module): void => {
    out.push([m, m.training]);
    for (const c of m.children()) visit(c);
  };
  visit(net);
  return out;
}

export function restoreModes(modes: ReadonlyArray<[Module, boolean]>): void {
  for (const [m, training] of modes) m.training = training;
}

// each parameter of `entries` (a place's name and its parameter; null, a Linear without bias,
// skipped) at its first place, and the first repeat (tied weights: one Parameter at two places) as
// [the later place, the first one], or null; the walk stops there
export function parameterPlaces(entries: Iterable<readonly [string, Parameter | null]>): { first: Map<Parameter, string>; repeat: [string, string] | null } {
  const first = new Map<Parameter, string>();
  for (const [place, p] of entries) {
    if (p === null) continue;
    const other = first.get(p);
    if (other !== undefined) return { first, repeat: [place, other] };
    first.set(p, place);
  }
  return { first, repeat: null };
}
