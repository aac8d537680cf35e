// argument checks at the module boundary: each public forward / backward validates its inputs once
// (TypeError for a wrong type or dtype, RangeError for a wrong shape or value) and then calls the raw
// kernels, which never check anything
import type { DType, Kernels } from '../kernels/types.js';
import { MAX_ELEMENTS, Tensor, notATensor } from '../tensor.js';
import { allFinite, describe, rangeError, typeError } from '../util/check.js';
import type { Workspace } from './workspace.js';

// class indices as a tensor of shape [B], an Int32Array or a plain array of integers
export type Indices = Tensor | Int32Array | readonly number[];
// one-hot (or any distribution) [B, C] tensor, or class indices
export type Target = Tensor | Int32Array | readonly number[];

export function checkTensor(name: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) throw typeError(name, 'a Tensor', v);
  if (!Tensor.isTensor(v)) throw notATensor(name, v);
  // a detached (transferred) or shrunk buffer: the js kernels would read undefined as NaN
  if (v.data.length < v.size) {
    throw new RangeError(
      `${name}: expected a Tensor whose data holds its ${v.size} elements, received a ${v.dtype} tensor of shape ` +
        `[${v.shape.join(', ')}] over ${v.data.length} elements (a detached or transferred buffer?)`,
    );
  }
  return v;
}

// a [B, cols] tensor of dtype with B >= 1; cols undefined accepts any width. owner (a module or a
// string) is turned into text only for a message, so a valid call builds no strings
export function checkMatrix(name: string, v: unknown, cols: number | undefined, dtype: DType, owner: object | string): Tensor {
  const t = checkTensor(name, v);
  if (t.ndim === 2 && (cols === undefined || t.shape[1] === cols) && t.shape[0] >= 1 && t.dtype === dtype) return t;
  const want = `a tensor of shape [B, ${cols ?? 'N'}]`;
  if (t.ndim !== 2) throw rangeError(name, want, t);
  if (cols !== undefined && t.shape[1] !== cols) throw rangeError(name, `${want} (${String(owner)} has ${cols} input features)`, t);
  if (t.shape[0] < 1) throw rangeError(name, `${want} with B >= 1`, t);
  throw new TypeError(`${name}: expected a ${dtype} tensor (the dtype of ${String(owner)}), received a ${t.dtype} tensor`);
}

// the same [rows, cols] shape and dtype as a tensor the module produced; what is a description, or
// the module whose output it must match (turned into text only for a message)
export function checkLike(name: string, v: unknown, rows: number, cols: number, dtype: DType, owner: object | string): Tensor {
  const t = checkTensor(name, v);
  if (t.ndim === 2 && t.shape[0] === rows && t.shape[1] === cols && t.dtype === dtype) return t;
  const what = typeof owner === 'string' ? owner : `the output of ${String(owner)}`;
  if (t.ndim !== 2 || t.shape[0] !== rows || t.shape[1] !== cols) {
    throw rangeError(name, `a tensor of shape [${rows}, ${cols}] (${what})`, t);
  }
  if (t.dtype !== dtype) throw new TypeError(`${name}: expected a ${dtype} tensor (${what}), received a ${t.dtype} tensor`);
  return t;
}

// x's B rows fit the widest layer's output of B rows in one tensor: the bound of every forward pass
// and training step, said as a row count of x
export function checkRows(x: Tensor, widest: { readonly outFeatures: number } | null): void {
  if (widest === null || x.shape[0] * widest.outFeatures <= MAX_ELEMENTS) return;
  const rows = Math.floor(MAX_ELEMENTS / widest.outFeatures);
  throw rangeError('x', `at most ${rows} rows (${String(widest)}'s output of B rows must fit in ${MAX_ELEMENTS} elements)`, x);
}

// the layer with the most outputs
export function widestOf<L extends { readonly outFeatures: number }>(layers: Iterable<L>): L | null {
  let w: L | null = null;
  for (const l of layers) if (w === null || l.outFeatures > w.outFeatures) w = l;
  return w;
}

// NaN or Inf anywhere is an error, named by its position
// arrays of at least this many elements are screened by the native kernels (vectorNorm)
const NATIVE_SCREEN = 1024;

// every element of t finite, else a RangeError naming the first that is not. k: the caller's
// kernels; on native a long array is screened by its sum of squares in double (vectorNorm, p = 2:
// finite exactly when every float32 element is; a float64 above about 1e154 overflows it and
// the exact scan below decides), several times faster than the scan in JavaScript (401,408
// float32 elements, a batch of 512 MNIST images: 80 against 590 us on one thread)
export function checkFinite(name: string, t: Tensor, k?: Kernels): void {
  const all = t.data;
  // the tensor's own elements: a length-tracking array over a resizable buffer that grew runs past them
  const d = all.length > t.size ? all.subarray(0, t.size) : all;
  if (k !== undefined && k.name === 'native' && d.length >= NATIVE_SCREEN
    ? Number.isFinite(k.vectorNorm(d.length, d, 2))
    : allFinite(d)) return;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) {
      const cols = t.ndim === 2 ? t.shape[1] : d.length;
      const at = t.ndim === 2 ? `[${Math.floor(i / cols)}, ${i % cols}]` : `[${i}]`;
      throw new RangeError(`${name}: expected finite values, received ${describe(v)} at ${at}`);
    }
  }
}

// class indices (B) into an Int32Array of the workspace, each an integer in [0, C)
export function readIndices(name: string, v: Indices, B: number, C: number, ws: Workspace | null): Int32Array {
  let n: number;
  if (v instanceof Tensor) {
    if (v.ndim !== 1) throw rangeError(name, `class indices of shape [${B}]`, v);
    n = v.shape[0];
  } else if (v instanceof Int32Array || Array.isArray(v)) {
    n = v.length;
  } else {
    throw typeError(name, 'class indices (a Tensor of shape [B], an Int32Array or an array of integers)', v);
  }
  if (n !== B) throw rangeError(name, `${B} class indices (one per row)`, v);
  const src: ArrayLike<unknown> = v instanceof Tensor ? v.data : (v as ArrayLike<unknown>);
  const out = ws === null ? new Int32Array(B) : ws.int(name, B);
  for (let i = 0; i < B; i++) {
    const k = src[i];
    if (typeof k !== 'number') throw typeError(`${name}[${i}]`, 'an integer class index', k);
    if (!Number.isInteger(k) || k < 0 || k >= C) throw rangeError(`${name}[${i}]`, `an integer class index in [0, ${C - 1}]`, k);
    out[i] = k;
  }
  return out;
}

// a target is a [B, C] distribution tensor (returned as is) or class indices (returned as Int32Array)
export function readTarget(
  name: string, v: unknown, B: number, C: number, dtype: DType, ws: Workspace | null, k?: Kernels,
): Tensor | Int32Array {
  if (v instanceof Tensor && v.ndim === 2) {
    const t = checkLike(name, v, B, C, dtype, 'one-hot targets, one row per sample');
    checkFinite(name, t, k);
    return t;
  }
  if (v instanceof Tensor || v instanceof Int32Array || Array.isArray(v)) return readIndices(name, v as Indices, B, C, ws);
  throw typeError(name, `a one-hot Tensor of shape [${B}, ${C}] or ${B} class indices`, v);
}
