// Linear: y = x w + b with w of shape (IN, OUT) as in the problem's h W + b (torch stores the transpose).
// x is (B, IN), w is (IN, OUT), b is (OUT), y is (B, OUT).
// an activation can ride along (Sequential and FFNN fuse Linear + activation):
// forward is gemm + biasAct into a kept pre-activation, backward is actBackward (which also sums the
// bias gradient) + two gemms, so a fused native call can replace the pair without an API change.
import { ACT_CODE, type FloatArray } from '../kernels/types.js';
import { Parameter, Tensor, allocFloat } from '../tensor.js';
import { Rng } from '../random.js';
import { checkBool, checkInt, checkObject, checkOneOf } from '../util/check.js';
import type { Activation } from './activation.js';
import { INITS, initLinear, type InitName } from './init.js';
import { Module, type Unchecked } from './module.js';
import { MODULE_KEYS, type ModuleOptions } from './options.js';
import { checkFinite, checkLike, checkMatrix, checkRows } from './validate.js';
import { Workspace } from './workspace.js';

export interface LinearOptions extends ModuleOptions {
  bias?: boolean;
  // default 'torch' (torch.nn.Linear's own init), what a PyTorch user expects of Linear
  init?: InitName;
}

export class Linear extends Module implements Unchecked {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  private readonly ws = new Workspace();
  // what forward kept for backward
  private x: FloatArray | null = null;
  private B = 0;
  private act: Activation | null = null;
  private actParam = 0;
  private pre: Tensor | null = null;
  // gradients of the last backward: d loss / d (x w + b) and d loss / d x
  private du: Tensor | null = null;
  private dx: Tensor | null = null;
  #forwards = 0;

  constructor(inFeatures: number, outFeatures: number, opts?: LinearOptions) {
    super(opts, { cls: Linear, keys: [...MODULE_KEYS, 'bias', 'init'] });
    const IN = checkInt('inFeatures', inFeatures, 1);
    const OUT = checkInt('outFeatures', outFeatures, 1);
    const o = checkObject('Linear options', opts);
    const hasBias = o.bias === undefined ? true : checkBool('options.bias', o.bias);
    const init = o.init === undefined ? 'torch' : checkOneOf('options.init', o.init, INITS);
    if (IN * OUT > 2 ** 31 - 1) throw new RangeError(`inFeatures * outFeatures: expected at most 2^31 - 1 weights, received ${IN * OUT}`);
    this.inFeatures = IN;
    this.outFeatures = OUT;
    this.weight = new Parameter(allocFloat(this.dtype, IN * OUT), [IN, OUT], 'weight');
    this.bias = hasBias ? new Parameter(allocFloat(this.dtype, OUT), [OUT], 'bias') : null;
    initLinear(init, IN, OUT, this.weight.data, this.bias === null ? null : this.bias.data, new Rng(this.seed));
  }

  protected override ownParameters(): Array<[string, Parameter]> {
    return this.bias === null ? [['weight', this.weight]] : [['weight', this.weight], ['bias', this.bias]];
  }

  forward(x: Tensor): Tensor {
    checkMatrix('x', x, this.inFeatures, this.dtype, this);
    checkRows(x, this);
    checkFinite('x', x);
    return this.uncheckedForward(x);
  }

  backward(gradOut: Tensor): Tensor {
    if (this.x === null) throw new Error(`${this.toString()}: backward called before forward`);
    checkLike('gradOut', gradOut, this.B, this.outFeatures, this.dtype, this);
    checkFinite('gradOut', gradOut);
    return this.uncheckedBackward(gradOut);
  }

  uncheckedForward(x: Tensor): Tensor {
    return this.forwardAct(x.data, x.shape[0], null);
  }

  uncheckedBackward(gradOut: Tensor): Tensor {
    this.backwardAct(gradOut.data, true, true);
    return this.dx as Tensor;
  }

  // forward passes run so far: a network that shares this layer checks that its backward follows
  // its own forward, not another caller's
  get forwardCount(): number {
    return this.#forwards;
  }

  // y := act(x w + b), keeping x (by reference) and the pre-activation; returns y (a reused buffer)
  forwardAct(x: FloatArray, B: number, act: Activation | null): Tensor {
    this.#forwards++;
    const OUT = this.outFeatures;
    const k = this.kernels;
    const y = this.ws.get('y', B, OUT, this.dtype);
    // x may be this layer's own output (lin.forward(lin.forward(x)), torch's lin(lin(x))): the product
    // would write over what it reads, and backward needs x as it was, so it works on a copy
    if (x.buffer === y.data.buffer || (act !== null && x.buffer === this.ws.get('pre', B, OUT, this.dtype).data.buffer)) {
      const own = this.ws.get('xOwn', B, this.inFeatures, this.dtype);
      own.data.set(x.subarray(0, B * this.inFeatures));
      x = own.data;
    }
    const b = this.bias === null ? null : this.bias.data;
    if (act !== null) {
      // pre := x w + b, y := act(pre)
      const pre = this.ws.get('pre', B, OUT, this.dtype);
      const p = act.paramValue();
      k.linearForward(B, this.inFeatures, OUT, x, this.weight.data, b, act.code, p, y.data, pre.data);
      this.pre = pre;
      this.actParam = p;
    } else {
      k.linearForward(B, this.inFeatures, OUT, x, this.weight.data, b, ACT_CODE.identity, 0, y.data, null);
    }
    this.x = x;
    this.B = B;
    this.act = act;
    return y;
  }

  // backward of forwardAct from d loss / d y. accumulate: add into .grad (Module semantics), else
  // overwrite (FFNN.backward). returns d loss / d param of the activation (0 without one) and keeps
  // du and, when needDx, dx. the activation's parameter gradient is the caller's to store.
  backwardAct(gradOut: FloatArray, accumulate: boolean, needDx: boolean): number {
    if (this.x === null) throw new Error(`${this.toString()}: backward called before forward`);
    const B = this.B;
    const IN = this.inFeatures;
    const OUT = this.outFeatures;
    const k = this.kernels;
    const wGrad = this.weight.ensureGrad().data;
    const bGrad = this.bias === null ? null : this.bias.ensureGrad().data;
    const du = this.ws.get('du', B, OUT, this.dtype);
    const dx = needDx ? this.ws.get('dx', B, IN, this.dtype) : null;
    // du := gradOut * act'(pre); dw (+)= x^T du; db (+)= column sums of du; dx := du w^T
    // (without an activation the identity: z is not read)
    const fused = this.act !== null;
    const dParam = k.linearBackward(
      B, IN, OUT, this.x, this.weight.data, fused ? (this.pre as Tensor).data : gradOut, gradOut,
      fused ? (this.act as Activation).code : ACT_CODE.identity, fused ? this.actParam : 0,
      du.data, wGrad, bGrad, dx === null ? null : dx.data, accumulate,
    );
    this.du = du;
    this.dx = dx;
    return dParam;
  }

  // d loss / d (x w + b) of the last backward (after the activation's derivative when fused)
  get lastPreActivationGrad(): Tensor | null {
    return this.du;
  }

  // d loss / d x of the last backward
  get lastInputGrad(): Tensor | null {
    return this.dx;
  }

  // the pre-activation x w + b of the last fused forward
  get lastPreActivation(): Tensor | null {
    return this.act === null ? null : this.pre;
  }

  override toString(): string {
    return `Linear(${this.inFeatures}, ${this.outFeatures}${this.bias === null ? ', bias=false' : ''})`;
  }
}
