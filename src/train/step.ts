// TrainStep: a whole training step of an FFNN or a Sequential of Linear [+ activation] pairs as one
// kernel call (forward, loss, backward, optimizer update) over workspaces sized once per batch
// shape; the same numbers as the module calls, which run() makes itself for networks the plan
// cannot express (Dropout, Softmax or custom modules, label smoothing, class weights, a loss or an
// optimizer on another device, an optimizer over other parameters than the network's).
//   FFNN:       forward; CategoricalCELoss / CELoss; backward(x, y, yPred); optimizer.step()
//   Sequential: forward; loss.forward; zeroGrad; backward(loss.backward()); optimizer.step()
// as in trainFFNN, a non-finite output returns NaN and a non-finite loss returns it, with nothing
// updated. each Parameter's .grad and the optimizer's state (its own buffers, shared with the plan,
// and step counts) end as the module calls leave them; the modules' own forward / backward buffers
// (FFNN.gradients(), Linear.lastInputGrad) are not written.
import type { Device } from '../kernels/index.js';
import { backend } from '../kernels/index.js';
import {
  STEP_STATE, type DType, type FloatArray, type Kernels, type StepLoss, type StepPlan, type StepPlanSpec,
} from '../kernels/types.js';
import { Activation } from '../nn/activation.js';
import { FFNN } from '../nn/ffnn.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { CategoricalCELoss, CELoss, CrossEntropyLoss, MSELoss, type LossModule } from '../nn/loss.js';
import { Sequential } from '../nn/sequential.js';
import { checkLike, checkMatrix, checkRows, readIndices, type Indices } from '../nn/validate.js';
import { Workspace } from '../nn/workspace.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { Tensor, type Parameter } from '../tensor.js';
import { allFinite, checkObject, overlaps, rangeError, typeError } from '../util/check.js';

export interface TrainStepOptions {
  // a Sequential's loss (default CrossEntropyLoss on its device, as trainFFNN); for an FFNN, a loss
  // on its probabilities run as the module flow (zeroGrad, backward(gradOut)) instead of CELoss
  loss?: LossModule;
}

interface Layer {
  linear: Linear;
  act: Activation | null;
}

export class TrainStep {
  readonly net: FFNN | Sequential;
  readonly optimizer: SGD | Adam;
  // the loss module (Sequential, or an FFNN given one); null: FFNN's CELoss
  readonly loss: LossModule | null;
  // why run() makes the module calls rather than one fused call; null when it fuses
  readonly fallback: string | null;
  private readonly layers: readonly Layer[] = [];
  private readonly stepLoss: StepLoss = 'ffnn';
  private readonly mean: boolean = true;
  // the optimizer's parameters, in its order: the plan's slots
  private readonly params: readonly Parameter[];
  private readonly scalars: readonly Activation[] = [];
  private readonly inFeatures: number = 0;
  private readonly outFeatures: number = 0;
  private readonly state: Float64Array;
  private readonly created: Uint8Array;
  private readonly ws = new Workspace();
  private plan: StepPlan | null = null;
  private planKernels: Kernels | null = null;
  private planDevice: Device | null = null;
  private planDtype: DType | null = null;
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
  // the optimizer's live state arrays, as this run's fusedBuffers / fusedMoments returned them
  private bufs: readonly (FloatArray | null)[] = [];
  private moments: ReturnType<Adam['fusedMoments']> = [];

  constructor(net: FFNN | Sequential, optimizer: SGD | Adam, opts?: TrainStepOptions) {
    if (!(net instanceof FFNN) && !(net instanceof Sequential)) throw typeError('net', 'an FFNN or a Sequential', net);
    if (!(optimizer instanceof SGD) && !(optimizer instanceof Adam)) throw typeError('optimizer', 'an SGD or Adam optimizer', optimizer);
    const o = checkObject('options', opts);
    for (const key of Object.keys(o)) if (key !== 'loss') throw typeError(`options.${key}`, 'no such option (loss)', o[key]);
    const given = o.loss as LossModule | undefined;
    if (given !== undefined && (given === null || typeof given.forward !== 'function' || typeof given.backward !== 'function')) {
      throw typeError('options.loss', 'a loss module with forward(pred, target) and backward()', given);
    }
    this.net = net;
    this.optimizer = optimizer;
    this.params = optimizer.params;
    const n = this.params.length;
    this.state = new Float64Array(STEP_STATE.count + n);
    this.created = new Uint8Array(n);
    this.planData = new Array<FloatArray | null>(n).fill(null);
    this.planGrads = new Array<FloatArray | null>(n).fill(null);
    this.planBufs = new Array<FloatArray | null>(n).fill(null);
    this.planM = new Array<FloatArray | null>(n).fill(null);
    this.planV = new Array<FloatArray | null>(n).fill(null);
    this.loss = net instanceof FFNN ? (given ?? null) : (given ?? new CrossEntropyLoss({ device: net.device }));

    // a user's subclass of the network that overrides forward or backward runs its own methods
    let why: string | null = net.isPlainBuiltin() ? null : `a subclass of ${net instanceof FFNN ? 'FFNN' : 'Sequential'} with its own forward or backward`;
    const layers: Layer[] = [];
    if (why === null && net instanceof FFNN) {
      if (given !== undefined) why = 'an FFNN with a loss module (its module form)';
      net.layers.forEach((linear, l) => layers.push({ linear, act: net.activations[l] }));
      layers.push({ linear: net.output, act: null });
    } else if (why === null) {
      const mods = (net as Sequential).modules;
      for (let i = 0; i < mods.length && why === null; i++) {
        const m = mods[i];
        if (!(m instanceof Linear)) {
          why = `modules[${i}] (${m.toString()}) is not a Linear or the activation after one`;
          break;
        }
        // a user's subclass that overrides forward or backward runs its own methods
        if (!m.isPlainBuiltin()) {
          why = `modules[${i}] is a subclass of Linear with its own forward or backward`;
          break;
        }
        const next = mods[i + 1];
        if (next instanceof Activation && !next.isPlainBuiltin()) {
          why = `modules[${i + 1}] is a subclass of ${next.kind} with its own forward or backward`;
          break;
        }
        if (next instanceof Activation) {
          layers.push({ linear: m, act: next });
          i++;
        } else {
          layers.push({ linear: m, act: null });
        }
      }
      const loss = this.loss as LossModule;
      if (why === null) {
        if (!runsOwnLoss(loss)) {
          why = 'a loss that overrides forward or backward';
        } else if (loss instanceof CrossEntropyLoss) {
          if (loss.weight !== null || loss.labelSmoothing !== 0) why = 'CrossEntropyLoss with class weights or label smoothing';
          this.stepLoss = 'cross-entropy';
          this.mean = loss.reduction === 'mean';
        } else if (loss instanceof MSELoss) {
          this.stepLoss = 'mse';
          this.mean = loss.reduction === 'mean';
        } else {
          why = 'a loss other than CrossEntropyLoss or MSELoss';
        }
      }
      if (why === null) {
        const l = loss as CrossEntropyLoss | MSELoss;
        if (l.device !== net.device) why = `the loss runs on device '${l.device}', the network on '${net.device}'`;
        else if (l.dtype !== undefined && l.dtype !== net.dtype) why = `the loss has dtype '${l.dtype}', the network '${net.dtype}'`;
      }
    }
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
    if (why === null) {
      this.layers = Object.freeze(layers);
      this.scalars = Object.freeze(layers.map((l) => l.act).filter((a): a is Activation => a !== null && a.param !== null));
      this.inFeatures = layers[0].linear.inFeatures;
      this.outFeatures = layers[layers.length - 1].linear.outFeatures;
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
    const widest = this.layers.reduce((w, l) => (l.linear.outFeatures > w.outFeatures ? l.linear : w), this.layers[0].linear);
    checkRows(xt, widest);
    const yd = this.target(y, B, C, dtype);
    const opt = this.optimizer;
    const params = this.params;
    const n = params.length;
    const st = this.state;
    let rebuild = this.plan === null || net.device !== this.planDevice || dtype !== this.planDtype;
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
    for (const a of this.scalars) a.paramValue();
    const S = STEP_STATE;
    st[S.lr] = opt.lr;
    st[S.weightDecay] = opt.weightDecay;
    st[S.l1] = opt.l1;
    if (opt instanceof SGD) {
      st[S.momentum] = opt.momentum;
      st[S.dampening] = opt.dampening;
      st[S.nesterov] = opt.nesterov ? 1 : 0;
      const bufs = opt.fusedBuffers(this.created);
      this.bufs = bufs;
      for (let i = 0; i < n; i++) {
        st[S.count + i] = this.created[i];
        if (bufs[i] !== this.planBufs[i]) rebuild = true;
      }
    } else {
      const betas = opt.betas;
      st[S.beta1] = betas[0];
      st[S.beta2] = betas[1];
      st[S.eps] = opt.eps;
      st[S.decoupled] = opt.decoupled ? 1 : 0;
      const ms = opt.fusedMoments();
      this.moments = ms;
      for (let i = 0; i < n; i++) {
        const s = ms[i] as NonNullable<(typeof ms)[number]>;
        st[S.count + i] = s.step + 1;
        if (s.m !== this.planM[i] || s.v !== this.planV[i]) rebuild = true;
      }
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
    if (!Number.isFinite(loss)) {
      this.undo(fresh);
    } else if (opt instanceof Adam) {
      const ms = opt.fusedMoments();
      for (let i = 0; i < n; i++) (ms[i] as NonNullable<(typeof ms)[number]>).step += 1;
    }
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
    const opt = this.optimizer;
    const params = this.params;
    const slot = new Map<Parameter, number>();
    params.forEach((p, i) => slot.set(p, i));
    const sgd = opt instanceof SGD ? this.bufs : null;
    const adam = opt instanceof Adam ? this.moments : null;
    const spec: StepPlanSpec = {
      dtype: net.dtype,
      loss: this.stepLoss,
      reduction: this.mean ? 'mean' : 'sum',
      optimizer: sgd !== null ? 'sgd' : 'adam',
      layers: this.layers.map(({ linear, act }) => {
        const learned = act === null ? null : act.param;
        return {
          IN: linear.inFeatures,
          OUT: linear.outFeatures,
          act: act === null ? 0 : act.code,
          param: act === null || learned !== null ? 0 : act.paramValue(),
          scalar: learned === null ? -1 : (slot.get(learned) as number),
          w: slot.get(linear.weight) as number,
          b: linear.bias === null ? -1 : (slot.get(linear.bias) as number),
        };
      }),
      params: params.map((p, i) => {
        const m = adam === null ? null : adam[i];
        return {
          data: p.data,
          grad: (p.grad as Tensor).data,
          buf: sgd === null ? null : sgd[i],
          m: m === null ? null : m.m,
          v: m === null ? null : m.v,
        };
      }),
      state: this.state,
    };
    const k = backend(net.device);
    this.plan = k.createStepPlan(spec);
    this.planKernels = k;
    this.planDevice = net.device;
    this.planDtype = net.dtype;
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

  // a step that did not happen leaves no optimizer state and no new gradient behind (as the module
  // path creates none)
  private undo(fresh: readonly Parameter[]): void {
    for (const p of fresh) p.grad = null;
    const opt = this.optimizer;
    if (opt instanceof SGD) {
      for (let i = 0; i < this.created.length; i++) if (this.created[i] === 1) opt.fusedDrop(i);
    } else {
      const ms = opt.fusedMoments();
      for (let i = 0; i < ms.length; i++) if ((ms[i] as NonNullable<(typeof ms)[number]>).step === 0) opt.fusedDrop(i);
    }
  }

  // the module calls the fused step stands for
  private moduleStep(x: Tensor, y: Int32Array | Tensor): number {
    return moduleCallsStep(this.net, this.loss, this.optimizer, x, y);
  }
}

// the step reads x and y while it writes the parameters, their gradients and the optimizer state:
// none of those may share memory with them (the module calls would give other numbers)
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

// whether a CrossEntropyLoss or MSELoss runs its class's own forward and backward (the fused step
// computes those; a user's subclass that overrides either is called through its methods)
function runsOwnLoss(loss: LossModule): boolean {
  for (const Cls of [CrossEntropyLoss, MSELoss]) {
    if (loss instanceof Cls) return loss.forward === Cls.prototype.forward && loss.backward === Cls.prototype.backward;
  }
  return true;
}
