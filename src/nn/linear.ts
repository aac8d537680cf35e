// Linear: y = x w + b with w of shape (IN, OUT) as in the problem's h W + b (torch stores the transpose).
// x is (B, IN), w is (IN, OUT), b is (OUT), y is (B, OUT).
// an activation can ride along (Sequential and FFNN fuse Linear + activation):
// forward is gemm + biasAct into a kept pre-activation, backward is actBackward (which also sums the
// bias gradient) + two gemms, so a fused native call can replace the pair without an API change.
import { ACT_CODE, type FloatArray } from '../kernels/types.js';
import { Parameter, Tensor, arrayCtor } from '../tensor.js';
import { Rng } from '../random.js';
import { checkBool, checkInt, checkObject, checkOneOf } from '../util/check.js';
import type { Activation } from './activation.js';
import { INITS, initLinear, type InitName } from './init.js';
import { Module, type Unchecked } from './module.js';
import type { ModuleOptions } from './options.js';
import { checkFinite, checkLike, checkMatrix } from './validate.js';
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

  constructor(inFeatures: number, outFeatures: number, opts?: LinearOptions) {
    super(opts);
    const IN = checkInt('inFeatures', inFeatures, 1);
    const OUT = checkInt('outFeatures', outFeatures, 1);
    const o = checkObject('Linear options', opts);
    const hasBias = o.bias === undefined ? true : checkBool('options.bias', o.bias);
    const init = o.init === undefined ? 'torch' : checkOneOf('options.init', o.init, INITS);
    if (IN * OUT > 2 ** 31 - 1) throw new RangeError(`inFeatures * outFeatures: expected at most 2^31 - 1 weights, received ${IN * OUT}`);
    this.inFeatures = IN;
    this.outFeatures = OUT;
    const Ctor = arrayCtor(this.dtype);
    this.weight = new Parameter(new Ctor(IN * OUT), [IN, OUT], 'weight');
    this.bias = hasBias ? new Parameter(new Ctor(OUT), [OUT], 'bias') : null;
    initLinear(init, IN, OUT, this.weight.data, this.bias === null ? null : this.bias.data, new Rng(this.seed));
  }

  protected override ownParameters(): Array<[string, Parameter]> {
    return this.bias === null ? [['weight', this.weight]] : [['weight', this.weight], ['bias', this.bias]];
  }

  forward(x: Tensor): Tensor {
    checkMatrix('x', x, this.inFeatures, this.dtype, this.toString());
    checkFinite('x', x);
    return this.uncheckedForward(x);
  }

  backward(gradOut: Tensor): Tensor {
    if (this.x === null) throw new Error(`${this.toString()}: backward called before forward`);
    checkLike('gradOut', gradOut, this.B, this.outFeatures, this.dtype, `the output of ${this.toString()}`);
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

  // y := act(x w + b), keeping x (by reference) and the pre-activation; returns y (a reused buffer)
  forwardAct(x: FloatArray, B: number, act: Activation | null): Tensor {
    const OUT = this.outFeatures;
    const k = this.kernels;
    const y = this.ws.get('y', B, OUT, this.dtype);
    const b = this.bias === null ? null : this.bias.data;
    k.gemm(false, false, B, OUT, this.inFeatures, 1, x, this.weight.data, 0, y.data);
    if (act !== null) {
      const pre = this.ws.get('pre', B, OUT, this.dtype);
      const p = act.paramValue();
      k.biasAct(B, OUT, y.data, b, act.code, p, y.data, pre.data);
      this.pre = pre;
      this.actParam = p;
    } else if (b !== null) {
      k.biasAct(B, OUT, y.data, b, ACT_CODE.identity, 0, y.data, null);
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
    if (!accumulate && bGrad !== null) bGrad.fill(0);
    const du = this.ws.get('du', B, OUT, this.dtype);
    let dParam = 0;
    if (this.act !== null) {
      // du := gradOut * act'(pre); bias grad += column sums of du
      dParam = k.actBackward(B, OUT, (this.pre as Tensor).data, gradOut, this.act.code, this.actParam, du.data, bGrad);
    } else {
      // identity: du := gradOut, and its column sums for the bias
      k.actBackward(B, OUT, gradOut, gradOut, ACT_CODE.identity, 0, du.data, bGrad);
    }
    // dw (+)= x^T du
    k.gemm(true, false, IN, OUT, B, 1, this.x, du.data, accumulate ? 1 : 0, wGrad);
    this.du = du;
    if (needDx) {
      // dx := du w^T
      const dx = this.ws.get('dx', B, IN, this.dtype);
      k.gemm(false, true, B, IN, OUT, 1, du.data, this.weight.data, 0, dx.data);
      this.dx = dx;
    } else {
      this.dx = null;
    }
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
