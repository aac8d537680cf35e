// stochastic gradient descent with momentum, dampening, nesterov and weight decay, step for step as
// torch.optim.SGD (1.13), per parameter group; the update runs in the device's sgdStep kernel.
import { allocFloat, Tensor, type Parameter } from '../tensor.js';
import { STEP_STATE, type FloatArray } from '../kernels/types.js';
import { checkKeys, checkObject, typeError } from '../util/check.js';
import {
  bufferTensor, Optimizer, type BaseHyper, type FusedOptimizer, type OptimizerOptions, type OptimizerStateDict, type ParamGroupSpec, type ParamState,
} from './optimizer.js';
import { checkHyper, checkNesterov } from './rules.js';

export interface SGDOptions extends OptimizerOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  // L2 penalty added to the gradient (after l1), as torch's weight_decay
  weightDecay?: number;
}

export interface SGDHyper extends BaseHyper {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

export type SGDGroup = ParamGroupSpec<SGDHyper>;

const GROUP_KEYS = ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay', 'l1', 'maxNorm'] as const;
const SGD_KEYS = [...GROUP_KEYS, 'device'] as const;

// a group's values (its options over the constructor's), each by its rule
function checkSGDGroup(prefix: string, o: Record<string, unknown>): SGDHyper {
  const h: SGDHyper = {
    lr: checkHyper(`${prefix}.lr`, 'lr', o.lr),
    momentum: o.momentum === undefined ? 0 : checkHyper(`${prefix}.momentum`, 'momentum', o.momentum),
    dampening: o.dampening === undefined ? 0 : checkHyper(`${prefix}.dampening`, 'dampening', o.dampening),
    nesterov: o.nesterov === undefined ? false : checkHyper(`${prefix}.nesterov`, 'nesterov', o.nesterov),
    weightDecay: o.weightDecay === undefined ? 0 : checkHyper(`${prefix}.weightDecay`, 'weightDecay', o.weightDecay),
    l1: o.l1 === undefined ? 0 : checkHyper(`${prefix}.l1`, 'l1', o.l1),
    maxNorm: o.maxNorm === undefined ? 0 : checkHyper(`${prefix}.maxNorm`, 'maxNorm', o.maxNorm),
  };
  checkNesterov(`${prefix}.nesterov`, h.nesterov, h.momentum, h.dampening);
  return h;
}

export class SGD extends Optimizer<SGDHyper> {
  // momentum buffers, created on the first step of a parameter with a grad while momentum != 0
  private readonly buffers: (FloatArray | null)[];

  // params: a list of Parameter, or of groups {params, ...options} whose options override these
  constructor(params: Iterable<Parameter> | Iterable<SGDGroup>, lrOrOptions: number | SGDOptions) {
    let o: Record<string, unknown>;
    if (typeof lrOrOptions === 'number') {
      o = { lr: checkHyper('lr', 'lr', lrOrOptions) };
    } else {
      if (lrOrOptions === null || typeof lrOrOptions !== 'object') {
        throw typeError('lr', 'a number or an options object with lr', lrOrOptions);
      }
      o = checkObject('options', lrOrOptions);
    }
    checkKeys('options', o, SGD_KEYS);
    super(params, o, GROUP_KEYS, checkSGDGroup);
    this.buffers = this.params.map(() => null);
  }

  get momentum(): number {
    return this.paramGroups[0].momentum;
  }

  set momentum(v: number) {
    this.setAll('momentum', checkHyper('momentum', 'momentum', v));
  }

  get dampening(): number {
    return this.paramGroups[0].dampening;
  }

  set dampening(v: number) {
    this.setAll('dampening', checkHyper('dampening', 'dampening', v));
  }

  get nesterov(): boolean {
    return this.paramGroups[0].nesterov;
  }

  set nesterov(v: boolean) {
    this.setAll('nesterov', checkHyper('nesterov', 'nesterov', v));
  }

  // L2 coefficient (the first group's; setting it sets every group's); 0 switches it off
  get weightDecay(): number {
    return this.paramGroups[0].weightDecay;
  }

  set weightDecay(v: number) {
    this.setAll('weightDecay', checkHyper('weightDecay', 'weightDecay', v));
  }

  // the live per-parameter state (not copies): momentum buffers of the parameters stepped so far
  get state(): ReadonlyMap<Parameter, ParamState> {
    const m = new Map<Parameter, ParamState>();
    this.params.forEach((p, i) => {
      const b = this.buffers[i];
      if (b !== null) m.set(p, { momentumBuffer: new Tensor(b, p.shape) });
    });
    return m;
  }

  // every group's values by the rules, once all of them may have changed (setters, groups, schedules)
  checkHyper(): void {
    this.checkGroups(checkSGDGroup);
  }

  step(): void {
    this.checkHyper();
    for (let i = 0; i < this.params.length; i++) {
      const prod = this.pendingProduct(i);
      const grad = prod === null ? this.gradOf(i) : null;
      if (prod === null && grad === null) continue;
      const g = this.paramGroups[this.groupOf[i]];
      const p = this.params[i];
      const useMomentum = g.momentum !== 0;
      let buf = this.buffers[i];
      let firstStep = false;
      if (useMomentum && buf === null) {
        buf = allocFloat(p.dtype, p.size);
        this.buffers[i] = buf;
        firstStep = true;
      }
      if (prod !== null) {
        this.stepPending(i, prod, 'sgd', useMomentum ? buf : null, null, null, firstStep ? 1 : 0);
        continue;
      }
      this.kernels.sgdStep(p.size, p.data, this.effectiveGrad(i, grad as FloatArray), useMomentum ? buf : null, {
        lr: g.lr,
        momentum: g.momentum,
        dampening: g.dampening,
        nesterov: g.nesterov,
        weightDecay: g.weightDecay,
        firstStep,
      });
      this.applyMaxNorm(i);
    }
  }

  // the hyper-parameters of a group in STEP_STATE's layout at offset o (the fused step's begin,
  // linearGradStep)
  writeStepHyper(st: Float64Array, group: number, o = 0): void {
    const S = STEP_STATE;
    const g = this.paramGroups[group];
    st[o + S.lr] = g.lr;
    st[o + S.weightDecay] = g.weightDecay;
    st[o + S.l1] = g.l1;
    st[o + S.momentum] = g.momentum;
    st[o + S.dampening] = g.dampening;
    st[o + S.nesterov] = g.nesterov ? 1 : 0;
  }

  override fusedOptimizer(): FusedOptimizer | { fallback: string } {
    if (this.step !== SGD.prototype.step) return { fallback: 'a subclass of SGD with its own step' };
    const created = new Uint8Array(this.params.length);
    // one view per parameter, refreshed by begin (no allocation per step)
    const views = this.params.map(() => ({ buf: null as FloatArray | null, m: null, v: null }));
    const S = STEP_STATE;
    return {
      rule: 'sgd',
      begin: (st) => {
        // every group by the rules, then each parameter's block: its group's values and its number
        this.checkHyper();
        for (let i = 0; i < this.params.length; i++) {
          const o = S.stride * i;
          this.writeStepHyper(st, this.groupOf[i], o);
          created[i] = 0;
          if (st[o + S.momentum] !== 0 && this.buffers[i] === null) {
            const p = this.params[i];
            this.buffers[i] = allocFloat(p.dtype, p.size);
            created[i] = 1;
          }
          st[o + S.count] = created[i];
          views[i].buf = this.buffers[i];
        }
      },
      arrays: (i) => views[i],
      end: (ok) => {
        // max-norm after the update, as step() applies it (nothing in a step reads a weight after its update)
        if (ok) return this.constrain();
        for (let i = 0; i < created.length; i++) if (created[i] === 1) this.buffers[i] = null;
      },
    };
  }

  stateDict(): OptimizerStateDict {
    const state: Record<string, ParamState> = {};
    this.buffers.forEach((b, i) => {
      if (b !== null) state[String(i)] = { momentumBuffer: bufferTensor(b, this.params[i]) };
    });
    return { optimizer: 'SGD', ...this.hyperDict(), state, params: this.paramsInfo() };
  }

  // restores hyper-parameters and momentum buffers (copied; cast to each parameter's dtype)
  loadStateDict(dict: OptimizerStateDict): void {
    const entries = this.checkStateDict(dict, 'SGD');
    const groups = this.readGroups(dict, checkSGDGroup);
    const buffers = this.params.map(() => null as FloatArray | null);
    for (const [i, e] of entries) {
      if (e.momentumBuffer !== undefined) buffers[i] = this.loadBuffer(i, 'momentumBuffer', e.momentumBuffer);
    }
    // nothing is assigned until everything has been checked
    this.applyGroups(groups);
    buffers.forEach((b, i) => (this.buffers[i] = b));
  }
}
