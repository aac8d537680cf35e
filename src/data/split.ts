// Subset and randomSplit, with PyTorch's meaning: views of a dataset by index, a seeded split by
// fractions (summing to 1) or lengths (summing to the length); stratified keeps each class's share
import { Rng, randomSeed } from '../random.js';
import { checkBool, checkInt, checkKeys, checkObject, rangeError, typeError } from '../util/check.js';
import { checkDataset, itemOf, type Dataset } from './dataset.js';
import type { Tensor } from '../tensor.js';

export class Subset implements Dataset {
  readonly dataset: Dataset;
  readonly indices: readonly number[];

  constructor(dataset: Dataset, indices: readonly number[]) {
    this.dataset = checkDataset('dataset', dataset);
    if (!Array.isArray(indices)) throw typeError('indices', 'an array of indices', indices);
    indices.forEach((i, k) => checkInt(`indices[${k}]`, i, 0, dataset.length - 1));
    this.indices = [...indices];
  }

  get length(): number {
    return this.indices.length;
  }

  get(i: number): [Tensor, Tensor | number] {
    checkInt('i', i, 0, this.indices.length - 1);
    return this.dataset.get(this.indices[i]);
  }
}

function shuffled(idx: number[], rng: Rng): number[] {
  for (let i = idx.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}

// lengths from fractions as torch does: floor each, then hand the remainder out one by one
function splitLengths(n: number, lengths: readonly number[]): number[] {
  if (!Array.isArray(lengths) || lengths.length === 0) throw typeError('lengths', 'an array of fractions or lengths', lengths);
  const sum = lengths.reduce((a, b) => a + b, 0);
  if (lengths.every((l) => Number.isInteger(l) && l >= 0) && sum === n) return [...lengths];
  if (lengths.some((l) => typeof l !== 'number' || !(l >= 0 && l <= 1)) || Math.abs(sum - 1) > 1e-9) {
    throw rangeError('lengths', `fractions summing to 1 or lengths summing to ${n}`, lengths);
  }
  const out = lengths.map((f) => Math.floor(n * f));
  let rest = n - out.reduce((a, b) => a + b, 0);
  for (let i = 0; rest > 0; i = (i + 1) % out.length, rest--) out[i]++;
  return out;
}

export function randomSplit(dataset: Dataset, lengths: readonly number[], opts?: { seed?: number; stratified?: boolean }): Subset[] {
  checkDataset('dataset', dataset);
  const o = checkObject('options', opts);
  checkKeys('options', o, ['seed', 'stratified']);
  const seed = o.seed === undefined ? randomSeed() : checkInt('options.seed', o.seed, 0);
  const stratified = o.stratified === undefined ? false : checkBool('options.stratified', o.stratified);
  const n = dataset.length;
  const sizes = splitLengths(n, lengths);
  const rng = new Rng(seed);
  if (!stratified) {
    const idx = shuffled(Array.from({ length: n }, (_, i) => i), rng);
    let at = 0;
    return sizes.map((s) => new Subset(dataset, idx.slice(at, (at += s))));
  }
  // each class's shuffled indices dealt out in proportion; the parts' sizes are those of the plain split
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const y = itemOf(dataset, i)[1];
    if (typeof y !== 'number') throw rangeError('options.stratified', 'a dataset of class indices', y);
    const list = byClass.get(y) ?? [];
    list.push(i);
    byClass.set(y, list);
  }
  const order = [...byClass.keys()].sort((a, b) => a - b).flatMap((c) => shuffled(byClass.get(c) as number[], rng));
  // interleave: position k of the class-sorted order goes to the part whose quota is furthest behind
  const parts: number[][] = sizes.map(() => []);
  order.forEach((i, k) => {
    let best = -1;
    let gap = -Infinity;
    sizes.forEach((s, p) => {
      const g = (s * (k + 1)) / n - parts[p].length;
      if (parts[p].length < s && g > gap) {
        gap = g;
        best = p;
      }
    });
    parts[best].push(i);
  });
  return parts.map((p) => new Subset(dataset, shuffled(p, rng)));
}
