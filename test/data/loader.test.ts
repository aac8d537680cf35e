import { describe, expect, it } from 'vitest';
import { DataLoader } from '../../src/data/index.js';
import type { ContiguousDataset, Dataset } from '../../src/data/index.js';
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
