import { describe, expect, it } from 'vitest';
import { DataLoader, RandomDataset, TensorDataset } from '../../src/data/index.js';
import type { ContiguousDataset, Dataset } from '../../src/data/index.js';
import { Rng } from '../../src/random.js';
import { Tensor } from '../../src/tensor.js';

// a get()-only dataset: sample i has the one feature i and the label labels[i]
function items(labels: readonly unknown[]): Dataset {
  return { length: labels.length, get: (i: number) => [Tensor.from([i]), labels[i]] as [Tensor, number] };
}

// a contiguous dataset over raw labels, bypassing TensorDataset's checks (a user's own rows())
function rowsOnly(labels: Int32Array): ContiguousDataset {
  const N = labels.length;
  const x = new Tensor(Float32Array.from({ length: N }, (_, i) => i), [N, 1]);
  return { length: N, get: (i: number) => [Tensor.from([i]), labels[i]], rows: () => ({ x, y: labels }) };
}

describe('DataLoader options', () => {
  it('refuses an unknown option (a misspelt batchSize was batch size 1)', () => {
    const ds = items([0, 1, 0, 1, 0, 1, 0]);
    expect(() => new DataLoader(ds, { batch_size: 5 } as never)).toThrow(TypeError);
    expect(() => new DataLoader(ds, { batch_size: 5 } as never)).toThrow(
      /^options\.batch_size: expected no such option \(one of batchSize, shuffle, seed, dropLast, stratified, reuseBuffers\), received 5$/,
    );
    expect(() => new DataLoader(ds, { batchSize: 2, suffle: true } as never)).toThrow(/^options\.suffle: /);
    const dl = new DataLoader(ds, { batchSize: 5, shuffle: undefined, seed: 1, dropLast: false, stratified: false });
    expect(dl.length).toBe(2);
  });
});

describe('DataLoader labels', () => {
  // each was an endless round robin (a negative label is in no class queue), or a label silently wrapped
  it('stratified: refuses negative, fractional, too large and non-number labels of a get() dataset', () => {
    const strat = (labels: readonly unknown[]) => () => [...new DataLoader(items(labels), { stratified: true, batchSize: 2 })];
    expect(strat([0, -1, 1])).toThrow(RangeError);
    expect(strat([0, -1, 1])).toThrow(/^dataset\.get\(1\)\[1\]: expected an integer class index >= 0, received -1$/);
    expect(strat([-1, -2])).toThrow(/^dataset\.get\(0\)\[1\]: expected an integer class index >= 0, received -1$/);
    expect(strat([0, 2 ** 31])).toThrow(/^dataset\.get\(1\)\[1\]: expected a class index <= 2147483647 \(an Int32\), received 2147483648$/);
    expect(strat([0, 2 ** 32 + 1])).toThrow(RangeError);
    expect(strat([0, 1.5])).toThrow(/^dataset\.get\(1\)\[1\]: expected an integer class index >= 0, received 1\.5$/);
    expect(strat([0, NaN])).toThrow(/^dataset\.get\(1\)\[1\]: .*received NaN$/);
    expect(strat([0, 'a'])).toThrow(TypeError);
    expect(strat([0, 'a'])).toThrow(/^dataset\.get\(1\)\[1\]: expected an integer class index >= 0, received "a"$/);
    expect(strat([0, null])).toThrow(TypeError);
    expect(strat([Tensor.from([1, 0])])).toThrow(/^options\.stratified: expected a dataset with class-index labels/);
  });

  it('stratified: refuses a negative label in a contiguous dataset', () => {
    const ds = rowsOnly(Int32Array.of(0, -3, 1));
    expect(() => [...new DataLoader(ds, { stratified: true })]).toThrow(/^dataset\.rows\(\)\.y\[1\]: expected an integer class index >= 0, received -3$/);
    expect(() => [...new DataLoader(rowsOnly(Int32Array.of(-1, -1)), { stratified: true })]).toThrow(RangeError);
  });

  it('plain batches refuse a label that would wrap in the Int32Array, and a non-number with a TypeError', () => {
    const all = (labels: readonly unknown[]) => () => [...new DataLoader(items(labels), { batchSize: 2 })];
    expect(all([0, 2 ** 31])).toThrow(/^dataset\.get\(1\)\[1\]: expected a class index <= 2147483647 \(an Int32\), received 2147483648$/);
    expect(all([0, 'a'])).toThrow(TypeError);
    expect(all([0, -1])).toThrow(/^dataset\.get\(1\)\[1\]: expected an integer class index >= 0, received -1$/);
  });
});

// the dense stratified order that DataLoader used before its queues were grouped by label value, kept
// verbatim as the oracle: seeded runs must see the same batches
function denseStratifiedOrder(labels: Int32Array, shuffle: boolean, rng: Rng): Int32Array {
  const N = labels.length;
  const identity = Int32Array.from({ length: N }, (_, i) => i);
  let C = 0;
  for (let i = 0; i < N; i++) if (labels[i] + 1 > C) C = labels[i] + 1;
  const counts = new Int32Array(C);
  for (let i = 0; i < N; i++) counts[labels[i]]++;
  const starts = new Int32Array(C + 1);
  for (let k = 0; k < C; k++) starts[k + 1] = starts[k] + counts[k];
  const byClass = new Int32Array(N);
  const fill = starts.slice(0, C);
  for (let i = 0; i < N; i++) byClass[fill[labels[i]]++] = identity[i];
  const classes = new Int32Array(C);
  for (let k = 0; k < C; k++) classes[k] = k;
  if (shuffle) {
    for (let k = 0; k < C; k++) rng.shuffle(byClass.subarray(starts[k], starts[k + 1]));
    rng.shuffle(classes);
  }
  const out = new Int32Array(N);
  const taken = new Int32Array(C);
  let j = 0;
  while (j < N) {
    for (let c = 0; c < C; c++) {
      const k = classes[c];
      if (taken[k] < counts[k]) out[j++] = byClass[starts[k] + taken[k]++];
    }
  }
  return out;
}

// sample indices in the order one epoch of the loader yields them (feature 0 of sample i is i)
function epochOrder(dl: DataLoader): number[] {
  const out: number[] = [];
  for (const [x] of dl) out.push(...x.data);
  return out;
}

function indexed(labels: Int32Array): TensorDataset {
  const N = labels.length;
  return new TensorDataset(new Tensor(Float64Array.from({ length: N }, (_, i) => i), [N, 1]), labels);
}

describe('DataLoader stratified order', () => {
  const cases: [string, Int32Array][] = [
    ['uniform labels 0..4', (new RandomDataset(203, 1, 5, { seed: 11 }).labels as Int32Array)],
    ['uniform labels 0..9', (new RandomDataset(600, 1, 10, { seed: 12 }).labels as Int32Array)],
    ['sorted, imbalanced', Int32Array.from({ length: 90 }, (_, i) => (i < 70 ? 0 : i < 85 ? 1 : 2))],
    ['one class', new Int32Array(17)],
    ['gaps below the largest label', Int32Array.from({ length: 40 }, (_, i) => [7, 0, 3, 3, 12][i % 5])],
    ['one sample', Int32Array.of(4)],
    ['empty', new Int32Array(0)],
  ];
  for (const [name, labels] of cases) {
    it(`is the dense order, draw for draw, over 3 epochs: ${name}`, () => {
      for (const seed of [1, 2, 99]) {
        for (const shuffle of [false, true]) {
          const ds = indexed(labels);
          for (const d of [ds, { length: ds.length, get: (i: number) => ds.get(i) }]) {
            const dl = new DataLoader(d, { batchSize: 7, stratified: true, shuffle, seed });
            const rng = new Rng(seed);
            for (let epoch = 0; epoch < 3; epoch++) {
              expect(epochOrder(dl)).toEqual([...denseStratifiedOrder(labels, shuffle, rng)]);
            }
          }
        }
      }
    });
  }

  it('costs nothing more for large label values', () => {
    // two samples labelled 5e7 allocated five arrays of 5e7 classes and walked them for every round
    const t0 = performance.now();
    for (const shuffle of [false, true]) {
      const order = epochOrder(new DataLoader(indexed(Int32Array.of(5e7, 0, 5e7)), { stratified: true, shuffle, seed: 3 }));
      expect([...order].sort()).toEqual([0, 1, 2]);
      if (!shuffle) expect(order).toEqual([1, 0, 2]);
    }
    expect(performance.now() - t0).toBeLessThan(2000);
    const top = 2 ** 31 - 1;
    const labels = Int32Array.of(top, 0, 2e8, top, 2e8, top);
    for (const shuffle of [false, true]) {
      const dl = new DataLoader(indexed(labels), { stratified: true, shuffle, seed: 5, batchSize: 3 });
      const batches: number[] = [];
      for (const [, y] of dl) batches.push(new Set(y as Int32Array).size);
      expect(batches).toEqual([3, 2]);
      const order = epochOrder(dl);
      expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      if (!shuffle) expect(order).toEqual([1, 2, 0, 4, 3, 5]);
    }
  });

  it('takes one sample per class per round however unbalanced the classes', () => {
    // 1 class of 5000 beside 300 singletons: rounds after the first hold only the big class
    const labels = Int32Array.from({ length: 5300 }, (_, i) => (i < 5000 ? 300 : i - 5000));
    const order = epochOrder(new DataLoader(indexed(labels), { stratified: true, shuffle: true, seed: 8, batchSize: 64 }));
    const first = order.slice(0, 301).map((i) => labels[i]);
    expect(new Set(first).size).toBe(301);
    for (const i of order.slice(301)) expect(labels[i]).toBe(300);
  });
});

describe('batches are safe to keep', () => {
  it('[...new DataLoader(ds, {batchSize: 4})] holds distinct batches (they were one reused buffer)', async () => {
    const { RandomDataset } = await import('../../src/data/dataset.js');
    const { DataLoader } = await import('../../src/data/loader.js');
    const ds = new RandomDataset(12, 3, 2, { seed: 5 });
    const kept = [...new DataLoader(ds, { batchSize: 4 })];
    expect(kept).toHaveLength(3);
    kept.forEach(([x, y], b) => {
      for (let r = 0; r < 4; r++) {
        const [xi, yi] = ds.get(b * 4 + r);
        expect(Array.from(x.data.subarray(r * 3, r * 3 + 3))).toEqual(Array.from(xi.data));
        expect((y as Int32Array)[r]).toBe(yi);
      }
    });
    expect(kept[0][0]).not.toBe(kept[1][0]);
  });
  it('reuseBuffers: true reuses one buffer (opt-in, as trainFFNN does)', async () => {
    const { RandomDataset } = await import('../../src/data/dataset.js');
    const { DataLoader } = await import('../../src/data/loader.js');
    const kept = [...new DataLoader(new RandomDataset(12, 3, 2, { seed: 5 }), { batchSize: 4, reuseBuffers: true })];
    expect(kept[0][0]).toBe(kept[1][0]);
    expect(() => new DataLoader(new RandomDataset(4, 3, 2), { reuseBuffers: 1 as unknown as boolean })).toThrow(/^options.reuseBuffers: expected a boolean/);
  });
});
