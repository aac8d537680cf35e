// a whole training step on the wasm device, in the reference step's order (reference/train-step.ts):
// each layer's forward; the loss; each layer's backward from the last, its parameters' update once
// their gradients are final; the learnable scalars last. x and every parameter (data and optimizer
// state) are copied into linear memory once per step and back after it, so the layers' products,
// epilogues and updates run on resident arrays; the gradients are made in memory (zeroed, or stored)
// and copied out too. the wasm calls and the reference loops (the transcendental activations, the
// losses, adam, l1) are the ones the per-call kernels make, so the numbers are the module calls' bits.
// x is (B, IN); y is (B) class indices or (B, C) floats
import { ACT_CODE, STEP_STATE, type FloatArray, type StepPlan, type StepPlanSpec } from '../types.js';
import { biasAct as refBiasAct } from '../reference/bias-act.js';
import { actBackward as refActBackward } from '../reference/act-backward.js';
import { adamStep } from '../reference/adam.js';
import { adamOptions, checkStepInputs, forEachScalar, stepLoss } from '../reference/train-step.js';
import { align, wasmMemory, type WasmMemory } from './memory.js';
import { actBackwardAt, biasActAt, gemmAt, sgdAt, wasmAct } from './ops.js';
import { get, put } from './kernels.js';

// an array of the plan in linear memory: its byte offset and a view, rebuilt whenever the memory grows
class Region {
  off = 0;
  view: FloatArray = new Float32Array(0);
  constructor(readonly n: number) {}
}

interface ParamRegions {
  data: Region;
  grad: Region;
  buf: Region | null;
  m: Region | null;
  v: Region | null;
  // grad + l1 sign(param), the l1 step's gradient
  l1: Region;
}

export class WasmStepPlan implements StepPlan {
  readonly backend = 'wasm' as const;
  readonly dtype: StepPlanSpec['dtype'];
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly spec: StepPlanSpec;
  readonly es: number;
  rows = 0;
  x = new Region(0);
  y: Region[] = [];
  pre: (Region | null)[] = [];
  dx: (Region | null)[] = [];
  probs: Region | null = null;
  dout = new Region(0);
  sums = new Region(0);
  p: ParamRegions[] = [];
  private regions: Region[] = [];
  private end = 0;
  private viewsOf: ArrayBuffer | null = null;

  constructor(spec: StepPlanSpec) {
    this.spec = {
      ...spec,
      layers: spec.layers.map((l) => ({ ...l })),
      params: spec.params.map((p) => ({ ...p })),
    };
    this.dtype = spec.dtype;
    this.es = spec.dtype === 'float64' ? 8 : 4;
    this.inFeatures = spec.layers[0].IN;
    this.outFeatures = spec.layers[spec.layers.length - 1].OUT;
    Object.freeze(this.spec);
  }

  private region(n: number): Region {
    const r = new Region(n);
    r.off = this.end;
    this.end = align(this.end + n * this.es);
    this.regions.push(r);
    return r;
  }

  // the layout for B rows from the arena's start; redone only when B exceeds every batch so far
  reserve(m: WasmMemory, B: number): void {
    if (B <= this.rows) return;
    this.regions = [];
    this.end = m.arena;
    const { layers, params } = this.spec;
    const C = this.outFeatures;
    this.x = this.region(B * this.inFeatures);
    this.y = layers.map((l) => this.region(B * l.OUT));
    this.pre = layers.map((l) => (l.act === ACT_CODE.identity ? null : this.region(B * l.OUT)));
    this.dx = layers.map((l, i) => (i === 0 ? null : this.region(B * l.IN)));
    this.probs = this.spec.loss === 'ffnn' ? this.region(B * C) : null;
    this.dout = this.region(B * C);
    this.sums = this.region(Math.max(...layers.map((l) => l.OUT)) * (8 / this.es));
    const adam = this.spec.optimizer === 'adam';
    this.p = params.map((p) => {
      const n = p.data.length;
      return {
        data: this.region(n),
        grad: this.region(n),
        buf: p.buf !== null ? this.region(n) : null,
        m: adam ? this.region(n) : null,
        v: adam ? this.region(n) : null,
        l1: this.region(n),
      };
    });
    this.rows = B;
    this.viewsOf = null;
  }

  // makes the layout addressable and (re)builds the views after a growth or a new layout
  place(m: WasmMemory): void {
    m.reserve(this.end);
    const buf = m.bufferId;
    if (this.viewsOf === buf) return;
    for (const r of this.regions) {
      r.view = this.es === 8 ? new Float64Array(buf, r.off, r.n) : new Float32Array(buf, r.off, r.n);
    }
    this.viewsOf = buf;
  }
}

export function createStepPlan(spec: StepPlanSpec): StepPlan {
  return new WasmStepPlan(spec);
}


// the optimizer's step of parameter s, as SGD.step / Adam.step make it
function update(m: WasmMemory, plan: WasmStepPlan, s: number): void {
  const { spec } = plan;
  const st = spec.state;
  const r = plan.p[s];
  const n = r.data.n;
  let grad = r.grad;
  const l1 = st[STEP_STATE.l1];
  if (l1 !== 0) {
    const sc = r.l1.view;
    const d = r.data.view;
    const g = r.grad.view;
    for (let k = 0; k < n; k++) {
      const x = d[k];
      sc[k] = x > 0 ? g[k] + l1 : x < 0 ? g[k] - l1 : g[k];
    }
    grad = r.l1;
  }
  const per = st[STEP_STATE.count + s];
  if (spec.optimizer === 'sgd') {
    const momentum = st[STEP_STATE.momentum];
    sgdAt(
      m, plan.es, n, r.data.off, grad.off, momentum !== 0 && r.buf !== null ? r.buf.off : -1,
      st[STEP_STATE.lr], st[STEP_STATE.weightDecay], momentum, st[STEP_STATE.dampening],
      st[STEP_STATE.nesterov] !== 0, per !== 0,
    );
  } else {
    adamStep(n, r.data.view, grad.view, (r.m as Region).view, (r.v as Region).view, adamOptions(st, per));
  }
}

export function trainStep(planArg: StepPlan, B: number, x: FloatArray, y: FloatArray | Int32Array): number {
  if (!(planArg instanceof WasmStepPlan)) {
    throw new TypeError('trainStep: plan: expected a plan from the wasm createStepPlan, received another object');
  }
  const plan = planArg;
  const { spec } = plan;
  const layers = spec.layers;
  const L = layers.length;
  const IN = plan.inFeatures;
  const C = plan.outFeatures;
  const es = plan.es;
  const { idx, dense } = checkStepInputs(B, IN, C, x, y);
  const m = wasmMemory();
  plan.reserve(m, B);
  plan.place(m);

  // in: x and every parameter with its optimizer state
  put(m, plan.x.off, x, B * IN);
  moveParams(plan, put, false);

  const paramOf = (l: number): number => {
    const s = layers[l].scalar;
    return s >= 0 ? plan.p[s].data.view[0] : layers[l].param;
  };
  let h = plan.x;
  for (let l = 0; l < L; l++) {
    const ly = layers[l];
    const out = plan.y[l];
    const pre = plan.pre[l];
    const bias = ly.b >= 0 ? plan.p[ly.b].data : null;
    // linearForward: gemm, then the bias + activation epilogue
    gemmAt(m, es, false, false, B, ly.OUT, ly.IN, 1, h.off, plan.p[ly.w].data.off, 0, out.off);
    if (wasmAct(ly.act)) biasActAt(m, es, B, ly.OUT, out.off, bias ? bias.off : -1, ly.act, out.off, pre ? pre.off : -1);
    else refBiasAct(B, ly.OUT, out.view, bias ? bias.view : null, ly.act, paramOf(l), out.view, pre ? pre.view : null);
    h = out;
  }

  const loss = stepLoss(spec, B, C, h.view, y, idx, dense, plan.probs ? plan.probs.view : null, plan.dout.view);
  if (!Number.isFinite(loss)) return loss;

  const accumulate = spec.loss !== 'ffnn';
  if (accumulate) {
    for (const r of plan.p) r.grad.view.fill(0);
  } else {
    for (const ly of layers) if (ly.scalar >= 0) plan.p[ly.scalar].grad.view[0] = 0;
  }
  let g = plan.dout;
  for (let l = L - 1; l >= 0; l--) {
    const ly = layers[l];
    const gx = l > 0 ? plan.dx[l] : null;
    const z = ly.act !== ACT_CODE.identity ? (plan.pre[l] as Region) : g;
    const w = plan.p[ly.w];
    const gb = ly.b >= 0 ? plan.p[ly.b].grad : null;
    const xin = l > 0 ? plan.y[l - 1] : plan.x;
    // linearBackward, as the per-call kernel: the activation derivative into g, then the products;
    // the scalars are updated last: paramOf is still the value the forward used
    if (gb !== null && !accumulate) gb.view.fill(0, 0, ly.OUT);
    const dParam = wasmAct(ly.act)
      ? actBackwardAt(m, es, B, ly.OUT, z.off, g.off, ly.act, g.off, gb ? gb.off : -1, plan.sums.off)
      : refActBackward(B, ly.OUT, z.view, g.view, ly.act, paramOf(l), g.view, gb ? gb.view : null);
    gemmAt(m, es, true, false, ly.IN, ly.OUT, B, 1, xin.off, g.off, accumulate ? 1 : 0, w.grad.off);
    if (gx !== null) gemmAt(m, es, false, true, B, ly.IN, ly.OUT, 1, g.off, w.data.off, 0, gx.off);
    if (ly.scalar >= 0) plan.p[ly.scalar].grad.view[0] += dParam;
    update(m, plan, ly.w);
    if (ly.b >= 0) update(m, plan, ly.b);
    g = gx as Region;
  }
  forEachScalar(layers, (s) => update(m, plan, s));

  // out: every parameter, its gradient and optimizer state
  moveParams(plan, get, true);
  return loss;
}

// every parameter with its optimizer state (Adam's moments, or SGD's momentum buffer when momentum
// is on) into linear memory (put) or back out of it (get), with the gradient when `grad`
function moveParams(plan: WasmStepPlan, move: typeof put, grad: boolean): void {
  const m = wasmMemory();
  const { spec } = plan;
  const adam = spec.optimizer === 'adam';
  const momentum = spec.state[STEP_STATE.momentum];
  spec.params.forEach((p, s) => {
    const r = plan.p[s];
    const n = r.data.n;
    move(m, r.data.off, p.data, n);
    if (grad) move(m, r.grad.off, p.grad, n);
    if (adam) {
      move(m, (r.m as Region).off, p.m as FloatArray, n);
      move(m, (r.v as Region).off, p.v as FloatArray, n);
    } else if (momentum !== 0 && r.buf !== null) {
      move(m, r.buf.off, p.buf as FloatArray, n);
    }
  });
}
