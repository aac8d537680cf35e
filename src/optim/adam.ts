// Adam and AdamW, step for step as torch.optim.Adam / torch.optim.AdamW (1.13, amsgrad off), per parameter group;
// the update runs in the device's adamStep kernel.
import { allocFloat, Tensor, type Parameter } from '../tensor.js';
import { STEP_STATE, type FloatArray } from '../kernels/types.js';
import { checkBool, checkKeys, checkObject, rangeError, typeError } from '../util/check.js';
import {
  bufferTensor, Optimizer, type BaseHyper, type FusedOptimizer, type OptimizerOptions, type ParamGroupSpec, type OptimizerStateDict, type ParamState,
} from './optimizer.js';
import { checkBetas, checkHyper } from './rules.js';

export interface AdamOptions extends OptimizerOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  // false: L2 added to the gradient (torch.optim.Adam); true: param *= 1 - lr wd first (AdamW)
  decoupled?: boolean;
  // AMSGrad is not implemented: only false is accepted
  amsgrad?: boolean;
}

export interface AdamHyper extends BaseHyper {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

export type AdamGroup = ParamGroupSpec<AdamHyper>;

const GROUP_KEYS = ['lr', 'betas', 'eps', 'weightDecay', 'decoupled', 'l1', 'maxNorm'] as const;
const ADAM_KEYS = [...GROUP_KEYS, 'amsgrad', 'device'] as const;

// a group's values (its options over the constructor's), each by its rule
function checkAdamGroup(prefix: string, o: Record<string, unknown>): AdamHyper {
  return {
    lr: checkHyper(`${prefix}.lr`, 'lr', o.lr === undefined ? 1e-3 : o.lr),
    betas: o.betas === undefined ? [0.9, 0.999] : checkBetas(`${prefix}.betas`, o.betas),
    eps: o.eps === undefined ? 1e-8 : checkHyper(`${prefix}.eps`, 'eps', o.eps),
    weightDecay: o.weightDecay === undefined ? 0 : checkHyper(`${prefix}.weightDecay`, 'weightDecay', o.weightDecay),
    decoupled: o.decoupled === undefined ? false : checkHyper(`${prefix}.decoupled`, 'decoupled', o.decoupled),
    l1: o.l1 === undefined ? 0 : checkHyper(`${prefix}.l1`, 'l1', o.l1),
    maxNorm: o.maxNorm === undefined ? 0 : checkHyper(`${prefix}.maxNorm`, 'maxNorm', o.maxNorm),
  };
}

// a parameter's Adam state: step count and first / second moments
export interface Moments {
  step: number;
  m: FloatArray;
  v: FloatArray;
}

export class Adam extends Optimizer<AdamHyper> {
  // per parameter: step count and first/second moments, created on its first step with a grad
  private readonly moments: (Moments | null)[];

  // params: a list of Parameter, or of groups {params, ...options} whose options override these
  constructor(params: Iterable<Parameter> | Iterable<AdamGroup>, opts?: AdamOptions) {
    const o = checkObject('options', opts);
    checkKeys('options', o, ADAM_KEYS);
    if (o.amsgrad !== undefined && checkBool('options.amsgrad', o.amsgrad)) {
      throw rangeError('options.amsgrad', 'false (AMSGrad is not implemented)', true);
    }
    const { amsgrad: _, ...defaults } = o;
    super(params, defaults, GROUP_KEYS, checkAdamGroup);
    this.moments = this.params.map(() => null);
  }

  get betas(): readonly [number, number] {
    const b = this.paramGroups[0].betas;
    return [b[0], b[1]];
  }

  set betas(v: readonly [number, number]) {
    const b = checkBetas('betas', v);
    for (const g of this.paramGroups) g.betas = [b[0], b[1]];
  }

  get eps(): number {
    return this.paramGroups[0].eps;
  }

  set eps(v: number) {
    this.setAll('eps', checkHyper('eps', 'eps', v));
  }

  // L2 (coupled) or decay (decoupled) coefficient (the first group's; setting it sets every group's)
  get weightDecay(): number {
    return this.paramGroups[0].weightDecay;
  }

  set weightDecay(v: number) {
    this.setAll('weightDecay', checkHyper('weightDecay', 'weightDecay', v));
  }

  get decoupled(): boolean {
    return this.paramGroups[0].decoupled;
  }

  set decoupled(v: boolean) {
    this.setAll('decoupled', checkHyper('decoupled', 'decoupled', v));
  }

  // every group's values by the rules, once all of them may have changed (setters, groups, schedules)
  checkHyper(): void {
    this.checkGroups(checkAdamGroup);
  }

  // the live per-parameter state (not copies): step counts and moments of the parameters stepped so far
  get state(): ReadonlyMap<Parameter, ParamState> {
    const out = new Map<Parameter, ParamState>();
    this.params.forEach((p, i) => {
      const s = this.moments[i];
      if (s !== null) out.set(p, { step: s.step, expAvg: new Tensor(s.m, p.shape), expAvgSq: new Tensor(s.v, p.shape) });
    });
    return out;
  }

  step(): void {
    this.checkHyper();
    for (let i = 0; i < this.params.length; i++) {
      const prod = this.pendingProduct(i);
      const grad = prod === null ? this.gradOf(i) : null;
      if (prod === null && grad === null) continue;
      const g = this.paramGroups[this.groupOf[i]];
      const p = this.params[i];
      let s = this.moments[i];
      if (s === null) {
        s = { step: 0, m: allocFloat(p.dtype, p.size), v: allocFloat(p.dtype, p.size) };
        this.moments[i] = s;
      }
      s.step += 1;
      if (prod !== null) {
        this.stepPending(i, prod, 'adam', null, s.m, s.v, s.step);
        continue;
      }
      this.kernels.adamStep(p.size, p.data, this.effectiveGrad(i, grad as FloatArray), s.m, s.v, {
        lr: g.lr,
        beta1: g.betas[0],
        beta2: g.betas[1],
        eps: g.eps,
        weightDecay: g.weightDecay,
        decoupled: g.decoupled,
        step: s.step,
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
    st[o + S.beta1] = g.betas[0];
    st[o + S.beta2] = g.betas[1];
    st[o + S.eps] = g.eps;
    st[o + S.decoupled] = g.decoupled ? 1 : 0;
  }

  override fusedOptimizer(): FusedOptimizer | { fallback: string } {
    if (this.step !== Adam.prototype.step) return { fallback: `a subclass of ${this.decoupled ? 'AdamW' : 'Adam'} with its own step` };
    const S = STEP_STATE;
    // one view per parameter, refreshed by begin (no allocation per step)
    const views = this.params.map(() => ({ buf: null, m: null as FloatArray | null, v: null as FloatArray | null }));
    return {
      rule: 'adam',
      begin: (st) => {
        // every group by the rules, then each parameter's block: its group's values and its step
        this.checkHyper();
        for (let i = 0; i < this.params.length; i++) {
          this.writeStepHyper(st, this.groupOf[i], S.stride * i);
          let s = this.moments[i];
          if (s === null) {
            const p = this.params[i];
            s = { step: 0, m: allocFloat(p.dtype, p.size), v: allocFloat(p.dtype, p.size) };
            this.moments[i] = s;
          }
          st[S.stride * i + S.count] = s.step + 1;
          views[i].m = s.m;
          views[i].v = s.v;
        }
      },
      arrays: (i) => views[i],
      end: (ok) => {
        for (let i = 0; i < this.moments.length; i++) {
          const s = this.moments[i];
          if (s === null) continue;
          if (ok) s.step += 1;
          else if (s.step === 0) this.moments[i] = null;
        }
        // max-norm after the update, as step() applies it (nothing in a step reads a weight after its update)
        if (ok) this.constrain();
      },
    };
  }

  stateDict(): OptimizerStateDict {
    const state: Record<string, ParamState> = {};
    this.moments.forEach((s, i) => {
      if (s === null) return;
      const p = this.params[i];
      state[String(i)] = { step: s.step, expAvg: bufferTensor(s.m, p), expAvgSq: bufferTensor(s.v, p) };
    });
    return { optimizer: 'Adam', ...this.hyperDict(), state, params: this.paramsInfo() };
  }

  // restores hyper-parameters, step counts and moments (copied; cast to each parameter's dtype)
  loadStateDict(dict: OptimizerStateDict): void {
    const entries = this.checkStateDict(dict, 'Adam');
    const groups = this.readGroups(dict, checkAdamGroup);
    const moments = this.params.map(() => null as Moments | null);
    for (const [i, e] of entries) {
      const step = e.step;
      if (typeof step !== 'number') throw typeError(`dict.state[${i}].step`, 'an integer', step);
      if (!Number.isInteger(step) || step < 1) throw rangeError(`dict.state[${i}].step`, 'an integer >= 1', step);
      moments[i] = { step, m: this.loadBuffer(i, 'expAvg', e.expAvg), v: this.loadBuffer(i, 'expAvgSq', e.expAvgSq) };
    }
    // nothing is assigned until everything has been checked
    this.applyGroups(groups);
    moments.forEach((s, i) => (this.moments[i] = s));
  }
}

// Adam with decoupled weight decay (torch.optim.AdamW; its default weightDecay is 0.01)
export class AdamW extends Adam {
  constructor(params: Iterable<Parameter> | Iterable<AdamGroup>, opts?: Omit<AdamOptions, 'decoupled'>) {
    const o = checkObject('options', opts);
    if (o.decoupled !== undefined) throw typeError('options.decoupled', 'no decoupled option (AdamW is always decoupled)', o.decoupled);
    // an option given as undefined takes the default, as everywhere: not spread over it
    super(params, { ...o, weightDecay: o.weightDecay === undefined ? 0.01 : (o.weightDecay as number), decoupled: true });
  }
}
