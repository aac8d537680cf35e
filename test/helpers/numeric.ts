// seeded fillers and error measures shared by the kernel, module and optimizer tests.
import { Rng } from '../../src/random.js';
import type { DType, FloatArray } from '../../src/kernels/types.js';

export type FloatCtor = Float32ArrayConstructor | Float64ArrayConstructor;

export const DTYPES: readonly DType[] = ['float32', 'float64'];

export function ctorOf(dtype: DType): FloatCtor {
  return dtype === 'float64' ? Float64Array : Float32Array;
}

// unit roundoff: half an ulp of 1
export const U32 = 2 ** -24;
export const U64 = 2 ** -53;

export function unitRoundoff(dtype: DType): number {
  return dtype === 'float64' ? U64 : U32;
}

export function rng(seed: number): Rng {
  return new Rng(seed);
}

// n values uniform in [lo, hi)
export function uniformArray(dtype: DType, n: number, r: Rng, lo = -1, hi = 1): FloatArray {
  const a = new (ctorOf(dtype))(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r.uniform();
  return a;
}

// n standard normal values times std
export function normalArray(dtype: DType, n: number, r: Rng, std = 1): FloatArray {
  const a = new (ctorOf(dtype))(n);
  for (let i = 0; i < n; i++) a[i] = std * r.normal();
  return a;
}

// n class indices in [0, C)
export function classIndices(n: number, C: number, r: Rng): Int32Array {
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) t[i] = r.int(C);
  return t;
}

export function oneHot(dtype: DType, target: Int32Array, C: number): FloatArray {
  const a = new (ctorOf(dtype))(target.length * C);
  for (let i = 0; i < target.length; i++) a[i * C + target[i]] = 1;
  return a;
}

// B rows of C non-negative values summing to 1
export function distributionArray(dtype: DType, B: number, C: number, r: Rng): FloatArray {
  const a = new (ctorOf(dtype))(B * C);
  for (let i = 0; i < B; i++) {
    let s = 0;
    const row = new Float64Array(C);
    for (let j = 0; j < C; j++) s += row[j] = r.uniform() + 1e-3;
    for (let j = 0; j < C; j++) a[i * C + j] = row[j] / s;
  }
  return a;
}

export function copy<T extends FloatArray | Int32Array>(a: T): T {
  return a.slice() as T;
}

// |a - b| <= tol * max(1, |b|): relative for large values, absolute near zero, where the kernels'
// formulas (1 - t^2, sums that cancel) are accurate only to the scale of 1
export function robustRelDiff(a: number, b: number, floor = 1): number {
  if (Object.is(a, b) || a === b) return 0;
  if (Number.isNaN(a) || Number.isNaN(b)) return Infinity;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  return Math.abs(a - b) / Math.max(floor, Math.abs(b));
}

export interface Mismatch {
  index: number;
  actual: number;
  expected: number;
  rel: number;
}

export interface Comparison {
  // the largest |a - b| / scale over all elements
  maxRel: number;
  // the first elements over the tolerance (at most 5)
  mismatches: Mismatch[];
  count: number;
}

// elementwise comparison; scale(i) defaults to max(1, |expected[i]|)
export function compareArrays(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  scale?: (i: number) => number,
): Comparison {
  if (actual.length !== expected.length) {
    throw new Error(`length ${actual.length} != expected length ${expected.length}`);
  }
  let maxRel = 0;
  let count = 0;
  const mismatches: Mismatch[] = [];
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const b = expected[i];
    let rel: number;
    if (scale === undefined) rel = robustRelDiff(a, b);
    else if (Object.is(a, b) || a === b) rel = 0;
    else if (!Number.isFinite(a) || !Number.isFinite(b)) rel = Infinity;
    else rel = Math.abs(a - b) / scale(i);
    if (rel > maxRel) maxRel = rel;
    if (rel > tol) {
      count++;
      if (mismatches.length < 5) mismatches.push({ index: i, actual: a, expected: b, rel });
    }
  }
  return { maxRel, mismatches, count };
}

export function formatMismatches(label: string, c: Comparison, tol: number): string {
  const lines = c.mismatches.map(
    (m) => `  [${m.index}] got ${m.actual}, expected ${m.expected} (rel ${m.rel.toExponential(3)})`,
  );
  return `${label}: ${c.count} elements over tol ${tol.toExponential(3)}, max rel ${c.maxRel.toExponential(3)}\n${lines.join('\n')}`;
}

// throws with the first mismatches when any element is over the tolerance; returns the max rel diff
export function assertClose(
  label: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  scale?: (i: number) => number,
): number {
  const c = compareArrays(actual, expected, tol, scale);
  if (c.count > 0) throw new Error(formatMismatches(label, c, tol));
  return c.maxRel;
}

// scalar version: |a - b| <= tol * scale, scale max(1, |b|) by default
export function assertScalarClose(label: string, actual: number, expected: number, tol: number, scale?: number): number {
  return assertClose(label, [actual], [expected], tol, scale === undefined ? undefined : () => scale);
}

export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

// central difference (f(x + h) - f(x - h)) / 2h, error O(h^2 f''') + O(u f / h)
export function centralDiff(f: (x: number) => number, x: number, h = 1e-5): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

// the assignment's gradient check: ||g - a||^2 / (||g||^2 + ||a||^2), 0 when both are 0
export function gradRelError(g: ArrayLike<number>, a: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < g.length; i++) {
    num += (g[i] - a[i]) ** 2;
    den += g[i] * g[i] + a[i] * a[i];
  }
  return den === 0 ? 0 : num / den;
}

// the largest difference per kernel and dtype (one column per backend when record names one), and
// the number of cases, for the summary table
export class DiffStats {
  private readonly rows = new Map<string, { kernel: string; dtype: string; cases: number; maxRel: Map<string, number>; tol: number }>();
  private readonly backends: string[] = [];

  record(kernel: string, dtype: string, rel: number, tol: number, backend = ''): void {
    const key = `${kernel}\u0000${dtype}`;
    const row = this.rows.get(key) ?? { kernel, dtype, cases: 0, maxRel: new Map<string, number>(), tol: 0 };
    row.cases++;
    row.maxRel.set(backend, Math.max(row.maxRel.get(backend) ?? 0, rel));
    row.tol = Math.max(row.tol, tol);
    this.rows.set(key, row);
    if (!this.backends.includes(backend)) this.backends.push(backend);
  }

  table(title: string): string {
    const rows = [...this.rows.values()];
    const cols = this.backends.map((b) => (b === '' ? 'max rel diff' : `${b} max rel diff`));
    const head = ['kernel', 'dtype', 'cases', ...cols, 'max tol'];
    const body = rows.map((r) => [
      r.kernel, r.dtype, String(r.cases),
      ...this.backends.map((b) => (r.maxRel.has(b) ? (r.maxRel.get(b) as number).toExponential(2) : '-')),
      r.tol.toExponential(2),
    ]);
    const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
    const line = (cells: string[]): string => cells.map((s, c) => s.padEnd(widths[c])).join('  ');
    return [title, line(head), ...body.map(line)].join('\n');
  }

  get size(): number {
    return this.rows.size;
  }
}

// the classic bound for a sum of n rounded terms: |computed - exact| <= gamma_n * sum |terms|,
// gamma_n ~ n u; `slack` adds the few roundings around the sum (scaling, one ulp per stored term)
export function gammaTol(n: number, dtype: DType, slack = 8): number {
  return (n + slack) * unitRoundoff(dtype);
}
