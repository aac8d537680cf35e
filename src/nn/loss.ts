// losses. CELoss and CategoricalCELoss are the problem's functions (numbers, no gradient);
// CrossEntropyLoss (on logits, fused softmax) and MSELoss are loss modules: forward(pred, target)
// returns the loss and keeps d loss / d pred for backward().
// q, p, logits, grad are (B, C); target is (B, C) or (B) class indices; pred, target of MSE any shape.
import { backend, defaultDevice, deviceOption, type Device } from '../kernels/index.js';
import type { DType, FloatArray, Kernels, Reduction } from '../kernels/types.js';
import { DTYPES, Tensor } from '../tensor.js';
import { checkBool, checkKeys, checkNumber, checkObject, checkOneOf, rangeError, typeError } from '../util/check.js';
import { checkFinite, checkLike, checkMatrix, checkTensor, readIndices, readTarget, type Indices } from './validate.js';
import type { FusedLoss } from './fused.js';
import { Workspace } from './workspace.js';

export interface CELossOptions {
  // clamp q below at epsilon before the log (default true)
  stable?: boolean;
  epsilon?: number;
  device?: Device;
}

// the options object, or the problem statement's positional form (stable, epsilon): CELoss(Q, P, false, 1e-8)
function ceOptions(opts: unknown, epsilonArg?: unknown): { stable: boolean; epsilon: number; k: Kernels } {
  // CELoss(Q, P, undefined, 1e-3): the positional form with stable left at its default
  if (typeof opts === 'boolean' || (opts === undefined && epsilonArg !== undefined)) {
    const epsilon = epsilonArg === undefined ? 1e-8 : checkNumber('epsilon', epsilonArg);
    if (epsilon <= 0) throw rangeError('epsilon', 'a number > 0', epsilon);
    return { stable: opts ?? true, epsilon, k: backend(defaultDevice().device) };
  }
  if (epsilonArg !== undefined) throw typeError('epsilon', 'no fourth argument after an options object', epsilonArg);
  const o = checkObject('options', opts);
  checkKeys('options', o, ['stable', 'epsilon', 'device']);
  const stable = o.stable === undefined ? true : checkBool('options.stable', o.stable);
  const epsilon = o.epsilon === undefined ? 1e-8 : checkNumber('options.epsilon', o.epsilon);
  if (epsilon <= 0) throw rangeError('options.epsilon', 'a number > 0', epsilon);
  const device = deviceOption('options.device', o.device);
  return { stable, epsilon, k: backend(device) };
}

// mean over rows of CE(p_i, q_i) = -sum_x p_i(x) log q_i(x); Q is the approximation, P the target:
// a (B, C) tensor, or class indices (B), for which it is CategoricalCELoss (the one-hot form's value)
export function CELoss(Q: Tensor, P: Tensor | Indices, opts?: CELossOptions): number;
export function CELoss(Q: Tensor, P: Tensor | Indices, stable?: boolean, epsilon?: number): number;
export function CELoss(Q: Tensor, P: Tensor | Indices, opts?: CELossOptions | boolean, epsilon?: number): number {
  // a 2-D tensor is a distribution per row; indices are an Int32Array, an array or a 1-D tensor
  if (!(P instanceof Tensor) && !(P instanceof Int32Array) && !Array.isArray(P)) {
    throw typeError('P', 'a Tensor of shape [B, C] or class indices (an Int32Array or an array of integers)', P);
  }
  if (!(P instanceof Tensor) || P.shape.length === 1) return categorical('P', Q, P, opts, epsilon);
  const { stable, epsilon: eps, k } = ceOptions(opts, epsilon);
  const q = checkMatrix('Q', Q, undefined, checkTensor('Q', Q).dtype, 'Q');
  checkLike('P', P, q.shape[0], q.shape[1], q.dtype, 'the shape and dtype of Q');
  checkFinite('Q', q, k);
  checkFinite('P', P, k);
  return k.ceLoss(q.shape[0], q.shape[1], q.data, P.data, stable, eps);
}

// CELoss against the one-hot form of class indices, without building it
export function CategoricalCELoss(Q: Tensor, target: Indices, opts?: CELossOptions): number;
export function CategoricalCELoss(Q: Tensor, target: Indices, stable?: boolean, epsilon?: number): number;
export function CategoricalCELoss(Q: Tensor, target: Indices, opts?: CELossOptions | boolean, epsilon?: number): number {
  return categorical('target', Q, target, opts, epsilon);
}

// name: the argument that holds the indices
function categorical(name: string, Q: Tensor, target: Indices, opts: unknown, epsilonArg: unknown): number {
  const { stable, epsilon, k } = ceOptions(opts, epsilonArg);
  const q = checkMatrix('Q', Q, undefined, checkTensor('Q', Q).dtype, 'Q');
  checkFinite('Q', q, k);
  const [B, C] = q.shape;
  const t = readIndices(name, target, B, C, null);
  return k.categoricalCELoss(B, C, q.data, t, stable, epsilon);
}

export interface LossOptions {
  device?: Device;
  // when given, pred and target must have it; otherwise the loss follows pred
  dtype?: DType;
}

// a loss module: forward(pred, target) -> loss, backward() -> d loss / d pred (a reused buffer)
export interface LossModule {
  forward(pred: Tensor, target: unknown): number;
  backward(): Tensor;
  // the loss as a fused training step computes it, or why it cannot (src/nn/fused.ts); a loss
  // without this method runs as module calls
  fusedLoss?(): FusedLoss | { fallback: string };
}

abstract class LossBase implements LossModule {
  readonly device: Device;
  readonly dtype: DType | undefined;
  protected readonly k: Kernels;
  protected readonly ws = new Workspace();
  protected grad: Tensor | null = null;

  // keys: the loss's own options besides device and dtype
  constructor(o: Record<string, unknown>, keys: readonly string[]) {
    checkKeys('options', o, ['device', 'dtype', ...keys]);
    this.device = deviceOption('options.device', o.device);
    this.dtype = o.dtype === undefined ? undefined : checkOneOf('options.dtype', o.dtype, DTYPES);
    this.k = backend(this.device);
  }

  abstract forward(pred: Tensor, target: unknown): number;

  backward(): Tensor {
    if (this.grad === null) throw new Error(`${this.constructor.name}: backward called before forward`);
    return this.grad;
  }

  protected predDtype(name: string, pred: unknown): DType {
    const t = checkTensor(name, pred);
    return this.dtype ?? t.dtype;
  }
}

export interface CrossEntropyOptions extends LossOptions {
  reduction?: Reduction;
  // torch's label_smoothing: the target becomes (1 - s) target + s / C
  labelSmoothing?: number;
  // torch's weight: one non-negative number per class; with class indices and 'mean' the loss is
  // divided by the summed weight of the targets, with distributions by B (as torch)
  weight?: Tensor | readonly number[];
}

// torch.nn.CrossEntropyLoss: log-softmax of logits (B, C) against class indices (B) or probability
// targets (B, C); as torch, a target row need not sum to 1 (its gradient is then softmax * row sum - target)
export class CrossEntropyLoss extends LossBase {
  readonly reduction: Reduction;
  readonly labelSmoothing: number;
  readonly weight: Float64Array | null;

  constructor(opts?: CrossEntropyOptions) {
    const o = checkObject('options', opts);
    super(o, ['reduction', 'labelSmoothing', 'weight']);
    this.reduction = o.reduction === undefined ? 'mean' : checkOneOf('options.reduction', o.reduction, ['sum', 'mean']);
    const s = o.labelSmoothing === undefined ? 0 : checkNumber('options.labelSmoothing', o.labelSmoothing);
    if (s < 0 || s > 1) throw rangeError('options.labelSmoothing', 'a number in [0, 1]', s);
    this.labelSmoothing = s;
    this.weight = o.weight === undefined ? null : readWeight(o.weight);
  }

  fusedLoss(): FusedLoss | { fallback: string } {
    const P = CrossEntropyLoss.prototype;
    if (this.forward !== P.forward || this.backward !== P.backward) return { fallback: 'a loss that overrides forward or backward' };
    if (this.weight !== null || this.labelSmoothing !== 0) return { fallback: 'CrossEntropyLoss with class weights or label smoothing' };
    return { loss: 'cross-entropy', reduction: this.reduction, device: this.device, dtype: this.dtype };
  }

  forward(logits: Tensor, target: Tensor | Indices): number {
    const dtype = this.predDtype('logits', logits);
    checkMatrix('logits', logits, undefined, dtype, 'this loss');
    checkFinite('logits', logits, this.k);
    const [B, C] = logits.shape;
    if (this.weight !== null && this.weight.length !== C) {
      throw rangeError('options.weight', `${C} class weights (logits have ${C} columns)`, this.weight);
    }
    const t = readTarget('target', target, B, C, dtype, this.ws, this.k);
    const grad = this.ws.get('grad', B, C, dtype);
    this.grad = grad;
    const scale = this.reduction === 'sum' ? B : 1;
    if (this.weight === null && this.labelSmoothing === 0) {
      // the fused kernel: mean loss and (softmax * S - target) / B, S each row's target sum
      const loss = this.k.softmaxCrossEntropy(B, C, logits.data, t instanceof Tensor ? t.data : t, null, grad.data);
      if (scale !== 1) for (let i = 0; i < grad.data.length; i++) grad.data[i] *= scale;
      return loss * scale;
    }
    // general case: loss = -sum_ic T_ic log softmax_ic for an effective target T; grad = p_ic sum_c T_ic - T_ic
    const T = this.ws.get('target', B, C, dtype);
    this.effectiveTarget(B, C, t, T.data);
    for (let i = 0; i < T.data.length; i++) T.data[i] *= B;
    const probs = this.ws.get('probs', B, C, dtype);
    // the kernel's mean over rows of B T gives sum T log p
    const loss = this.k.softmaxCrossEntropy(B, C, logits.data, T.data, probs.data, null);
    const g = grad.data;
    for (let i = 0; i < B; i++) {
      let S = 0;
      for (let j = 0; j < C; j++) S += T.data[i * C + j];
      for (let j = 0; j < C; j++) g[i * C + j] = (probs.data[i * C + j] * S - T.data[i * C + j]) / B;
    }
    return loss;
  }

  private effectiveTarget(B: number, C: number, t: Tensor | Int32Array, out: FloatArray): void {
    const s = this.labelSmoothing;
    const w = this.weight;
    if (t instanceof Int32Array) {
      let W = 1;
      if (this.reduction === 'mean') {
        W = 0;
        for (let i = 0; i < B; i++) W += w === null ? 1 : w[t[i]];
      }
      for (let i = 0; i < B; i++) {
        for (let j = 0; j < C; j++) {
          const wj = w === null ? 1 : w[j];
          out[i * C + j] = ((j === t[i] ? (1 - s) * wj : 0) + (s / C) * wj) / W;
        }
      }
    } else {
      const n = this.reduction === 'mean' ? B : 1;
      const td = t.data;
      for (let i = 0; i < B; i++) {
        for (let j = 0; j < C; j++) {
          const wj = w === null ? 1 : w[j];
          out[i * C + j] = (((1 - s) * td[i * C + j] + s / C) * wj) / n;
        }
      }
    }
  }
}

function readWeight(v: unknown): Float64Array {
  let src: ArrayLike<number>;
  if (v instanceof Tensor) {
    if (v.ndim !== 1) throw rangeError('options.weight', 'a tensor of shape [C]', v);
    src = v.data;
  } else if (Array.isArray(v)) {
    src = v;
  } else {
    throw typeError('options.weight', 'a Tensor of shape [C] or an array of numbers', v);
  }
  const w = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = checkNumber(`options.weight[${i}]`, src[i]);
    if (x < 0) throw rangeError(`options.weight[${i}]`, 'a number >= 0', x);
    w[i] = x;
  }
  return w;
}

export interface MSELossOptions extends LossOptions {
  reduction?: Reduction;
}

// torch.nn.MSELoss: sum or mean over every element of (pred - target)^2
export class MSELoss extends LossBase {
  readonly reduction: Reduction;
  private view: Tensor | null = null;

  constructor(opts?: MSELossOptions) {
    const o = checkObject('options', opts);
    super(o, ['reduction']);
    this.reduction = o.reduction === undefined ? 'mean' : checkOneOf('options.reduction', o.reduction, ['sum', 'mean']);
  }

  fusedLoss(): FusedLoss | { fallback: string } {
    const P = MSELoss.prototype;
    if (this.forward !== P.forward || this.backward !== P.backward) return { fallback: 'a loss that overrides forward or backward' };
    return { loss: 'mse', reduction: this.reduction, device: this.device, dtype: this.dtype };
  }

  forward(pred: Tensor, target: Tensor): number {
    const dtype = this.predDtype('pred', pred);
    if (pred.dtype !== dtype) throw new TypeError(`pred: expected a ${dtype} tensor (the loss's dtype), received a ${pred.dtype} tensor`);
    const t = checkTensor('target', target);
    if (t.ndim !== pred.ndim || t.shape.some((d, i) => d !== pred.shape[i])) {
      throw rangeError('target', `a tensor of shape [${pred.shape.join(', ')}] (the shape of pred)`, t);
    }
    if (t.dtype !== dtype) throw new TypeError(`target: expected a ${dtype} tensor (the dtype of pred), received a ${t.dtype} tensor`);
    checkFinite('pred', pred, this.k);
    checkFinite('target', t, this.k);
    const n = pred.size;
    const flat = this.ws.get('grad', 1, n, dtype);
    if (this.view === null || this.view.data !== flat.data || !sameShape(this.view.shape, pred.shape)) {
      this.view = new Tensor(flat.data, pred.shape);
    }
    this.grad = this.view;
    return this.k.mseLoss(n, pred.data, t.data, this.reduction, flat.data);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
