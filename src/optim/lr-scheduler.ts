// learning-rate schedules as torch.optim.lr_scheduler (1.13), per parameter group (torch's base_lrs):
// each says whether it steps once per epoch or once per optimizer step (`interval`; trainFFNN steps
// each on its own). each step computes the next lr from the group's current lr by torch's recursive
// get_lr (OneCycleLR: its closed form), so the values match torch's to the last bit of the same
// arithmetic, and schedules on one optimizer compose as torch's do (a per-step warmup before a
// per-epoch cosine).
import { checkBool, checkInt, checkKeys, checkNonNegative, checkNumber, checkObject, checkOneOf, checkPositive, rangeError, typeError } from '../util/check.js';
import { checkHyper } from './rules.js';

// a group's lr (an optimizer's paramGroups[i], or an optimizer without groups)
export interface LrGroup {
  lr: number;
  // the lr when its first schedule was created (torch's param group 'initial_lr'), set by that
  // schedule; every schedule on the optimizer starts from it
  initialLr?: number;
  momentum?: number;
  betas?: [number, number];
}

// anything with a mutable learning rate: SGD, Adam, AdamW (their paramGroups), or one {lr}
export interface LrHolder {
  lr: number;
  initialLr?: number;
  readonly paramGroups?: readonly LrGroup[];
}

export type Interval = 'epoch' | 'step';

export type SchedulerKind =
  | 'StepLR' | 'ExponentialLR' | 'CosineAnnealingLR' | 'LinearLR' | 'OneCycleLR' | 'SequentialLR' | 'ReduceLROnPlateau';

export interface SchedulerStateDict {
  scheduler: SchedulerKind;
  // steps (epochs or optimizer steps, by interval) taken so far (0 right after construction)
  lastEpoch: number;
  // the lr the schedule starts from (the first group's): the optimizer's initialLr
  baseLr: number;
  lastLr: number;
  // with several parameter groups: each group's
  baseLrs?: number[];
  lastLrs?: number[];
  options: Record<string, number | string | boolean>;
}

function checkOptimizer(v: unknown): LrHolder {
  if (v === null || typeof v !== 'object' || typeof (v as { lr?: unknown }).lr !== 'number') {
    throw typeError('optimizer', 'an optimizer with a numeric lr', v);
  }
  return v as LrHolder;
}

// the groups a schedule sets: the optimizer's paramGroups, or the holder itself
function groupsOf(o: LrHolder): readonly LrGroup[] {
  return Array.isArray(o.paramGroups) && o.paramGroups.length > 0 ? o.paramGroups : [o];
}

function checkInterval(name: string, v: unknown, dflt: Interval): Interval {
  return v === undefined ? dflt : checkOneOf(name, v, ['epoch', 'step'] as const);
}

// the interval in a state dict's options where it is not the default 'epoch' (dicts saved before
// schedules had one load unchanged)
function intervalOption(interval: Interval): Record<string, string> {
  return interval === 'epoch' ? {} : { interval };
}

export abstract class LRScheduler {
  readonly optimizer: LrHolder;
  // 'epoch': trainFFNN steps it after every epoch; 'step': after every optimizer step
  abstract readonly interval: Interval;
  protected readonly groups: readonly LrGroup[];
  protected baseLrs: number[];
  protected lastEpoch = 0;
  private lastLrs: number[];

  protected constructor(optimizer: LrHolder) {
    this.optimizer = checkOptimizer(optimizer);
    this.groups = groupsOf(optimizer);
    // torch: base_lrs from each group's initial_lr, so a schedule created after another (a restart)
    // starts from the first one's base, not the decayed lr; recorded by attach() once the subclass
    // has accepted its options
    this.baseLrs = this.groups.map((g) => {
      const initial = g.initialLr;
      return typeof initial === 'number' && Number.isFinite(initial) && initial >= 0 ? initial : g.lr;
    });
    this.lastLrs = this.groups.map((g) => g.lr);
  }

  // torch's group.setdefault('initial_lr', group['lr']) and its initial step (the lr of step 0):
  // the end of each subclass's constructor
  protected attach(): void {
    this.groups.forEach((g, i) => {
      if (g.initialLr === undefined && Object.isExtensible(g)) g.initialLr = this.baseLrs[i];
    });
    this.apply();
  }

  // each group's lr of step lastEpoch, from its lr of the step before
  protected abstract nextLr(lr: number, group: number): number;

  // the lr of step 0 from the base lr (torch's closed form at 0), where SequentialLR restarts it
  protected firstLr(base: number): number {
    return base;
  }

  protected abstract options(): Record<string, number | string | boolean>;

  abstract readonly kind: SchedulerKind;

  private apply(): void {
    this.groups.forEach((g, i) => (g.lr = checkHyper(`the lr ${this.kind} computed for paramGroups[${i}]`, 'lr', this.nextLr(g.lr, i))));
    this.lastLrs = this.groups.map((g) => g.lr);
  }

  // call once per interval (after the epoch's or the step's optimizer update); sets each group's lr
  step(): void {
    this.lastEpoch += 1;
    this.apply();
  }

  // SequentialLR: one step back (its construction undoes each schedule's initial step)
  undoStep(): void {
    this.lastEpoch -= 1;
  }

  // SequentialLR at a milestone: step 0 again, from the base lrs (torch's step(0), closed form)
  restart(): void {
    this.lastEpoch = 0;
    this.groups.forEach((g, i) => (g.lr = this.firstLr(this.baseLrs[i])));
    this.lastLrs = this.groups.map((g) => g.lr);
  }

  // SequentialLR's first schedule: its initial step again, after the others' construction
  initialStep(): void {
    this.step();
  }

  // the lr this schedule set last (torch's get_last_lr()[0]: the first group's)
  getLastLr(): number {
    return this.lastLrs[0];
  }

  // every group's (torch's get_last_lr())
  getLastLrs(): number[] {
    return [...this.lastLrs];
  }

  get epoch(): number {
    return this.lastEpoch;
  }

  stateDict(): SchedulerStateDict {
    const d: SchedulerStateDict = {
      scheduler: this.kind,
      lastEpoch: this.lastEpoch,
      baseLr: this.baseLrs[0],
      lastLr: this.lastLrs[0],
      options: this.options(),
    };
    if (this.groups.length > 1) {
      d.baseLrs = [...this.baseLrs];
      d.lastLrs = [...this.lastLrs];
    }
    return d;
  }

  // restores the step count and base lrs; the options must equal this schedule's. the optimizer's
  // own lrs are restored by its loadStateDict.
  loadStateDict(dict: SchedulerStateDict): void {
    if (dict === null || typeof dict !== 'object') throw typeError('dict', 'a scheduler state dict', dict);
    if (dict.scheduler !== this.kind) throw rangeError('dict.scheduler', `'${this.kind}'`, dict.scheduler);
    const lastEpoch = checkInt('dict.lastEpoch', dict.lastEpoch, 0);
    const n = this.groups.length;
    const list = (name: 'baseLrs' | 'lastLrs', one: 'baseLr' | 'lastLr'): number[] => {
      const v = dict[name];
      if (v === undefined) {
        if (n > 1) throw rangeError(`dict.${name}`, `${n} lrs (one per parameter group)`, v);
        return [checkNonNegative(`dict.${one}`, dict[one])];
      }
      if (!Array.isArray(v) || v.length !== n) throw rangeError(`dict.${name}`, `${n} lrs (one per parameter group)`, v);
      return v.map((x, i) => checkNonNegative(`dict.${name}[${i}]`, x));
    };
    const baseLrs = list('baseLrs', 'baseLr');
    const lastLrs = list('lastLrs', 'lastLr');
    const mine = this.options();
    const saved = checkObject('dict.options', dict.options);
    for (const k of Object.keys(mine)) {
      if (saved[k] !== mine[k]) throw rangeError(`dict.options.${k}`, `${String(mine[k])} (this schedule's)`, saved[k]);
    }
    this.lastEpoch = lastEpoch;
    this.baseLrs = baseLrs;
    this.lastLrs = lastLrs;
  }
}

// lr *= gamma every stepSize epochs
export class StepLR extends LRScheduler {
  readonly kind = 'StepLR' as const;
  readonly interval: Interval;
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: LrHolder, opts: { stepSize: number; gamma?: number; interval?: Interval }) {
    super(optimizer);
    const o = checkObject('options', opts);
    if (opts === undefined) throw typeError('options', 'an options object with stepSize', opts);
    checkKeys('options', o, ['stepSize', 'gamma', 'interval']);
    this.stepSize = checkInt('options.stepSize', o.stepSize, 1);
    this.gamma = o.gamma === undefined ? 0.1 : checkPositive('options.gamma', o.gamma);
    this.interval = checkInterval('options.interval', o.interval, 'epoch');
    this.attach();
  }

  protected nextLr(lr: number): number {
    return this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0 ? lr : lr * this.gamma;
  }

  protected options(): Record<string, number | string> {
    return { stepSize: this.stepSize, gamma: this.gamma, ...intervalOption(this.interval) };
  }
}

// lr *= gamma every epoch
export class ExponentialLR extends LRScheduler {
  readonly kind = 'ExponentialLR' as const;
  readonly interval: Interval;
  readonly gamma: number;

  constructor(optimizer: LrHolder, opts: { gamma: number; interval?: Interval }) {
    super(optimizer);
    const o = checkObject('options', opts);
    checkKeys('options', o, ['gamma', 'interval']);
    this.gamma = checkPositive('options.gamma', o.gamma);
    this.interval = checkInterval('options.interval', o.interval, 'epoch');
    this.attach();
  }

  protected nextLr(lr: number): number {
    return this.lastEpoch === 0 ? lr : lr * this.gamma;
  }

  protected options(): Record<string, number | string> {
    return { gamma: this.gamma, ...intervalOption(this.interval) };
  }
}

// lr follows half a cosine from the base lr down to etaMin over tMax epochs, then back up (SGDR
// without restarts, as torch): eta_t = etaMin + (base - etaMin) (1 + cos(pi t / tMax)) / 2, computed
// by torch's recursion from the previous lr
export class CosineAnnealingLR extends LRScheduler {
  readonly kind = 'CosineAnnealingLR' as const;
  readonly interval: Interval;
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: LrHolder, opts: { tMax: number; etaMin?: number; interval?: Interval }) {
    super(optimizer);
    const o = checkObject('options', opts);
    if (opts === undefined) throw typeError('options', 'an options object with tMax', opts);
    checkKeys('options', o, ['tMax', 'etaMin', 'interval']);
    this.tMax = checkInt('options.tMax', o.tMax, 1);
    this.etaMin = o.etaMin === undefined ? 0 : checkNonNegative('options.etaMin', o.etaMin);
    this.interval = checkInterval('options.interval', o.interval, 'epoch');
    this.attach();
  }

  protected nextLr(lr: number, group: number): number {
    const t = this.lastEpoch;
    const T = this.tMax;
    if (t === 0) return lr;
    // python's %, never negative: the epoch after each minimum
    const m = (((t - 1 - T) % (2 * T)) + 2 * T) % (2 * T);
    if (m === 0) return lr + ((this.baseLrs[group] - this.etaMin) * (1 - Math.cos(Math.PI / T))) / 2;
    return ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (lr - this.etaMin) + this.etaMin;
  }

  protected options(): Record<string, number | string> {
    return { tMax: this.tMax, etaMin: this.etaMin, ...intervalOption(this.interval) };
  }
}

// lr scaled linearly from startFactor to endFactor of the base lr over totalIters steps, then held:
// the usual warmup (per optimizer step by default)
export class LinearLR extends LRScheduler {
  readonly kind = 'LinearLR' as const;
  readonly interval: Interval;
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: LrHolder, opts?: { startFactor?: number; endFactor?: number; totalIters?: number; interval?: Interval }) {
    super(optimizer);
    const o = checkObject('options', opts);
    checkKeys('options', o, ['startFactor', 'endFactor', 'totalIters', 'interval']);
    // torch's defaults and ranges
    this.startFactor = o.startFactor === undefined ? 1 / 3 : checkNumber('options.startFactor', o.startFactor);
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw rangeError('options.startFactor', 'a number in (0, 1]', this.startFactor);
    this.endFactor = o.endFactor === undefined ? 1 : checkNumber('options.endFactor', o.endFactor);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw rangeError('options.endFactor', 'a number in [0, 1]', this.endFactor);
    this.totalIters = o.totalIters === undefined ? 5 : checkInt('options.totalIters', o.totalIters, 1);
    this.interval = checkInterval('options.interval', o.interval, 'step');
    this.attach();
  }

  protected nextLr(lr: number): number {
    const t = this.lastEpoch;
    if (t === 0) return lr * this.startFactor;
    if (t > this.totalIters) return lr;
    const d = this.endFactor - this.startFactor;
    return lr * (1 + d / (this.totalIters * this.startFactor + (t - 1) * d));
  }

  protected override firstLr(base: number): number {
    return base * this.startFactor;
  }

  protected options(): Record<string, number | string> {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters, interval: this.interval };
  }
}

export interface OneCycleOptions {
  // the peak lr (one number for every group, or one per group)
  maxLr: number | readonly number[];
  // the length of the cycle in optimizer steps; or epochs x stepsPerEpoch
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  // momentum (SGD) or beta1 (Adam) cycled inversely to the lr, between baseMomentum and maxMomentum
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}

interface Phase {
  end: number;
  lr: [start: 'initial' | 'max' | 'min', end: 'initial' | 'max' | 'min'];
  mom: [start: 'base' | 'max', end: 'base' | 'max'];
}

// the 1cycle policy (Smith and Topin 2017) as torch's OneCycleLR: from maxLr / divFactor up to maxLr
// over pctStart of the steps, then down to the initial lr / finalDivFactor; stepped per optimizer step
export class OneCycleLR extends LRScheduler {
  readonly kind = 'OneCycleLR' as const;
  readonly interval = 'step' as const;
  readonly totalSteps: number;
  readonly pctStart: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  readonly divFactor: number;
  readonly finalDivFactor: number;
  readonly threePhase: boolean;
  private readonly maxLrs: number[];
  private readonly baseMomentums: number[];
  private readonly maxMomentums: number[];
  private readonly phases: Phase[];

  constructor(optimizer: LrHolder, opts: OneCycleOptions) {
    super(optimizer);
    const o = checkObject('options', opts);
    if (opts === undefined) throw typeError('options', 'an options object with maxLr', opts);
    checkKeys('options', o, [
      'maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum',
      'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase',
    ]);
    const n = this.groups.length;
    this.maxLrs = perGroup('options.maxLr', o.maxLr, n, (name, v) => checkHyper(name, 'lr', v));
    if (o.totalSteps !== undefined) {
      this.totalSteps = checkInt('options.totalSteps', o.totalSteps, 1);
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      this.totalSteps = checkInt('options.epochs', o.epochs, 1) * checkInt('options.stepsPerEpoch', o.stepsPerEpoch, 1);
    } else {
      throw typeError('options.totalSteps', 'a number of steps, or options.epochs and options.stepsPerEpoch', o.totalSteps);
    }
    this.pctStart = o.pctStart === undefined ? 0.3 : checkNumber('options.pctStart', o.pctStart);
    if (!(this.pctStart >= 0 && this.pctStart <= 1)) throw rangeError('options.pctStart', 'a number in [0, 1]', this.pctStart);
    this.annealStrategy = o.annealStrategy === undefined ? 'cos' : checkOneOf('options.annealStrategy', o.annealStrategy, ['cos', 'linear'] as const);
    this.cycleMomentum = o.cycleMomentum === undefined ? true : checkBool('options.cycleMomentum', o.cycleMomentum);
    this.divFactor = o.divFactor === undefined ? 25 : checkPositive('options.divFactor', o.divFactor);
    this.finalDivFactor = o.finalDivFactor === undefined ? 1e4 : checkPositive('options.finalDivFactor', o.finalDivFactor);
    this.threePhase = o.threePhase === undefined ? false : checkBool('options.threePhase', o.threePhase);
    this.baseMomentums = perGroup('options.baseMomentum', o.baseMomentum ?? 0.85, n, (name, v) => checkHyper(name, 'momentum', v));
    this.maxMomentums = perGroup('options.maxMomentum', o.maxMomentum ?? 0.95, n, (name, v) => checkHyper(name, 'momentum', v));
    const T = this.totalSteps;
    const p = this.pctStart;
    this.phases = this.threePhase
      ? [
          { end: p * T - 1, lr: ['initial', 'max'], mom: ['max', 'base'] },
          { end: 2 * p * T - 2, lr: ['max', 'initial'], mom: ['base', 'max'] },
          { end: T - 1, lr: ['initial', 'min'], mom: ['max', 'max'] },
        ]
      : [
          { end: p * T - 1, lr: ['initial', 'max'], mom: ['max', 'base'] },
          { end: T - 1, lr: ['max', 'min'], mom: ['base', 'max'] },
        ];
    if (this.cycleMomentum) {
      this.groups.forEach((g, i) => {
        if (!Array.isArray(g.betas) && typeof g.momentum !== 'number') {
          throw typeError('optimizer', 'an optimizer with momentum or betas (options.cycleMomentum)', optimizer);
        }
        // the nesterov rule is checked by the optimizer's next step
        this.setMomentum(g, this.maxMomentums[i]);
      });
    }
    // torch sets each group's initial_lr to maxLr / divFactor (over any earlier schedule's)
    this.groups.forEach((g, i) => {
      this.baseLrs[i] = this.maxLrs[i] / this.divFactor;
      g.initialLr = this.baseLrs[i];
    });
    this.attach();
  }

  private setMomentum(g: LrGroup, m: number): void {
    if (Array.isArray(g.betas)) g.betas = [m, g.betas[1]];
    else g.momentum = m;
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  protected nextLr(_lr: number, group: number): number {
    const t = this.lastEpoch;
    if (t > this.totalSteps) {
      throw rangeError('OneCycleLR.step', `at most totalSteps (${this.totalSteps}) steps`, t);
    }
    const initial = this.baseLrs[group];
    const lrs = { initial, max: this.maxLrs[group], min: initial / this.finalDivFactor };
    const moms = { base: this.baseMomentums[group], max: this.maxMomentums[group] };
    let start = 0;
    for (let k = 0; k < this.phases.length; k++) {
      const ph = this.phases[k];
      if (t <= ph.end || k === this.phases.length - 1) {
        const pct = (t - start) / (ph.end - start);
        if (this.cycleMomentum) this.setMomentum(this.groups[group], this.anneal(moms[ph.mom[0]], moms[ph.mom[1]], pct));
        return this.anneal(lrs[ph.lr[0]], lrs[ph.lr[1]], pct);
      }
      start = ph.end;
    }
    return _lr;
  }

  protected options(): Record<string, number | string | boolean> {
    return {
      totalSteps: this.totalSteps, pctStart: this.pctStart, annealStrategy: this.annealStrategy, cycleMomentum: this.cycleMomentum,
      divFactor: this.divFactor, finalDivFactor: this.finalDivFactor, threePhase: this.threePhase,
    };
  }
}

function perGroup(name: string, v: unknown, n: number, check: (name: string, v: unknown) => number): number[] {
  if (Array.isArray(v)) {
    if (v.length !== n) throw rangeError(name, `${n} values (one per parameter group)`, v);
    return v.map((x, i) => check(`${name}[${i}]`, x));
  }
  const x = check(name, v);
  return new Array<number>(n).fill(x);
}

// schedules one after another (torch's SequentialLR): schedulers[i] runs from milestones[i - 1] (0
// for the first) until milestones[i], each restarting from the base lrs; all on the same interval
export class SequentialLR extends LRScheduler {
  readonly kind = 'SequentialLR' as const;
  readonly interval: Interval;
  readonly schedulers: readonly LRScheduler[];
  readonly milestones: readonly number[];
  private current: LRScheduler;

  constructor(optimizer: LrHolder, opts: { schedulers: readonly LRScheduler[]; milestones: readonly number[] }) {
    super(optimizer);
    const o = checkObject('options', opts);
    if (opts === undefined) throw typeError('options', 'an options object with schedulers and milestones', opts);
    checkKeys('options', o, ['schedulers', 'milestones']);
    const s = o.schedulers;
    if (!Array.isArray(s) || s.length === 0) throw typeError('options.schedulers', 'a non-empty array of LRScheduler', s);
    s.forEach((x, i) => {
      if (!(x instanceof LRScheduler) || x instanceof SequentialLR) throw typeError(`options.schedulers[${i}]`, 'an LRScheduler (not a SequentialLR)', x);
      if (x.optimizer !== optimizer) throw rangeError(`options.schedulers[${i}]`, 'a schedule of this optimizer', x);
      if (x.interval !== s[0].interval) throw rangeError(`options.schedulers[${i}].interval`, `'${(s[0] as LRScheduler).interval}' like schedulers[0]`, x.interval);
    });
    const m = o.milestones;
    if (!Array.isArray(m) || m.length !== s.length - 1) throw rangeError('options.milestones', `${s.length - 1} milestones (one between each two schedules)`, m);
    m.forEach((x, i) => {
      checkInt(`options.milestones[${i}]`, x, i === 0 ? 1 : (m[i - 1] as number) + 1);
    });
    this.schedulers = Object.freeze([...(s as LRScheduler[])]);
    this.milestones = Object.freeze([...(m as number[])]);
    this.interval = this.schedulers[0].interval;
    // torch: every group back to its initial lr, each schedule's initial step undone, the first's redone
    this.groups.forEach((g, i) => (g.lr = g.initialLr ?? this.baseLrs[i]));
    for (const x of this.schedulers) x.undoStep();
    this.schedulers[0].initialStep();
    this.current = this.schedulers[0];
  }

  protected nextLr(lr: number): number {
    return lr;
  }

  override step(): void {
    this.lastEpoch += 1;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx] <= this.lastEpoch) idx++;
    this.current = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) this.current.restart();
    else this.current.step();
  }

  override getLastLr(): number {
    return this.current.getLastLr();
  }

  override getLastLrs(): number[] {
    return this.current.getLastLrs();
  }

  protected options(): Record<string, number | string> {
    return { milestones: this.milestones.join(','), schedulers: this.schedulers.map((x) => x.kind).join(',') };
  }
}

export interface ReduceLROnPlateauOptions {
  // 'min': the monitored value should fall (a loss); 'max': rise (an accuracy)
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | readonly number[];
  eps?: number;
  // what trainFFNN passes to step(): the validation loss (default) or accuracy
  monitor?: 'loss' | 'accuracy';
}

// lr *= factor once the monitored value (trainFFNN: the validation loss) has not improved for
// `patience` epochs, as torch's ReduceLROnPlateau; step(value) once per epoch
export class ReduceLROnPlateau {
  readonly kind = 'ReduceLROnPlateau' as const;
  readonly interval = 'epoch' as const;
  readonly optimizer: LrHolder;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly eps: number;
  readonly monitor: 'loss' | 'accuracy';
  private readonly groups: readonly LrGroup[];
  private readonly minLrs: number[];
  private best: number;
  private badEpochs = 0;
  private cooldownCounter = 0;
  private lastEpoch = 0;

  constructor(optimizer: LrHolder, opts?: ReduceLROnPlateauOptions) {
    this.optimizer = checkOptimizer(optimizer);
    this.groups = groupsOf(optimizer);
    const o = checkObject('options', opts);
    checkKeys('options', o, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps', 'monitor']);
    this.monitor = o.monitor === undefined ? 'loss' : checkOneOf('options.monitor', o.monitor, ['loss', 'accuracy'] as const);
    this.mode = o.mode === undefined ? (this.monitor === 'loss' ? 'min' : 'max') : checkOneOf('options.mode', o.mode, ['min', 'max'] as const);
    this.factor = o.factor === undefined ? 0.1 : checkNumber('options.factor', o.factor);
    if (!(this.factor >= 0 && this.factor < 1)) throw rangeError('options.factor', 'a number in [0, 1)', this.factor);
    this.patience = o.patience === undefined ? 10 : checkInt('options.patience', o.patience, 0);
    this.threshold = o.threshold === undefined ? 1e-4 : checkNonNegative('options.threshold', o.threshold);
    this.thresholdMode = o.thresholdMode === undefined ? 'rel' : checkOneOf('options.thresholdMode', o.thresholdMode, ['rel', 'abs'] as const);
    this.cooldown = o.cooldown === undefined ? 0 : checkInt('options.cooldown', o.cooldown, 0);
    this.minLrs = perGroup('options.minLr', o.minLr ?? 0, this.groups.length, (name, v) => checkHyper(name, 'lr', v));
    this.eps = o.eps === undefined ? 1e-8 : checkNonNegative('options.eps', o.eps);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const b = this.best;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < b * (1 - this.threshold) : a < b - this.threshold;
    return this.thresholdMode === 'rel' ? a > b * (this.threshold + 1) : a > b + this.threshold;
  }

  // after each epoch, with the monitored value of that epoch
  step(value: number): void {
    const v = checkNumber('value', value);
    this.lastEpoch += 1;
    if (this.isBetter(v)) {
      this.best = v;
      this.badEpochs = 0;
    } else {
      this.badEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.badEpochs = 0;
    }
    if (this.badEpochs > this.patience) {
      this.groups.forEach((g, i) => {
        const old = g.lr;
        const lr = Math.max(old * this.factor, this.minLrs[i]);
        if (old - lr > this.eps) g.lr = lr;
      });
      this.cooldownCounter = this.cooldown;
      this.badEpochs = 0;
    }
  }

  getLastLr(): number {
    return this.groups[0].lr;
  }

  getLastLrs(): number[] {
    return this.groups.map((g) => g.lr);
  }

  get epoch(): number {
    return this.lastEpoch;
  }
}
