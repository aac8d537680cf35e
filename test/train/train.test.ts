// trainFFNN: the problem's training function. one loss per iteration, learning, bitwise-seeded runs on
// both devices, what each verbose level prints, schedules, callbacks, late regularization, the
// non-finite stop, argument errors, abort, resuming by initialEpoch and the generic Module path.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { DataLoader } from '../../src/data/loader.js';
import { RandomDataset, TensorDataset } from '../../src/data/dataset.js';
import { NonFiniteError } from '../../src/errors.js';
import { FFNN } from '../../src/nn/ffnn.js';
import { Linear } from '../../src/nn/linear.js';
import { CategoricalCELoss, CrossEntropyLoss, MSELoss } from '../../src/nn/loss.js';
import { ReLU } from '../../src/nn/activation.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Adam } from '../../src/optim/adam.js';
import { CosineAnnealingLR, ExponentialLR } from '../../src/optim/lr-scheduler.js';
import { SGD } from '../../src/optim/sgd.js';
import { Tensor } from '../../src/tensor.js';
import { trainFFNN, type EpochInfo, type StepInfo } from '../../src/train/train.js';
import { evaluate } from '../../src/train/evaluate.js';
import { argmaxTask, DEVICES, Recorder, sameBits, snapshot } from './common.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;

describe.each(DEVICES)('trainFFNN on %s', (device) => {
  const setup = (seed = 1, opts: { lr?: number; momentum?: number; weightDecay?: number; l1?: number } = {}) => {
    const net = new FFNN(8, [16], 'relu', 3, { device, seed });
    const opt = new SGD(net.parameters(), { lr: opts.lr ?? 0.1, momentum: opts.momentum ?? 0.9, weightDecay: opts.weightDecay, l1: opts.l1, device });
    return { net, opt };
  };
  const data = argmaxTask(103, 8, 3, 7);

  test('returns one loss per iteration: epochs * ceil(N / B), or floor with dropLast', () => {
    const { net, opt } = setup();
    const losses = trainFFNN(net, data, opt, { epochs: 3, batchSize: 10, seed: 1 });
    expect(losses).toHaveLength(3 * Math.ceil(103 / 10));
    expect(losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
    const { net: n2, opt: o2 } = setup();
    expect(trainFFNN(n2, data, o2, { epochs: 2, batchSize: 10, seed: 1, dropLast: true })).toHaveLength(2 * 10);
    const { net: n3, opt: o3 } = setup();
    expect(trainFFNN(n3, data, o3, { epochs: 0, batchSize: 10, seed: 1 })).toEqual([]);
  });

  test('defaults follow the problem statement: one epoch, batch 1', () => {
    const { net, opt } = setup(1, { lr: 0.01, momentum: 0 });
    expect(trainFFNN(net, new RandomDataset(12, 8, 3, { seed: 1 }), opt)).toHaveLength(12);
  });

  test('the loss goes down on a learnable task', () => {
    const { net, opt } = setup();
    const losses = trainFFNN(net, data, opt, { epochs: 8, batchSize: 8, seed: 2 });
    const perEpoch = Math.ceil(103 / 8);
    const first = mean(losses.slice(0, perEpoch));
    const last = mean(losses.slice(-perEpoch));
    expect(last).toBeLessThan(first / 3);
  });

  test('is the problem loop (forward, CELoss, backward storing gradients, step) over the same batches, bit for bit', () => {
    const { net, opt } = setup(3);
    const losses = trainFFNN(net, data, opt, { epochs: 2, batchSize: 16, seed: 4 });
    const { net: ref, opt: refOpt } = setup(3);
    const manual: number[] = [];
    const loader = new DataLoader(data, { batchSize: 16, shuffle: true, seed: 4 });
    for (let e = 0; e < 2; e++) {
      for (const [x, y] of loader) {
        const yPred = ref.forward(x);
        manual.push(CategoricalCELoss(yPred, y as Int32Array, { device }));
        ref.backward(x, y, yPred);
        refOpt.step();
      }
    }
    expect(sameBits(losses, manual)).toBe(true);
    snapshot(net).forEach((w, i) => expect(sameBits(w, snapshot(ref)[i])).toBe(true));
  });

  test('the same seed gives bitwise the same losses and weights; another seed another order', () => {
    const run = (shuffleSeed: number) => {
      const { net, opt } = setup(5);
      const losses = trainFFNN(net, data, opt, { epochs: 3, batchSize: 8, seed: shuffleSeed });
      return { losses, weights: snapshot(net) };
    };
    const a = run(11);
    const b = run(11);
    expect(sameBits(a.losses, b.losses)).toBe(true);
    a.weights.forEach((w, i) => expect(sameBits(w, b.weights[i])).toBe(true));
    const c = run(12);
    expect(sameBits(a.losses, c.losses)).toBe(false);
  });

  test('shuffle: false visits the samples in order every epoch', () => {
    const { net, opt } = setup();
    const firstBatches: number[] = [];
    trainFFNN(net, data, opt, {
      epochs: 2,
      batchSize: 103,
      shuffle: false,
      onStep: () => firstBatches.push(1),
    });
    // one full-batch step per epoch, each on the same (unshuffled) batch: the loader is deterministic
    expect(firstBatches).toHaveLength(2);
  });

  test('verbose 0 prints nothing; so does the default where the stream is not a terminal', () => {
    const spy = vi.spyOn(process.stdout, 'write');
    const rec = new Recorder(true);
    const pipe = new Recorder(false);
    const { net, opt } = setup();
    trainFFNN(net, data, opt, { epochs: 2, batchSize: 10, seed: 1, stream: rec, validation: data, verbose: 0 });
    trainFFNN(net, data, opt, { epochs: 2, batchSize: 10, seed: 1, stream: pipe, validation: data });
    trainFFNN(net, data, opt, { epochs: 1, batchSize: 10, seed: 1, verbose: 0 });
    expect(rec.text).toBe('');
    expect(pipe.text).toBe('');
    expect(spy).not.toHaveBeenCalled();
  });

  test('the default on a terminal is verbose 1: the problem statement\'s call shows its progress', () => {
    const rec = new Recorder(true);
    const { net, opt } = setup();
    trainFFNN(net, data, opt, { epochs: 2, batchSize: 10, seed: 1, stream: rec, device: 'cpu' });
    expect(rec.text).toMatch(/epoch 1\/2[\s\S]*epoch 2\/2/);
    // verbose 1 has no validation figures
    expect(rec.text).not.toMatch(/val /);
  });

  test('verbose 1 on a stream that is not a terminal: one line per epoch with loss and samples/s', () => {
    const rec = new Recorder(false);
    const { net, opt } = setup();
    trainFFNN(net, data, opt, { epochs: 3, batchSize: 10, seed: 1, verbose: 1, stream: rec, validation: data });
    expect(rec.lines).toHaveLength(3);
    rec.lines.forEach((l, i) => {
      expect(l).toMatch(new RegExp(`^epoch ${i + 1}/3  loss \\d+\\.\\d{4}  [\\d,]+ samples/s  \\d+\\.\\d\\d s$`));
    });
    expect(rec.text).not.toContain('val');
    expect(rec.text).not.toContain('\x1b');
  });

  test('verbose 2 adds validation loss and accuracy to every epoch line', () => {
    const rec = new Recorder(false);
    const { net, opt } = setup();
    trainFFNN(net, data, opt, { epochs: 2, batchSize: 10, seed: 1, verbose: 2, stream: rec, validation: argmaxTask(50, 8, 3, 9) });
    expect(rec.lines).toHaveLength(2);
    for (const l of rec.lines) expect(l).toMatch(/ val loss \d+\.\d{4}  val acc \d+\.\d\d%$/);
  });

  test('verbose 1 on a terminal draws a progress bar with loss, samples/s and ETA, then the epoch line', () => {
    const rec = new Recorder(true);
    const { net, opt } = setup();
    trainFFNN(net, argmaxTask(2000, 8, 3, 3), opt, { epochs: 2, batchSize: 4, seed: 1, verbose: 1, stream: rec });
    expect(rec.text).toMatch(/epoch 1\/2 \|.*\| \d+\/500 batches {2}loss (\d+\.\d{4}|-) {2}[\d,-]+ samples\/s {2}ETA/);
    expect(rec.text).toMatch(/epoch 2\/2 {2}loss \d+\.\d{4} {2}[\d,]+ samples\/s/);
  });

  test('onStep and onEpoch see the step, batch, epoch, loss, lr and validation', () => {
    const { net, opt } = setup();
    const steps: StepInfo[] = [];
    const epochs: EpochInfo[] = [];
    const val = argmaxTask(30, 8, 3, 9);
    const losses = trainFFNN(net, data, opt, {
      epochs: 2,
      batchSize: 50,
      seed: 1,
      validation: val,
      onStep: (s) => steps.push({ ...s }),
      onEpoch: (e) => epochs.push({ ...e }),
    });
    expect(steps.map((s) => [s.epoch, s.batch, s.step])).toEqual([
      [1, 0, 0], [1, 1, 1], [1, 2, 2], [2, 0, 3], [2, 1, 4], [2, 2, 5],
    ]);
    expect(steps.map((s) => s.loss)).toEqual(losses);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochs[0].loss).toBeCloseTo(mean(losses.slice(0, 3)), 12);
    expect(epochs[1].loss).toBeCloseTo(mean(losses.slice(3)), 12);
    for (const e of epochs) {
      expect(e.seconds).toBeGreaterThan(0);
      expect(e.samplesPerSec).toBeGreaterThan(0);
      expect(e.lr).toBe(0.1);
      expect(e.validation?.samples).toBe(30);
      expect(e.validation?.accuracy).toBeGreaterThanOrEqual(0);
      expect(e.validation?.confusion).toHaveLength(3);
    }
  });

  test('a schedule is stepped once after every epoch: each epoch runs at its lr', () => {
    const { net, opt } = setup(1, { lr: 0.08 });
    const lrPerStep: number[] = [];
    const lrPerEpoch: number[] = [];
    trainFFNN(net, data, opt, {
      epochs: 4,
      batchSize: 52,
      seed: 1,
      schedule: new ExponentialLR(opt, { gamma: 0.5 }),
      onStep: () => lrPerStep.push(opt.lr),
      onEpoch: (e) => lrPerEpoch.push(e.lr),
    });
    expect(lrPerEpoch).toEqual([0.08, 0.04, 0.02, 0.01]);
    expect(lrPerStep).toEqual([0.08, 0.08, 0.04, 0.04, 0.02, 0.02, 0.01, 0.01]);
    expect(opt.lr).toBe(0.005);
    const { net: n2, opt: o2 } = setup(1, { lr: 0.1 });
    const cos: number[] = [];
    trainFFNN(n2, data, o2, { epochs: 4, batchSize: 103, seed: 1, schedule: new CosineAnnealingLR(o2, { tMax: 4 }), onEpoch: (e) => cos.push(e.lr) });
    [0.1, 0.085355, 0.05, 0.014645].forEach((v, i) => expect(cos[i]).toBeCloseTo(v, 6));
    expect(o2.lr).toBeCloseTo(0, 12);
  });

  test('regularizeFrom: weight decay and l1 change nothing before that epoch and act from it on', () => {
    const run = (weightDecay: number, l1: number, regularizeFrom?: number) => {
      const { net, opt } = setup(2, { weightDecay, l1 });
      const after: Float64Array[][] = [];
      const seen: number[] = [];
      const losses = trainFFNN(net, data, opt, {
        epochs: 2,
        batchSize: 10,
        seed: 3,
        regularizeFrom,
        onStep: () => seen.push(opt.weightDecay),
        onEpoch: () => after.push(snapshot(net)),
      });
      return { losses, after, seen, opt };
    };
    const plain = run(0, 0);
    const late = run(0.05, 0.001, 2);
    const early = run(0.05, 0.001);
    // epoch 1: bitwise the unregularized run; epoch 2: not
    plain.after[0].forEach((w, i) => expect(sameBits(w, late.after[0][i])).toBe(true));
    expect(sameBits(plain.losses.slice(0, 11), late.losses.slice(0, 11))).toBe(true);
    expect(plain.after[1].some((w, i) => !sameBits(w, late.after[1][i]))).toBe(true);
    expect(plain.after[0].some((w, i) => !sameBits(w, early.after[0][i]))).toBe(true);
    expect(late.seen.slice(0, 11).every((v) => v === 0)).toBe(true);
    expect(late.seen.slice(11).every((v) => v === 0.05)).toBe(true);
    // the optimizer keeps its own values between epochs and afterwards
    expect(late.opt.weightDecay).toBe(0.05);
    expect(late.opt.l1).toBe(0.001);
  });

  test('a NaN injected into a weight stops training at that step, naming the parameter', () => {
    const { net, opt } = setup();
    const losses: number[] = [];
    let err: unknown;
    try {
      trainFFNN(net, data, opt, {
        epochs: 2,
        batchSize: 10,
        seed: 1,
        onStep: (s) => {
          losses.push(s.loss);
          // in U: the js reference's relu maps NaN to 0 (native and torch keep NaN), so a NaN in W1
          // would not reach the loss on js
          if (s.step === 3) net.U.data[5] = NaN;
        },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NonFiniteError);
    const e = err as NonFiniteError;
    expect(e.step).toBe(4);
    expect(e.layer).toBe('U');
    expect(e.message).toMatch(/at step 4 \(epoch 1, batch 4\); parameter U holds non-finite values/);
    expect(losses).toHaveLength(4);
  });

  test('the last update of an epoch making a parameter non-finite is a NonFiniteError, not a returned run', () => {
    // one batch an epoch: its update is the epoch's last, seen by no later loss
    const { net, opt } = setup(1, { lr: 1, momentum: 0, weightDecay: 1e300 });
    const small = argmaxTask(10, 8, 3, 7);
    let err: unknown;
    try {
      trainFFNN(net, small, opt, { epochs: 1, batchSize: 10, seed: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as NonFiniteError).step).toBe(0);
    expect((err as NonFiniteError).message).toMatch(/parameter \w+ holds non-finite values after the update of step 0 \(epoch 1, batch 0\)/);
  });

  test('evaluate on a diverged network is a NonFiniteError naming the parameter or the overflow', () => {
    const { net } = setup();
    net.W[0].data[3] = NaN;
    expect(() => evaluate(net, data)).toThrow(/evaluate: the network's output is not finite on samples 0\.\.102: parameter W1 holds non-finite values/);
    const { net: big } = setup();
    big.U.data.fill(3e38);
    expect(() => evaluate(big, data)).toThrow(NonFiniteError);
    expect(() => evaluate(big, data)).toThrow(/weights are finite, but the output overflowed/);
  });

  test('validation inputs that overflow the network: a NonFiniteError naming the epoch', () => {
    const { net, opt } = setup(1, { lr: 0.01 });
    const x = Tensor.full([4, 8], 3e38);
    const val = new TensorDataset(x, [0, 1, 2, 0]);
    expect(() => trainFFNN(net, data, opt, { epochs: 1, batchSize: 10, seed: 1, validation: val })).toThrow(
      /^trainFFNN: validation after epoch 1 \(step 10\): evaluate: the network's output is not finite/,
    );
  });

  test('an overflowing layer with finite weights is named', () => {
    const { net, opt } = setup();
    const U = net.U.data;
    for (let i = 0; i < U.length; i++) U[i] = 3e38;
    let err: unknown;
    try {
      trainFFNN(net, data, opt, { epochs: 1, batchSize: 10, seed: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as NonFiniteError).step).toBe(0);
    expect((err as NonFiniteError).layer).toBe('U');
    expect((err as Error).message).toMatch(/at step 0 .*the output of layer U overflowed/);
  });

  test('a huge learning rate ends in NonFiniteError with the step and a layer, and the progress bar stopped', () => {
    const { net, opt } = setup(1, { lr: 1e30 });
    const rec = new Recorder(false);
    let err: unknown;
    try {
      trainFFNN(net, data, opt, { epochs: 3, batchSize: 10, seed: 1, verbose: 1, stream: rec });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NonFiniteError);
    const e = err as NonFiniteError;
    expect(e.step).toBeGreaterThanOrEqual(1);
    expect(e.step).toBeLessThan(5);
    expect(['W1', 'b1', 'U', 'c']).toContain(e.layer);
    expect(e.message).toContain(`at step ${e.step} `);
    expect(e.message).toContain(e.layer);
    expect(rec.text).toBe('');
  });

  test('resuming with initialEpoch continues the numbering and the shuffle stream: 2 epochs = 1 + 1', () => {
    const straight = setup(4);
    const a = trainFFNN(straight.net, data, straight.opt, { epochs: 2, batchSize: 16, seed: 9 });
    const split = setup(4);
    const epochs: number[] = [];
    const steps: number[] = [];
    const b1 = trainFFNN(split.net, data, split.opt, { epochs: 1, batchSize: 16, seed: 9 });
    const b2 = trainFFNN(split.net, data, split.opt, {
      epochs: 1,
      initialEpoch: 1,
      batchSize: 16,
      seed: 9,
      onEpoch: (e) => epochs.push(e.epoch),
      onStep: (s) => steps.push(s.step),
    });
    expect(sameBits(a, [...b1, ...b2])).toBe(true);
    snapshot(straight.net).forEach((w, i) => expect(sameBits(w, snapshot(split.net)[i])).toBe(true));
    expect(epochs).toEqual([2]);
    expect(steps[0]).toBe(7);
  });

  test('an AbortSignal stops after the current step and returns the losses so far', () => {
    const { net, opt } = setup();
    const ac = new AbortController();
    const epochsSeen: number[] = [];
    const rec = new Recorder(true);
    const losses = trainFFNN(net, data, opt, {
      epochs: 3,
      batchSize: 10,
      seed: 1,
      signal: ac.signal,
      verbose: 1,
      stream: rec,
      onStep: (s) => {
        if (s.step === 13) ac.abort();
      },
      onEpoch: (e) => epochsSeen.push(e.epoch),
    });
    expect(losses).toHaveLength(14);
    expect(epochsSeen).toEqual([1]);
    expect(losses.every(Number.isFinite)).toBe(true);
    // aborted at the end of an epoch: that epoch's onEpoch and schedule step are skipped
    const ac2 = new AbortController();
    const { net: n2, opt: o2 } = setup();
    const sched = new ExponentialLR(o2, { gamma: 0.5 });
    const l2 = trainFFNN(n2, data, o2, { epochs: 3, batchSize: 10, seed: 1, signal: ac2.signal, schedule: sched, onStep: (s) => s.batch === 10 && ac2.abort() });
    expect(l2).toHaveLength(11);
    expect(o2.lr).toBe(0.1);
    const { net: n3, opt: o3 } = setup();
    expect(trainFFNN(n3, data, o3, { epochs: 3, signal: AbortSignal.abort() })).toEqual([]);
  });

  test('a Sequential trains on CrossEntropyLoss by default (zeroGrad, backward, step per batch)', () => {
    const make = () => new Sequential(new Linear(8, 32, { device, seed: 1 }), new ReLU(), new Linear(32, 3, { device, seed: 2 }));
    const net = make();
    const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, device });
    const losses = trainFFNN(net, data, opt, { epochs: 6, batchSize: 8, seed: 1 });
    const perEpoch = Math.ceil(103 / 8);
    expect(mean(losses.slice(-perEpoch))).toBeLessThan(mean(losses.slice(0, perEpoch)) / 2);
    // the same thing by hand
    const ref = make();
    const refOpt = new SGD(ref.parameters(), { lr: 0.1, momentum: 0.9, device });
    const ce = new CrossEntropyLoss({ device });
    const manual: number[] = [];
    const loader = new DataLoader(data, { batchSize: 8, shuffle: true, seed: 1 });
    for (let e = 0; e < 6; e++) {
      for (const [x, y] of loader) {
        manual.push(ce.forward(ref.forward(x), y));
        ref.zeroGrad();
        ref.backward(ce.backward());
        refOpt.step();
      }
    }
    expect(sameBits(losses, manual)).toBe(true);
  });

  test('a Sequential with a summed MSELoss on one-hot targets and Adam trains; a NaN weight names its module', () => {
    const x = data.x;
    const y = Tensor.oneHot(data.labels as Int32Array, 3);
    const ds = new TensorDataset(x, y);
    const net = new Sequential(new Linear(8, 32, { device, seed: 1 }), 'tanh', new Linear(32, 3, { device, seed: 2 }));
    const opt = new Adam(net.parameters(), { lr: 0.01, device });
    const losses = trainFFNN(net, ds, opt, { epochs: 5, batchSize: 16, seed: 1, loss: new MSELoss({ device, reduction: 'sum' }) });
    expect(losses).toHaveLength(5 * 7);
    expect(mean(losses.slice(-7))).toBeLessThan(mean(losses.slice(0, 7)) / 2);
    const w = (net.at(2) as Linear).weight;
    w.data[0] = Infinity;
    expect(() => trainFFNN(net, ds, opt, { epochs: 1, batchSize: 16, seed: 1, loss: new MSELoss({ device }) })).toThrow(
      /at step 0 .*parameter 2\.weight holds non-finite values/,
    );
  });
});

describe('trainFFNN arguments', () => {
  const net = new FFNN(4, [5], 'relu', 2, { device: 'js', seed: 1 });
  const opt = new SGD(net.parameters(), { lr: 0.1, device: 'js' });
  const ds = new RandomDataset(10, 4, 2, { seed: 1 });

  test.each([
    ['net', () => trainFFNN({} as never, ds, opt), TypeError, /^net: expected an FFNN or another Module, received an object/],
    ['dataset', () => trainFFNN(net, [] as never, opt), TypeError, /^dataset: expected a Dataset/],
    ['empty dataset', () => trainFFNN(net, new RandomDataset(0, 4, 2), opt), RangeError, /^dataset: expected a dataset with at least one sample/],
    ['features', () => trainFFNN(net, new RandomDataset(10, 5, 2, { seed: 1 }), opt), RangeError, /^dataset: expected samples of 4 features/],
    ['optimizer', () => trainFFNN(net, ds, null as never), TypeError, /^optimizer: expected an optimizer/],
    ['options', () => trainFFNN(net, ds, opt, 3 as never), TypeError, /^options: expected an options object/],
    ['unknown option', () => trainFFNN(net, ds, opt, { batch_size: 4 } as never), TypeError, /^options\.batch_size: expected no such option/],
    ['epochs type', () => trainFFNN(net, ds, opt, { epochs: '2' as never }), TypeError, /^options\.epochs: expected an integer, received "2"/],
    ['epochs value', () => trainFFNN(net, ds, opt, { epochs: -1 }), RangeError, /^options\.epochs: expected an integer >= 0, received -1/],
    ['batchSize 0', () => trainFFNN(net, ds, opt, { batchSize: 0 }), RangeError, /^options\.batchSize: expected an integer >= 1, received 0/],
    ['batchSize 2.5', () => trainFFNN(net, ds, opt, { batchSize: 2.5 }), RangeError, /^options\.batchSize: expected an integer/],
    ['device mismatch', () => trainFFNN(net, ds, opt, { device: 'native' }), RangeError, /^options\.device: expected 'cpu' or the network's device 'js'/],
    ['device name', () => trainFFNN(net, ds, opt, { device: 'cuda' as never }), RangeError, /^options\.device: expected one of 'cpu', 'native', 'js', 'wasm', received "cuda"/],
    ['verbose', () => trainFFNN(net, ds, opt, { verbose: 3 as never }), RangeError, /^options\.verbose: expected an integer in \[0, 2\]/],
    ['shuffle', () => trainFFNN(net, ds, opt, { shuffle: 1 as never }), TypeError, /^options\.shuffle: expected a boolean/],
    ['seed', () => trainFFNN(net, ds, opt, { seed: -3 }), RangeError, /^options\.seed: expected an integer >= 0/],
    ['schedule', () => trainFFNN(net, ds, opt, { schedule: {} as never }), TypeError, /^options\.schedule: expected a learning-rate schedule/],
    ['onStep', () => trainFFNN(net, ds, opt, { onStep: 1 as never }), TypeError, /^options\.onStep: expected a function/],
    ['onEpoch', () => trainFFNN(net, ds, opt, { onEpoch: 'x' as never }), TypeError, /^options\.onEpoch: expected a function/],
    ['validation', () => trainFFNN(net, ds, opt, { validation: 5 as never }), TypeError, /^options\.validation: expected a Dataset/],
    ['regularizeFrom', () => trainFFNN(net, ds, opt, { regularizeFrom: 0 }), RangeError, /^options\.regularizeFrom: expected an integer >= 1/],
    ['initialEpoch', () => trainFFNN(net, ds, opt, { initialEpoch: -1 }), RangeError, /^options\.initialEpoch: expected an integer >= 0/],
    ['loss for an FFNN', () => trainFFNN(net, ds, opt, { loss: new MSELoss() }), RangeError, /^options\.loss: expected no loss for an FFNN/],
    ['signal', () => trainFFNN(net, ds, opt, { signal: {} as never }), TypeError, /^options\.signal: expected an AbortSignal/],
  ])('%s', (_name, f, Err, msg) => {
    const before = snapshot(net);
    expect(f).toThrow(Err);
    expect(f).toThrow(msg);
    // nothing was trained
    before.forEach((w, i) => expect(sameBits(w, snapshot(net)[i])).toBe(true));
  });

  test('a Module without a usable loss', () => {
    const seq = new Sequential(new Linear(4, 2, { device: 'js', seed: 1 }));
    const o = new SGD(seq.parameters(), { lr: 0.1, device: 'js' });
    expect(() => trainFFNN(seq, ds, o, { loss: {} as never })).toThrow(/^options\.loss: expected a loss module/);
  });
});

// dropLast with a batch larger than the training samples drops every batch: the run reported a loss of
// 0 each epoch and trained nothing (red-team pass)
test('dropLast with a batch larger than the training set is a RangeError, before any step', () => {
  const net = new FFNN(4, [8], 'relu', 3, { device: 'js', seed: 1 });
  const ds = new RandomDataset(20, 4, 3, { seed: 2 });
  const before = net.parameters().map((p) => Array.from(p.data));
  expect(() => trainFFNN(net, ds, new SGD(net.parameters(), 0.1), { epochs: 2, batchSize: 32, dropLast: true, verbose: 0 })).toThrow(
    'options.batchSize: expected at most 20 (the training samples) with dropLast, which drops a short last batch, received 32',
  );
  expect(() => trainFFNN(net, ds, new SGD(net.parameters(), 0.1), { epochs: 1, batchSize: 20, dropLast: true, validationSplit: 0.25, verbose: 0 })).toThrow(/^options\.batchSize: expected at most 15 \(the training samples\)/);
  expect(net.parameters().map((p) => Array.from(p.data))).toEqual(before);
  expect(trainFFNN(net, ds, new SGD(net.parameters(), 0.1), { epochs: 1, batchSize: 20, dropLast: true, verbose: 0 })).toHaveLength(1);
});

// an optimizer made for another network stepped that one: trainFFNN returned losses and trained
// nothing (red-team pass); a subset of the network's parameters (frozen layers) is still fine
test('an optimizer over parameters that are not the network\'s is a RangeError', () => {
  const ds = new RandomDataset(20, 4, 3, { seed: 2 });
  const net = new FFNN(4, [8], 'relu', 3, { device: 'js', seed: 1 });
  const other = new FFNN(4, [8], 'relu', 3, { device: 'js', seed: 3 });
  expect(() => trainFFNN(net, ds, new SGD(other.parameters(), 0.1), { epochs: 1, verbose: 0 })).toThrow(
    "optimizer: expected an optimizer over the network's parameters (a subset is fine), received one whose params[0] is not a parameter of net",
  );
  const frozen = net.parameters().slice(2);
  const before = net.parameters().slice(0, 2).map((p) => Array.from(p.data));
  trainFFNN(net, ds, new SGD(frozen, 0.1), { epochs: 1, verbose: 0 });
  expect(net.parameters().slice(0, 2).map((p) => Array.from(p.data))).toEqual(before);
});

// a OneCycleLR whose stepsPerEpoch is not the loader's failed at its first step past totalSteps, in
// the middle of the run (red-team pass): refused before any step
test('a OneCycleLR shorter than the run is a RangeError before the first step', async () => {
  const { OneCycleLR } = await import('../../src/optim/lr-scheduler.js');
  const net = new FFNN(4, [8], 'relu', 3, { device: 'js', seed: 1 });
  const ds = new RandomDataset(40, 4, 3, { seed: 2 });
  const opt = new SGD(net.parameters(), 0.1);
  const before = net.parameters().map((p) => Array.from(p.data));
  const short = new OneCycleLR(opt, { maxLr: 0.1, epochs: 2, stepsPerEpoch: 4 });
  expect(() => trainFFNN(net, ds, opt, { epochs: 2, batchSize: 8, schedule: short, verbose: 0 })).toThrow(
    'options.schedule: expected a OneCycleLR with at least 10 steps left (2 epochs of 5 batches), received one with 8 left of its totalSteps 8',
  );
  expect(net.parameters().map((p) => Array.from(p.data))).toEqual(before);
  const opt2 = new SGD(net.parameters(), 0.1);
  const fits = new OneCycleLR(opt2, { maxLr: 0.1, epochs: 2, stepsPerEpoch: 5 });
  expect(trainFFNN(net, ds, opt2, { epochs: 2, batchSize: 8, schedule: fits, verbose: 0 })).toHaveLength(10);
});
