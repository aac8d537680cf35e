// Tensor: a row-major float32 or float64 array with a shape. `data` is the typed array itself and
// is handed to native kernels as it is, never copied.
import type { DType, FloatArray, Kernels } from './kernels/types.js';
import { Rng, randomSeed } from './random.js';
import { nativeAddon } from './kernels/native.js';
import { checkInt, checkKeys, checkNumber, checkObject, checkOneOf, describe, rangeError, typeError } from './util/check.js';

export type { DType, FloatArray } from './kernels/types.js';

export const DTYPES: readonly DType[] = ['float32', 'float64'];

// the largest element count ffnn allocates in one tensor (2^31 - 1: typed arrays and native int32 sizes)
export const MAX_ELEMENTS = 2 ** 31 - 1;

export interface TensorOptions {
  dtype?: DType;
}

export interface RandnOptions extends TensorOptions {
  seed?: number;
  mean?: number;
  std?: number;
}

export function arrayCtor(dtype: DType): Float32ArrayConstructor | Float64ArrayConstructor {
  return dtype === 'float64' ? Float64Array : Float32Array;
}

// arrays of at least this many bytes start on a 64-byte cache line (allocFloat)
const ALIGN_MIN_BYTES = 4096;
const LINE = 64;

// the addon's address probe, or null where the addon does not load (then no alignment)
let probe: ((b: ArrayBuffer) => number) | null | undefined;
function addressProbe(): ((b: ArrayBuffer) => number) | null {
  if (probe === undefined) {
    try {
      const a = nativeAddon();
      probe = typeof a.addressMod64 === 'function' ? (b) => a.addressMod64(b) : null;
    } catch {
      probe = null;
    }
  }
  return probe;
}

// a zeroed array of n elements. a big one starts on a 64-byte line (a view into a buffer 64 bytes
// longer), so that the threads of a native kernel that own neighbouring column blocks of a matrix
// row never write to the same cache line; needs the addon, which says where a buffer starts
export function allocFloat(dtype: DType, n: number): FloatArray {
  const Ctor = arrayCtor(dtype);
  const bytes = n * Ctor.BYTES_PER_ELEMENT;
  const addr = bytes >= ALIGN_MIN_BYTES ? addressProbe() : null;
  if (addr === null) return new Ctor(n);
  const buffer = new ArrayBuffer(bytes + LINE);
  const offset = (LINE - addr(buffer)) % LINE;
  return new Ctor(buffer, offset, n);
}

export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

// checks a shape and returns its element count, before anything is allocated
export function checkShape(name: string, shape: unknown): number {
  if (!Array.isArray(shape)) throw typeError(name, 'an array of non-negative integers', shape);
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number') throw typeError(`${name}[${i}]`, 'a non-negative integer', d);
    if (!Number.isInteger(d) || d < 0) throw rangeError(`${name}[${i}]`, 'a non-negative integer', d);
    // each dimension bounded too: a zero beside huge ones would make the product NaN (Infinity * 0)
    if (d > MAX_ELEMENTS) throw rangeError(`${name}[${i}]`, `at most ${MAX_ELEMENTS}`, d);
    n *= d;
  }
  if (n > MAX_ELEMENTS) {
    throw rangeError(name, `at most ${MAX_ELEMENTS} elements in all`, `shape [${shape.join(', ')}] (${n} elements)`);
  }
  return n;
}

// the dtype of an options object whose keys are among `keys` (a misspelt option is an error)
function readDType(opts: unknown, fallback: DType = 'float32', keys: readonly string[] = ['dtype']): DType {
  const o = checkObject('options', opts);
  checkKeys('options', o, keys);
  return o.dtype === undefined ? fallback : checkOneOf('options.dtype', o.dtype, DTYPES);
}

// a write of a tensor's elements left for later: a gradient zeroed by zeroGrad, or a Linear's weight
// gradient whose product the optimizer's step computes together with its update (src/nn/linear.ts).
// it runs before anything reads or replaces `data`, so what a user observes is as if it had run at
// once (torch's zero_grad(set_to_none=True) without the None)
export interface DeferredWrite {
  run(data: FloatArray): void;
  // the product gradW := x^T gradZ (B rows; as 0 + it when plusZero) on these kernels, for
  // Kernels.linearGradStep; absent for other writes
  readonly product?: {
    readonly kernels: Kernels;
    readonly B: number;
    readonly IN: number;
    readonly OUT: number;
    readonly x: FloatArray;
    readonly gradZ: FloatArray;
    readonly plusZero: boolean;
  };
  // a write that only copies the elements out (into, before they change; a Linear's lazy d loss / d x
  // reads them): an update kernel can copy them in its own pass, then call taken() instead of run.
  // gradX, where the reader is cheaper computed in that pass than the copy (a Linear's d loss / d x
  // at batch 1): gradX.into(gradZ) is the reader's array while it still waits and gradZ is the one
  // it multiplies (else null: then the copy is taken as without gradX); the update kernel writes
  // that d loss / d x there (Kernels.linearGradStep's gradX, from the elements before they change),
  // then calls gradX.done() instead of copying
  readonly keep?: {
    readonly into: FloatArray;
    taken(): void;
    readonly gradX?: { into(gradZ: FloatArray): FloatArray | null; done(): void };
  };
}

// zeroGrad's write
export const ZERO_WRITE: DeferredWrite = Object.freeze({ run: (d: FloatArray) => void d.fill(0) });

// the pending write of t, or null
export let pendingWrite: (t: Tensor) => DeferredWrite | null;
// leaves w to run before t's elements are next read (replacing any write pending)
export let deferWrite: (t: Tensor, w: DeferredWrite | null) => void;
// t's elements without running its pending write, which is dropped: the caller does its work
export let takeData: (t: Tensor) => FloatArray;
// t's elements as they are, its pending write left pending (a reader that does not need it)
export let peekData: (t: Tensor) => FloatArray;

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  // the elements: an own enumerable accessor (defined per instance, in this place among the
  // properties) so that deep equality, JSON, spread and structuredClone see `data` as a plain field;
  // its setter takes a replacement of the same type and length only
  declare data: FloatArray;
  #data: FloatArray;
  readonly #size: number;
  #deferred: DeferredWrite | null = null;

  static {
    pendingWrite = (t) => t.#deferred;
    deferWrite = (t, w) => {
      t.#deferred = w;
    };
    takeData = (t) => {
      t.#deferred = null;
      return t.#data;
    };
    peekData = (t) => t.#data;
  }

  static readonly #dataProperty: PropertyDescriptor = {
    enumerable: true,
    get(this: Tensor): FloatArray {
      if (!Tensor.isTensor(this)) throw notATensor('data', this);
      const w = this.#deferred;
      if (w !== null) {
        this.#deferred = null;
        w.run(this.#data);
      }
      return this.#data;
    },
    // the array may be replaced (TrainStep and the modules follow it); a shorter one would leave the
    // kernels reading past its end (stale wasm memory, NaN in js)
    set(this: Tensor, v: FloatArray): void {
      if (!Tensor.isTensor(this)) throw notATensor('data', this);
      const Want = arrayCtor(this.dtype);
      if (!(v instanceof Want)) throw typeError('data', `a ${Want.name} (the tensor's dtype)`, v);
      if (v.length !== this.#size) throw rangeError('data', `${this.#size} elements for shape [${this.shape.join(', ')}]`, v);
      // a replacement: what was pending for the old array is moot
      this.#deferred = null;
      this.#data = v;
    },
  };

  // wraps `data` without copying; its length must equal the product of `shape`
  constructor(data: FloatArray, shape: readonly number[]) {
    if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
      throw typeError('data', 'a Float32Array or Float64Array', data);
    }
    const n = checkShape('shape', shape);
    if (n !== data.length) {
      throw rangeError('data', `${n} elements for shape [${shape.join(', ')}]`, data);
    }
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    this.#data = data;
    this.#size = n;
    Object.defineProperty(this, 'data', Tensor.#dataProperty);
  }

  // a tensor made by this class: a Proxy of one, or an object on Tensor.prototype, passes instanceof
  // but has none of the private state (and could change its shape between two reads)
  static isTensor(v: unknown): v is Tensor {
    return typeof v === 'object' && v !== null && #data in v;
  }

  // the product of the shape, fixed for the tensor's life
  get size(): number {
    if (!Tensor.isTensor(this)) throw notATensor('size', this);
    return this.#size;
  }

  get ndim(): number {
    return this.shape.length;
  }

  static zeros(shape: readonly number[], opts?: TensorOptions): Tensor {
    const dtype = readDType(opts);
    const n = checkShape('shape', shape);
    return new Tensor(allocFloat(dtype, n), shape);
  }

  static full(shape: readonly number[], value: number, opts?: TensorOptions): Tensor {
    checkNumber('value', value);
    const t = Tensor.zeros(shape, opts);
    t.data.fill(value);
    return t;
  }

  // from nested number arrays (shape inferred) or a typed array / flat array with a shape
  static from(
    values: ArrayLike<number> | readonly unknown[],
    opts?: TensorOptions & { shape?: readonly number[] },
  ): Tensor {
    const o = checkObject('options', opts);
    const fallback: DType = values instanceof Float64Array ? 'float64' : 'float32';
    const dtype = readDType(opts, fallback, ['dtype', 'shape']);
    let shape: number[];
    let flat: ArrayLike<number>;
    if (ArrayBuffer.isView(values)) {
      if (values instanceof DataView || values instanceof BigInt64Array || values instanceof BigUint64Array) {
        throw typeError('values', 'a number array or a numeric typed array', values);
      }
      flat = values as ArrayLike<number>;
      shape = [flat.length];
    } else if (Array.isArray(values)) {
      shape = inferShape(values);
      flat = flatten(values, shape);
    } else {
      throw typeError('values', 'a (nested) array of numbers or a typed array', values);
    }
    if (o.shape !== undefined) {
      const n = checkShape('options.shape', o.shape);
      if (n !== flat.length) {
        throw rangeError('options.shape', `a shape with ${flat.length} elements`, `[${(o.shape as number[]).join(', ')}]`);
      }
      shape = [...(o.shape as number[])];
    }
    const data = allocFloat(dtype, flat.length);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v !== 'number') throw typeError(`values[${i}]`, 'a number', v);
      data[i] = v;
    }
    return new Tensor(data, shape);
  }

  // standard normal samples (times std, plus mean) from the seeded xoshiro128** generator
  static randn(shape: readonly number[], opts?: RandnOptions): Tensor {
    const o = checkObject('options', opts);
    const t = Tensor.zeros(shape, { dtype: readDType(opts, 'float32', ['dtype', 'seed', 'mean', 'std']) });
    const seed = o.seed === undefined ? randomSeed() : checkInt('options.seed', o.seed, 0);
    const mean = o.mean === undefined ? 0 : checkNumber('options.mean', o.mean);
    const std = o.std === undefined ? 1 : checkNumber('options.std', o.std);
    if (std < 0) throw rangeError('options.std', 'a number >= 0', std);
    const rng = new Rng(seed);
    for (let i = 0; i < t.data.length; i++) t.data[i] = mean + std * rng.normal();
    return t;
  }

  // labels (B) of class indices in [0, C) -> (B, C) one-hot
  static oneHot(labels: ArrayLike<number>, C: number, opts?: TensorOptions): Tensor {
    if (labels === null || typeof labels !== 'object' || typeof (labels as { length?: unknown }).length !== 'number') {
      throw typeError('labels', 'an array or typed array of class indices', labels);
    }
    checkInt('C', C, 1, MAX_ELEMENTS);
    const B = labels.length;
    const t = Tensor.zeros([B, C], opts);
    for (let i = 0; i < B; i++) {
      const k = labels[i];
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= C) {
        throw rangeError(`labels[${i}]`, `an integer class index in [0, ${C - 1}]`, k);
      }
      t.data[i * C + k] = 1;
    }
    return t;
  }

  // a tensor over the same data with another shape of the same size
  reshape(shape: readonly number[]): Tensor {
    const n = checkShape('shape', shape);
    if (n !== this.size) {
      throw rangeError('shape', `a shape with ${this.size} elements`, `[${shape.join(', ')}]`);
    }
    return new Tensor(this.data, shape);
  }

  clone(): Tensor {
    const data = allocFloat(this.dtype, this.data.length);
    data.set(this.data);
    return new Tensor(data, this.shape);
  }

  to(dtype: DType): Tensor {
    checkOneOf('dtype', dtype, DTYPES);
    if (dtype === this.dtype) return this.clone();
    const data = allocFloat(dtype, this.data.length);
    data.set(this.data);
    return new Tensor(data, this.shape);
  }

  // nested arrays of numbers in the tensor's shape
  toArray(): unknown {
    if (this.shape.length === 0) return this.data[0];
    const build = (dim: number, offset: number): unknown[] => {
      const n = this.shape[dim];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = dim === this.shape.length - 1 ? this.data[offset + i] : build(dim + 1, offset + i * stride);
      }
      return out;
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
  }
}

export class Parameter extends Tensor {
  grad: Tensor | null = null;
  name: string;

  constructor(data: FloatArray, shape: readonly number[], name = '') {
    super(data, shape);
    if (typeof name !== 'string') throw typeError('name', 'a string', name);
    this.name = name;
  }

  static fromTensor(t: Tensor, name = ''): Parameter {
    if (!(t instanceof Tensor)) throw typeError('t', 'a Tensor', t);
    return new Parameter(t.data, t.shape, name);
  }

  // the gradient buffer, created (zeroed) on first use
  ensureGrad(): Tensor {
    if (this.grad === null) {
      this.grad = Tensor.zeros(this.shape, { dtype: this.dtype });
      // zeros, as zeroGrad leaves it: a backward may write the gradient instead of adding to it
      deferWrite(this.grad, ZERO_WRITE);
    }
    return this.grad;
  }

  // zeroes the gradient (buffer kept). the zeros are written when the gradient is next read; a
  // backward before that writes its gradient instead of adding it to zeros (the same numbers)
  zeroGrad(): void {
    const g: unknown = this.grad;
    if (g instanceof Tensor) deferWrite(g, ZERO_WRITE);
    else if (g !== null) (g as Tensor).data.fill(0);
  }

  override toString(): string {
    return `Parameter(${this.name ? `name=${this.name}, ` : ''}shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
  }
}

// what `name` says when it is read on something that only looks like a Tensor
export function notATensor(name: string, v: unknown): TypeError {
  return new TypeError(
    `${name}: expected a Tensor, received an object that only looks like one (a Proxy of a Tensor, or an ` +
      `object made on Tensor.prototype, ${describe(v)}); pass the tensor itself`,
  );
}

function inferShape(values: readonly unknown[]): number[] {
  const shape: number[] = [];
  let cur: unknown = values;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  checkShape('values', shape);
  return shape;
}

function flatten(values: readonly unknown[], shape: number[]): number[] {
  const out: number[] = [];
  const walk = (v: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') throw typeError(`values${path}`, 'a number', v);
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw rangeError(`values${path}`, `an array of length ${shape[dim]} (ragged nesting)`, v);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, `${path}[${i}]`);
  };
  walk(values, 0, '');
  return out;
}

