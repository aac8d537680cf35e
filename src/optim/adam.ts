// Adam and AdamW, step for step as torch.optim.Adam / torch.optim.AdamW (1.13, amsgrad off);
// the update runs in the device's adamStep kernel.
import { allocFloat, Tensor, takeData, type Parameter } from '../tensor.js';
import { STEP_STATE, type FloatArray } from '../kernels/types.js';
import { checkBool, checkKeys, checkNonNegative, checkNumber, checkObject, checkPositive, rangeError, typeError } from '../util/check.js';
import {
  bufferTensor, Optimizer, type FusedOptimizer, type OptimizerOptions, type OptimizerStateDict, type ParamState,
} from './optimizer.js';

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

const ADAM_KEYS = ['lr', 'betas', 'eps', 'weightDecay', 'decoupled', 'amsgrad', 'l1', 'device'] as const;

function checkBetas(name: string, v: unknown): [number, number] {
  if (!Array.isArray(v)) throw typeError(name, 'an array of two numbers [beta1, beta2]', v);
  if (v.length !== 2) throw rangeError(name, 'an array of two numbers [beta1, beta2]', v);
  for (let k = 0; k < 2; k++) {
    const b = checkNumber(`${name}[${k}]`, v[k]);
    if (b < 0 || b >= 1) throw rangeError(`${name}[${k}]`, 'a number in [0, 1)', b);
  }
  return [v[0], v[1]];
}

// a parameter's Adam state: step count and first / second moments
export interface Moments {
  step: number;
  m: FloatArray;
  v: FloatArray;
}

export class Adam extends Optimizer {
  private _betas: [number, number];
  private _eps: number;
  private _weightDecay: number;
  private _decoupled: boolean;
  // per parameter: step count and first/second moments, created on its first step with a grad
  private readonly moments: (Moments | null)[];

  constructor(params: Iterable<Parameter>, opts?: AdamOptions) {
    const o = checkObject('options', opts);
    checkKeys('options', o, ADAM_KEYS);
    super(params, o.lr === undefined ? 1e-3 : o.lr, 'options.lr', o);
    this._betas = o.betas === undefined ? [0.9, 0.999] : checkBetas('options.betas', o.betas);
    this._eps = o.eps === undefined ? 1e-8 : checkPositive('options.eps', o.eps);
    this._weightDecay = o.weightDecay === undefined ? 0 : checkNonNegative('options.weightDecay', o.weightDecay);
    this._decoupled = o.decoupled === undefined ? false : checkBool('options.decoupled', o.decoupled);
    if (o.amsgrad !== undefined && checkBool('options.amsgrad', o.amsgrad)) {
      throw rangeError('options.amsgrad', 'false (AMSGrad is not implemented)', true);
    }
    this.moments = this.params.map(() => null);
  }

  get betas(): readonly [number, number] {
    return [this._betas[0], this._betas[1]];
  }

  set betas(v: readonly [number, number]) {
    this._betas = checkBetas('betas', v);
  }

  get eps(): number {
    return this._eps;
  }

  set eps(v: number) {
    this._eps = checkPositive('eps', v);
  }

  // L2 (coupled) or decay (decoupled) coefficient; 0 switches it off
  get weightDecay(): number {
    return this._weightDecay;
  }

  set weightDecay(v: number) {
    this._weightDecay = checkNonNegative('weightDecay', v);
  }

  get decoupled(): boolean {
    return this._decoupled;
  }

  set decoupled(v: boolean) {
    this._decoupled = checkBool('decoupled', v);
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
    for (let i = 0; i < this.params.length; i++) {
      const prod = this.pendingProduct(i);
      const grad = prod === null ? this.gradOf(i) : null;
      if (prod === null && grad === null) continue;
      const p = this.params[i];
      let s = this.moments[i];
      if (s === null) {
        s = { step: 0, m: allocFloat(p.dtype, p.size), v: allocFloat(p.dtype, p.size) };
        this.moments[i] = s;
      }
      s.step += 1;
      if (prod !== null) {
        // the weight gradient's product and this update in one pass over w
        const g = takeData(p.grad as Tensor);
        const [data, keep] = this.dataForUpdate(i);
        this.kernels.linearGradStep('adam', prod.B, prod.IN, prod.OUT, prod.x, prod.gradZ, g, data,
          null, s.m, s.v, prod.plusZero, keep, this.gradStepState(s.step));
        continue;
      }
      this.kernels.adamStep(p.size, p.data, this.effectiveGrad(i, grad as FloatArray), s.m, s.v, {
        lr: this._lr,
        beta1: this._betas[0],
        beta2: this._betas[1],
        eps: this._eps,
        weightDecay: this._weightDecay,
        decoupled: this._decoupled,
        step: s.step,
      });
    }
  }

  // the hyper-parameters in STEP_STATE's layout (the fused step's begin, linearGradStep)
  writeStepHyper(st: Float64Array): void {
    const S = STEP_STATE;
    st[S.lr] = this._lr;
    st[S.weightDecay] = this._weightDecay;
    st[S.l1] = this._l1;
    st[S.beta1] = this._betas[0];
    st[S.beta2] = this._betas[1];
    st[S.eps] = this._eps;
    st[S.decoupled] = this._decoupled ? 1 : 0;
  }

  override fusedOptimizer(): FusedOptimizer | { fallback: string } {
    if (this.step !== Adam.prototype.step) return { fallback: `a subclass of ${this.decoupled ? 'AdamW' : 'Adam'} with its own step` };
    const S = STEP_STATE;
    // one view per parameter, refreshed by begin (no allocation per step)
    const views = this.params.map(() => ({ buf: null, m: null as FloatArray | null, v: null as FloatArray | null }));
    return {
      rule: 'adam',
      begin: (st) => {
        this.writeStepHyper(st);
        for (let i = 0; i < this.params.length; i++) {
          let s = this.moments[i];
          if (s === null) {
            const p = this.params[i];
            s = { step: 0, m: allocFloat(p.dtype, p.size), v: allocFloat(p.dtype, p.size) };
            this.moments[i] = s;
          }
          st[S.count + i] = s.step + 1;
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
    return {
      optimizer: 'Adam',
      hyper: {
        lr: this._lr,
        betas: [this._betas[0], this._betas[1]],
        eps: this._eps,
        weightDecay: this._weightDecay,
        decoupled: this._decoupled,
        l1: this._l1,
        ...this.initialLrHyper(),
      },
      state,
      params: this.paramsInfo(),
    };
  }

  // restores hyper-parameters, step counts and moments (copied; cast to each parameter's dtype)
  loadStateDict(dict: OptimizerStateDict): void {
    const entries = this.checkStateDict(dict, 'Adam');
    const h = dict.hyper;
    const lr = checkNonNegative('dict.hyper.lr', h.lr);
    const initialLr = this.readInitialLr(h);
    const betas = checkBetas('dict.hyper.betas', h.betas);
    const eps = checkPositive('dict.hyper.eps', h.eps);
    const weightDecay = checkNonNegative('dict.hyper.weightDecay', h.weightDecay);
    const decoupled = checkBool('dict.hyper.decoupled', h.decoupled);
    const l1 = checkNonNegative('dict.hyper.l1', h.l1);
    const moments = this.params.map(() => null as Moments | null);
    for (const [i, e] of entries) {
      const step = e.step;
      if (typeof step !== 'number') throw typeError(`dict.state[${i}].step`, 'an integer', step);
      if (!Number.isInteger(step) || step < 1) throw rangeError(`dict.state[${i}].step`, 'an integer >= 1', step);
      moments[i] = { step, m: this.loadBuffer(i, 'expAvg', e.expAvg), v: this.loadBuffer(i, 'expAvgSq', e.expAvgSq) };
    }
    // nothing is assigned until everything has been checked
    this._lr = lr;
    if (initialLr !== undefined) this.initialLr = initialLr;
    this._betas = betas;
    this._eps = eps;
    this._weightDecay = weightDecay;
    this._decoupled = decoupled;
    this._l1 = l1;
    moments.forEach((s, i) => (this.moments[i] = s));
  }
}

// Adam with decoupled weight decay (torch.optim.AdamW; its default weightDecay is 0.01)
export class AdamW extends Adam {
  constructor(params: Iterable<Parameter>, opts?: Omit<AdamOptions, 'decoupled'>) {
    const o = checkObject('options', opts);
    if (o.decoupled !== undefined) throw typeError('options.decoupled', 'no decoupled option (AdamW is always decoupled)', o.decoupled);
    // an option given as undefined takes the default, as everywhere: not spread over it
    super(params, { ...o, weightDecay: o.weightDecay === undefined ? 0.01 : (o.weightDecay as number), decoupled: true });
  }
}
