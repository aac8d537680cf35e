// gradient clipping and the max-norm constraint, plain loops: torch.nn.utils.clip_grad_norm_'s
// per-tensor norm, clip_grad_value_'s clamp, torch.renorm over the columns of w
import type { FloatArray } from '../types.js';

// x is (n); the p-norm of x (p > 0; p = Infinity: max |x|), accumulated in double; a NaN gives NaN
export function vectorNorm(n: number, x: FloatArray, p: number): number {
  if (p === Infinity) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(x[i]);
      if (!(a <= m)) m = a;
    }
    return m;
  }
  let s = 0;
  if (p === 2) {
    for (let i = 0; i < n; i++) s += x[i] * x[i];
    return Math.sqrt(s);
  }
  if (p === 1) {
    for (let i = 0; i < n; i++) s += Math.abs(x[i]);
    return s;
  }
  for (let i = 0; i < n; i++) s += Math.abs(x[i]) ** p;
  return s ** (1 / p);
}

// clip_grad_norm_'s total norm: the p-norm of the per-tensor norms, 0 without gradients (the fused
// step's clipping, native/kernels/train_step.cpp, combines its L2 norms the same way)
export function totalNorm(norms: readonly number[], p: number): number {
  if (norms.length === 0) return 0;
  if (p === Infinity) return norms.reduce((m, v) => (v > m || Number.isNaN(v) ? v : m), 0);
  let s = 0;
  for (const v of norms) s += p === 2 ? v * v : p === 1 ? v : v ** p;
  return p === 2 ? Math.sqrt(s) : p === 1 ? s : s ** (1 / p);
}

// the factor clip_grad_norm_ multiplies the gradients by, maxNorm / (total + 1e-6), or null where it is
// at least 1 (torch's clamp to 1 changes nothing then; a NaN total gives a NaN factor, as torch)
export function clipCoef(maxNorm: number, total: number): number | null {
  const coef = maxNorm / (total + 1e-6);
  return coef >= 1 ? null : coef;
}

// clipGradNorm of order 2 over gradients (the fused step's on the js device); returns the total
export function clipGradsL2(grads: readonly FloatArray[], maxNorm: number): number {
  const total = totalNorm(grads.map((g) => vectorNorm(g.length, g, 2)), 2);
  const coef = clipCoef(maxNorm, total);
  if (coef !== null) for (const g of grads) scale(g.length, g, coef);
  return total;
}

// x is (n); x *= alpha, alpha rounded to x's type first (a float32 product is then exact in double
// and rounds once on the store, as C++'s float multiply)
export function scale(n: number, x: FloatArray, alpha: number): void {
  const a = x instanceof Float32Array ? Math.fround(alpha) : alpha;
  for (let i = 0; i < n; i++) x[i] = x[i] * a;
}

// x is (n); x := min(max(x, -c), c); a NaN stays NaN
export function clampAbs(n: number, x: FloatArray, c: number): void {
  const hi = x instanceof Float32Array ? Math.fround(c) : c;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    x[i] = v < -hi ? -hi : v > hi ? hi : v;
  }
}

// w is (IN, OUT); each column j whose L2 norm exceeds maxNorm is scaled by maxNorm / (norm + 1e-7)
// (torch.renorm(w, 2, 1, maxNorm)); a NaN norm is left alone
export function maxNormColumns(IN: number, OUT: number, w: FloatArray, maxNorm: number): void {
  const f32 = w instanceof Float32Array;
  for (let j = 0; j < OUT; j++) {
    let s = 0;
    for (let i = 0; i < IN; i++) s += w[i * OUT + j] * w[i * OUT + j];
    const norm = Math.sqrt(s);
    if (!(norm > maxNorm)) continue;
    const f = maxNorm / (norm + 1e-7);
    const a = f32 ? Math.fround(f) : f;
    for (let i = 0; i < IN; i++) w[i * OUT + j] = w[i * OUT + j] * a;
  }
}
