// the problem's network:
//   h(0) = x;  u(l) = h(l-1) W(l) + b(l);  h(l) = f(l)(u(l))   l = 1..L
//   u(L+1) = h(L) U + c;  yHat = softmax(u(L+1));  loss = CELoss(yHat, y), a mean over the batch
// x is (B, F), W(l) is (in, out), U is (hL, C), yHat and y are (B, C).
// backward(x, y, yPred) stores fresh gradients (the assignment's loop: forward, backward, step);
// backward(gradOut) is the Module form and adds, as torch.
import { ceProbsGrad } from '../kernels/reference/ce-loss.js';
import type { FloatArray, Precision } from '../kernels/types.js';
import { checkPrecision } from '../kernels/checked.js';
import { Rng } from '../random.js';
import { Tensor, type Parameter } from '../tensor.js';
import { checkInt, checkObject, checkOneOf, rangeError, typeError } from '../util/check.js';
import { Activation, activation, type ActivationSpec } from './activation.js';
import { fusedLayer, type FusedPlan } from './fused.js';
import { INITS, type InitName } from './init.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { MODULE_KEYS, type ModuleOptions } from './options.js';
import { softmaxBackward } from './softmax.js';
import { checkFinite, checkLike, checkMatrix, checkRows, readTarget, widestOf, type Target } from './validate.js';
import { Workspace } from './workspace.js';

export interface FFNNOptions extends ModuleOptions {
  // 'auto' (default): kaiming for relu, swish and celu layers, xavier for sigmoid and tanh layers and
  // for the softmax layer U, c; or one of 'kaiming' | 'xavier' | 'torch' for every layer
  init?: InitName | 'auto';
  // for 'swish' and 'celu' given by name
  beta?: number;
  alpha?: number;
  learnable?: boolean;
  // 'bf16' (dtype float32 only): every layer's products with bf16 operands (Linear's precision)
  precision?: Precision;
}

// intermediate gradients of the last backward, for teaching and debugging (buffers reused by the next one)
export interface FFNNGradients {
  // d loss / d u(L+1), (B, C)
  dL_duOut: Tensor;
  // dL_dh[l - 1] = d loss / d h(l), (B, hidden[l - 1]), l = 1..L
  dL_dh: Tensor[];
  // dL_du[l - 1] = d loss / d u(l), (B, hidden[l - 1]), l = 1..L
  dL_du: Tensor[];
}

export class FFNN extends Module {
  readonly F: number;
  readonly C: number;
  readonly hidden: readonly number[];
  readonly layers: readonly Linear[];
  readonly activations: readonly Activation[];
  readonly output: Linear;
  private readonly ws = new Workspace();
  private readonly learnables: readonly Parameter[];
  private lastX: FloatArray | null = null;
  private xHash = 0;
  // x's 32-bit words, a view kept while x is the same array (a step allocates nothing)
  private xWords: Int32Array | null = null;
  private probs: Tensor | null = null;
  private duOut: Tensor | null = null;

  constructor(F: number, hidden: readonly number[], activations: ActivationSpec | readonly ActivationSpec[], C: number, opts?: FFNNOptions) {
    super(opts, { cls: FFNN, keys: [...MODULE_KEYS, 'init', 'beta', 'alpha', 'learnable', 'precision'] });
    this.F = checkInt('F', F, 1);
    this.C = checkInt('C', C, 1);
    if (!Array.isArray(hidden)) throw typeError('hidden', 'an array of layer widths', hidden);
    hidden.forEach((h, i) => checkInt(`hidden[${i}]`, h, 1));
    this.hidden = Object.freeze([...hidden]);
    const L = hidden.length;
    const specs: readonly ActivationSpec[] = Array.isArray(activations) ? activations : new Array(L).fill(activations);
    if (specs.length !== L) throw rangeError('activations', `${L} activations (one per hidden layer)`, activations);
    const o = checkObject('FFNN options', opts);
    const init = o.init === undefined ? 'auto' : checkOneOf('options.init', o.init, [...INITS, 'auto'] as const);
    const precision = checkPrecision('options.precision', o.precision, this.dtype);
    const actOpts = { beta: o.beta as number | undefined, alpha: o.alpha as number | undefined, learnable: o.learnable as boolean | undefined };
    this.activations = Object.freeze(
      specs.map((s, i) => {
        if (!(s instanceof Activation) && typeof s !== 'string') throw typeError(`activations[${i}]`, 'an Activation or an activation name', s);
        const name = Array.isArray(activations) ? `activations[${i}]` : 'activations';
        const a = activation(s, { ...actOpts, device: this.device, dtype: this.dtype }, name);
        // the FFNN runs its activations' kernels itself: a subclass's own forward or backward would be skipped
        if (!a.isPlainBuiltin()) throw typeError(name, 'a built-in activation (a subclass that overrides forward or backward runs in a Sequential)', s);
        a.adopt(this.device, this.dtype, this);
        return a;
      }),
    );
    // one seeded stream: W1, b1, ..., WL, bL, U, c drawn in order
    const rng = new Rng(this.seed);
    const dims = [this.F, ...hidden];
    const layers: Linear[] = [];
    for (let l = 0; l < L; l++) {
      const kind = this.activations[l].kind;
      const li = init === 'auto' ? (kind === 'sigmoid' || kind === 'tanh' ? 'xavier' : 'kaiming') : init;
      const lin = new Linear(dims[l], dims[l + 1], { device: this.device, dtype: this.dtype, init: li, seed: rng.nextU32(), precision });
      lin.weight.name = `W${l + 1}`;
      (lin.bias as Parameter).name = `b${l + 1}`;
      layers.push(lin);
    }
    this.layers = Object.freeze(layers);
    const oi = init === 'auto' ? 'xavier' : init;
    this.output = new Linear(dims[L], this.C, { device: this.device, dtype: this.dtype, init: oi, seed: rng.nextU32(), precision });
    this.output.weight.name = 'U';
    (this.output.bias as Parameter).name = 'c';
    const learn: Parameter[] = [];
    this.activations.forEach((a, i) => {
      const p = a.param;
      if (p !== null && !learn.includes(p)) {
        p.name = `${a.kind === 'swish' ? 'beta' : 'alpha'}${i + 1}`;
        learn.push(p);
      }
    });
    this.learnables = Object.freeze(learn);
  }

  // the layers' products: 'float32' or 'bf16' (the option)
  get precision(): Precision {
    return this.output.precision;
  }

  get W(): Parameter[] {
    return this.layers.map((l) => l.weight);
  }

  get b(): Parameter[] {
    return this.layers.map((l) => l.bias as Parameter);
  }

  get U(): Parameter {
    return this.output.weight;
  }

  get c(): Parameter {
    return this.output.bias as Parameter;
  }

  // W1, b1, ..., WL, bL, U, c, then the learnable activation parameters, under their own names
  override namedParameters(): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    for (const l of this.layers) {
      out.push([l.weight.name, l.weight]);
      out.push([(l.bias as Parameter).name, l.bias as Parameter]);
    }
    out.push(['U', this.U], ['c', this.c]);
    for (const p of this.learnables) out.push([p.name, p]);
    return out;
  }

  override children(): readonly Module[] {
    return [...this.layers, ...this.activations, this.output];
  }

  // softmax probabilities (B, C) of x (B, F); a buffer reused by the next forward
  forward(x: Tensor): Tensor {
    this.checkX(x);
    return this.run(x);
  }

  // stores d CELoss(yPred, y) / d theta in every parameter's .grad (overwriting), with y one-hot
  // (B, C) or class indices (B) and yPred = forward(x)
  override backward(gradOut: Tensor): Tensor;
  override backward(x: Tensor, y: Target, yPred: Tensor): void;
  override backward(a: Tensor, y?: Target, yPred?: Tensor): Tensor | void {
    if (arguments.length === 1) return this.moduleBackward(a);
    if (arguments.length !== 3) {
      throw new TypeError(`backward: expected (x, y, yPred) or (gradOut), received ${arguments.length} arguments`);
    }
    const x = this.checkX(a);
    const B = x.shape[0];
    const C = this.C;
    const yp = checkLike('yPred', yPred, B, C, this.dtype, 'forward(x), one row per row of x');
    checkFinite('yPred', yp, this.kernels);
    const t = readTarget('y', y, B, C, this.dtype, this.ws, this.kernels);
    // the hidden activations must be those of x: recompute unless x is what forward saw last
    const recompute = this.lastX !== x.data || this.probs === null || this.probs.shape[0] !== B;
    // yPred may be the output tensor itself, which the recompute writes over: its values kept first
    const given = recompute && this.probs !== null && yp.data === this.probs.data ? yp.data.slice() : yp.data;
    if (recompute) this.run(x);
    else this.checkUnchanged(x);
    // d loss / d logits = yPred - y holds only for yPred = forward(x): a yPred of another input (a
    // forward on another batch since, which reuses the output tensor, or x.data replaced) gave the
    // gradient of no loss at all, silently
    const own = (this.probs as Tensor).data;
    for (let i = 0; i < own.length; i++) {
      const a = own[i];
      const b = given[i];
      if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) {
        throw new RangeError(
          `yPred: expected forward(x)'s output for this x (the probabilities backward differentiates), received values that differ at ` +
            `[${Math.floor(i / C)}, ${i % C}] (${b} against ${a}): x changed since forward(x), or yPred came from another input`,
        );
      }
    }
    // d loss / d u(L+1) = (yHat S - y) / B, S the row's target sum: CELoss's gradient for any
    // target rows; yHat - y where a row sums to 1 (one-hot, a distribution), with the same bits;
    // for class indices, 1 / B taken off yHat / B at the target
    const du = this.ws.get('duOut', B, C, this.dtype);
    const d = du.data;
    const p = yp.data;
    ceProbsGrad(B, C, p, t instanceof Tensor ? t.data : t, d);
    this.backpropFrom(du, false);
  }

  // the intermediate gradients of the last backward
  gradients(): FFNNGradients {
    if (this.duOut === null) throw new Error('FFNN: gradients() called before backward');
    const L = this.layers.length;
    return {
      dL_duOut: this.duOut,
      dL_dh: this.layers.map((_, l) => (l + 1 < L ? this.layers[l + 1] : this.output).lastInputGrad as Tensor),
      dL_du: this.layers.map((lin) => lin.lastPreActivationGrad as Tensor),
    };
  }

  // the problem's step (forward, CELoss, backward(x, y, yPred) storing gradients) as a fused step's
  // chain: every hidden layer with its activation, then the output layer (src/nn/fused.ts)
  fusedPlan(): FusedPlan {
    if (!this.isPlainBuiltin()) return { fallback: 'a subclass of FFNN with its own forward or backward' };
    const layers = this.layers.map((linear, l) => fusedLayer(linear, this.activations[l]));
    layers.push(fusedLayer(this.output, null));
    return { loss: 'ffnn', layers, drops: [] };
  }

  override toString(): string {
    return `FFNN(F=${this.F}, hidden=[${this.hidden.join(', ')}], activations=[${this.activations.map((a) => a.toString()).join(', ')}], C=${this.C})`;
  }

  private checkX(x: unknown): Tensor {
    const t = checkMatrix('x', x, this.F, this.dtype, this);
    checkRows(t, widestOf(this.layers));
    checkFinite('x', t, this.kernels);
    return t;
  }

  // x changed in place since forward(x): the kept activations belong to the old values and the W1
  // gradient would be of neither (torch refuses the same through its version counter)
  private checkUnchanged(x: Tensor): void {
    if (this.hashOf(x.data) !== this.xHash) {
      throw new Error('backward: x was changed in place since forward(x); call forward(x) again before backward (or give forward a copy)');
    }
  }

  private hashOf(a: FloatArray): number {
    let w = this.xWords;
    if (w === null || w.buffer !== a.buffer || w.byteOffset !== a.byteOffset || w.byteLength !== a.byteLength) {
      w = new Int32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
      this.xWords = w;
    }
    return hashWords(w);
  }

  private run(x: Tensor): Tensor {
    const B = x.shape[0];
    // x may be this network's own last output (net.forward(net.forward(x)) when F = C): the softmax
    // would write over it while the first layer keeps it for backward, so the pass runs on a copy
    const copied = this.probs !== null && x.data.buffer === this.probs.data.buffer;
    let h: FloatArray = copied ? x.data.slice() : x.data;
    // each layer after the first keeps the output of the one before by reference
    let from: Linear | null = null;
    for (let l = 0; l < this.layers.length; l++) {
      h = this.layers[l].forwardAct(h, B, this.activations[l], from).data;
      from = this.layers[l];
    }
    const logits = this.output.forwardAct(h, B, null, from);
    const probs = this.ws.get('probs', B, this.C, this.dtype);
    this.kernels.softmax(B, this.C, logits.data, probs.data);
    // the softmax wrote over a copied x: backward recomputes; else x's bits are hashed, so that a
    // change in place before backward is caught
    this.lastX = copied ? null : x.data;
    if (!copied) this.xHash = this.hashOf(x.data);
    this.probs = probs;
    return probs;
  }

  // Module form: gradOut is d loss / d yHat; adds into .grad and returns d loss / d x
  private moduleBackward(gradOut: Tensor): Tensor {
    const probs = this.probs;
    if (probs === null) throw new Error('FFNN: backward called before forward');
    const [B, C] = probs.shape;
    checkLike('gradOut', gradOut, B, C, this.dtype, 'the output of the last forward');
    checkFinite('gradOut', gradOut, this.kernels);
    const du = this.ws.get('duOut', B, C, this.dtype);
    softmaxBackward(B, C, probs.data, gradOut.data, du.data);
    return this.backpropFrom(du, true) as Tensor;
  }

  // from d loss / d u(L+1) down to the first layer; returns d loss / d x when accumulating (Module form)
  private backpropFrom(du: Tensor, accumulate: boolean): Tensor | null {
    this.duOut = du;
    const L = this.layers.length;
    if (!accumulate) for (const p of this.learnables) p.ensureGrad().data[0] = 0;
    // the first layer's d loss / d x is only returned (Module form), computed if it is read
    this.output.backwardAct(du.data, accumulate, L > 0 ? 'now' : accumulate ? 'lazy' : 'none');
    let g = this.output.lastInputGrad;
    for (let l = L - 1; l >= 0; l--) {
      const lin = this.layers[l];
      const act = this.activations[l];
      const dParam = lin.backwardAct((g as Tensor).data, accumulate, l > 0 ? 'now' : accumulate ? 'lazy' : 'none');
      const p = act.param;
      if (p !== null) p.ensureGrad().data[0] += dParam;
      g = lin.lastInputGrad;
    }
    return accumulate ? g : null;
  }
}

// FNV-1a over the 32-bit words of a float array: a change in place is caught
function hashWords(w: Int32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 0x01000193);
  return h;
}
