// learning-rate schedules, stepped once per epoch after the optimizer (as torch.optim.lr_scheduler,
// 1.13). each step computes the next lr from the optimizer's current lr by torch's recursive get_lr,
// so the values match torch's to the last bit of the same arithmetic.
import { checkInt, checkKeys, checkNonNegative, checkObject, checkPositive, rangeError, typeError } from '../util/check.js';

// anything with a mutable learning rate: SGD, Adam, AdamW
export interface LrHolder {
  lr: number;
  // the lr when its first schedule was created (torch's param group 'initial_lr'), set by that
  // schedule; every schedule on the optimizer starts from it
  initialLr?: number;
}

export interface SchedulerStateDict {
  scheduler: 'StepLR' | 'ExponentialLR' | 'CosineAnnealingLR';
  // epochs stepped so far (0 right after construction)
  lastEpoch: number;
  // the lr the schedule starts from: the optimizer's initialLr (its lr when its first schedule was
  // created)
  baseLr: number;
  lastLr: number;
  options: Record<string, number>;
}

function checkOptimizer(v: unknown): LrHolder {
  if (v === null || typeof v !== 'object' || typeof (v as { lr?: unknown }).lr !== 'number') {
    throw typeError('optimizer', 'an optimizer with a numeric lr', v);
  }
  return v as LrHolder;
}

export abstract class LRScheduler {
  readonly optimizer: LrHolder;
  protected baseLr: number;
  protected lastEpoch = 0;
  private lastLr: number;

  protected constructor(optimizer: LrHolder) {
    this.optimizer = checkOptimizer(optimizer);
    // torch: base_lrs from the param group's initial_lr, so a schedule created after another (a
    // restart) starts from the first one's base, not the decayed lr; recorded by attach() once the
    // subclass has accepted its options
    const initial = optimizer.initialLr;
    this.baseLr = typeof initial === 'number' && Number.isFinite(initial) && initial >= 0 ? initial : optimizer.lr;
    this.lastLr = optimizer.lr;
  }

  // torch's group.setdefault('initial_lr', group['lr']): the end of each subclass's constructor
  protected attach(): void {
    const o = this.optimizer;
    if (o.initialLr === undefined && Object.isExtensible(o)) o.initialLr = this.baseLr;
  }

  // the lr of epoch lastEpoch, from the optimizer's lr of the epoch before
  protected abstract nextLr(lr: number): number;

  protected abstract options(): Record<string, number>;

  abstract readonly kind: SchedulerStateDict['scheduler'];

  // call once after each epoch's optimizer steps; sets optimizer.lr for the next epoch
  step(): void {
    this.lastEpoch += 1;
    const lr = this.nextLr(this.optimizer.lr);
    this.optimizer.lr = lr;
    this.lastLr = this.optimizer.lr;
  }

  // the lr this schedule set last (torch's get_last_lr()[0]; one parameter group)
  getLastLr(): number {
    return this.lastLr;
  }

  get epoch(): number {
    return this.lastEpoch;
  }

  stateDict(): SchedulerStateDict {
    return {
      scheduler: this.kind,
      lastEpoch: this.lastEpoch,
      baseLr: this.baseLr,
      lastLr: this.lastLr,
      options: this.options(),
    };
  }

  // restores the epoch count and base lr; the options must equal this schedule's. the optimizer's
  // own lr is restored by its loadStateDict.
  loadStateDict(dict: SchedulerStateDict): void {
    if (dict === null || typeof dict !== 'object') throw typeError('dict', 'a scheduler state dict', dict);
    if (dict.scheduler !== this.kind) throw rangeError('dict.scheduler', `'${this.kind}'`, dict.scheduler);
    const lastEpoch = checkInt('dict.lastEpoch', dict.lastEpoch, 0);
    const baseLr = checkNonNegative('dict.baseLr', dict.baseLr);
    const lastLr = checkNonNegative('dict.lastLr', dict.lastLr);
    const mine = this.options();
    const saved = checkObject('dict.options', dict.options);
    for (const k of Object.keys(mine)) {
      if (saved[k] !== mine[k]) throw rangeError(`dict.options.${k}`, `${mine[k]} (this schedule's)`, saved[k]);
    }
    this.lastEpoch = lastEpoch;
    this.baseLr = baseLr;
    this.lastLr = lastLr;
  }
}

// lr *= gamma every stepSize epochs
export class StepLR extends LRScheduler {
  readonly kind = 'StepLR' as const;
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: LrHolder, opts: { stepSize: number; gamma?: number }) {
    super(optimizer);
    const o = checkObject('options', opts);
    if (opts === undefined) throw typeError('options', 'an options object with stepSize', opts);
    checkKeys('options', o, ['stepSize', 'gamma']);
    this.stepSize = checkInt('options.stepSize', o.stepSize, 1);
    this.gamma = o.gamma === undefined ? 0.1 : checkPositive('options.gamma', o.gamma);
    this.attach();
  }

  protected nextLr(lr: number): number {
    return this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0 ? lr : lr * this.gamma;
  }

  protected options(): Record<string, number> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }
}

// lr *= gamma every epoch
export class ExponentialLR extends LRScheduler {
  readonly kind = 'ExponentialLR' as const;
  readonly gamma: number;

  constructor(optimizer: LrHolder, opts: { gamma: number }) {
    super(optimizer);
    const o = checkObject('options', opts);
    checkKeys('options', o, ['gamma']);
    this.gamma = checkPositive('options.gamma', o.gamma);
    this.attach();
  }

  protected nextLr(lr: number): number {
    return this.lastEpoch === 0 ? lr : lr * this.gamma;
  }

  protected options(): Record<string, number> {
    return { gamma: this.gamma };
  }
}

// lr follows half a cosine from the base lr down to etaMin over tMax epochs, then back up (SGDR
// without restarts, as torch): eta_t = etaMin + (base - etaMin) (1 + cos(pi t / tMax)) / 2, computed
// by torch's recursion from the previous lr
export class CosineAnnealingLR extends LRScheduler {
  readonly kind = 'CosineAnnealingLR' as const;
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: LrHolder, opts: { tMax: number; etaMin?: number }) {
    super(optimizer);
    const o = checkObject('options', opts);
    if (opts === undefined) throw typeError('options', 'an options object with tMax', opts);
    checkKeys('options', o, ['tMax', 'etaMin']);
    this.tMax = checkInt('options.tMax', o.tMax, 1);
    this.etaMin = o.etaMin === undefined ? 0 : checkNonNegative('options.etaMin', o.etaMin);
    this.attach();
  }

  protected nextLr(lr: number): number {
    const t = this.lastEpoch;
    const T = this.tMax;
    if (t === 0) return lr;
    // python's %, never negative: the epoch after each minimum
    const m = (((t - 1 - T) % (2 * T)) + 2 * T) % (2 * T);
    if (m === 0) return lr + ((this.baseLr - this.etaMin) * (1 - Math.cos(Math.PI / T))) / 2;
    return ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (lr - this.etaMin) + this.etaMin;
  }

  protected options(): Record<string, number> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }
}
