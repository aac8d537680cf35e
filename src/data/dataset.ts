// datasets: a length and an item getter, plus contiguous storage (`rows()`) that lets the
// DataLoader build a batch with typed-array copies instead of one get(i) per sample.
import { Rng, randomSeed } from '../random.js';
import { DTYPES, Tensor, arrayCtor } from '../tensor.js';
import type { DType } from '../tensor.js';
import { checkInt, checkKeys, checkObject, checkOneOf, rangeError, typeError } from '../util/check.js';
import { checkTensor } from '../nn/validate.js';

// x is (F), y is a class index or a (K) target
export interface Dataset {
  readonly length: number;
  get(i: number): [Tensor, Tensor | number];
}

// the whole dataset as two row-major blocks: x is (N, F), y is (N) class indices or (N, K) targets
export interface DatasetRows {
  x: Tensor;
  y: Int32Array | Tensor;
}

// a dataset that can hand out its storage without copying
export interface ContiguousDataset extends Dataset {
  rows(): DatasetRows;
}

export function isContiguous(ds: unknown): ds is ContiguousDataset {
  return ds !== null && typeof ds === 'object' && typeof (ds as { rows?: unknown }).rows === 'function';
}

export function checkDataset(name: string, ds: unknown): Dataset {
  if (ds === null || typeof ds !== 'object' || typeof (ds as { get?: unknown }).get !== 'function') {
    throw typeError(name, 'a Dataset (an object with length and get(i))', ds);
  }
  const n = (ds as { length?: unknown }).length;
  if (typeof n !== 'number') throw typeError(`${name}.length`, 'a non-negative integer', n);
  checkInt(`${name}.length`, n, 0);
  return ds as Dataset;
}

// a class index read from a user's dataset; labels are kept in Int32Arrays, where one above 2^31 - 1
// would wrap to a negative index
export function checkClassIndex(name: string, v: unknown): number {
  if (typeof v !== 'number') throw typeError(name, 'an integer class index >= 0', v);
  if (!Number.isInteger(v) || v < 0) throw rangeError(name, 'an integer class index >= 0', v);
  if (v > 0x7fffffff) throw rangeError(name, 'a class index <= 2147483647 (an Int32)', v);
  return v;
}

// a user dataset's item, checked to be a pair before it is destructured; `name` is the dataset's
export function itemOf(ds: Dataset, i: number, name = 'dataset'): [unknown, unknown] {
  const item: unknown = ds.get(i);
  if (!Array.isArray(item) || item.length !== 2) throw typeError(`${name}.get(${i})`, 'an [x, y] pair', item);
  return item as [unknown, unknown];
}

// the items of a get()-only dataset of at least one sample gathered into rows, each checked: x (N, F)
// of the first item's size and dtype; y class indices or (N, K) targets as the first item's label
// says (null without targets: its labels are then neither read nor checked)
export function gatherRows(name: string, ds: Dataset, targets = true): { x: Tensor; y: Int32Array | Tensor | null } {
  const N = ds.length;
  const [x0, y0] = itemOf(ds, 0, name);
  if (!(x0 instanceof Tensor)) throw typeError(`${name}.get(0)[0]`, 'a Tensor of features', x0);
  if (targets && !(y0 instanceof Tensor) && typeof y0 !== 'number') {
    throw typeError(`${name}.get(0)[1]`, 'a class index or a Tensor of targets', y0);
  }
  const F = x0.size;
  const x = Tensor.zeros([N, F], { dtype: x0.dtype });
  const K = y0 instanceof Tensor ? y0.size : 0;
  const t = targets && y0 instanceof Tensor ? Tensor.zeros([N, K], { dtype: y0.dtype }) : null;
  const labels = targets && t === null ? new Int32Array(N) : null;
  for (let i = 0; i < N; i++) {
    const [xi, yi] = itemOf(ds, i, name);
    if (!(xi instanceof Tensor) || xi.size !== F) throw rangeError(`${name}.get(${i})[0]`, `a Tensor of ${F} features`, xi);
    x.data.set(checkTensor(`${name}.get(${i})[0]`, xi).data, i * F);
    // an Int32Array would silently truncate or wrap a label: each one is checked
    if (labels !== null) labels[i] = checkClassIndex(`${name}.get(${i})[1]`, yi);
    if (t !== null) {
      if (!(yi instanceof Tensor)) throw typeError(`${name}.get(${i})[1]`, `a Tensor of ${K} targets (as ${name}.get(0)[1])`, yi);
      if (yi.size !== K) throw rangeError(`${name}.get(${i})[1]`, `a Tensor of ${K} targets (as ${name}.get(0)[1])`, yi);
      t.data.set(checkTensor(`${name}.get(${i})[1]`, yi).data, i * K);
    }
  }
  return { x, y: labels ?? t };
}

function checkIndex(i: unknown, n: number): number {
  if (typeof i !== 'number') throw typeError('i', 'an integer index', i);
  if (!Number.isInteger(i) || i < 0 || i >= n) throw rangeError('i', `an integer in [0, ${n - 1}]`, i);
  return i;
}

// x is (N, F); y is (N) class indices, or a tensor (N, ...) of targets flattened to (N, K)
export class TensorDataset implements ContiguousDataset {
  readonly x: Tensor;
  // class indices, or null when the targets are a tensor
  readonly labels: Int32Array | null;
  // (N, K) targets, or null when the targets are class indices
  readonly targets: Tensor | null;
  readonly length: number;
  readonly features: number;

  constructor(x: Tensor, y: Tensor | Int32Array | readonly number[]) {
    if (!(x instanceof Tensor)) throw typeError('x', 'a Tensor of shape [N, F]', x);
    if (x.ndim !== 2) throw rangeError('x', 'a Tensor of shape [N, F]', x);
    const N = x.shape[0];
    this.x = x;
    this.length = N;
    this.features = x.shape[1];
    if (y instanceof Tensor) {
      if (y.ndim < 1 || y.shape[0] !== N) throw rangeError('y', `a Tensor of shape [${N}, ...]`, y);
      const K = N === 0 ? y.shape.slice(1).reduce((a, b) => a * b, 1) : y.size / N;
      this.targets = y.reshape([N, K]);
      this.labels = null;
    } else if (y instanceof Int32Array || Array.isArray(y)) {
      if (y.length !== N) throw rangeError('y', `${N} labels (one per row of x)`, y);
      const labels = new Int32Array(N);
      for (let i = 0; i < N; i++) {
        const k = y[i];
        if (typeof k !== 'number') throw typeError(`y[${i}]`, 'an integer class index >= 0', k);
        if (!Number.isInteger(k) || k < 0 || k > 0x7fffffff) throw rangeError(`y[${i}]`, 'an integer class index >= 0', k);
        labels[i] = k;
      }
      this.labels = labels;
      this.targets = null;
    } else {
      throw typeError('y', 'a Tensor of targets, an Int32Array or a number[] of labels', y);
    }
  }

  // x is a view of row i (not a copy); y is the label, or a view of the target row
  get(i: number): [Tensor, Tensor | number] {
    checkIndex(i, this.length);
    const F = this.features;
    const xi = new Tensor(this.x.data.subarray(i * F, (i + 1) * F), [F]);
    if (this.labels !== null) return [xi, this.labels[i]];
    const t = this.targets as Tensor;
    const K = t.shape[1];
    return [xi, new Tensor(t.data.subarray(i * K, (i + 1) * K), [K])];
  }

  rows(): DatasetRows {
    return { x: this.x, y: this.labels ?? (this.targets as Tensor) };
  }

  // number of classes: the largest label + 1 (0 when there are no labels)
  get numClasses(): number {
    if (this.labels === null) return 0;
    let m = -1;
    for (let i = 0; i < this.labels.length; i++) if (this.labels[i] > m) m = this.labels[i];
    return m + 1;
  }
}

export interface RandomDatasetOptions {
  seed?: number;
  dtype?: DType;
}

// N samples of F standard-normal features and a uniform label in [0, C); features are drawn first,
// row by row, then the labels, all from one Rng(seed)
export class RandomDataset extends TensorDataset {
  readonly classes: number;
  readonly seed: number;

  constructor(N: number, F: number, C: number, opts?: RandomDatasetOptions) {
    checkInt('N', N, 0);
    checkInt('F', F, 1);
    checkInt('C', C, 1);
    const o = checkObject('options', opts);
    checkKeys('options', o, ['seed', 'dtype']);
    const seed = o.seed === undefined ? randomSeed() : checkInt('options.seed', o.seed, 0);
    const dtype = o.dtype === undefined ? 'float32' : checkOneOf('options.dtype', o.dtype, DTYPES);
    if (N * F > 2 ** 31 - 1) throw rangeError('N * F', `at most ${2 ** 31 - 1} elements`, N * F);
    const rng = new Rng(seed);
    const x = new (arrayCtor(dtype))(N * F);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    const labels = new Int32Array(N);
    for (let i = 0; i < N; i++) labels[i] = rng.int(C);
    super(new Tensor(x, [N, F]), labels);
    this.classes = C;
    this.seed = seed;
  }

  override get numClasses(): number {
    return this.classes;
  }
}
