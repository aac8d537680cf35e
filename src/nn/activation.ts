// activations as modules. x, y, pre are (B, N). forward keeps the pre-activation; backward is
// actBackward, which also returns d loss / d param for swish's beta and celu's alpha.
// after a Linear inside Sequential or FFNN the activation is fused into the Linear (biasAct /
// actBackward on the Linear's buffers) and these modules only supply the code and the parameter.
import { ACT_CODE, type ActName } from '../kernels/types.js';
import { Parameter, Tensor, arrayCtor } from '../tensor.js';
import { checkBool, checkKeys, checkNumber, checkObject, checkOneOf, rangeError, typeError } from '../util/check.js';
import { Module, type OwnOptions, type Unchecked } from './module.js';
import { MODULE_KEYS, type ModuleOptions } from './options.js';
import { checkFinite, checkLike, checkMatrix } from './validate.js';
import { Workspace } from './workspace.js';

export type ActivationName = 'relu' | 'sigmoid' | 'sig' | 'tanh' | 'swish' | 'celu';
export const ACTIVATION_NAMES: readonly ActivationName[] = ['relu', 'sigmoid', 'sig', 'tanh', 'swish', 'celu'];

export abstract class Activation extends Module implements Unchecked {
  abstract readonly kind: Exclude<ActName, 'identity'>;

  constructor(opts?: ModuleOptions, own?: OwnOptions) {
    super(opts, own);
  }

  private readonly ws = new Workspace();
  private saved: Tensor | null = null;
  private savedParam = 0;

  get code(): number {
    return ACT_CODE[this.kind];
  }

  // the learnable beta / alpha, or null
  get param(): Parameter | null {
    return null;
  }

  // the value handed to the kernels (beta, alpha; 0 for the parameter-free ones); throws on a bad value
  paramValue(): number {
    return 0;
  }

  forward(x: Tensor): Tensor {
    this.followDtype(x);
    checkMatrix('x', x, undefined, this.dtype, this);
    checkFinite('x', x, this.kernels);
    return this.uncheckedForward(x);
  }

  backward(gradOut: Tensor): Tensor {
    const pre = this.requireSaved();
    checkLike('gradOut', gradOut, pre.shape[0], pre.shape[1], this.dtype, this);
    checkFinite('gradOut', gradOut, this.kernels);
    return this.uncheckedBackward(gradOut);
  }

  uncheckedForward(x: Tensor): Tensor {
    const [B, N] = x.shape;
    const p = this.paramValue();
    const pre = this.ws.get('pre', B, N, this.dtype);
    const y = this.ws.get('y', B, N, this.dtype);
    // pre := x, y := act(x): a copy of the input, so the caller may reuse x before backward
    this.kernels.biasAct(B, N, x.data, null, this.code, p, y.data, pre.data);
    this.saved = pre;
    this.savedParam = p;
    return y;
  }

  uncheckedBackward(gradOut: Tensor): Tensor {
    const pre = this.requireSaved();
    const [B, N] = pre.shape;
    const gradIn = this.ws.get('gradIn', B, N, this.dtype);
    const dp = this.kernels.actBackward(B, N, pre.data, gradOut.data, this.code, this.savedParam, gradIn.data, null);
    const param = this.param;
    if (param !== null) param.ensureGrad().data[0] += dp;
    return gradIn;
  }

  private requireSaved(): Tensor {
    if (this.saved === null) throw new Error(`${this.toString()}: backward called before forward`);
    return this.saved;
  }
}

export class ReLU extends Activation {
  readonly kind = 'relu' as const;
  constructor(opts?: ModuleOptions) {
    super(opts, { cls: ReLU, keys: MODULE_KEYS });
  }
  override toString(): string {
    return 'ReLU()';
  }
}

export class Sigmoid extends Activation {
  readonly kind = 'sigmoid' as const;
  constructor(opts?: ModuleOptions) {
    super(opts, { cls: Sigmoid, keys: MODULE_KEYS });
  }
  override toString(): string {
    return 'Sigmoid()';
  }
}

export class Tanh extends Activation {
  readonly kind = 'tanh' as const;
  constructor(opts?: ModuleOptions) {
    super(opts, { cls: Tanh, keys: MODULE_KEYS });
  }
  override toString(): string {
    return 'Tanh()';
  }
}

export interface SwishOptions extends ModuleOptions {
  beta?: number;
  learnable?: boolean;
}

export interface CELUOptions extends ModuleOptions {
  alpha?: number;
  learnable?: boolean;
}

// an activation with one scalar: a fixed number, or a Parameter of shape [1] when learnable
abstract class ParamActivation extends Activation {
  private readonly fixed: number;
  private readonly learned: Parameter | null;
  protected abstract readonly paramName: 'beta' | 'alpha';

  constructor(name: 'beta' | 'alpha', opts: Record<string, unknown>, fallback: number, cls: OwnOptions['cls']) {
    super(opts as ModuleOptions, { cls, keys: [...MODULE_KEYS, name, 'learnable'] });
    const value = opts[name] === undefined ? fallback : checkNumber(`options.${name}`, opts[name]);
    if (name === 'alpha' && value === 0) throw rangeError('options.alpha', 'a number other than 0', value);
    const learnable = opts.learnable === undefined ? false : checkBool('options.learnable', opts.learnable);
    this.fixed = value;
    this.learned = learnable ? new Parameter(new (arrayCtor(this.dtype))([value]), [1], name) : null;
  }

  override get param(): Parameter | null {
    return this.learned;
  }

  // a learnable alpha is kept on the side of zero it started on, at least ALPHA_MIN away (a projection
  // after each update, done before every forward and training step): alpha reaching 0 made exp(x /
  // alpha) overflow and the loss NaN, blamed on a later layer. a non-finite value names the parameter
  override paramValue(): number {
    if (this.learned === null) return this.fixed;
    const v = this.learned.data[0];
    if (!Number.isFinite(v)) {
      throw new RangeError(`${this.toString().split('(')[0]} learnable ${this.paramName}: expected a finite number, received ${v} (training diverged)`);
    }
    if (this.paramName === 'alpha') {
      const sign = this.fixed > 0 ? 1 : -1;
      if (v * sign < ALPHA_MIN) this.learned.data[0] = sign * ALPHA_MIN;
      return this.learned.data[0];
    }
    return v;
  }

  protected override ownParameters(): Array<[string, Parameter]> {
    return this.learned === null ? [] : [[this.paramName, this.learned]];
  }

  protected describeParam(): string {
    return `${this.paramName}=${this.learned === null ? this.fixed : this.learned.data[0]}${this.learned === null ? '' : ', learnable'}`;
  }
}

// the smallest |alpha| a learnable CELU alpha is clamped to: celu and its alpha gradient divide by alpha
export const ALPHA_MIN = 1e-3;

// swish(x; beta) = x sigmoid(beta x)
export class Swish extends ParamActivation {
  readonly kind = 'swish' as const;
  protected readonly paramName = 'beta' as const;
  constructor(opts?: SwishOptions) {
    super('beta', checkObject('Swish options', opts), 1, Swish);
  }
  override toString(): string {
    return `Swish(${this.describeParam()})`;
  }
}

// celu(x; alpha) = max(0, x) + min(0, alpha (exp(x / alpha) - 1))
export class CELU extends ParamActivation {
  readonly kind = 'celu' as const;
  protected readonly paramName = 'alpha' as const;
  constructor(opts?: CELUOptions) {
    super('alpha', checkObject('CELU options', opts), 1, CELU);
  }
  override toString(): string {
    return `CELU(${this.describeParam()})`;
  }
}

export type ActivationSpec = ActivationName | Activation;

export interface ActivationOptions extends ModuleOptions {
  beta?: number;
  alpha?: number;
  learnable?: boolean;
}

// an activation module from a name ('sig' is sigmoid), or the module itself; beta, alpha and
// learnable apply to 'swish' and 'celu' given by name; argName is how errors name the spec (the caller's
// argument, e.g. 'activations[1]')
export function activation(spec: ActivationSpec, opts?: ActivationOptions, argName = 'activation'): Activation {
  if (spec instanceof Activation) return spec;
  if (typeof spec !== 'string') throw typeError(argName, `an Activation or one of ${ACTIVATION_NAMES.map((a) => `'${a}'`).join(', ')}`, spec);
  const name = checkOneOf(argName, spec, ACTIVATION_NAMES);
  const o = checkObject('activation options', opts);
  checkKeys('activation options', o, [...MODULE_KEYS, 'beta', 'alpha', 'learnable']);
  const base: ModuleOptions = { device: o.device as ModuleOptions['device'], dtype: o.dtype as ModuleOptions['dtype'] };
  if (o.seed !== undefined) base.seed = o.seed as number;
  const learnable = o.learnable as boolean | undefined;
  switch (name) {
    case 'relu':
      return new ReLU(base);
    case 'sigmoid':
    case 'sig':
      return new Sigmoid(base);
    case 'tanh':
      return new Tanh(base);
    case 'swish':
      return new Swish({ ...base, beta: o.beta as number | undefined, learnable });
    case 'celu':
      return new CELU({ ...base, alpha: o.alpha as number | undefined, learnable });
  }
}
