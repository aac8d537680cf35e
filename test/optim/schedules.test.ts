// StepLR, ExponentialLR and CosineAnnealingLR against torch.optim.lr_scheduler (1.13) over 20 epochs,
// their validation, and resuming a schedule from its state dict.
import { afterAll, describe, expect, it } from 'vitest';
import { Parameter } from '../../src/tensor.js';
import { CosineAnnealingLR, ExponentialLR, SGD, StepLR, type LRScheduler, type LrHolder } from '../../src/optim/index.js';
import { DiffStats, assertScalarClose } from '../helpers/numeric.js';
import { scheduleFixture } from './fixture.js';

const stats = new DiffStats();

function makeScheduler(kind: string, opt: LrHolder, o: Record<string, number>): LRScheduler {
  if (kind === 'StepLR') return new StepLR(opt, { stepSize: o.step_size, gamma: o.gamma });
  if (kind === 'ExponentialLR') return new ExponentialLR(opt, { gamma: o.gamma });
  if (kind === 'CosineAnnealingLR') return new CosineAnnealingLR(opt, { tMax: o.T_max, etaMin: o.eta_min });
  throw new Error(`unknown scheduler ${kind}`);
}

function sgd(lr: number): SGD {
  return new SGD([new Parameter(new Float64Array(1), [1], 'x')], { lr, device: 'js' });
}

describe('lr schedules match torch 1.13', () => {
  it.each(Object.keys(scheduleFixture.schedules))('%s', (name) => {
    const f = scheduleFixture.schedules[name];
    const opt = sgd(f.lr);
    const s = makeScheduler(f.scheduler, opt, f.options);
    let worst = assertScalarClose(`${name} epoch 0`, s.getLastLr(), f.lrs[0], 1e-12, Math.abs(f.lrs[0]));
    for (let e = 1; e <= scheduleFixture.epochs; e++) {
      opt.step();
      s.step();
      expect(opt.lr).toBe(s.getLastLr());
      expect(s.epoch).toBe(e);
      const rel = assertScalarClose(`${name} epoch ${e}`, s.getLastLr(), f.lrs[e], 1e-12, Math.abs(f.lrs[e]));
      worst = Math.max(worst, rel);
    }
    stats.record(f.scheduler, name, worst, 1e-12);
  });
});

describe('a schedule created after another starts from the first one\'s base lr (torch\'s initial_lr)', () => {
  it.each(Object.keys(scheduleFixture.restarts))('%s', (name) => {
    const f = scheduleFixture.restarts[name];
    const opt = sgd(f.lr);
    let s = makeScheduler(f.first[0], opt, f.first[1]);
    expect(opt.initialLr).toBe(f.lr);
    for (let e = 0; e < scheduleFixture.epochs; e++) {
      if (e === f.epochs1) s = makeScheduler(f.second[0], opt, f.second[1]);
      opt.step();
      s.step();
      assertScalarClose(`${name} epoch ${e + 1}`, opt.lr, f.lrs[e], 1e-12, Math.max(Math.abs(f.lrs[e]), 1e-300));
    }
  });
});

describe('initialLr across a stop and a refused schedule', () => {
  it('the optimizer state dict carries initialLr: a restart after a resume starts from it, as uninterrupted', () => {
    const f = scheduleFixture.restarts.step_then_cosine;
    const run = (resumeAt: number | null): number[] => {
      let opt = sgd(f.lr);
      let s = makeScheduler(f.first[0], opt, f.first[1]);
      const lrs: number[] = [];
      for (let e = 0; e < scheduleFixture.epochs; e++) {
        if (e === f.epochs1) s = makeScheduler(f.second[0], opt, f.second[1]);
        if (e === resumeAt) {
          // a fresh process: a new optimizer and schedule, then both state dicts
          const [od, sd] = [opt.stateDict(), s.stateDict()];
          opt = sgd(123);
          s = e < f.epochs1 ? makeScheduler(f.first[0], opt, f.first[1]) : makeScheduler(f.second[0], opt, f.second[1]);
          opt.loadStateDict(od);
          s.loadStateDict(sd);
        }
        opt.step();
        s.step();
        lrs.push(opt.lr);
      }
      return lrs;
    };
    const straight = run(null);
    // stopped while the first schedule runs: the second, created after the resume, needs initialLr
    expect(run(f.epochs1 - 1)).toEqual(straight);
    expect(run(f.epochs1 + 2)).toEqual(straight);
    straight.forEach((lr, e) => assertScalarClose(`epoch ${e + 1}`, lr, f.lrs[e], 1e-12, Math.max(Math.abs(f.lrs[e]), 1e-300)));
  });

  it('a schedule that refuses its options leaves initialLr unset', () => {
    const opt = sgd(0.1);
    expect(() => new StepLR(opt, { step_size: 2 } as never)).toThrow(TypeError);
    expect(opt.initialLr).toBeUndefined();
    opt.lr = 0.5;
    new CosineAnnealingLR(opt, { tMax: 2 });
    expect(opt.initialLr).toBe(0.5);
  });
});

describe('schedule state', () => {
  it.each(Object.keys(scheduleFixture.schedules))('%s resumes bitwise from its state dict', (name) => {
    const f = scheduleFixture.schedules[name];
    const straightOpt = sgd(f.lr);
    const straight = makeScheduler(f.scheduler, straightOpt, f.options);
    const lrs: number[] = [];
    for (let e = 0; e < 12; e++) {
      straight.step();
      lrs.push(straight.getLastLr());
    }
    const opt1 = sgd(f.lr);
    const s1 = makeScheduler(f.scheduler, opt1, f.options);
    for (let e = 0; e < 5; e++) s1.step();
    const optDict = opt1.stateDict();
    const schedDict = s1.stateDict();
    // a fresh run: the optimizer's lr comes back from its own dict
    const opt2 = sgd(123);
    const s2 = makeScheduler(f.scheduler, opt2, f.options);
    opt2.loadStateDict(optDict);
    s2.loadStateDict(schedDict);
    expect(s2.epoch).toBe(5);
    expect(s2.getLastLr()).toBe(lrs[4]);
    for (let e = 5; e < 12; e++) {
      s2.step();
      expect(s2.getLastLr()).toBe(lrs[e]);
    }
  });

  it('refuses a dict of another schedule or other options', () => {
    const opt = sgd(0.1);
    const d = new StepLR(opt, { stepSize: 2, gamma: 0.5 }).stateDict();
    expect(() => new ExponentialLR(sgd(0.1), { gamma: 0.5 }).loadStateDict(d)).toThrow(RangeError);
    expect(() => new StepLR(sgd(0.1), { stepSize: 3, gamma: 0.5 }).loadStateDict(d)).toThrow(/dict\.options\.stepSize/);
  });
});

describe('schedule validation', () => {
  const opt = sgd(0.1);
  it('rejects bad arguments with the name, the expectation and the value', () => {
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrow(new RangeError('options.stepSize: expected an integer >= 1, received 0'));
    expect(() => new StepLR(opt, { stepSize: 1.5 })).toThrow(RangeError);
    expect(() => new StepLR(opt, { stepSize: '2' as never })).toThrow(TypeError);
    expect(() => new StepLR(opt, undefined as never)).toThrow(TypeError);
    expect(() => new StepLR(opt, { stepSize: 2, gamma: -1 })).toThrow(new RangeError('options.gamma: expected a number > 0, received -1'));
    expect(() => new ExponentialLR(opt, { gamma: Number.NaN })).toThrow(new RangeError('options.gamma: expected a finite number, received NaN'));
    expect(() => new ExponentialLR(opt, {} as never)).toThrow(new TypeError('options.gamma: expected a number, received undefined'));
    expect(() => new CosineAnnealingLR(opt, { tMax: 0 })).toThrow(/options\.tMax/);
    expect(() => new CosineAnnealingLR(opt, { tMax: 5, etaMin: -0.1 })).toThrow(RangeError);
    expect(() => new CosineAnnealingLR(opt, { tMax: 5, T_max: 3 } as never)).toThrow(/options\.T_max/);
    expect(() => new StepLR({} as never, { stepSize: 1 })).toThrow(new TypeError('optimizer: expected an optimizer with a numeric lr, received an object'));
  });
});

afterAll(() => {
  if (stats.size > 0) console.log(stats.table('schedules vs torch 1.13 (max rel diff over 20 epochs)'));
});
