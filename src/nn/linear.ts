// Linear: y = x w + b with w of shape (IN, OUT) as in the problem's h W + b (torch stores the transpose).
// x is (B, IN), w is (IN, OUT), b is (OUT), y is (B, OUT).
// an activation can ride along (Sequential and FFNN fuse Linear + activation):
// forward is gemm + biasAct into a kept pre-activation, backward is actBackward (which also sums the
// bias gradient) + two gemms, so a fused native call can replace the pair without an API change.
import { ACT_CODE, type FloatArray, type Precision } from '../kernels/types.js';
import { checkPrecision } from '../kernels/checked.js';
import { Parameter, Tensor, ZERO_WRITE, allocFloat, deferWrite, peekData, pendingWrite, type DeferredWrite } from '../tensor.js';
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
  // 'bf16' (dtype float32 only): the layer's three products take bf16 operands with float32
  // accumulation; weights, gradients and optimizer state stay float32 (default 'float32')
  precision?: Precision;
}

export class Linear extends Module implements Unchecked {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  private readonly ws = new Workspace();
  #precision: Precision;
  // what forward kept for backward: its own copy of x, or (x from another Linear's forward, in a
  // network) that Linear's output, which it does not write while this layer's product is pending
  private x: FloatArray | null = null;
  private xFrom: Linear | null = null;
  // the product of the last backward left to the optimizer's step (pending on weight.grad), and the
  // layers whose pending product reads this layer's output
  private deferred: DeferredWrite | null = null;
  private readonly readers = new Set<Linear>();
  // the keep of the last lazy d loss / d x (pending on weight while that dx waits)
  private kept: DeferredWrite | null = null;
  private B = 0;
  private act: Activation | null = null;
  private actParam = 0;
  private pre: Tensor | null = null;
  // gradients of the last backward: d loss / d (x w + b) and d loss / d x
  private du: Tensor | null = null;
  private dx: Tensor | null = null;
  #forwards = 0;

  constructor(inFeatures: number, outFeatures: number, opts?: LinearOptions) {
    super(opts, { cls: Linear, keys: [...MODULE_KEYS, 'bias', 'init', 'precision'] });
    const IN = checkInt('inFeatures', inFeatures, 1);
    const OUT = checkInt('outFeatures', outFeatures, 1);
    const o = checkObject('Linear options', opts);
    const hasBias = o.bias === undefined ? true : checkBool('options.bias', o.bias);
    const init = o.init === undefined ? 'torch' : checkOneOf('options.init', o.init, INITS);
    this.#precision = checkPrecision('options.precision', o.precision, this.dtype);
    if (IN * OUT > 2 ** 31 - 1) throw new RangeError(`inFeatures * outFeatures: expected at most 2^31 - 1 weights, received ${IN * OUT}`);
    this.inFeatures = IN;
    this.outFeatures = OUT;
    this.weight = new Parameter(allocFloat(this.dtype, IN * OUT), [IN, OUT], 'weight');
    this.bias = hasBias ? new Parameter(allocFloat(this.dtype, OUT), [OUT], 'bias') : null;
    initLinear(init, IN, OUT, this.weight.data, this.bias === null ? null : this.bias.data, new Rng(this.seed));
  }

  // the products' operands: 'float32' or 'bf16' (a container's precision option sets it)
  get precision(): Precision {
    return this.#precision;
  }

  set precision(p: Precision) {
    this.#precision = checkPrecision(`${this.toString()}.precision`, p, this.dtype);
  }

  protected override ownParameters(): Array<[string, Parameter]> {
    return this.bias === null ? [['weight', this.weight]] : [['weight', this.weight], ['bias', this.bias]];
  }

  forward(x: Tensor): Tensor {
    checkMatrix('x', x, this.inFeatures, this.dtype, this);
    checkRows(x, this);
    checkFinite('x', x, this.kernels);
    return this.uncheckedForward(x);
  }

  backward(gradOut: Tensor): Tensor {
    if (this.x === null) throw new Error(`${this.toString()}: backward called before forward`);
    checkLike('gradOut', gradOut, this.B, this.outFeatures, this.dtype, this);
    checkFinite('gradOut', gradOut, this.kernels);
    return this.uncheckedBackward(gradOut);
  }

  uncheckedForward(x: Tensor): Tensor {
    return this.forwardAct(x.data, x.shape[0], null);
  }

  uncheckedBackward(gradOut: Tensor): Tensor {
    this.backwardAct(gradOut.data, true, 'lazy');
    return this.dx as Tensor;
  }

  // forward passes run so far: a network that shares this layer checks that its backward follows
  // its own forward, not another caller's
  get forwardCount(): number {
    return this.#forwards;
  }

  // y := act(x w + b), keeping x and the pre-activation; returns y (a reused buffer). from: the
  // Linear whose output x is (a network's layer before this one: x is kept by reference), else
  // null (x is copied: backward and a deferred product need it as it was, whatever the caller does
  // to it after this call)
  forwardAct(x: FloatArray, B: number, act: Activation | null, from: Linear | null = null): Tensor {
    this.#forwards++;
    const OUT = this.outFeatures;
    const k = this.kernels;
    // this call writes y, which pending products of later layers read, and replaces the x and du
    // this layer's own pending product reads
    this.settleReaders();
    this.settle();
    const y = this.ws.get('y', B, OUT, this.dtype);
    // x may be this layer's own output (lin.forward(lin.forward(x)), torch's lin(lin(x))): the product
    // would write over what it reads, so it works on a copy, as for any x not from a layer before
    const own = from === null || from === this || x.buffer === y.data.buffer ||
      (act !== null && x.buffer === this.ws.get('pre', B, OUT, this.dtype).data.buffer);
    if (own) {
      const copy = this.ws.get('xOwn', B, this.inFeatures, this.dtype);
      copy.data.set(x.subarray(0, B * this.inFeatures));
      x = copy.data;
    }
    this.xFrom = own ? null : from;
    const b = this.bias === null ? null : this.bias.data;
    if (act !== null) {
      // pre := x w + b, y := act(pre)
      const pre = this.ws.get('pre', B, OUT, this.dtype);
      const p = act.paramValue();
      k.linearForward(B, this.inFeatures, OUT, x, peekData(this.weight), b, act.code, p, y.data, pre.data, this.#precision);
      this.pre = pre;
      this.actParam = p;
    } else {
      k.linearForward(B, this.inFeatures, OUT, x, peekData(this.weight), b, ACT_CODE.identity, 0, y.data, null, this.#precision);
    }
    this.x = x;
    this.B = B;
    this.act = act;
    return y;
  }

  // backward of forwardAct from d loss / d y. accumulate: add into .grad (Module semantics), else
  // overwrite (FFNN.backward). returns d loss / d param of the activation (0 without one) and keeps
  // du and dx: computed now ('now': the caller goes on with it), when read ('lazy': the caller only
  // returns it; see lazyDx) or not at all ('none'). the activation's parameter gradient is the
  // caller's to store.
  backwardAct(gradOut: FloatArray, accumulate: boolean, dxMode: 'now' | 'lazy' | 'none'): number {
    if (this.x === null) throw new Error(`${this.toString()}: backward called before forward`);
    // du is about to be replaced, and a gradient added to must hold its value
    this.settle();
    const B = this.B;
    const IN = this.inFeatures;
    const OUT = this.outFeatures;
    const k = this.kernels;
    const wg = this.weight.ensureGrad();
    // a product that writes the whole gradient (stored, or added to zeros) waits for the optimizer's
    // step, which computes it with its update in one pass over w (Kernels.linearGradStep); read
    // before that, it is computed then. a gradient that holds values is added to now
    // (bf16: computed now, the optimizer's fused product is float32's)
    const defer = this.#precision === 'float32' && (!accumulate || pendingWrite(wg) === ZERO_WRITE);
    const wGrad = defer ? null : wg.data;
    const bGrad = this.bias === null ? null : this.bias.ensureGrad().data;
    const du = this.ws.get('du', B, OUT, this.dtype);
    const dx = dxMode === 'none' ? null : this.ws.get('dx', B, IN, this.dtype);
    const w = peekData(this.weight);
    // du := gradOut * act'(pre); dw (+)= x^T du; db (+)= column sums of du; dx := du w^T
    // (without an activation the identity: z is not read)
    const fused = this.act !== null;
    const dParam = k.linearBackward(
      B, IN, OUT, this.x, w, fused ? (this.pre as Tensor).data : gradOut, gradOut,
      fused ? (this.act as Activation).code : ACT_CODE.identity, fused ? this.actParam : 0,
      du.data, wGrad, bGrad, dxMode === 'now' ? (dx as Tensor).data : null, accumulate, this.#precision,
    );
    if (dxMode === 'lazy') this.lazyDx(dx as Tensor, du.data, w);
    if (defer) {
      const product = { kernels: k, B, IN, OUT, x: this.x, gradZ: du.data, plusZero: accumulate };
      const precision = this.#precision;
      const w: DeferredWrite = {
        product,
        run(d: FloatArray): void {
          // as linearBackward would have: stored, or added to zeros (0 + g)
          if (product.plusZero) d.fill(0);
          k.gemm(true, false, IN, OUT, B, 1, product.x, product.gradZ, product.plusZero ? 1 : 0, d, precision);
        },
      };
      deferWrite(wg, w);
      this.deferred = w;
      if (this.xFrom !== null) this.xFrom.readers.add(this);
    }
    this.du = du;
    this.dx = dx;
    return dParam;
  }

  // dx := du w^T when dx is read (a caller that returns d loss / d x, which a training loop rarely
  // reads): with w as it is then, or as it was at this backward when it has changed since (a copy
  // taken before anything reads or replaces w's data: an optimizer's step, a user). du is this
  // layer's, and the next backward, which writes du and dx, replaces the pending write
  private lazyDx(dx: Tensor, du: FloatArray, w: FloatArray): void {
    const { B, inFeatures: IN, outFeatures: OUT } = this;
    const k = this.kernels;
    const weight = this.weight;
    const precision = this.#precision;
    let from = w;
    const into = this.ws.get('wKept', IN, OUT, this.dtype).data;
    const dxWrite: DeferredWrite = {
      run(d: FloatArray): void {
        if (pendingWrite(weight) === keep) deferWrite(weight, null);
        k.gemm(false, true, B, IN, OUT, 1, du, from, 0, d, precision);
      },
    };
    // at batch 1 on native, the optimizer's pass computes dx (the same gemm) from each block of w
    // just before its update, cheaper than copying w (float32 products: bf16's dx is its own gemm)
    const gradX = B === 1 && this.device === 'native' && precision === 'float32'
      ? {
          // only for this backward's du: a product pending from another layer sharing w (a stored
          // backward that replaced it) is not this dx's
          into: (gradZ: FloatArray): FloatArray | null => (pendingWrite(dx) === dxWrite && gradZ === du ? peekData(dx) : null),
          done: (): void => {
            if (pendingWrite(dx) === dxWrite) deferWrite(dx, null);
          },
        }
      : undefined;
    const keep: DeferredWrite = {
      run: (wd: FloatArray): void => {
        into.set(wd);
        from = into;
      },
      keep: {
        into,
        taken: (): void => {
          from = into;
        },
        gradX,
      },
    };
    // a weight tied to another Linear's may hold that layer's keep, for a dx of its own still
    // waiting: it takes its copy of w now, or the replacement would leave that dx to be computed from
    // w after an update (this layer's own last keep is moot: its dx is the one written now)
    const prev = pendingWrite(weight);
    if (prev !== null && prev !== this.kept) prev.run(w);
    this.kept = keep;
    deferWrite(weight, keep);
    deferWrite(dx, dxWrite);
  }

  // runs this layer's pending product (if the optimizer has not taken it): its x or du is about to
  // change
  private settle(): void {
    const w = this.deferred;
    if (w === null) return;
    this.deferred = null;
    const g = this.weight.grad;
    if (g instanceof Tensor && pendingWrite(g) === w) void g.data;
  }

  private settleReaders(): void {
    if (this.readers.size === 0) return;
    for (const r of this.readers) r.settle();
    this.readers.clear();
  }

  // d loss / d (x w + b) of the last backward (after the activation's derivative when fused)
  get lastPreActivationGrad(): Tensor | null {
    // the caller may write it: a pending product that reads it runs first
    this.settle();
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
