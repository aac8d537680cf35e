// stochastic gradient descent with momentum, dampening, nesterov and weight decay, step for step as
// torch.optim.SGD (1.13); the update runs in the device's sgdStep kernel.
import { allocFloat, Tensor, takeData, type Parameter } from '../tensor.js';
import { STEP_STATE, type FloatArray } from '../kernels/types.js';
import { checkBool, checkKeys, checkNonNegative, checkNumber, checkObject, typeError } from '../util/check.js';
import {
  bufferTensor, Optimizer, type FusedOptimizer, type OptimizerOptions, type OptimizerStateDict, type ParamState,
} from './optimizer.js';

export interface SGDOptions extends OptimizerOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  // L2 penalty added to the gradient (after l1), as torch's weight_decay
  weightDecay?: number;
}

const SGD_KEYS = ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay', 'l1', 'device'] as const;

// torch: "Nesterov momentum requires a momentum and zero dampening"
function checkNesterov(name: string, nesterov: boolean, momentum: number, dampening: number): void {
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(
      `${name}: expected nesterov only with momentum > 0 and dampening 0, received momentum ${momentum}, dampening ${dampening}`,
    );
  }
}

export class SGD extends Optimizer {
  private _momentum: number;
  private _dampening: number;
  private _nesterov: boolean;
  private _weightDecay: number;
  // momentum buffers, created on the first step of a parameter with a grad while momentum != 0
  private readonly buffers: (FloatArray | null)[];

  constructor(params: Iterable<Parameter>, lrOrOptions: number | SGDOptions) {
    let o: Record<string, unknown>;
    if (typeof lrOrOptions === 'number') {
      o = { lr: lrOrOptions };
    } else {
      if (lrOrOptions === null || typeof lrOrOptions !== 'object') {
        throw typeError('lr', 'a number or an options object with lr', lrOrOptions);
      }
      o = checkObject('options', lrOrOptions);
    }
    checkKeys('options', o, SGD_KEYS);
    super(params, o.lr, typeof lrOrOptions === 'number' ? 'lr' : 'options.lr', o);
    this._momentum = o.momentum === undefined ? 0 : checkNonNegative('options.momentum', o.momentum);
    this._dampening = o.dampening === undefined ? 0 : checkNumber('options.dampening', o.dampening);
    this._nesterov = o.nesterov === undefined ? false : checkBool('options.nesterov', o.nesterov);
    this._weightDecay = o.weightDecay === undefined ? 0 : checkNonNegative('options.weightDecay', o.weightDecay);
    checkNesterov('options.nesterov', this._nesterov, this._momentum, this._dampening);
    this.buffers = this.params.map(() => null);
  }

  get momentum(): number {
    return this._momentum;
  }

  set momentum(v: number) {
    this._momentum = checkNonNegative('momentum', v);
  }

  get dampening(): number {
    return this._dampening;
  }

  set dampening(v: number) {
    this._dampening = checkNumber('dampening', v);
  }

  get nesterov(): boolean {
    return this._nesterov;
  }

  set nesterov(v: boolean) {
    this._nesterov = checkBool('nesterov', v);
  }

  // L2 coefficient; 0 switches it off (a training loop can switch it on after some epochs)
  get weightDecay(): number {
    return this._weightDecay;
  }

  set weightDecay(v: number) {
    this._weightDecay = checkNonNegative('weightDecay', v);
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

  step(): void {
    // setters check each value; the combination is checked here, once all of them may have changed
    checkNesterov('nesterov', this._nesterov, this._momentum, this._dampening);
    const useMomentum = this._momentum !== 0;
    for (let i = 0; i < this.params.length; i++) {
      const prod = this.pendingProduct(i);
      const grad = prod === null ? this.gradOf(i) : null;
      if (prod === null && grad === null) continue;
      const p = this.params[i];
      let buf = this.buffers[i];
      let firstStep = false;
      if (useMomentum && buf === null) {
        buf = allocFloat(p.dtype, p.size);
        this.buffers[i] = buf;
        firstStep = true;
      }
      if (prod !== null) {
        // the weight gradient's product and this update in one pass over w
        const g = takeData(p.grad as Tensor);
        const [data, keep] = this.dataForUpdate(i);
        this.kernels.linearGradStep('sgd', prod.B, prod.IN, prod.OUT, prod.x, prod.gradZ, g, data,
          useMomentum ? buf : null, null, null, prod.plusZero, keep, this.gradStepState(firstStep ? 1 : 0));
        continue;
      }
      this.kernels.sgdStep(p.size, p.data, this.effectiveGrad(i, grad as FloatArray), useMomentum ? buf : null, {
        lr: this._lr,
        momentum: this._momentum,
        dampening: this._dampening,
        nesterov: this._nesterov,
        weightDecay: this._weightDecay,
        firstStep,
      });
    }
  }

  // the hyper-parameters in STEP_STATE's layout (the fused step's begin, linearGradStep)
  writeStepHyper(st: Float64Array): void {
    const S = STEP_STATE;
    st[S.lr] = this._lr;
    st[S.weightDecay] = this._weightDecay;
    st[S.l1] = this._l1;
    st[S.momentum] = this._momentum;
    st[S.dampening] = this._dampening;
    st[S.nesterov] = this._nesterov ? 1 : 0;
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
        checkNesterov('nesterov', this._nesterov, this._momentum, this._dampening);
        this.writeStepHyper(st);
        const useMomentum = this._momentum !== 0;
        for (let i = 0; i < this.params.length; i++) {
          created[i] = 0;
          if (useMomentum && this.buffers[i] === null) {
            const p = this.params[i];
            this.buffers[i] = allocFloat(p.dtype, p.size);
            created[i] = 1;
          }
          st[S.count + i] = created[i];
          views[i].buf = this.buffers[i];
        }
      },
      arrays: (i) => views[i],
      end: (ok) => {
        if (ok) return;
        for (let i = 0; i < created.length; i++) if (created[i] === 1) this.buffers[i] = null;
      },
    };
  }

  stateDict(): OptimizerStateDict {
    const state: Record<string, ParamState> = {};
    this.buffers.forEach((b, i) => {
      if (b !== null) state[String(i)] = { momentumBuffer: bufferTensor(b, this.params[i]) };
    });
    return {
      optimizer: 'SGD',
      hyper: {
        lr: this._lr,
        momentum: this._momentum,
        dampening: this._dampening,
        nesterov: this._nesterov,
        weightDecay: this._weightDecay,
        l1: this._l1,
        ...this.initialLrHyper(),
      },
      state,
      params: this.paramsInfo(),
    };
  }

  // restores hyper-parameters and momentum buffers (copied; cast to each parameter's dtype)
  loadStateDict(dict: OptimizerStateDict): void {
    const entries = this.checkStateDict(dict, 'SGD');
    const h = dict.hyper;
    const lr = checkNonNegative('dict.hyper.lr', h.lr);
    const initialLr = this.readInitialLr(h);
    const momentum = checkNonNegative('dict.hyper.momentum', h.momentum);
    const dampening = checkNumber('dict.hyper.dampening', h.dampening);
    const nesterov = checkBool('dict.hyper.nesterov', h.nesterov);
    const weightDecay = checkNonNegative('dict.hyper.weightDecay', h.weightDecay);
    const l1 = checkNonNegative('dict.hyper.l1', h.l1);
    checkNesterov('dict.hyper.nesterov', nesterov, momentum, dampening);
    const buffers = this.params.map(() => null as FloatArray | null);
    for (const [i, e] of entries) {
      if (e.momentumBuffer !== undefined) buffers[i] = this.loadBuffer(i, 'momentumBuffer', e.momentumBuffer);
    }
    // nothing is assigned until everything has been checked
    this._lr = lr;
    if (initialLr !== undefined) this.initialLr = initialLr;
    this._momentum = momentum;
    this._dampening = dampening;
    this._nesterov = nesterov;
    this._weightDecay = weightDecay;
    this._l1 = l1;
    buffers.forEach((b, i) => (this.buffers[i] = b));
  }
}
