// parameter groups and the per-step schedules against torch 1.13 (tools/fixtures_recipes.py): SGD,
// Adam and AdamW over two groups with their own hyper-parameters; LinearLR, OneCycleLR, SequentialLR,
// a per-step warmup chained before a per-epoch cosine, and ReduceLROnPlateau, each over two groups.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Parameter } from '../../src/tensor.js';
import { FFNN } from '../../src/nn/ffnn.js';
import {
  Adam, AdamW, CosineAnnealingLR, ExponentialLR, LinearLR, OneCycleLR, ReduceLROnPlateau, SGD, SequentialLR, StepLR,
  type LRScheduler, type Optimizer,
} from '../../src/optim/index.js';
import { assertClose, assertScalarClose } from '../helpers/numeric.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/optim/recipes.json', import.meta.url), 'utf8'));

// torch's keyword names -> ffnn's
const NAMES: Record<string, string> = { weight_decay: 'weightDecay', lr: 'lr', momentum: 'momentum', nesterov: 'nesterov', dampening: 'dampening', betas: 'betas', eps: 'eps' };
const camel = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).map(([k, v]) => [NAMES[k] ?? k, v]));

describe('parameter groups match torch.optim', () => {
  const devices = ['js', 'native', 'wasm'] as const;
  for (const device of devices) {
    it.each(Object.keys(fx.groups.configs))(`%s (${device})`, (name) => {
      const c = fx.groups.configs[name];
      const w = new Parameter(Float64Array.from(fx.groups.init.w), [3, 4], 'w');
      const b = new Parameter(Float64Array.from(fx.groups.init.b), [4], 'b');
      const groups = [{ params: [w], ...camel(c.groups[0]) }, { params: [b], ...camel(c.groups[1]) }];
      const defaults = { ...camel(c.defaults), device };
      const Ctor = { SGD, Adam, AdamW }[c.optimizer as 'SGD' | 'Adam' | 'AdamW'];
      const opt = new (Ctor as new (p: unknown, o: unknown) => Optimizer)(groups, defaults);
      expect(opt.paramGroups.length).toBe(2);
      c.trajectory.forEach((rec: { w: number[]; b: number[] }, step: number) => {
        w.ensureGrad().data.set(fx.groups.grads[step].w);
        b.ensureGrad().data.set(fx.groups.grads[step].b);
        opt.step();
        assertClose(`${name} step ${step} w`, w.data, rec.w, 1e-12);
        assertClose(`${name} step ${step} b`, b.data, rec.b, 1e-12);
      });
    });
  }

  it('group options override the defaults; a flat list is one group; the setters set every group', () => {
    const net = new FFNN(3, [4], 'relu', 2, { device: 'js', seed: 1 });
    expect(net.weights().map((p) => p.name)).toEqual(['W1', 'U']);
    expect(net.biases().map((p) => p.name)).toEqual(['b1', 'c']);
    const opt = new SGD([{ params: net.weights(), weightDecay: 5e-4 }, { params: net.biases(), weightDecay: 0 }], { lr: 0.1, momentum: 0.9, device: 'js' });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum, g.weightDecay])).toEqual([[0.1, 0.9, 5e-4], [0.1, 0.9, 0]]);
    expect(opt.params.length).toBe(4);
    opt.lr = 0.2;
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.2, 0.2]);
    expect(new SGD(net.parameters(), 0.1).paramGroups.length).toBe(1);
  });

  it('a bad group is refused with its index; a value set on a group is checked by step()', () => {
    const net = new FFNN(3, [4], 'relu', 2, { device: 'js', seed: 1 });
    expect(() => new SGD([{ params: net.weights(), dampening: -1 }, { params: net.biases() }], { lr: 0.1 })).toThrow(
      new RangeError('params[0].dampening: expected a number >= 0, received -1'),
    );
    expect(() => new SGD([{ params: net.weights() }, { params: net.biases(), lr: 0.1, foo: 1 } as never], { lr: 0.1 })).toThrow(/params\[1\]\.foo: expected no such option/);
    expect(() => new SGD([{ params: net.weights() }, { params: net.weights() }], { lr: 0.1 })).toThrow(/params\[1\]\.params\[0\]: expected each Parameter once/);
    expect(() => new Adam([{ params: net.weights(), betas: [0.9, 1] }, { params: net.biases() }])).toThrow(
      new RangeError('params[0].betas[1]: expected a number in [0, 1), received 1'),
    );
    const opt = new SGD([{ params: net.weights() }, { params: net.biases() }], { lr: 0.1, device: 'js' });
    for (const p of net.parameters()) p.ensureGrad();
    (opt.paramGroups[1] as { momentum: number }).momentum = -0.5;
    expect(() => opt.step()).toThrow(new RangeError('paramGroups[1].momentum: expected a number >= 0, received -0.5'));
  });

  it('a state dict keeps every group and loads back', () => {
    const net = new FFNN(3, [4], 'relu', 2, { device: 'js', seed: 1 });
    const make = (): SGD => new SGD([{ params: net.weights(), weightDecay: 0.01 }, { params: net.biases(), lr: 0.3 }], { lr: 0.1, momentum: 0.9, device: 'js' });
    const a = make();
    a.paramGroups[1].lr = 0.05;
    const d = a.stateDict();
    expect(d.groups?.map((g) => g.lr)).toEqual([0.1, 0.05]);
    const b = make();
    b.loadStateDict(d);
    expect(b.paramGroups.map((g) => [g.lr, g.weightDecay])).toEqual([[0.1, 0.01], [0.05, 0]]);
    const one = new SGD(net.parameters(), { lr: 0.1, device: 'js' });
    expect(() => b.loadStateDict(one.stateDict())).toThrow(/dict\.params|dict\.groups/);
  });
});

type Sched = LRScheduler | ReduceLROnPlateau;

function twoGroups(kind: 'sgd' | 'adam'): SGD | Adam {
  const a = new Parameter(new Float32Array(1), [1], 'a');
  const b = new Parameter(new Float32Array(1), [1], 'b');
  if (kind === 'sgd') return new SGD([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.02 }], { lr: 0.1, momentum: 0.9, device: 'js' });
  return new Adam([{ params: [a], lr: 0.01 }, { params: [b], lr: 0.002 }], { lr: 0.01, device: 'js' });
}

const momentumOf = (opt: SGD | Adam): number[] => opt.paramGroups.map((g) => ('betas' in g ? (g.betas as number[])[0] : (g as { momentum: number }).momentum));

const MAKERS: Record<string, [kind: 'sgd' | 'adam', make: (o: SGD | Adam) => LRScheduler]> = {
  linear_warmup: ['sgd', (o) => new LinearLR(o, { startFactor: 0.1, endFactor: 1, totalIters: 4 })],
  linear_decay: ['sgd', (o) => new LinearLR(o, { startFactor: 1, endFactor: 0.25, totalIters: 5 })],
  linear_default: ['sgd', (o) => new LinearLR(o)],
  onecycle_cos_sgd: ['sgd', (o) => new OneCycleLR(o, { maxLr: [0.5, 0.1], totalSteps: 20 })],
  onecycle_linear_adam: ['adam', (o) => new OneCycleLR(o, { maxLr: 0.02, epochs: 3, stepsPerEpoch: 5, annealStrategy: 'linear', pctStart: 0.25 })],
  onecycle_three_phase: ['sgd', (o) => new OneCycleLR(o, { maxLr: 0.4, totalSteps: 17, threePhase: true, divFactor: 10, finalDivFactor: 100 })],
  onecycle_no_momentum: ['sgd', (o) => new OneCycleLR(o, { maxLr: 0.3, totalSteps: 10, cycleMomentum: false })],
  sequential_warmup_cosine: ['sgd', (o) => new SequentialLR(o, {
    schedulers: [new LinearLR(o, { startFactor: 0.2, totalIters: 3, interval: 'epoch' }), new CosineAnnealingLR(o, { tMax: 6, etaMin: 0.001 })],
    milestones: [3],
  })],
  sequential_three: ['sgd', (o) => new SequentialLR(o, {
    schedulers: [new LinearLR(o, { startFactor: 0.5, totalIters: 2, interval: 'epoch' }), new ExponentialLR(o, { gamma: 0.9 }), new StepLR(o, { stepSize: 2, gamma: 0.5 })],
    milestones: [2, 5],
  })],
  cosine_groups: ['sgd', (o) => new CosineAnnealingLR(o, { tMax: 5, etaMin: 0.001 })],
};

function expectLrs(label: string, got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => assertScalarClose(`${label} group ${i}`, v, want[i], 1e-12, Math.max(Math.abs(want[i]), 1e-300)));
}

describe('schedules over two parameter groups match torch.optim.lr_scheduler', () => {
  it.each(Object.keys(MAKERS))('%s', (name) => {
    const f = fx.schedules[name];
    const [kind, make] = MAKERS[name];
    const opt = twoGroups(kind);
    const s: Sched = make(opt);
    expectLrs(`${name} step 0`, opt.paramGroups.map((g) => g.lr), f.lrs[0]);
    expectLrs(`${name} momentum 0`, momentumOf(opt), f.momentums[0]);
    for (let t = 1; t < f.lrs.length; t++) {
      s.step();
      expectLrs(`${name} step ${t}`, opt.paramGroups.map((g) => g.lr), f.lrs[t]);
      expectLrs(`${name} momentum ${t}`, momentumOf(opt), f.momentums[t]);
      expect(s.getLastLrs()).toEqual(opt.paramGroups.map((g) => g.lr));
    }
  });

  it.each(Object.keys(fx.chained))('a per-step warmup chained before a per-epoch cosine: %s', (name) => {
    const f = fx.chained[name];
    const opt = twoGroups('sgd');
    const warmup = new LinearLR(opt, { startFactor: 0.01, totalIters: f.warmup });
    const cosine = new CosineAnnealingLR(opt, { tMax: f.tMax });
    expect([warmup.interval, cosine.interval]).toEqual(['step', 'epoch']);
    let k = 0;
    expectLrs(`${name} 0`, opt.paramGroups.map((g) => g.lr), f.lrs[k++]);
    for (let e = 0; e < f.epochs; e++) {
      for (let b = 0; b < f.stepsPerEpoch; b++) {
        warmup.step();
        expectLrs(`${name} epoch ${e} step ${b}`, opt.paramGroups.map((g) => g.lr), f.lrs[k++]);
      }
      cosine.step();
      expectLrs(`${name} epoch ${e} end`, opt.paramGroups.map((g) => g.lr), f.lrs[k++]);
    }
  });

  it.each(Object.keys(fx.plateau))('ReduceLROnPlateau %s', (name) => {
    const f = fx.plateau[name];
    const opt = twoGroups('sgd');
    const o = f.options;
    const s = new ReduceLROnPlateau(opt, {
      mode: o.mode, factor: o.factor, patience: o.patience, threshold: o.threshold, thresholdMode: o.threshold_mode,
      cooldown: o.cooldown, minLr: o.min_lr, eps: o.eps,
    });
    expectLrs(`${name} 0`, s.getLastLrs(), f.lrs[0]);
    f.values.forEach((v: number, i: number) => {
      s.step(v);
      expectLrs(`${name} epoch ${i + 1}`, s.getLastLrs(), f.lrs[i + 1]);
    });
  });

  it('refuses bad options with their names', () => {
    const opt = twoGroups('sgd');
    expect(() => new LinearLR(opt, { startFactor: 0 })).toThrow(new RangeError('options.startFactor: expected a number in (0, 1], received 0'));
    expect(() => new OneCycleLR(opt, { maxLr: [0.1] })).toThrow(/options\.maxLr: expected 2 values \(one per parameter group\)/);
    expect(() => new OneCycleLR(opt, { maxLr: 0.1 })).toThrow(/options\.totalSteps: expected a number of steps/);
    expect(() => new ReduceLROnPlateau(opt, { factor: 1 })).toThrow(new RangeError('options.factor: expected a number in [0, 1), received 1'));
    const a = new LinearLR(opt, { totalIters: 2 });
    const b = new CosineAnnealingLR(opt, { tMax: 3 });
    expect(() => new SequentialLR(opt, { schedulers: [a, b], milestones: [2] })).toThrow(/options\.schedulers\[1\]\.interval: expected 'step' like schedulers\[0\]/);
    const one = new OneCycleLR(twoGroups('sgd'), { maxLr: 0.1, totalSteps: 2 });
    one.step();
    one.step();
    expect(() => one.step()).toThrow(/OneCycleLR\.step: expected at most totalSteps \(2\) steps/);
  });
});

describe('a grouped optimizer saved with saveModel loads back', () => {
  it('every group and its lr', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { saveModel, loadModel } = await import('../../src/train/checkpoint.js');
    const dir = mkdtempSync(join(tmpdir(), 'ffnn-groups-'));
    try {
      const net = new FFNN(3, [4], 'relu', 2, { device: 'js', seed: 1 });
      const opt = new SGD([{ params: net.weights(), weightDecay: 0.01 }, { params: net.biases(), lr: 0.3 }], { lr: 0.1, momentum: 0.9, device: 'js' });
      const file = join(dir, 'm.safetensors');
      saveModel(file, net, { optimizer: opt });
      const m = loadModel(file, { device: 'js' });
      const again = new SGD([{ params: m.net.weights(), weightDecay: 0 }, { params: m.net.biases() }], { lr: 0.5, device: 'js' });
      again.loadStateDict(m.optimizerState as never);
      expect(again.paramGroups.map((g) => [g.lr, g.weightDecay, g.momentum])).toEqual([[0.1, 0.01, 0.9], [0.3, 0, 0.9]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
