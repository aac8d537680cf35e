import { describe, expect, it } from 'vitest';
import { DataLoader, RandomDataset, Standardizer, TensorDataset } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/index.js';
import { Tensor } from '../../src/tensor.js';

// a dataset with no contiguous storage: the loader must fall back to get(i)
function plain(ds: TensorDataset): Dataset {
  return { length: ds.length, get: (i: number) => ds.get(i) };
}

function rowsOf(x: Tensor): number[][] {
  return x.toArray() as number[][];
}

describe('RandomDataset', () => {
  it('is reproducible from its seed, Gaussian features, labels in [0, C)', () => {
    const a = new RandomDataset(2000, 5, 3, { seed: 7 });
    const b = new RandomDataset(2000, 5, 3, { seed: 7 });
    const c = new RandomDataset(2000, 5, 3, { seed: 8 });
    expect(a.length).toBe(2000);
    expect(a.x.data).toEqual(b.x.data);
    expect(a.labels).toEqual(b.labels);
    expect(a.x.data).not.toEqual(c.x.data);
    const d = [...a.x.data];
    const mean = d.reduce((s, v) => s + v, 0) / d.length;
    const varc = d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(varc - 1)).toBeLessThan(0.1);
    const counts = [0, 0, 0];
    for (const k of a.labels as Int32Array) counts[k]++;
    for (const n of counts) expect(n).toBeGreaterThan(550);
    const [x, y] = a.get(3);
    expect(x.shape).toEqual([5]);
    expect(y).toBe(a.labels![3]);
    expect(a.numClasses).toBe(3);
  });

  it('honours dtype and validates its arguments', () => {
    expect(new RandomDataset(4, 2, 2, { seed: 1, dtype: 'float64' }).x.dtype).toBe('float64');
    expect(() => new RandomDataset(-1, 2, 2)).toThrow(RangeError);
    expect(() => new RandomDataset(1.5, 2, 2)).toThrow(/N: expected an integer, received 1.5/);
    expect(() => new RandomDataset(4, '2' as unknown as number, 2)).toThrow(TypeError);
    expect(() => new RandomDataset(4, 2, 0)).toThrow(/C: expected an integer >= 1, received 0/);
    expect(() => new RandomDataset(4, 2, 2, { dtype: 'int8' as never })).toThrow(/options.dtype/);
    expect(() => new RandomDataset(4, 2, 2).get(4)).toThrow(/i: expected an integer in \[0, 3\], received 4/);
    // a misspelt option was ignored (a random seed, float32)
    expect(() => new RandomDataset(4, 2, 2, { sed: 1 } as never)).toThrow(TypeError);
    expect(() => new RandomDataset(4, 2, 2, { seed: 1, dtyp: 'float64' } as never)).toThrow(
      /^options\.dtyp: expected no such option \(one of seed, dtype\), received "float64"$/,
    );
  });
});

describe('TensorDataset', () => {
  it('takes labels as Int32Array or number[], targets as a Tensor', () => {
    const x = Tensor.from([[1, 2], [3, 4], [5, 6]]);
    expect(new TensorDataset(x, [0, 1, 0]).get(1)[1]).toBe(1);
    expect(new TensorDataset(x, Int32Array.of(2, 1, 0)).get(0)[1]).toBe(2);
    const t = new TensorDataset(x, Tensor.from([[1, 0], [0, 1], [1, 1]]));
    expect((t.get(2)[1] as Tensor).toArray()).toEqual([1, 1]);
    expect(rowsOf(t.get(2)[0].reshape([1, 2]))).toEqual([[5, 6]]);
  });

  it('rejects mismatched or malformed inputs', () => {
    const x = Tensor.from([[1, 2], [3, 4]]);
    expect(() => new TensorDataset(Tensor.from([1, 2]), [0, 1])).toThrow(/x: expected a Tensor of shape \[N, F\]/);
    expect(() => new TensorDataset(x, [0])).toThrow(/y: expected 2 labels/);
    expect(() => new TensorDataset(x, [0, -1])).toThrow(/y\[1\]/);
    expect(() => new TensorDataset(x, [0, 0.5])).toThrow(RangeError);
    expect(() => new TensorDataset(x, 'ab' as never)).toThrow(TypeError);
    expect(() => new TensorDataset([[1]] as never, [0])).toThrow(TypeError);
  });
});

describe('DataLoader', () => {
  const ds = new RandomDataset(10, 3, 4, { seed: 1 });

  it('yields (B, F) and (B) batches in order without shuffle, last batch smaller', () => {
    const dl = new DataLoader(ds, { batchSize: 4 });
    expect(dl.length).toBe(3);
    const sizes: number[] = [];
    const xs: number[] = [];
    const ys: number[] = [];
    for (const [x, y] of dl) {
      expect(x.shape[1]).toBe(3);
      expect(y).toBeInstanceOf(Int32Array);
      sizes.push(x.shape[0]);
      xs.push(...x.data);
      ys.push(...(y as Int32Array));
    }
    expect(sizes).toEqual([4, 4, 2]);
    expect(xs).toEqual([...ds.x.data]);
    expect(ys).toEqual([...ds.labels!]);
    expect(new DataLoader(ds, { batchSize: 4, dropLast: true }).length).toBe(2);
    expect([...new DataLoader(ds, { batchSize: 4, dropLast: true })].length).toBe(2);
  });

  it('with reuseBuffers it reuses its buffers; the last, smaller batch has its own', () => {
    const dl = new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 3, reuseBuffers: true });
    const seen: Tensor[] = [];
    for (const [x] of dl) seen.push(x);
    for (const [x] of dl) seen.push(x);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]).toBe(seen[3]);
    expect(seen[2]).not.toBe(seen[0]);
    expect(seen[2]).toBe(seen[5]);
    expect(seen[2].shape).toEqual([2, 3]);
  });

  it('shuffles reproducibly, with a new order each epoch, covering every sample once', () => {
    const orders = (seed: number): number[][] => {
      const dl = new DataLoader(ds, { batchSize: 3, shuffle: true, seed });
      const out: number[][] = [];
      for (let e = 0; e < 3; e++) {
        const ys: number[] = [];
        for (const [x] of dl) for (const row of rowsOf(x)) ys.push(ds.x.data.indexOf(row[0]) / 3);
        out.push(ys);
      }
      return out;
    };
    const a = orders(5);
    expect(a).toEqual(orders(5));
    expect(a[0]).not.toEqual(a[1]);
    expect(a[0]).not.toEqual(orders(6)[0]);
    for (const ep of a) expect([...ep].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('builds the same batches from get(i) as from contiguous rows', () => {
    const fast = new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 9 });
    const slow = new DataLoader(plain(ds), { batchSize: 4, shuffle: true, seed: 9 });
    // copy inside the loop: a batch is valid only until the next one
    const flat = (dl: DataLoader): number[][] => {
      const out: number[][] = [];
      for (const [x, y] of dl) out.push([...x.data, ...(y as Int32Array)]);
      return out;
    };
    for (let epoch = 0; epoch < 2; epoch++) expect(flat(fast)).toEqual(flat(slow));
  });

  it('batches tensor targets as (B, K)', () => {
    const x = Tensor.from([[1], [2], [3]]);
    const y = Tensor.from([[1, 0], [0, 1], [1, 1]], { dtype: 'float64' });
    for (const d of [new TensorDataset(x, y), plain(new TensorDataset(x, y))]) {
      const batches: unknown[] = [];
      for (const [bx, by] of new DataLoader(d, { batchSize: 2 })) batches.push([bx.toArray(), (by as Tensor).toArray()]);
      expect(batches).toEqual([
        [[[1], [2]], [[1, 0], [0, 1]]],
        [[[3]], [[1, 1]]],
      ]);
    }
  });

  it('stratified batches hold several classes', () => {
    // sorted labels: a plain batch of 8 would hold one class
    const N = 64;
    const labels = Int32Array.from({ length: N }, (_, i) => Math.floor(i / 16));
    const x = new Tensor(Float32Array.from({ length: N }, (_, i) => i), [N, 1]);
    const sorted = new TensorDataset(x, labels);
    for (const shuffle of [false, true]) {
      const dl = new DataLoader(sorted, { batchSize: 8, stratified: true, shuffle, seed: 2 });
      const all: number[] = [];
      for (const [bx, by] of dl) {
        expect(new Set(by as Int32Array).size).toBe(4);
        for (let r = 0; r < bx.shape[0]; r++) expect(labels[bx.data[r]]).toBe((by as Int32Array)[r]);
        all.push(...bx.data);
      }
      expect(all.sort((a, b) => a - b)).toEqual([...x.data]);
    }
    const plainDl = new DataLoader(plain(sorted), { batchSize: 8, stratified: true, seed: 2 });
    for (const [, by] of plainDl) expect(new Set(by as Int32Array).size).toBe(4);
  });

  it('validates its arguments', () => {
    expect(() => new DataLoader({} as never)).toThrow(/dataset: expected a Dataset/);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(/options.batchSize: expected an integer >= 1, received 0/);
    expect(() => new DataLoader(ds, { shuffle: 1 as never })).toThrow(TypeError);
    expect(() => new DataLoader(ds, { seed: -1 })).toThrow(RangeError);
    const t = new TensorDataset(Tensor.from([[1], [2]]), Tensor.from([[1], [2]]));
    expect(() => [...new DataLoader(t, { stratified: true })]).toThrow(/options.stratified: expected a dataset with class-index labels/);
  });
});

describe('Standardizer', () => {
  it('fits per-feature mean/std on the training set and applies them to another', () => {
    const train = Tensor.from([[1, 10, 5], [3, 30, 5]], { dtype: 'float64' });
    const s = new Standardizer().fit(train);
    expect([...s.mean!]).toEqual([2, 20, 5]);
    expect([...s.std!]).toEqual([1, 10, 1]);
    expect(s.transform(train).toArray()).toEqual([[-1, -1, 0], [1, 1, 0]]);
    expect(s.transform(Tensor.from([[2, 40, 5]], { dtype: 'float64' })).toArray()).toEqual([[0, 2, 0]]);
    // a constant feature is only centered: a different value in another set stays moderate
    expect(s.transform(Tensor.from([[2, 20, 5.5]], { dtype: 'float64' })).toArray()).toEqual([[0, 0, 0.5]]);
  });

  it('scalar mode uses one mean/std; mnist() is torchvision Normalize', () => {
    const x = Tensor.from([[0, 2], [4, 6]], { dtype: 'float64' });
    const s = new Standardizer({ mode: 'scalar' }).fit(x);
    expect([...s.mean!]).toEqual([3]);
    expect(s.std![0]).toBeCloseTo(Math.sqrt(5), 12);
    const m = Standardizer.mnist().transform(Tensor.from([[0, 1]], { dtype: 'float64' })).toArray() as number[][];
    expect(m[0][0]).toBeCloseTo(-0.1307 / 0.3081, 12);
    expect(m[0][1]).toBeCloseTo((1 - 0.1307) / 0.3081, 12);
  });

  it('transforms datasets, keeping the labels', () => {
    const ds = new RandomDataset(100, 4, 3, { seed: 4 });
    const out = new Standardizer().fitTransform(ds);
    expect(out.labels).toEqual(ds.labels);
    const s2 = new Standardizer().fit(out);
    for (const m of s2.mean!) expect(Math.abs(m)).toBeLessThan(1e-6);
    for (const v of s2.std!) expect(v).toBeCloseTo(1, 5);
    const viaGet = new Standardizer().fitTransform(plain(ds));
    expect(viaGet.x.data).toEqual(out.x.data);
  });

  it('validates', () => {
    expect(() => new Standardizer().transform(Tensor.from([[1]]))).toThrow(/fit\(\) first/);
    expect(() => new Standardizer({ mode: 'x' as never })).toThrow(/options.mode/);
    expect(() => new Standardizer({ mean: 1 })).toThrow(/options.std/);
    expect(() => new Standardizer({ mean: 1, std: 0 })).toThrow(/options.std: expected a number > 0/);
    const s = new Standardizer().fit(Tensor.from([[1, 2]]));
    expect(() => s.transform(Tensor.from([[1, 2, 3]]))).toThrow(/data: expected 2 features/);
    expect(() => s.fit(Tensor.from([1, 2]))).toThrow(RangeError);
    // a misspelt option was ignored (feature mode, minStd 1e-6)
    expect(() => new Standardizer({ mode: 'scalar', min_std: 1 } as never)).toThrow(TypeError);
    expect(() => new Standardizer({ mode: 'scalar', min_std: 1 } as never)).toThrow(
      /^options\.min_std: expected no such option \(one of mode, minStd, mean, std\), received 1$/,
    );
    expect(() => new Standardizer({ Mode: 'scalar' } as never)).toThrow(/^options\.Mode: /);
  });

  it('transform refuses NaN and Inf as fit does, naming the element', () => {
    const fitted = new Standardizer().fit(Tensor.from([[0, 0], [1, 2]], { dtype: 'float64' }));
    const scalar = new Standardizer({ mode: 'scalar' }).fit(Tensor.from([[0, 0], [1, 2]]));
    for (const s of [fitted, scalar, Standardizer.mnist()]) {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const [bad, shown] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
          const x = Tensor.from([[1, 2], [3, 4], [5, 6]], { dtype });
          x.data[3] = bad;
          const msg = new RegExp(`^data: expected finite values, received ${shown} at \\[1, 1\\]$`);
          expect(() => s.transform(x)).toThrow(RangeError);
          expect(() => s.transform(x)).toThrow(msg);
          expect(() => s.transform(new TensorDataset(x, [0, 1, 0]))).toThrow(msg);
          expect(() => s.transform(plain(new TensorDataset(x, [0, 1, 0])))).toThrow(msg);
        }
      }
    }
    // the largest finite values pass
    expect(fitted.transform(Tensor.from([[Number.MAX_VALUE, -Number.MAX_VALUE]], { dtype: 'float64' })).shape).toEqual([1, 2]);
  });

  // get()-only datasets: their labels were written into an Int32Array unchecked
  it('checks the labels and targets of a get() dataset', () => {
    const items = (ys: readonly unknown[]): Dataset => ({
      length: ys.length,
      get: (i: number) => [Tensor.from([i, 2 * i], { dtype: 'float64' }), ys[i]] as [Tensor, number],
    });
    const s = new Standardizer().fit(Tensor.from([[0, 0], [1, 2]], { dtype: 'float64' }));
    const tf = (ys: readonly unknown[]) => () => s.transform(items(ys));
    // these were the labels [0, 0, 2, 0]
    expect(tf([0, 'a', 2.7, null])).toThrow(TypeError);
    expect(tf([0, 'a', 2.7, null])).toThrow(/^data\.get\(1\)\[1\]: expected an integer class index >= 0, received "a"$/);
    expect(tf([0, 1, 2.7, null])).toThrow(/^data\.get\(2\)\[1\]: expected an integer class index >= 0, received 2\.7$/);
    expect(tf([0, 1, 2, null])).toThrow(/^data\.get\(3\)\[1\]: expected an integer class index >= 0, received null$/);
    expect(tf([0, -1])).toThrow(RangeError);
    expect(tf([0, NaN])).toThrow(RangeError);
    expect(tf([0, 2 ** 31])).toThrow(/^data\.get\(1\)\[1\]: expected a class index <= 2147483647 \(an Int32\), received 2147483648$/);
    // a Tensor among class indices was label 0
    expect(tf([0, Tensor.from([1, 0])])).toThrow(/^data\.get\(1\)\[1\]: expected an integer class index >= 0, received a Tensor of shape \[2\]$/);
    // a first label neither a number nor a Tensor was "shape[1]: expected a non-negative integer"
    expect(tf(['a', 0])).toThrow(TypeError);
    expect(tf(['a', 0])).toThrow(/^data\.get\(0\)\[1\]: expected a class index or a Tensor of targets, received "a"$/);
    expect(tf([undefined])).toThrow(/^data\.get\(0\)\[1\]: .*received undefined$/);
    // tensor targets: every one a Tensor of the first one's size
    const t2 = Tensor.from([1, 0], { dtype: 'float64' });
    expect(tf([t2, Tensor.from([1, 0, 0])])).toThrow(RangeError);
    expect(tf([t2, Tensor.from([1, 0, 0])])).toThrow(/^data\.get\(1\)\[1\]: expected a Tensor of 2 targets \(as data\.get\(0\)\[1\]\), received a Tensor of shape \[3\]$/);
    expect(tf([t2, 1])).toThrow(TypeError);
    expect(tf([t2, 1])).toThrow(/^data\.get\(1\)\[1\]: expected a Tensor of 2 targets/);
    // items that are not [x, y] pairs, or whose x is not a Tensor
    const junk = { length: 2, get: () => 5 } as unknown as Dataset;
    expect(() => s.transform(junk)).toThrow(/^data\.get\(0\): expected an \[x, y\] pair, received 5$/);
    expect(() => s.fit({ length: 1, get: () => [[1, 2], 0] } as unknown as Dataset)).toThrow(/^data\.get\(0\)\[0\]: expected a Tensor of features, received an array of length 2$/);
    // good labels and targets come through
    expect([...s.transform(items([2, 0, 1])).labels!]).toEqual([2, 0, 1]);
    expect(s.transform(items([t2, Tensor.from([0, 1], { dtype: 'float64' })])).targets!.toArray()).toEqual([[1, 0], [0, 1]]);
  });
});
