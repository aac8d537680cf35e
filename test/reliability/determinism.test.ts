// determinism: a seed fixes every bit of a run, whatever the thread count, and a run stopped and
// resumed from a checkpoint is the run that never stopped. bitwise: losses compared with Object.is,
// weights and optimizer buffers element by element.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RandomDataset } from '../../src/data/dataset.js';
import { getNumThreads, setNumThreads } from '../../src/backend.js';
import type { Device } from '../../src/kernels/index.js';
import { FFNN } from '../../src/nn/ffnn.js';
import { StepLR } from '../../src/optim/lr-scheduler.js';
import { SGD } from '../../src/optim/sgd.js';
import { loadModel, saveModel } from '../../src/train/checkpoint.js';
import { trainFFNN, type TrainOptions } from '../../src/train/train.js';
import { Rng } from '../../src/random.js';

const skipNative = process.env.FFNN_SKIP_NATIVE === '1';
const devices: Device[] = skipNative ? ['js'] : ['js', 'native'];
const dir = mkdtempSync(join(tmpdir(), 'ffnn-determinism-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// index of the first element whose bits differ, or -1
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function expectSameBits(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  const i = firstDiff(a, b);
  expect(i, `${what}: first differing element ${i} (${a[i]} vs ${b[i]}), lengths ${a.length} and ${b.length}`).toBe(-1);
}

function expectSameModel(a: { net: FFNN; opt: SGD }, b: { net: FFNN; opt: SGD }): void {
  const pb = b.net.namedParameters();
  a.net.namedParameters().forEach(([name, p], i) => expectSameBits(name, p.data, pb[i][1].data));
  const sa = a.opt.stateDict();
  const sb = b.opt.stateDict();
  expect(Object.keys(sa.state)).toEqual(Object.keys(sb.state));
  for (const k of Object.keys(sa.state)) expectSameBits(`momentum ${k}`, sa.state[k].momentumBuffer!.data, sb.state[k].momentumBuffer!.data);
  expect(Object.is(a.opt.lr, b.opt.lr)).toBe(true);
}

interface Run {
  net: FFNN;
  opt: SGD;
  sched: StepLR;
}

function makeRun(device: Device, F: number, hidden: number[], C: number): Run {
  const net = new FFNN(F, hidden, 'relu', C, { device, seed: 11 });
  const opt = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9, device });
  return { net, opt, sched: new StepLR(opt, { stepSize: 2, gamma: 0.5 }) };
}

describe('seeds', () => {
  const draws = (seed: number): number[] => {
    const r = new Rng(seed);
    return Array.from({ length: 4 }, () => r.nextU32());
  };
  it('seeds that differ only above 2^32 give their own streams (seed 2^32 + 0x9e3779b9 was seed 0\'s)', () => {
    const seen = new Map<string, number>();
    for (const seed of [0, 1, 2 ** 32, 2 ** 32 + 0x9e3779b9, 2 ** 33 + 1, 2 ** 53 - 2, 0x9e3779b9, 2 ** 52 + 0x9e3779b9]) {
      const key = draws(seed).join(',');
      expect(seen.get(key), `seed ${seed}`).toBeUndefined();
      seen.set(key, seed);
    }
  });
  it('a seed below 2^32 keeps the stream it has always had (every seeded result depends on it)', () => {
    expect(draws(0)[0]).toBe(3809008728);
    expect(draws(12345)[0]).toBe(518667457);
  });
});

describe('same seed, same bits', () => {
  for (const device of devices) {
    it(`two runs on ${device} (float32, SGD momentum, shuffled batches, StepLR) agree in every bit`, () => {
      const ds = new RandomDataset(600, 24, 5, { seed: 3 });
      const opts: TrainOptions = { epochs: 4, batchSize: 8, seed: 42, shuffle: true };
      const a = makeRun(device, 24, [32, 16], 5);
      const b = makeRun(device, 24, [32, 16], 5);
      const la = trainFFNN(a.net, ds, a.opt, { ...opts, schedule: a.sched });
      const lb = trainFFNN(b.net, ds, b.opt, { ...opts, schedule: b.sched });
      expect(la.length).toBe(300);
      expectSameBits('losses', la, lb);
      expectSameModel(a, b);
      // and the run did something: the shuffle and the steps changed the weights and the loss
      expect(la[la.length - 1]).toBeLessThan(la[0]);
    });
  }
});

// the same native training (784 inputs, 10 classes) on 1 and then 2 threads; the thread count is
// restored after
function onOneThenTwoThreads(ds: RandomDataset, hidden: number[], opts: TrainOptions): { losses: number[]; run: Run }[] {
  const saved = getNumThreads();
  const runs: { losses: number[]; run: Run }[] = [];
  try {
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      expect(getNumThreads()).toBe(threads);
      const run = makeRun('native', 784, hidden, 10);
      runs.push({ losses: trainFFNN(run.net, ds, run.opt, { ...opts, schedule: run.sched }), run });
    }
  } finally {
    setNumThreads(saved);
  }
  return runs;
}

describe.skipIf(skipNative)('thread count', () => {
  it('1 and 2 native threads give the same bits on shapes the kernels split (batch 256, 784-512-256-10)', () => {
    // every gemm here is >= 256 x 10 x 256 = 2^19.3 multiply-adds, above GEMM_PARALLEL_MIN_MACS
    // (2^19, native/kernels/blocking.h), and every activation block of 256 x 256 is above
    // ACT_PARALLEL_MIN (2^15): the work is split whenever threads > 1
    const ds = new RandomDataset(768, 784, 10, { seed: 5 });
    const runs = onOneThenTwoThreads(ds, [512, 256], { epochs: 2, batchSize: 256, seed: 9 });
    expect(runs[0].losses.length).toBe(6);
    expectSameBits('losses', runs[0].losses, runs[1].losses);
    expectSameModel(runs[0].run, runs[1].run);
  });
});

describe.skipIf(skipNative)('thread count, layers split by weight rows', () => {
  // a fused step gives each thread a run of whole K blocks of a layer's weights (forward partial
  // products added in block order, grad_w and the update by the same rows) when the layer has
  // >= 2^14 weights and B x OUT <= 2^15 (OWNED_* in native/kernels/blocking.h): 784 x 256 at batch
  // 1, 16 and 64 (784 = two K blocks of 392); 256 x 128 is one K block (the caller alone). a
  // hidden 1024 x 256 layer at batch 16 is two K blocks too: its grad_x = gz w^T splits its columns
  // by the same weight rows
  const cases: [number[], number][] = [[[256, 128], 1], [[256, 128], 16], [[256, 128], 64], [[1024, 256], 16]];
  for (const [hidden, batchSize] of cases) {
    it(`1 and 2 native threads give the same bits: 784-${hidden.join('-')}-10 at batch ${batchSize}`, () => {
      const ds = new RandomDataset(batchSize * 6, 784, 10, { seed: 8 });
      const runs = onOneThenTwoThreads(ds, hidden, { epochs: 2, batchSize, seed: 4 });
      expect(runs[0].losses.length).toBe(12);
      expectSameBits('losses', runs[0].losses, runs[1].losses);
      expectSameModel(runs[0].run, runs[1].run);
      expect(runs[0].losses[11]).not.toBe(runs[0].losses[0]);
    });
  }
});

describe('stop, checkpoint, resume', () => {
  for (const device of devices) {
    for (const shuffle of [false, true]) {
      const name = `${device}, ${shuffle ? 'shuffled' : 'in order'}: 2 epochs, saveModel, loadModel into a fresh net, 2 more = 4 straight, every bit`;
      it(name, () => {
        const ds = new RandomDataset(240, 16, 4, { seed: 6 });
        const opts: TrainOptions = { batchSize: 8, seed: 21, shuffle };
        const straight = makeRun(device, 16, [24, 12], 4);
        const all = trainFFNN(straight.net, ds, straight.opt, { ...opts, epochs: 4, schedule: straight.sched });

        const first = makeRun(device, 16, [24, 12], 4);
        const head = trainFFNN(first.net, ds, first.opt, { ...opts, epochs: 2, schedule: first.sched });
        const file = join(dir, `resume-${device}-${shuffle}.safetensors`);
        saveModel(file, first.net, { optimizer: first.opt, schedule: first.sched, progress: { epochs: 2 } });

        const loaded = loadModel(file, { device });
        const opt = new SGD(loaded.net.parameters(), { lr: 1, device });
        opt.loadStateDict(loaded.optimizerState!);
        const sched = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
        sched.loadStateDict(loaded.scheduleState!);
        // trainFFNN draws the shuffle orders of the epochs already done, so the batches continue
        const tail = trainFFNN(loaded.net, ds, opt, { ...opts, epochs: 2, initialEpoch: Number(loaded.progress!.epochs), schedule: sched });

        expect(all.length).toBe(120);
        expectSameBits('losses', all, [...head, ...tail]);
        expectSameModel(straight, { net: loaded.net as FFNN, opt });
        expect(sched.epoch).toBe(straight.sched.epoch);
      });
    }
  }
});
