// TrainStep: a whole training step of an FFNN or a Sequential of Linear [+ activation] pairs as one
// kernel call (forward, loss, backward, optimizer update) over workspaces sized once per batch
// shape; the same numbers as the module calls, which run() makes itself for networks the plan
// cannot express (Softmax or custom modules, label smoothing, class weights, a loss or an
// optimizer on another device, an optimizer over other parameters than the network's). the
// network describes its own chain (fusedPlan(), src/nn/fused.ts) or says why it has none; this
// driver turns the description into a plan and reads no module's fields beyond it.
//   FFNN:       forward; CategoricalCELoss / CELoss; backward(x, y, yPred); optimizer.step()
//   Sequential: forward; loss.forward; zeroGrad; backward(loss.backward()); optimizer.step()
// Dropout layers anywhere in a Sequential's chain are drawn inside the step from their own
// generators (the same masks as their forward); their training flags are read at every run.
// as in trainFFNN, a non-finite output returns NaN and a non-finite loss returns it, with nothing
// updated. each Parameter's .grad and the optimizer's state (its own buffers, shared with the plan,
// and step counts) end as the module calls leave them; the modules' own forward / backward buffers
// (FFNN.gradients(), Linear.lastInputGrad) are not written.
import type { Device } from '../kernels/index.js';
import { backend } from '../kernels/index.js';
import {
  STEP_STATE, type DType, type FloatArray, type Kernels, type StepLoss, type StepPlan, type StepPlanSpec,
} from '../kernels/types.js';
import { FFNN } from '../nn/ffnn.js';
import type { FusedDrop, FusedLayer } from '../nn/fused.js';
import { parameterPlaces, type Module } from '../nn/module.js';
import { CategoricalCELoss, CELoss, CrossEntropyLoss, type LossModule } from '../nn/loss.js';
import { Sequential } from '../nn/sequential.js';
import { checkLike, checkMatrix, checkRows, readIndices, type Indices } from '../nn/validate.js';
import { Workspace } from '../nn/workspace.js';
import { Optimizer, type FusedOptimizer } from '../optim/optimizer.js';
import { Tensor, type Parameter } from '../tensor.js';
import { allFinite, checkNonNegative, checkObject, overlaps, rangeError, typeError } from '../util/check.js';
import { clippingOptimizer } from '../optim/clip.js';

export interface TrainStepOptions {
  // a Sequential's loss (default CrossEntropyLoss on its device, as trainFFNN); for an FFNN, a loss
  // on its probabilities run as the module flow (zeroGrad, backward(gradOut)) instead of CELoss
  loss?: LossModule;
  // clip the gradients' total L2 norm to this before every update (clipGradNorm then step()); the
  // fused step then keeps every gradient and updates once the norm is known (native/kernels/train_step.cpp)
  clipGradNorm?: number;
}

export class TrainStep {
  readonly net: FFNN | Sequential;
  readonly optimizer: Optimizer;
  // the loss module (Sequential, or an FFNN given one); null: FFNN's CELoss
  readonly loss: LossModule | null;
  // why run() makes the module calls rather than one fused call; null when it fuses
  readonly fallback: string | null;
  // clipGradNorm's max norm, or null
  readonly clip: number | null;
  // the network's own description of its step (src/nn/fused.ts)
  private readonly layers: readonly FusedLayer[] = [];
  private readonly drops: readonly FusedDrop[] = [];
  // the layer with the most outputs (x's rows times its width must fit in a tensor), for checkRows
  private readonly widestLayer: { readonly outFeatures: number; toString(): string } | null = null;
  // which drops the plan draws (the others were in eval mode when it was built)
  private readonly planDropOn: boolean[] = [];
  private readonly stepLoss: StepLoss = 'ffnn';
  private readonly mean: boolean = true;
  // the optimizer's parameters, in its order: the plan's slots
  private readonly params: readonly Parameter[];
  private readonly inFeatures: number = 0;
  private readonly outFeatures: number = 0;
  private readonly state: Float64Array;
  private readonly ws = new Workspace();
  private plan: StepPlan | null = null;
  private planKernels: Kernels | null = null;
  private planDevice: Device | null = null;
  private planDtype: DType | null = null;
  // each layer's precision when the plan was made (a Linear's precision may be set later)
  private planPrecision = '';
  // the arrays the plan holds, to see when the optimizer or a user replaced one
  private readonly planData: (FloatArray | null)[];
  // the arrays the plan writes (parameters, gradients, optimizer state), named, and their
  // ArrayBuffers: an x or y in one of those buffers is checked for overlap (an x in its own buffer,
  // the usual case, costs one lookup a step)
  private written: Array<[string, FloatArray]> = [];
  private writtenBuffers = new Set<ArrayBufferLike>();
  private readonly planGrads: (FloatArray | null)[];
  private readonly planBufs: (FloatArray | null)[];
  private readonly planM: (FloatArray | null)[];
  private readonly planV: (FloatArray | null)[];
  // the optimizer's state as it hands it to a fused step (null while run() makes the module calls)
  private readonly fused: FusedOptimizer | null = null;

  constructor(net: FFNN | Sequential, optimizer: Optimizer, opts?: TrainStepOptions) {
    if (!(net instanceof FFNN) && !(net instanceof Sequential)) throw typeError('net', 'an FFNN or a Sequential', net);
    if (!(optimizer instanceof Optimizer)) throw typeError('optimizer', 'an optimizer (SGD, Adam, AdamW)', optimizer);
    const o = checkObject('options', opts);
    for (const key of Object.keys(o)) if (key !== 'loss' && key !== 'clipGradNorm') throw typeError(`options.${key}`, 'no such option (loss, clipGradNorm)', o[key]);
    this.clip = o.clipGradNorm === undefined ? null : checkNonNegative('options.clipGradNorm', o.clipGradNorm);
    const given = o.loss as LossModule | undefined;
    if (given !== undefined && (given === null || typeof given.forward !== 'function' || typeof given.backward !== 'function')) {
      throw typeError('options.loss', 'a loss module with forward(pred, target) and backward()', given);
    }
    this.net = net;
    this.optimizer = optimizer;
    this.params = optimizer.params;
    const n = this.params.length;
    this.state = new Float64Array(STEP_STATE.stride * n);
    this.planData = new Array<FloatArray | null>(n).fill(null);
    this.planGrads = new Array<FloatArray | null>(n).fill(null);
    this.planBufs = new Array<FloatArray | null>(n).fill(null);
    this.planM = new Array<FloatArray | null>(n).fill(null);
    this.planV = new Array<FloatArray | null>(n).fill(null);
    this.loss = net instanceof FFNN ? (given ?? null) : (given ?? new CrossEntropyLoss({ device: net.device }));

    // the network describes its own step (its layers and dropouts) or says why it has none
    const plan = net.fusedPlan();
    let why: string | null = 'fallback' in plan ? plan.fallback : sharedParameter(plan.layers);
    if (why === null && net instanceof FFNN && given !== undefined) why = 'an FFNN with a loss module (its module form)';
    if (why === null && !(net instanceof FFNN)) {
      // the loss describes itself too
      const loss = this.loss as LossModule;
      const fl = typeof loss.fusedLoss === 'function' ? loss.fusedLoss() : { fallback: 'a loss module with no fused form (CrossEntropyLoss and MSELoss have one)' };
      if ('fallback' in fl) {
        why = fl.fallback;
      } else {
        this.stepLoss = fl.loss;
        this.mean = fl.reduction === 'mean';
        if (fl.device !== net.device) why = `the loss runs on device '${fl.device}', the network on '${net.device}'`;
        else if (fl.dtype !== undefined && fl.dtype !== net.dtype) why = `the loss has dtype '${fl.dtype}', the network '${net.dtype}'`;
      }
    }
    // the optimizer hands over its state, or says why it cannot
    const fo = optimizer.fusedOptimizer();
    if (why === null && 'fallback' in fo) why = fo.fallback;
    if (why === null && optimizer.device !== net.device) {
      why = `the optimizer runs on device '${optimizer.device}', the network on '${net.device}'`;
    }
    if (why === null) {
      const own = net.parameters();
      const mine = new Set(this.params);
      if (own.length !== this.params.length || own.some((p) => !mine.has(p))) {
        why = "the optimizer's parameters are not exactly the network's";
      }
    }
    this.fallback = why;
    if (why === null && !('fallback' in plan) && !('fallback' in fo)) {
      this.fused = fo;
      const { layers, drops } = plan;
      this.layers = Object.freeze([...layers]);
      this.drops = Object.freeze([...drops]);
      this.planDropOn = drops.map(() => false);
      this.inFeatures = layers[0].IN;
      this.outFeatures = layers[layers.length - 1].OUT;
      const k = layers.reduce((w, l, j) => (l.OUT > layers[w].OUT ? j : w), 0);
      const OUT = layers[k].OUT;
      this.widestLayer = { outFeatures: OUT, toString: () => `layer ${k + 1} (${OUT} outputs)` };
    }
  }

  // one training step on x (B, IN) and y (class indices (B), or a (B, C) target tensor); the loss
  run(x: Tensor, y: Int32Array | Tensor): number {
    if (this.fallback !== null) return this.moduleStep(x, y);
    const net = this.net;
    const dtype = net.dtype;
    const xt = checkMatrix('x', x, this.inFeatures, dtype, net);
    const B = xt.shape[0];
    const C = this.outFeatures;
    // the activations the module calls would allocate as tensors: each within a tensor's size (the
    // widest layer sets the bound)
    checkRows(xt, this.widestLayer);
    const yd = this.target(y, B, C, dtype);
    const params = this.params;
    const n = params.length;
    const st = this.state;
    let rebuild = this.plan === null || net.device !== this.planDevice || dtype !== this.planDtype ||
      this.precisions() !== this.planPrecision;
    // a Dropout switched between train and eval mode: the plan draws exactly the training ones
    for (let i = 0; i < this.drops.length; i++) {
      if ((this.drops[i].dropout.fusedDrop() !== null) !== this.planDropOn[i]) rebuild = true;
    }
    for (let i = 0; i < n; i++) {
      const p = params[i];
      // a data array replaced by assignment: the plan must hold the new one (as the modules use it)
      if (p.data !== this.planData[i]) {
        const ctor = dtype === 'float64' ? Float64Array : Float32Array;
        if (!(p.data instanceof ctor)) throw typeError(`params[${i}].data`, `a ${ctor.name} (the network's dtype)`, p.data);
        if (p.data.length !== p.size) throw rangeError(`params[${i}].data`, `${p.size} elements (its shape)`, p.data);
        rebuild = true;
      }
      if (p.grad !== null && p.grad.data !== this.planGrads[i]) {
        const g = p.grad;
        if (!(g instanceof Tensor) || g.dtype !== p.dtype || g.size !== p.size) {
          throw typeError(`params[${i}].grad`, `a ${p.dtype} Tensor of ${p.size} elements like its parameter`, g);
        }
        rebuild = true;
      }
    }
    // a learnable beta / alpha as its forward would read it (a bad value throws, an alpha is projected)
    for (const l of this.layers) if (l.scalar !== null) l.paramValue();
    // the optimizer's state made ready and its hyper-parameters written, as its step() would
    const fo = this.fused as FusedOptimizer;
    fo.begin(st);
    for (let i = 0; i < n; i++) {
      const a = fo.arrays(i);
      if (a.buf !== this.planBufs[i] || a.m !== this.planM[i] || a.v !== this.planV[i]) rebuild = true;
    }
    // gradients the step creates; a step that does not happen leaves them null, as the module calls do
    const fresh: Parameter[] = [];
    for (const p of params) {
      if (p.grad === null) {
        fresh.push(p);
        p.ensureGrad();
        rebuild = true;
      }
    }
    let loss: number;
    try {
      if (rebuild) this.build();
      if (this.writtenBuffers.has(xt.data.buffer)) checkDisjoint(xt.data, 'x', this.written);
      if (this.writtenBuffers.has(yd.buffer)) checkDisjoint(yd, 'y', this.written);
      loss = (this.planKernels as Kernels).trainStep(this.plan as StepPlan, B, xt.data, yd);
    } catch (e) {
      this.undo(fresh);
      throw e;
    }
    if (!Number.isFinite(loss)) this.undo(fresh);
    else fo.end(true);
    return loss;
  }

  // y as the kernel takes it: class indices (checked in range), or a (B, C) tensor's data
  private target(y: unknown, B: number, C: number, dtype: DType): FloatArray | Int32Array {
    if (y instanceof Tensor && y.ndim === 2) return checkLike('y', y, B, C, dtype, 'one row per row of x').data;
    if (this.stepLoss === 'mse') throw typeError('y', `a target Tensor of shape [${B}, ${C}] (MSELoss)`, y);
    if (y instanceof Int32Array) {
      if (y.length !== B) throw rangeError('y', `${B} class indices (one per row)`, y);
      for (let i = 0; i < B; i++) {
        const k = y[i];
        if (k < 0 || k >= C) throw rangeError(`y[${i}]`, `an integer class index in [0, ${C - 1}]`, k);
      }
      return y;
    }
    return readIndices('y', y as Indices, B, C, this.ws);
  }

  // a new plan over the current arrays (first run, or an array was replaced)
  private build(): void {
    const net = this.net;
    const params = this.params;
    const slot = new Map<Parameter, number>();
    params.forEach((p, i) => slot.set(p, i));
    const fo = this.fused as FusedOptimizer;
    const spec: StepPlanSpec = {
      dtype: net.dtype,
      loss: this.stepLoss,
      reduction: this.mean ? 'mean' : 'sum',
      optimizer: fo.rule,
      layers: this.layers.map((l) => ({
        IN: l.IN,
        OUT: l.OUT,
        act: l.act,
        param: l.scalar !== null ? 0 : l.paramValue(),
        scalar: l.scalar === null ? -1 : (slot.get(l.scalar) as number),
        w: slot.get(l.weight) as number,
        b: l.bias === null ? -1 : (slot.get(l.bias) as number),
        precision: l.precision(),
      })),
      drops: this.drops.flatMap(({ dropout, at }) => {
        const d = dropout.fusedDrop();
        return d === null ? [] : [{ at, p: d.p, state: d.state }];
      }),
      params: params.map((p, i) => {
        const a = fo.arrays(i);
        return { data: p.data, grad: (p.grad as Tensor).data, buf: a.buf, m: a.m, v: a.v };
      }),
      state: this.state,
      clipGradNorm: this.clip,
    };
    const k = backend(net.device);
    this.plan = k.createStepPlan(spec);
    this.planKernels = k;
    this.planDevice = net.device;
    this.planDtype = net.dtype;
    this.planPrecision = this.precisions();
    this.drops.forEach((d, i) => {
      this.planDropOn[i] = d.dropout.fusedDrop() !== null;
    });
    this.written = spec.params.flatMap((p, i) => {
      const named: Array<[string, FloatArray | null]> = [
        [`params[${i}] (${String(params[i])})`, p.data], [`params[${i}].grad`, p.grad],
        [`the optimizer's state of params[${i}]`, p.buf], [`the optimizer's state of params[${i}]`, p.m], [`the optimizer's state of params[${i}]`, p.v],
      ];
      return named.filter((e): e is [string, FloatArray] => e[1] !== null);
    });
    this.writtenBuffers = new Set(this.written.map(([, a]) => a.buffer));
    spec.params.forEach((p, i) => {
      this.planData[i] = p.data;
      this.planGrads[i] = p.grad;
      this.planBufs[i] = p.buf;
      this.planM[i] = p.m;
      this.planV[i] = p.v;
    });
  }

  private precisions(): string {
    return this.layers.map((l) => l.precision()).join(',');
  }

  // a step that did not happen leaves no optimizer state and no new gradient behind (as the module
  // path creates none)
  private undo(fresh: readonly Parameter[]): void {
    for (const p of fresh) p.grad = null;
    (this.fused as FusedOptimizer).end(false);
  }

  // the module calls the fused step stands for
  private moduleStep(x: Tensor, y: Int32Array | Tensor): number {
    const opt = this.clip === null ? this.optimizer : clippingOptimizer(this.optimizer, this.params, this.clip, this.net.device);
    return moduleCallsStep(this.net, this.loss, opt, x, y);
  }
}

// the step reads x and y while it writes the parameters, their gradients and the optimizer state:
// none of those may share memory with them (the module calls would give other numbers)
// why the step cannot run a chain whose layers share a weight or bias (tied weights: a JavaScript
// caller may assign one Linear's weight to another), or null. the step updates each layer's
// parameters as soon as that layer's gradient is final, before the other use has added its part;
// the module calls sum both uses, then step. a learnable activation scalar may be shared (its update
// waits for every layer)
function sharedParameter(layers: readonly FusedLayer[]): string | null {
  const why = ' (a parameter shared between layers: the module calls add both gradients before the step)';
  const { first, repeat } = parameterPlaces(layers.flatMap((ly, l) => [[`layer ${l + 1}'s weight`, ly.weight], [`layer ${l + 1}'s bias`, ly.bias]] as const));
  if (repeat !== null) return `${repeat[0]} is also ${repeat[1]}${why}`;
  for (let l = 0; l < layers.length; l++) {
    const sc = layers[l].scalar;
    const other = sc === null ? undefined : first.get(sc);
    if (other !== undefined) return `layer ${l + 1}'s activation parameter is also ${other}${why}`;
  }
  return null;
}

function checkDisjoint(a: FloatArray | Int32Array, name: string, written: ReadonlyArray<[string, FloatArray]>): void {
  for (const [what, b] of written) {
    if (overlaps(a, b)) throw rangeError(name, `an array that does not overlap ${what}`, a);
  }
}

// one training step through the module API: for an FFNN without a loss module the problem's loop
// (forward, CELoss of the probabilities, backward(x, y, yPred) storing gradients, step); otherwise
// forward, loss, zeroGrad, backward (accumulating), step. a non-finite output or loss is returned
// (NaN for the output) with nothing updated, so the caller can say where it appeared
export function moduleCallsStep(
  net: Module, lossFn: LossModule | null, opt: Optimizer, x: Tensor, y: Int32Array | Tensor,
): number {
  if (net instanceof FFNN && lossFn === null) {
    const yPred = net.forward(x);
    if (!allFinite(yPred.data)) return NaN;
    const loss = y instanceof Tensor && y.ndim === 2
      ? CELoss(yPred, y, { device: net.device })
      : CategoricalCELoss(yPred, y as Indices, { device: net.device });
    if (!Number.isFinite(loss)) return loss;
    net.backward(x, y, yPred);
    opt.step();
    return loss;
  }
  const out = net.forward(x);
  // loss modules refuse a non-finite prediction; here it is a training failure
  if (!allFinite(out.data)) return NaN;
  const loss = (lossFn as LossModule).forward(out, y);
  if (!Number.isFinite(loss)) return loss;
  net.zeroGrad();
  net.backward((lossFn as LossModule).backward());
  opt.step();
  return loss;
}
