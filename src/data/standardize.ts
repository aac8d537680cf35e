// input normalization: (x - mean) / std, fitted on the training set and applied to every other set.
// 'feature' mode keeps one mean/std per feature (sklearn's StandardScaler); 'scalar' mode one over all
// features (torchvision's Normalize((0.1307,), (0.3081,)) on MNIST).
import { Tensor } from '../tensor.js';
import { checkKeys, checkNumber, checkObject, checkOneOf, checkPositive, rangeError, typeError } from '../util/check.js';
import { TensorDataset, checkDataset, gatherRows, isContiguous } from './dataset.js';
import type { Dataset } from './dataset.js';
import { checkFinite } from '../nn/validate.js';

export type StandardizerMode = 'feature' | 'scalar';

export interface StandardizerOptions {
  // 'feature' (default) or 'scalar'
  mode?: StandardizerMode;
  // a fitted std below this is replaced by 1: a constant feature (an MNIST border pixel) is only
  // centered, so a test sample that differs there is not blown up by a tiny std (default 1e-6). an
  // absolute bound, unlike sklearn's test for a constant feature (relative to the feature's
  // magnitude): a feature whose whole scale is below it (values of order 1e-7) is centered, not
  // scaled; give such data a smaller minStd or rescale it first
  minStd?: number;
  // fixed statistics instead of fit(): numbers (scalar mode) or one per feature
  mean?: number | readonly number[];
  std?: number | readonly number[];
}

export class Standardizer {
  readonly mode: StandardizerMode;
  readonly minStd: number;
  // per feature (length F) in 'feature' mode, length 1 in 'scalar' mode; null before fit()
  mean: Float64Array | null = null;
  std: Float64Array | null = null;

  constructor(opts?: StandardizerOptions) {
    const o = checkObject('options', opts);
    checkKeys('options', o, ['mode', 'minStd', 'mean', 'std']);
    this.mode = o.mode === undefined ? 'feature' : checkOneOf('options.mode', o.mode, ['feature', 'scalar'] as const);
    this.minStd = o.minStd === undefined ? 1e-6 : checkPositive('options.minStd', o.minStd);
    if ((o.mean === undefined) !== (o.std === undefined)) {
      throw typeError(o.mean === undefined ? 'options.mean' : 'options.std', 'given together with the other', undefined);
    }
    if (o.mean !== undefined) {
      const mean = readStats('options.mean', o.mean);
      const std = readStats('options.std', o.std);
      if (mean.length !== std.length) throw rangeError('options.std', `${mean.length} values (as options.mean)`, o.std);
      for (let j = 0; j < std.length; j++) {
        if (std[j] <= 0) throw rangeError(Array.isArray(o.std) ? `options.std[${j}]` : 'options.std', 'a number > 0', std[j]);
      }
      if (this.mode === 'scalar' && mean.length !== 1) throw rangeError('options.mean', 'one number in scalar mode', o.mean);
      this.mean = mean;
      this.std = std;
    }
  }

  // torchvision's MNIST statistics: Normalize((0.1307,), (0.3081,)) on pixels in [0, 1]
  static mnist(): Standardizer {
    return new Standardizer({ mode: 'scalar', mean: 0.1307, std: 0.3081 });
  }

  // population mean and std (ddof 0) of x (N, F) or of a dataset's features, accumulated in float64
  fit(data: Dataset | Tensor): this {
    const { x } = rowsOf('data', data, false);
    const [N, F] = x.shape;
    if (N === 0) throw rangeError('data', 'at least one sample', x);
    // one NaN or Inf would make its feature's mean and std (or, in scalar mode, all of them) NaN, and
    // every standardized value after it
    checkFinite('data', x);
    const d = x.data;
    const sum = new Float64Array(F);
    for (let i = 0; i < N; i++) for (let j = 0; j < F; j++) sum[j] += d[i * F + j];
    if (this.mode === 'scalar') {
      let total = 0;
      for (let j = 0; j < F; j++) total += sum[j];
      const m = total / (N * F);
      let ss = 0;
      for (let k = 0; k < d.length; k++) ss += (d[k] - m) * (d[k] - m);
      this.mean = Float64Array.of(m);
      this.std = Float64Array.of(this.floor(Math.sqrt(ss / (N * F))));
      return this;
    }
    const mean = sum.map((s) => s / N);
    const ss = new Float64Array(F);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < F; j++) {
        const t = d[i * F + j] - mean[j];
        ss[j] += t * t;
      }
    }
    this.mean = mean;
    this.std = ss.map((s) => this.floor(Math.sqrt(s / N)));
    return this;
  }

  private floor(std: number): number {
    return std < this.minStd ? 1 : std;
  }

  // a standardized copy: a Tensor for a Tensor (N, F), a TensorDataset for a dataset
  transform(data: Tensor): Tensor;
  transform(data: Dataset): TensorDataset;
  transform(data: Dataset | Tensor): Tensor | TensorDataset {
    if (this.mean === null || this.std === null) throw new Error('Standardizer.transform: call fit() first');
    const { x, y } = rowsOf('data', data, true);
    const [N, F] = x.shape;
    if (this.mean.length !== 1 && this.mean.length !== F) {
      throw rangeError('data', `${this.mean.length} features (as fitted)`, x);
    }
    // refused as fit refuses them: a NaN or Inf sample would reach training standardized, unnoticed
    checkFinite('data', x);
    const out = Tensor.zeros([N, F], { dtype: x.dtype });
    const s = x.data;
    const o = out.data;
    // one statistic broadcasts over all features
    const scalar = this.mean.length === 1;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < F; j++) {
        const k = scalar ? 0 : j;
        o[i * F + j] = (s[i * F + j] - this.mean[k]) / this.std[k];
      }
    }
    return y === null ? out : new TensorDataset(out, y);
  }

  fitTransform(data: Tensor): Tensor;
  fitTransform(data: Dataset): TensorDataset;
  fitTransform(data: Dataset | Tensor): Tensor | TensorDataset {
    this.fit(data);
    return data instanceof Tensor ? this.transform(data) : this.transform(data);
  }
}

function readStats(name: string, v: unknown): Float64Array {
  if (typeof v === 'number') return Float64Array.of(checkNumber(name, v));
  if (!Array.isArray(v) || v.length === 0) throw typeError(name, 'a number or a non-empty number[]', v);
  return Float64Array.from(v, (e, j) => checkNumber(`${name}[${j}]`, e));
}

// x (N, F) of a tensor or a dataset (not copied when the dataset is contiguous), and with targets the
// dataset's labels (null for a tensor), in one pass over a get()-only dataset
function rowsOf(name: string, data: unknown, targets: boolean): { x: Tensor; y: Int32Array | Tensor | null } {
  if (data instanceof Tensor) {
    if (data.ndim !== 2) throw rangeError(name, 'a Tensor of shape [N, F]', data);
    return { x: data, y: null };
  }
  const ds = checkDataset(name, data);
  if (isContiguous(ds)) {
    const r = ds.rows();
    return { x: r.x, y: !targets ? null : r.y instanceof Int32Array ? r.y : r.y.clone() };
  }
  if (ds.length === 0) throw rangeError(name, 'at least one sample', ds);
  return gatherRows(name, ds, targets);
}
