// the one contract both backends implement: native (C++ addon) and js (reference loops).
// every array argument is row-major; a kernel writes only into the arrays it names as outputs.
// all float arrays of one call share one element type (Float32Array or Float64Array).
// a mean over zero rows (B or n = 0) is NaN, as in torch; outputs never overlap inputs unless a
// comment says they may alias.

export type FloatArray = Float32Array | Float64Array;
export type DType = 'float32' | 'float64';

export type ActName = 'identity' | 'relu' | 'sigmoid' | 'tanh' | 'swish' | 'celu';

// integer codes shared with native/kernels/activation.h; never renumber
export const ACT_CODE: Readonly<Record<ActName, number>> = Object.freeze({
  identity: 0,
  relu: 1,
  sigmoid: 2,
  tanh: 3,
  swish: 4,
  celu: 5,
});

export type Reduction = 'sum' | 'mean';

// the operands of the matrix products: 'float32' (the element type, float32 or float64), or 'bf16'
// (float32 arrays only): each operand rounded to bfloat16 (round to nearest even), the products
// summed in float32 (src/kernels/reference/gemm-bf16.ts), everything else float32. a trailing
// argument of the three kernels with products (gemm, linearForward, linearBackward) rather than
// entries of their own: the same kernel, the same checks and epilogues, one more operand rule
export type Precision = 'float32' | 'bf16';
export const PRECISIONS: readonly Precision[] = ['float32', 'bf16'];

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  // true on the step that creates the momentum buffer: buf = grad (no dampening), as torch.optim.SGD
  firstStep: boolean;
}

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  // false: L2 added to the gradient (torch.optim.Adam); true: decoupled decay (torch.optim.AdamW)
  decoupled: boolean;
  // 1-based step count, used for bias correction
  step: number;
}

// a whole training step of a chain of Linear + activation layers (createStepPlan / trainStep).
// the loss: 'ffnn' is FFNN's (softmax, then CELoss of the probabilities, stable with epsilon 1e-8;
// d loss / d logits = (probs - y) / B; W and b gradients stored, not accumulated); 'cross-entropy'
// (CrossEntropyLoss on the logits, no weights or smoothing) and 'mse' (MSELoss) are Sequential's
// module flow (zeroGrad, then every backward adds)
export type StepLoss = 'ffnn' | 'cross-entropy' | 'mse';

export type StepOptimizer = 'sgd' | 'adam';

// the layout of StepPlanSpec.state: one block of `stride` numbers per parameter, its group's
// hyper-parameters then at `count` its own number (SGD: 1 on the step that creates its momentum
// buffer, else 0; Adam: its 1-based step count), so parameter groups may differ; the caller refreshes
// them before every trainStep (a schedule changes lr, regularizeFrom switches on weightDecay and l1).
// nesterov and decoupled are 0 or 1. linearGradStep takes one block
export const STEP_STATE = Object.freeze({
  lr: 0,
  weightDecay: 1,
  l1: 2,
  momentum: 3,
  dampening: 4,
  nesterov: 5,
  beta1: 6,
  beta2: 7,
  eps: 8,
  decoupled: 9,
  count: 10,
  stride: 11,
});

// one Linear (+ activation): w is (IN, OUT), the bias (OUT); w, b and scalar index params
export interface StepLayerSpec {
  IN: number;
  OUT: number;
  act: number;
  // the fixed swish beta / celu alpha (0 for the others), used when scalar is -1
  param: number;
  // the learnable beta / alpha (a [1] parameter, which several layers may share), or -1
  scalar: number;
  w: number;
  // -1 for a Linear without bias
  b: number;
  // 'bf16' (dtype float32 only): the layer's three products with bf16 operands (Linear's precision);
  // left out, 'float32'
  precision?: Precision;
}

// one parameter: data and grad (n); SGD: buf, its momentum buffer (n), or null while momentum is 0;
// Adam: m and v (n). the plan keeps these arrays and updates them in place
export interface StepParamSpec {
  data: FloatArray;
  grad: FloatArray;
  buf: FloatArray | null;
  m: FloatArray | null;
  v: FloatArray | null;
}

// an inverted dropout in training mode on the input of layer `at` (at = layers.length: on the output,
// before the loss); several at one place run in the list's order. state is its generator's 4 words
// (Rng.state), which each step advances as the Dropout module's forward would (dropoutForward)
export interface StepDropSpec {
  at: number;
  p: number;
  state: Uint32Array;
}

export interface StepPlanSpec {
  dtype: DType;
  loss: StepLoss;
  // 'cross-entropy' and 'mse'; 'mean' for 'ffnn'
  reduction: Reduction;
  optimizer: StepOptimizer;
  // in forward order; each layer's IN is the OUT of the one before
  layers: StepLayerSpec[];
  // each used by exactly one layer as w or b, or by one or more as scalar
  params: StepParamSpec[];
  // ordered by at; none when absent
  drops?: StepDropSpec[];
  // STEP_STATE.stride numbers per parameter, read at every step
  state: Float64Array;
  // clipGradNorm's max norm (a number >= 0): the gradients' total L2 norm scaled to at most it before
  // any update, as clipGradNorm then step() in the module calls; undefined or null: none
  clipGradNorm?: number | null;
}

// a plan: the spec's arrays (kept alive) and workspaces grown only when the batch grows
export interface StepPlan {
  readonly backend: 'native' | 'js' | 'wasm';
  readonly dtype: DType;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

export interface BackendInfo {
  backend: 'native' | 'js' | 'wasm';
  isa: string;
  // native: the path of the bf16 products ('amx' | 'avx512bf16' | 'portable'); wasm: 'portable'
  bf16Isa?: string;
  threads: number;
  compiler: string;
  // native only, when FFNN_ISA asked for an instruction set this cpu lacks: what was used instead
  isaNote?: string;
  // backendInfo() only: where the kernels came from ('FFNN_ADDON', 'local build', 'prebuild' for
  // native; 'wasm fallback' or 'js fallback' for a default device that could not be native;
  // 'requested' for wasm or js asked by name; 'unavailable' for a device that does not load),
  // the file that loaded, why the default device is not native, and every addon path tried
  source?: 'FFNN_ADDON' | 'local build' | 'prebuild' | 'wasm fallback' | 'js fallback' | 'requested' | 'unavailable';
  path?: string;
  reason?: string;
  tried?: string[];
}

export interface Kernels {
  readonly name: 'native' | 'js' | 'wasm';

  info(): BackendInfo;
  setNumThreads(n: number): void;
  getNumThreads(): number;

  // c is (M, N); a is (M, K), or (K, M) when transA; b is (K, N), or (N, K) when transB
  // c := alpha * op(a) * op(b) + beta * c; when beta is 0, c is written and never read
  // precision 'bf16' (float32 only): op(a), op(b) rounded to bf16, float32 accumulation
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, a: FloatArray, b: FloatArray, beta: number, c: FloatArray, precision?: Precision,
  ): void;

  // x is (B, N), bias is (N) or null, y is (B, N), pre is (B, N) or null
  // pre := x + bias (kept for backward), y := act(x + bias; param); y may alias x
  biasAct(
    B: number, N: number, x: FloatArray, bias: FloatArray | null,
    act: number, param: number, y: FloatArray, pre: FloatArray | null,
  ): void;

  // z is (B, N) pre-activation, gradOut is (B, N), gradIn is (B, N), gradBias is (N) or null
  // gradIn := gradOut * act'(z); gradBias += column sums of gradIn;
  // returns sum(gradOut * d act / d param) (swish beta, celu alpha; 0 for the others)
  // gradIn may alias gradOut
  actBackward(
    B: number, N: number, z: FloatArray, gradOut: FloatArray,
    act: number, param: number, gradIn: FloatArray, gradBias: FloatArray | null,
  ): number;

  // a whole Linear + activation layer forward: gemm with the bias + activation epilogue
  // x is (B, IN), w is (IN, OUT), bias is (OUT) or null, y is (B, OUT), pre is (B, OUT) or null
  // pre := x w + bias; y := act(pre; param); same numbers as gemm then biasAct (with the precision)
  linearForward(
    B: number, IN: number, OUT: number, x: FloatArray, w: FloatArray, bias: FloatArray | null,
    act: number, param: number, y: FloatArray, pre: FloatArray | null, precision?: Precision,
  ): void;

  // a whole Linear + activation layer backward: the activation derivative on the way in, then the
  // two products. x is (B, IN), w is (IN, OUT), z is (B, OUT) pre-activation, gradOut is (B, OUT)
  // d loss / d y, gradZ is (B, OUT) scratch, gradW is (IN, OUT), gradBias is (OUT) or null,
  // gradX is (B, IN) or null.
  // gradZ := gradOut * act'(z); gradW := x^T gradZ (+= when accumulate; skipped when gradW is null,
  // the product left to linearGradStep); gradBias := column sums of
  // gradZ (+= when accumulate); gradX := gradZ w^T when not null;
  // returns sum(gradOut * d act / d param); gradZ may alias gradOut; the two products with the precision
  linearBackward(
    B: number, IN: number, OUT: number, x: FloatArray, w: FloatArray, z: FloatArray,
    gradOut: FloatArray, act: number, param: number, gradZ: FloatArray,
    gradW: FloatArray | null, gradBias: FloatArray | null, gradX: FloatArray | null, accumulate: boolean,
    precision?: Precision,
  ): number;

  // x is (B, C), y is (B, C); y := softmax of each row (row max subtracted first); y may alias x
  softmax(B: number, C: number, x: FloatArray, y: FloatArray): void;

  // logits is (B, C); target is (B, C) as a float array (one-hot, a distribution or any row of
  // weights), or class indices (B) as an Int32Array; probs is (B, C) or null; grad is (B, C) or null
  // returns mean over rows of -sum(target * log softmax(logits)); probs := softmax(logits);
  // grad := (softmax(logits) * S - target) / B with S the row's target sum (torch's gradient; S is 1
  // for indices, one-hot and distribution rows, where it is (softmax - target) / B)
  softmaxCrossEntropy(
    B: number, C: number, logits: FloatArray, target: FloatArray | Int32Array,
    probs: FloatArray | null, grad: FloatArray | null,
  ): number;

  // q, p are (B, C) probabilities; mean over rows of -sum(p * log q), q clamped below at
  // epsilon when stable
  ceLoss(B: number, C: number, q: FloatArray, p: FloatArray, stable: boolean, epsilon: number): number;

  // q is (B, C) probabilities, target is (B) class indices; same value as ceLoss on the one-hot form
  categoricalCELoss(
    B: number, C: number, q: FloatArray, target: Int32Array, stable: boolean, epsilon: number,
  ): number;

  // pred, target, grad are (n); returns sum (or mean) of (pred - target)^2;
  // grad := 2 (pred - target) (divided by n for mean) when grad is not null
  mseLoss(
    n: number, pred: FloatArray, target: FloatArray, reduction: Reduction, grad: FloatArray | null,
  ): number;

  // param, grad, buf are (n); buf may be null when momentum is 0; updates param (and buf) in place
  sgdStep(n: number, param: FloatArray, grad: FloatArray, buf: FloatArray | null, o: SgdOptions): void;

  // param, grad, m, v are (n); updates param, m, v in place
  adamStep(
    n: number, param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, o: AdamOptions,
  ): void;

  // x is (n); the p-norm of x (p > 0; p = Infinity: max |x|), accumulated in double (a NaN gives NaN):
  // clipGradNorm's per-tensor norm, as torch.nn.utils.clip_grad_norm_
  vectorNorm(n: number, x: FloatArray, p: number): number;

  // x is (n); x *= alpha, alpha rounded to x's element type first
  scale(n: number, x: FloatArray, alpha: number): void;

  // x is (n); x := min(max(x, -c), c), c >= 0 (clipGradValue)
  clampAbs(n: number, x: FloatArray, c: number): void;

  // w is (IN, OUT); each column (a unit's incoming weights) with L2 norm > maxNorm (> 0) is scaled by
  // maxNorm / (norm + 1e-7), as torch.renorm(w, 2, 1, maxNorm): the max-norm constraint
  maxNormColumns(IN: number, OUT: number, w: FloatArray, maxNorm: number): void;
  // x, mask, y are (n); state is a generator's 4 state words (src/random.ts Rng.state), advanced in
  // place. in order, one 53-bit uniform u per element from two draws (Rng.uniform):
  // mask := u < p ? 0 : 1 / (1 - p) (0 when p is 1); y := x * mask. y may alias x
  dropoutForward(n: number, x: FloatArray, p: number, state: Uint32Array, mask: FloatArray, y: FloatArray): void;

  // g, mask, gradIn are (n): gradIn := g * mask; gradIn may alias g
  dropoutBackward(n: number, g: FloatArray, mask: FloatArray, gradIn: FloatArray): void;

  // a Linear's weight gradient and the optimizer's update from it, in one pass over w on native (the
  // module path's deferred product: Linear.backward leaves it to the step; the js and wasm devices
  // run the same calls one after the other, compose.ts). x is (B, IN), gradZ is (B, OUT); gradW,
  // param and buf (SGD, null without momentum) or m and v (Adam) are (IN, OUT).
  // gradW := x^T gradZ, stored (as 0 + it when plusZero: a gradient added to a zeroed one); then the
  // optimizer's step of param from gradW with the hyper-parameters of state (STEP_STATE's layout,
  // l1 included, then the parameter's count at STEP_STATE.count): the same numbers as gemm then
  // the optimizer's l1 scratch and sgdStep / adamStep. keep (IN, OUT) or null gets param as it was
  // before the update (a lazy d loss / d x still reads it); gradX (B, IN), absent or null, gets
  // gradZ param^T from param before the update, gemm(false, true, B, IN, OUT, 1, gradZ, param, 0,
  // gradX)'s numbers (native at batch 1: each block of param's rows read just before its update)
  linearGradStep(
    optimizer: StepOptimizer, B: number, IN: number, OUT: number, x: FloatArray, gradZ: FloatArray,
    gradW: FloatArray, param: FloatArray, buf: FloatArray | null, m: FloatArray | null,
    v: FloatArray | null, plusZero: boolean, keep: FloatArray | null, state: Float64Array,
    gradX?: FloatArray | null,
  ): void;

  // a plan for trainStep over the spec's layers, loss and optimizer (see StepPlanSpec)
  createStepPlan(spec: StepPlanSpec): StepPlan;

  // x is (B, IN); y is (B) class indices as an Int32Array ('ffnn', 'cross-entropy') or (B, C) floats.
  // one training step: forward, loss, backward, the optimizer update of every parameter (each layer's
  // as soon as its gradient is final), the same numbers as the module calls of this backend. returns
  // the loss; when the output or the loss is not finite, returns NaN (output) or the loss and changes
  // nothing (as trainFFNN's step). non-finite x or y, or a class index out of range: RangeError
  trainStep(plan: StepPlan, B: number, x: FloatArray, y: FloatArray | Int32Array): number;
}
