// a whole training step composed of the reference kernels, in the module calls' order: each layer's
// linearForward; softmax + CELoss (FFNN) or the loss module's kernel; linearBackward from the last
// layer down, each layer's sgdStep / adamStep once its gradients are final; the learnable activation
// scalars last. the same numbers as FFNN / Sequential with an SGD or Adam optimizer on the js device.
// x is (B, IN); y is (B) class indices or (B, C) floats
import { STEP_STATE, type AdamOptions, type FloatArray, type SgdOptions, type StepPlan, type StepPlanSpec } from '../types.js';
import { ACT_CODE } from '../types.js';
import { ceLoss, categoricalCELoss, ceProbsGrad } from './ce-loss.js';
import { linearBackward, linearForward } from './linear.js';
import { mseLoss } from './mse-loss.js';
import { softmax } from './softmax.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { sgdStep } from './sgd.js';
import { adamStep } from './adam.js';
import { dropoutBackward, dropoutForward } from './dropout.js';
import { clipGradsL2 } from './clip.js';

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

export class ReferenceStepPlan implements StepPlan {
  readonly backend = 'js' as const;
  readonly dtype: StepPlanSpec['dtype'];
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly spec: StepPlanSpec;
  // per layer: output, pre-activation (null without activation), d loss / d input (null for the first)
  y: FloatArray[] = [];
  pre: (FloatArray | null)[] = [];
  dx: (FloatArray | null)[] = [];
  probs: FloatArray | null = null;
  dout: FloatArray | null = null;
  // per dropout: its mask and its output (B, width at its place)
  mask: FloatArray[] = [];
  dy: FloatArray[] = [];
  rows = 0;
  // per parameter: grad + l1 sign(param), created on the first step with l1 != 0 (as the optimizer's)
  readonly l1Scratch: (FloatArray | null)[];

  constructor(spec: StepPlanSpec) {
    this.spec = {
      ...spec,
      layers: spec.layers.map((l) => ({ ...l })),
      params: spec.params.map((p) => ({ ...p })),
      drops: (spec.drops ?? []).map((d) => ({ ...d })),
    };
    this.dtype = spec.dtype;
    this.inFeatures = spec.layers[0].IN;
    this.outFeatures = spec.layers[spec.layers.length - 1].OUT;
    this.l1Scratch = spec.params.map(() => null);
    Object.freeze(this.spec);
  }

  // buffers for B rows; reallocated only when B exceeds every batch so far
  reserve(B: number): void {
    if (B <= this.rows) return;
    const C: Ctor = this.dtype === 'float64' ? Float64Array : Float32Array;
    const layers = this.spec.layers;
    this.y = layers.map((l) => new C(B * l.OUT));
    this.pre = layers.map((l) => (l.act === ACT_CODE.identity ? null : new C(B * l.OUT)));
    this.dx = layers.map((l, i) => (i === 0 ? null : new C(B * l.IN)));
    const Cout = this.outFeatures;
    this.probs = this.spec.loss === 'ffnn' ? new C(B * Cout) : null;
    this.dout = new C(B * Cout);
    this.mask = this.drops.map((d) => new C(B * dropWidth(this.spec, d.at)));
    this.dy = this.drops.map((d) => new C(B * dropWidth(this.spec, d.at)));
    this.rows = B;
  }

  get drops(): NonNullable<StepPlanSpec['drops']> {
    return this.spec.drops ?? [];
  }
}

// the width of the activations at a dropout's place: layer at's input, or the output
function dropWidth(spec: StepPlanSpec, at: number): number {
  return at < spec.layers.length ? spec.layers[at].IN : spec.layers[spec.layers.length - 1].OUT;
}

export function createStepPlan(spec: StepPlanSpec): StepPlan {
  return new ReferenceStepPlan(spec);
}

// the index of the first non-finite element of a[0, n), or -1
export function firstNonFinite(n: number, a: FloatArray): number {
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

function notFinite(name: string, a: FloatArray, i: number, cols: number): RangeError {
  return new RangeError(
    `trainStep: ${name}: expected finite values, received ${String(a[i])} at [${Math.floor(i / cols)}, ${i % cols}]`,
  );
}

// the checks a step makes before its first write: x (B, IN) finite; y finite (B, C) or class
// indices in [0, C); returns y as indices or as dense targets (the other null)
export function checkStepInputs(
  B: number, IN: number, C: number, x: FloatArray, y: FloatArray | Int32Array,
): { idx: Int32Array | null; dense: FloatArray | null } {
  const idx = y instanceof Int32Array ? y : null;
  const dense = idx === null ? (y as FloatArray) : null;
  let bad = firstNonFinite(B * IN, x);
  if (bad >= 0) throw notFinite('x', x, bad, IN);
  if (dense !== null) {
    bad = firstNonFinite(B * C, dense);
    if (bad >= 0) throw notFinite('y', dense, bad, C);
  } else {
    for (let i = 0; i < B; i++) {
      const k = (idx as Int32Array)[i];
      if (k < 0 || k >= C) throw new RangeError(`trainStep: y: expected class indices in [0, ${C}), received ${k} at index ${i}`);
    }
  }
  return { idx, dense };
}

// the optimizer options of a step from the plan's state array, `per` being the parameter's own
// number (SGD: 1 on the step that creates its momentum buffer; Adam: its 1-based step)
export function sgdOptions(st: Float64Array, per: number): SgdOptions {
  return {
    lr: st[STEP_STATE.lr],
    momentum: st[STEP_STATE.momentum],
    dampening: st[STEP_STATE.dampening],
    nesterov: st[STEP_STATE.nesterov] !== 0,
    weightDecay: st[STEP_STATE.weightDecay],
    firstStep: per !== 0,
  };
}

export function adamOptions(st: Float64Array, per: number): AdamOptions {
  return {
    lr: st[STEP_STATE.lr],
    beta1: st[STEP_STATE.beta1],
    beta2: st[STEP_STATE.beta2],
    eps: st[STEP_STATE.eps],
    weightDecay: st[STEP_STATE.weightDecay],
    decoupled: st[STEP_STATE.decoupled] !== 0,
    step: per,
  };
}

// the optimizer's step of parameter s, as SGD.step / Adam.step make it, with its block of the state
function update(plan: ReferenceStepPlan, s: number): void {
  const { spec } = plan;
  const st = spec.state.subarray(STEP_STATE.stride * s);
  const p = spec.params[s];
  const n = p.data.length;
  let grad = p.grad;
  const l1 = st[STEP_STATE.l1];
  if (l1 !== 0) {
    let sc = plan.l1Scratch[s];
    if (sc === null) {
      sc = plan.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
      plan.l1Scratch[s] = sc;
    }
    const d = p.data;
    for (let k = 0; k < n; k++) {
      const x = d[k];
      sc[k] = x > 0 ? grad[k] + l1 : x < 0 ? grad[k] - l1 : grad[k];
    }
    grad = sc;
  }
  const per = st[STEP_STATE.count];
  if (spec.optimizer === 'sgd') {
    sgdStep(n, p.data, grad, st[STEP_STATE.momentum] !== 0 ? p.buf : null, sgdOptions(st, per));
  } else {
    adamStep(n, p.data, grad, p.m as FloatArray, p.v as FloatArray, adamOptions(st, per));
  }
}

// the loss of a step's output h (B, C) and d loss / d h into dout, as the module path computes them:
// FFNN (softmax into probs, CELoss, (probs S - y) / B with S the target row's sum) or a Sequential's CrossEntropyLoss / MSELoss.
// NaN when the output (or the probabilities) are not finite, the loss itself when it is not finite
export function stepLoss(
  spec: StepPlanSpec, B: number, C: number, h: FloatArray, y: FloatArray | Int32Array,
  idx: Int32Array | null, dense: FloatArray | null, probsBuf: FloatArray | null, dout: FloatArray,
): number {
  let loss: number;
  if (spec.loss === 'ffnn') {
    const probs = probsBuf as FloatArray;
    softmax(B, C, h, probs);
    if (firstNonFinite(B * C, probs) >= 0) return NaN;
    loss = idx !== null ? categoricalCELoss(B, C, probs, idx, true, 1e-8) : ceLoss(B, C, probs, dense as FloatArray, true, 1e-8);
    if (!Number.isFinite(loss)) return loss;
    // FFNN.backward's d loss / d logits
    ceProbsGrad(B, C, probs, idx ?? (dense as FloatArray), dout);
  } else {
    if (firstNonFinite(B * C, h) >= 0) return NaN;
    if (spec.loss === 'cross-entropy') {
      loss = softmaxCrossEntropy(B, C, h, y, null, dout);
      if (spec.reduction === 'sum') {
        for (let i = 0; i < B * C; i++) dout[i] *= B;
        loss *= B;
      }
    } else {
      loss = mseLoss(B * C, h, dense as FloatArray, spec.reduction, dout);
    }
  }
  return loss;
}

// each learnable activation scalar once (layers may share one), in the order of its first layer:
// the step's last updates, after every layer's backward has added its part to the gradient
export function forEachScalar(layers: StepPlanSpec['layers'], fn: (slot: number) => void): void {
  for (let l = 0; l < layers.length; l++) {
    const s = layers[l].scalar;
    if (s < 0) continue;
    let first = true;
    for (let q = 0; q < l; q++) if (layers[q].scalar === s) first = false;
    if (first) fn(s);
  }
}

export function trainStep(planArg: StepPlan, B: number, x: FloatArray, y: FloatArray | Int32Array): number {
  if (!(planArg instanceof ReferenceStepPlan)) {
    throw new TypeError('trainStep: plan: expected a plan from the js createStepPlan, received another object');
  }
  const plan = planArg;
  const { spec } = plan;
  const layers = spec.layers;
  const params = spec.params;
  const L = layers.length;
  const IN = plan.inFeatures;
  const C = plan.outFeatures;
  const { idx, dense } = checkStepInputs(B, IN, C, x, y);
  plan.reserve(B);

  const paramOf = (l: number): number => {
    const s = layers[l].scalar;
    return s >= 0 ? params[s].data[0] : layers[l].param;
  };
  // the dropouts at a place, in order (as the Dropout modules before the layer), and back, last first
  const drops = plan.drops;
  const dropAt = (at: number, h: FloatArray): FloatArray => {
    drops.forEach((d, i) => {
      if (d.at !== at) return;
      dropoutForward(B * dropWidth(spec, at), h, d.p, d.state, plan.mask[i], plan.dy[i]);
      h = plan.dy[i];
    });
    return h;
  };
  const dropBack = (at: number, g: FloatArray): void => {
    for (let i = drops.length - 1; i >= 0; i--) if (drops[i].at === at) dropoutBackward(B * dropWidth(spec, at), g, plan.mask[i], g);
  };
  // each layer's input in this step
  const xin: FloatArray[] = [];
  let h: FloatArray = x;
  for (let l = 0; l < L; l++) {
    const ly = layers[l];
    const p = paramOf(l);
    h = dropAt(l, h);
    xin.push(h);
    linearForward(B, ly.IN, ly.OUT, h, params[ly.w].data, ly.b >= 0 ? params[ly.b].data : null, ly.act, p, plan.y[l], plan.pre[l], ly.precision);
    h = plan.y[l];
  }
  h = dropAt(L, h);

  const loss = stepLoss(spec, B, C, h, y, idx, dense, plan.probs, plan.dout as FloatArray);
  if (!Number.isFinite(loss)) return loss;
  const dout = plan.dout as FloatArray;
  dropBack(L, dout);

  const accumulate = spec.loss !== 'ffnn';
  const clip = spec.clipGradNorm ?? null;
  if (accumulate) {
    for (const p of params) p.grad.fill(0);
  } else {
    for (const ly of layers) if (ly.scalar >= 0) params[ly.scalar].grad[0] = 0;
  }
  let g: FloatArray = dout;
  for (let l = L - 1; l >= 0; l--) {
    const ly = layers[l];
    const gx = l > 0 ? plan.dx[l] : null;
    const z = ly.act !== ACT_CODE.identity ? (plan.pre[l] as FloatArray) : g;
    const w = params[ly.w];
    // the scalars are updated last: paramOf is still the value the forward used
    const dParam = linearBackward(
      B, ly.IN, ly.OUT, xin[l], w.data, z, g, ly.act, paramOf(l), g, w.grad,
      ly.b >= 0 ? params[ly.b].grad : null, gx, accumulate, ly.precision,
    );
    if (ly.scalar >= 0) params[ly.scalar].grad[0] += dParam;
    if (clip === null) {
      update(plan, ly.w);
      if (ly.b >= 0) update(plan, ly.b);
    }
    if (l > 0) dropBack(l, gx as FloatArray);
    g = gx as FloatArray;
  }
  if (clip !== null) {
    // clipGradNorm over every gradient, then every update (the module calls' order)
    clipGradsL2(params.map((p) => p.grad), clip);
    params.forEach((_, s) => update(plan, s));
  } else {
    forEachScalar(layers, (s) => update(plan, s));
  }
  return loss;
}
