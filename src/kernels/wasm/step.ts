// the fused training step on wasm: a plan in the module (ffnn_plan_new: the StepConfig and the step
// workspaces of native/kernels/train_step.h) and one heap block holding every parameter's arrays.
// each trainStep copies the parameters in, runs train_step<T> (the same C++ as the addon's
// trainStep and as this device's module calls, so the two give the same bits) and copies them back.
// the spec has been checked (checked.ts, the door); shapes as in ../types.ts
import { STEP_STATE, type FloatArray, type StepParamSpec, type StepPlan, type StepPlanSpec } from '../types.js';
import { checkStepInputs } from '../reference/train-step.js';
import { Call, get, put } from './call.js';
import { align, wasmMemory, type WasmMemory } from './memory.js';

const LOSS = { ffnn: 0, 'cross-entropy': 1, mse: 2 } as const;
const FIELDS = ['data', 'grad', 'buf', 'm', 'v'] as const;

interface Slot {
  p: StepParamSpec;
  n: number;
  // byte offsets of data, grad, buf, m, v in the plan's block (0: none)
  at: number[];
}

// the module's memory of dead plans, freed when the plan object is collected
const plans = new FinalizationRegistry<{ m: WasmMemory; plan: number; block: number }>(({ m, plan, block }) => {
  m.x.ffnn_free(block);
  m.fn('ffnn_plan_free')(plan);
});

export class WasmStepPlan implements StepPlan {
  readonly backend = 'wasm' as const;
  readonly dtype: StepPlanSpec['dtype'];
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly state: Float64Array;
  readonly slots: Slot[];
  // per dropout: its generator's state words and where they lie in the plan's block
  readonly drops: Array<{ state: Uint32Array; at: number }>;
  readonly ptr: number;
  readonly idxOk: boolean;

  constructor(m: WasmMemory, spec: StepPlanSpec) {
    this.dtype = spec.dtype;
    this.inFeatures = spec.layers[0].IN;
    this.outFeatures = spec.layers[spec.layers.length - 1].OUT;
    this.state = spec.state;
    this.idxOk = spec.loss !== 'mse';
    const es = spec.dtype === 'float64' ? 8 : 4;
    const adam = spec.optimizer === 'adam';
    let bytes = 0;
    this.slots = spec.params.map((p) => {
      const n = p.data.length;
      const at = FIELDS.map((f) => {
        const has = f === 'data' || f === 'grad' || (adam ? f === 'm' || f === 'v' : f === 'buf' && p.buf !== null);
        if (!has) return 0;
        const o = bytes;
        bytes += align(n * es);
        return o + 1;
      });
      return { p: { ...p }, n, at };
    });
    const drops = spec.drops ?? [];
    this.drops = drops.map((d) => {
      const at = bytes;
      bytes += align(16);
      return { state: d.state, at };
    });
    const block = m.alloc('createStepPlan', bytes);
    for (const s of this.slots) s.at = s.at.map((o) => (o === 0 ? 0 : block + o - 1));
    for (const d of this.drops) d.at += block;
    const layers = new Float64Array(spec.layers.flatMap((l) => [l.IN, l.OUT, l.act, l.param, l.scalar, l.w, l.b, l.precision === 'bf16' ? 1 : 0]));
    const dropSpec = new Float64Array(drops.flatMap((d) => [d.at, d.p]));
    const k = new Call(m, 'createStepPlan');
    const pl = k.in('layers', layers, layers.length, String(layers.length));
    const pd = k.in('drops', dropSpec, dropSpec.length, String(dropSpec.length));
    const ptr = k.run(() => m.fn('ffnn_plan_new')(
      LOSS[spec.loss], spec.reduction === 'mean' ? 1 : 0, adam ? 1 : 0, spec.layers.length, pl.off, spec.params.length,
      drops.length, pd.off, spec.clipGradNorm ?? -1,
    )) >>> 0;
    if (ptr === 0) {
      m.x.ffnn_free(block);
      throw new RangeError('createStepPlan: the wasm module could not grow its memory for the plan');
    }
    const slot = m.fn('ffnn_plan_slot');
    this.slots.forEach((s, i) => slot(ptr, i, s.n, ...s.at));
    const dropState = m.fn('ffnn_plan_drop_state');
    this.drops.forEach((d, i) => dropState(ptr, i, d.at));
    this.ptr = ptr;
    plans.register(this, { m, plan: ptr, block });
    Object.freeze(this);
  }
}

export function createStepPlan(spec: StepPlanSpec): StepPlan {
  return new WasmStepPlan(wasmMemory(), spec);
}

// x is (B, IN); y is (B) class indices or (B, C) floats
export function trainStep(plan: StepPlan, B: number, x: FloatArray, y: FloatArray | Int32Array): number {
  if (!(plan instanceof WasmStepPlan)) {
    throw new TypeError('trainStep: plan: expected a plan from the wasm createStepPlan, received another object');
  }
  const m = wasmMemory();
  const IN = plan.inFeatures;
  const C = plan.outFeatures;
  const k = new Call(m, 'trainStep');
  const idx = y instanceof Int32Array && plan.idxOk;
  const px = k.in('x', x, B * IN, 'B*IN');
  const py = idx ? k.in('y', y, B, 'B') : k.in('y', y, B * C, 'B*C');
  const ps = k.in('plan state', plan.state, STEP_STATE.stride * plan.slots.length, 'STEP_STATE.stride * params');
  const step = m.fn(plan.dtype === 'float64' ? 'ffnn_plan_step_f64' : 'ffnn_plan_step_f32');
  const loss = k.run(() => {
    // the parameters into the plan's block, the step, and back
    for (const s of plan.slots) {
      FIELDS.forEach((f, j) => {
        const a = s.p[f];
        if (s.at[j] !== 0 && a !== null) put(m, s.at[j], a, s.n);
      });
    }
    for (const d of plan.drops) put(m, d.at, d.state, 4);
    const r = step(plan.ptr, B, px.off, idx ? 0 : py.off, idx ? py.off : 0, ps.off);
    m.refresh();
    // the generators advance whenever masks were drawn (a non-finite loss too), as the modules' do
    for (const d of plan.drops) get(m, d.at, d.state, 4);
    if (m.fn('ffnn_plan_status')(plan.ptr) === 0) {
      for (const s of plan.slots) {
        FIELDS.forEach((f, j) => {
          const a = s.p[f];
          if (s.at[j] !== 0 && a !== null) get(m, s.at[j], a, s.n);
        });
      }
    }
    return r;
  });
  if (m.fn('ffnn_plan_status')(plan.ptr) !== 0) {
    // a bad x, y or class index, found before anything was written: the reference's message
    checkStepInputs(B, IN, C, x, y);
    throw new RangeError(`trainStep: x or y: expected finite values and class indices in [0, ${C})`);
  }
  return loss;
}
