// DataLoader: mini-batches over a Dataset. x is (B, F), y is (B) class indices or (B, K) targets.
// every batch is fresh tensors, safe to keep ([...loader] holds every batch). with reuseBuffers
// (trainFFNN and evaluate, which use each batch once) batches reuse the loader's buffers: a batch is
// valid until the next one is produced; the last, smaller batch has its own cached buffers.
import { Rng, randomSeed } from '../random.js';
import { Tensor } from '../tensor.js';
import type { DType } from '../tensor.js';
import { checkBool, checkInt, checkKeys, checkObject, rangeError, typeError } from '../util/check.js';
import { checkClassIndex, checkDataset, isContiguous, itemOf } from './dataset.js';
import { checkTensor } from '../nn/validate.js';
import type { Dataset, DatasetRows } from './dataset.js';

export type Batch = [Tensor, Int32Array | Tensor];

export interface DataLoaderOptions {
  // samples per batch (default 1, as torch.utils.data.DataLoader)
  batchSize?: number;
  // a new order every epoch (default false)
  shuffle?: boolean;
  // seeds the shuffling stream; each epoch draws from it, so the run is reproducible (default random)
  seed?: number;
  // drop the last batch when it is smaller than batchSize (default false)
  dropLast?: boolean;
  // interleave classes (round robin over per-class queues) so every batch holds several classes;
  // needs class-index labels (default false)
  stratified?: boolean;
  // fill the same two buffers for every batch instead of fresh tensors: no allocation per batch, but
  // a batch is overwritten by the next one (default false)
  reuseBuffers?: boolean;
}

interface BatchBuffers {
  x: Tensor;
  y: Int32Array | Tensor;
}

export class DataLoader implements Iterable<Batch> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly stratified: boolean;
  readonly seed: number;
  private readonly rng: Rng;
  private epochs = 0;
  private readonly reuse: boolean;
  private full: BatchBuffers | null = null;
  private last: BatchBuffers | null = null;
  private layout: { F: number; dtype: DType; K: number; yDType: DType } | null = null;

  constructor(dataset: Dataset, opts?: DataLoaderOptions) {
    checkDataset('dataset', dataset);
    const o = checkObject('options', opts);
    checkKeys('options', o, ['batchSize', 'shuffle', 'seed', 'dropLast', 'stratified', 'reuseBuffers']);
    this.reuse = o.reuseBuffers === undefined ? false : checkBool('options.reuseBuffers', o.reuseBuffers);
    this.dataset = dataset;
    this.batchSize = o.batchSize === undefined ? 1 : checkInt('options.batchSize', o.batchSize, 1);
    this.shuffle = o.shuffle === undefined ? false : checkBool('options.shuffle', o.shuffle);
    this.dropLast = o.dropLast === undefined ? false : checkBool('options.dropLast', o.dropLast);
    this.stratified = o.stratified === undefined ? false : checkBool('options.stratified', o.stratified);
    this.seed = o.seed === undefined ? randomSeed() : checkInt('options.seed', o.seed, 0);
    this.rng = new Rng(this.seed);
  }

  // number of batches in one epoch
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  // epochs started so far
  get epoch(): number {
    return this.epochs;
  }

  // one epoch; the order is drawn when the iterator is created
  [Symbol.iterator](): Iterator<Batch> {
    const order = this.order();
    this.epochs++;
    return this.batches(order);
  }

  private *batches(order: Int32Array): Generator<Batch> {
    const N = order.length;
    const B = this.batchSize;
    const count = this.length;
    const src = isContiguous(this.dataset) ? checkRows(this.dataset.rows(), N) : null;
    for (let b = 0; b < count; b++) {
      const start = b * B;
      const n = Math.min(B, N - start);
      const buf = this.buffers(n, src);
      if (src !== null) fillFromRows(buf, src, order, start, n, this.shuffle || this.stratified);
      else this.fillFromGet(buf, order, start, n);
      yield [buf.x, buf.y];
    }
  }

  // sample indices of one epoch
  private order(): Int32Array {
    const N = this.dataset.length;
    const order = new Int32Array(N);
    for (let i = 0; i < N; i++) order[i] = i;
    if (this.stratified) return this.stratifiedOrder(order);
    if (this.shuffle) this.rng.shuffle(order);
    return order;
  }

  // round robin over per-class queues (each shuffled when shuffle is on), classes in a shuffled order.
  // queues are grouped by label value, so the cost is O(N + D log D) for D distinct labels, whatever the
  // values are (a dense array per class up to the largest label took 21 s and 3 GB for two labels 2e8)
  private stratifiedOrder(identity: Int32Array): Int32Array {
    const labels = this.labels();
    const N = labels.length;
    // label -> its sample count, then label -> its queue
    const rank = new Map<number, number>();
    for (let i = 0; i < N; i++) rank.set(labels[i], (rank.get(labels[i]) ?? 0) + 1);
    // queues laid out (and shuffled) in ascending label order, as the dense layout did
    const present = Int32Array.from(rank.keys()).sort();
    const D = present.length;
    const counts = new Int32Array(D);
    const starts = new Int32Array(D + 1);
    for (let r = 0; r < D; r++) {
      counts[r] = rank.get(present[r]) as number;
      starts[r + 1] = starts[r] + counts[r];
      rank.set(present[r], r);
    }
    const byClass = new Int32Array(N);
    const fill = starts.slice(0, D);
    for (let i = 0; i < N; i++) byClass[fill[rank.get(labels[i]) as number]++] = identity[i];
    const classes = new Int32Array(D);
    for (let r = 0; r < D; r++) classes[r] = r;
    if (this.shuffle) {
      for (let r = 0; r < D; r++) this.rng.shuffle(byClass.subarray(starts[r], starts[r + 1]));
      const C = D === 0 ? 0 : present[D - 1] + 1;
      if (C <= N) {
        // the dense layout shuffled all of 0..C-1, absent classes too: the same draws while that costs
        // at most N, so seeded orders are unchanged; beyond, only the present classes are shuffled
        const all = new Int32Array(C);
        for (let k = 0; k < C; k++) all[k] = k;
        this.rng.shuffle(all);
        let c = 0;
        for (let k = 0; k < C; k++) {
          const r = rank.get(all[k]);
          if (r !== undefined) classes[c++] = r;
        }
      } else {
        this.rng.shuffle(classes);
      }
    }
    // each round takes one sample from every class still holding some, in class order; exhausted classes
    // are dropped from the list, so a round costs what it takes
    const out = new Int32Array(N);
    const taken = new Int32Array(D);
    let active = D;
    let j = 0;
    while (active > 0) {
      let kept = 0;
      for (let c = 0; c < active; c++) {
        const r = classes[c];
        out[j++] = byClass[starts[r] + taken[r]++];
        if (taken[r] < counts[r]) classes[kept++] = r;
      }
      active = kept;
    }
    return out;
  }

  // every label checked: a class index is an integer in [0, 2^31 - 1] (one outside would wrap in
  // the Int32Array, or name a class no loss has)
  private labels(): Int32Array {
    const ds = this.dataset;
    if (isContiguous(ds)) {
      const y = ds.rows().y;
      if (!(y instanceof Int32Array)) throw rangeError('options.stratified', 'a dataset with class-index labels', 'tensor targets');
      for (let i = 0; i < y.length; i++) {
        if (y[i] < 0) throw rangeError(`dataset.rows().y[${i}]`, 'an integer class index >= 0', y[i]);
      }
      return y;
    }
    const labels = new Int32Array(ds.length);
    for (let i = 0; i < ds.length; i++) {
      const y = itemOf(ds, i)[1];
      if (y instanceof Tensor) throw rangeError('options.stratified', 'a dataset with class-index labels', y);
      labels[i] = checkClassIndex(`dataset.get(${i})[1]`, y);
    }
    return labels;
  }

  private buffers(n: number, src: DatasetRows | null): BatchBuffers {
    const full = n === this.batchSize;
    const cached = !this.reuse ? null : full ? this.full : this.last;
    if (cached !== null && cached.x.shape[0] === n) return cached;
    const L = this.layout ?? (this.layout = src !== null ? layoutOfRows(src) : layoutOfItem(this.dataset));
    const x = Tensor.zeros([n, L.F], { dtype: L.dtype });
    const y = L.K === 0 ? new Int32Array(n) : Tensor.zeros([n, L.K], { dtype: L.yDType });
    const buf = { x, y };
    if (full) this.full = buf;
    else this.last = buf;
    return buf;
  }

  private fillFromGet(buf: BatchBuffers, order: Int32Array, start: number, n: number): void {
    const F = buf.x.shape[1];
    const xd = buf.x.data;
    for (let r = 0; r < n; r++) {
      const i = order[start + r];
      const [x, y] = itemOf(this.dataset, i);
      if (!(x instanceof Tensor) || x.size !== F) throw rangeError(`dataset.get(${i})[0]`, `a Tensor of ${F} features`, x);
      // a detached buffer or a Proxy: named here, not by the copy
      xd.set(checkTensor(`dataset.get(${i})[0]`, x).data, r * F);
      if (buf.y instanceof Int32Array) {
        buf.y[r] = checkClassIndex(`dataset.get(${i})[1]`, y);
      } else {
        const K = buf.y.shape[1];
        if (!(y instanceof Tensor) || y.size !== K) throw rangeError(`dataset.get(${i})[1]`, `a Tensor of ${K} targets`, y);
        buf.y.data.set(checkTensor(`dataset.get(${i})[1]`, y).data, r * K);
      }
    }
  }
}

function checkRows(rows: unknown, N: number): DatasetRows {
  const r = rows as DatasetRows;
  if (r === null || typeof r !== 'object' || !(r.x instanceof Tensor) || r.x.ndim !== 2 || r.x.shape[0] !== N) {
    throw rangeError('dataset.rows()', `{ x: Tensor [${N}, F], y }`, rows);
  }
  const okY = r.y instanceof Int32Array ? r.y.length === N : r.y instanceof Tensor && r.y.ndim === 2 && r.y.shape[0] === N;
  if (!okY) throw rangeError('dataset.rows().y', `an Int32Array (${N}) or a Tensor [${N}, K]`, r.y);
  checkTensor('dataset.rows().x', r.x);
  if (r.y instanceof Tensor) checkTensor('dataset.rows().y', r.y);
  return r;
}

function layoutOfRows(src: DatasetRows): { F: number; dtype: DType; K: number; yDType: DType } {
  const y = src.y;
  return {
    F: src.x.shape[1],
    dtype: src.x.dtype,
    K: y instanceof Tensor ? y.shape[1] : 0,
    yDType: y instanceof Tensor ? y.dtype : 'float32',
  };
}

function layoutOfItem(ds: Dataset): { F: number; dtype: DType; K: number; yDType: DType } {
  const [x, y] = itemOf(ds, 0);
  if (!(x instanceof Tensor)) throw typeError('dataset.get(0)[0]', 'a Tensor of features', x);
  if (y instanceof Tensor) return { F: x.size, dtype: x.dtype, K: y.size, yDType: y.dtype };
  if (typeof y !== 'number') throw typeError('dataset.get(0)[1]', 'a class index or a Tensor of targets', y);
  return { F: x.size, dtype: x.dtype, K: 0, yDType: 'float32' };
}

// rows order[start .. start + n) into the batch; unpermuted, one block copy
function fillFromRows(buf: BatchBuffers, src: DatasetRows, order: Int32Array, start: number, n: number, permuted: boolean): void {
  const F = src.x.shape[1];
  const xs = src.x.data;
  const xd = buf.x.data;
  const ys = src.y;
  const yd = buf.y;
  if (!permuted) {
    const i0 = order[start];
    xd.set(xs.subarray(i0 * F, (i0 + n) * F));
    if (ys instanceof Int32Array) (yd as Int32Array).set(ys.subarray(i0, i0 + n));
    else {
      const K = ys.shape[1];
      (yd as Tensor).data.set(ys.data.subarray(i0 * K, (i0 + n) * K));
    }
    return;
  }
  for (let r = 0; r < n; r++) {
    const i = order[start + r];
    xd.set(xs.subarray(i * F, (i + 1) * F), r * F);
  }
  if (ys instanceof Int32Array) {
    const y = yd as Int32Array;
    for (let r = 0; r < n; r++) y[r] = ys[order[start + r]];
  } else {
    const K = ys.shape[1];
    const y = (yd as Tensor).data;
    for (let r = 0; r < n; r++) {
      const i = order[start + r];
      y.set(ys.data.subarray(i * K, (i + 1) * K), r * K);
    }
  }
}

