// trainFFNN steps each schedule on its own interval: a per-step one after every optimizer step, a
// per-epoch one after every epoch, ReduceLROnPlateau with the validation loss; parameter groups that
// differ train through the module calls with the numbers of a hand-written loop.
import { describe, expect, test } from 'vitest';
import { DataLoader } from '../../src/data/loader.js';
import { randomSplit } from '../../src/data/split.js';
import { FFNN } from '../../src/nn/ffnn.js';
import { CosineAnnealingLR, LinearLR, OneCycleLR, ReduceLROnPlateau } from '../../src/optim/lr-scheduler.js';
import { SGD } from '../../src/optim/sgd.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { trainFFNN } from '../../src/train/train.js';
import { evaluate } from '../../src/train/evaluate.js';
import { moduleCallsStep } from '../../src/train/step.js';
import { argmaxTask, DEVICES, sameBits, snapshot } from '../train/common.js';

describe.each(DEVICES)('trainFFNN schedules on %s', (device) => {
  const data = argmaxTask(64, 6, 3, 5);
  const make = () => {
    const net = new FFNN(6, [8], 'relu', 3, { device, seed: 3 });
    return { net, opt: new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, device }) };
  };

  test('a per-step warmup and a per-epoch cosine: the lr of every step is a twin schedule stepped by hand', () => {
    const { net, opt } = make();
    const seen: number[] = [];
    trainFFNN(net, data, opt, {
      epochs: 3, batchSize: 16, seed: 1, verbose: 0,
      schedule: [new LinearLR(opt, { startFactor: 0.1, totalIters: 6 }), new CosineAnnealingLR(opt, { tMax: 3 })],
      onStep: () => seen.push(opt.lr),
    });
    const twin = make().opt;
    const w = new LinearLR(twin, { startFactor: 0.1, totalIters: 6 });
    const c = new CosineAnnealingLR(twin, { tMax: 3 });
    const want: number[] = [];
    for (let e = 0; e < 3; e++) {
      for (let b = 0; b < 4; b++) {
        w.step();
        want.push(twin.lr);
      }
      c.step();
    }
    expect(seen).toEqual(want);
  });

  test('OneCycleLR over the run: the numbers of a hand-written loop stepping it after each step', () => {
    const a = make();
    const lossesA = trainFFNN(a.net, data, a.opt, {
      epochs: 2, batchSize: 16, seed: 1, verbose: 0, schedule: new OneCycleLR(a.opt, { maxLr: 0.2, epochs: 2, stepsPerEpoch: 4 }),
    });
    const b = make();
    const s = new OneCycleLR(b.opt, { maxLr: 0.2, epochs: 2, stepsPerEpoch: 4 });
    const lossesB: number[] = [];
    const loader = new DataLoader(data, { batchSize: 16, shuffle: true, seed: 1 });
    b.net.train();
    for (let e = 0; e < 2; e++) {
      for (const [x, y] of loader) {
        lossesB.push(moduleCallsStep(b.net, null, b.opt, x, y));
        s.step();
      }
    }
    expect(lossesA).toEqual(lossesB);
    snapshot(a.net).forEach((w, i) => expect(sameBits(w, snapshot(b.net)[i])).toBe(true));
  });

  test('ReduceLROnPlateau is stepped with the validation loss of each epoch', () => {
    const { net, opt } = make();
    const plateau = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5, threshold: 0.5 });
    const twin = new ReduceLROnPlateau(make().opt, { patience: 0, factor: 0.5, threshold: 0.5 });
    const lrs: number[] = [];
    const [, val] = randomSplit(data, [0.75, 0.25], { seed: 9 });
    trainFFNN(net, data, opt, {
      epochs: 4, batchSize: 16, seed: 9, verbose: 0, validationSplit: 0.25, schedule: plateau,
      onEpoch: (info) => {
        expect(info.validation?.loss).toBe(evaluate(net, val).loss);
        twin.step(info.validation?.loss as number);
        lrs.push(opt.lr);
        expect(opt.lr).toBe(twin.getLastLr());
      },
    });
    expect(lrs[lrs.length - 1]).toBeLessThan(0.1);
    expect(() => trainFFNN(net, data, opt, { schedule: new ReduceLROnPlateau(opt) })).toThrow(
      /options\.schedule: expected options\.validation or options\.validationSplit beside a schedule that monitors the validation loss/,
    );
  });

  test('groups with different hyper-parameters: trainFFNN gives the numbers of the module calls', () => {
    const run = (fusedPath: boolean) => {
      const net = new FFNN(6, [8], 'relu', 3, { device, seed: 3 });
      const opt = new SGD([{ params: net.weights(), weightDecay: 0.01 }, { params: net.biases(), lr: 0.05 }], { lr: 0.1, momentum: 0.9, device });
      if (fusedPath) return { losses: trainFFNN(net, data, opt, { epochs: 2, batchSize: 16, seed: 1, verbose: 0 }), net };
      const losses: number[] = [];
      const loader = new DataLoader(data, { batchSize: 16, shuffle: true, seed: 1 });
      for (let e = 0; e < 2; e++) for (const [x, y] of loader) losses.push(moduleCallsStep(net, null, opt, x, y));
      return { losses, net };
    };
    const a = run(true);
    const b = run(false);
    expect(a.losses).toEqual(b.losses);
    snapshot(a.net).forEach((w, i) => expect(sameBits(w, snapshot(b.net)[i])).toBe(true));
  });

  test('clipGradNorm: trainFFNN gives the numbers of a loop that clips between backward and step', () => {
    const a = make();
    const lossesA = trainFFNN(a.net, data, a.opt, { epochs: 2, batchSize: 16, seed: 1, verbose: 0, clipGradNorm: 0.05 });
    const b = make();
    const params = b.net.parameters();
    const clipping = { step: () => { clipGradNorm(params, 0.05, 2, { device }); b.opt.step(); } } as unknown as SGD;
    const lossesB: number[] = [];
    const loader = new DataLoader(data, { batchSize: 16, shuffle: true, seed: 1 });
    for (let e = 0; e < 2; e++) for (const [x, y] of loader) lossesB.push(moduleCallsStep(b.net, null, clipping, x, y));
    expect(lossesA).toEqual(lossesB);
    snapshot(a.net).forEach((w, i) => expect(sameBits(w, snapshot(b.net)[i])).toBe(true));
    // and the clipping did something: an unclipped run differs
    const c = make();
    expect(trainFFNN(c.net, data, c.opt, { epochs: 2, batchSize: 16, seed: 1, verbose: 0 })).not.toEqual(lossesA);
    expect(() => trainFFNN(c.net, data, c.opt, { clipGradNorm: -1 })).toThrow(new RangeError('options.clipGradNorm: expected a number >= 0, received -1'));
  });
});
