// every non-gemm kernel: native and wasm (each its own C++ build) against the reference in float32 and float64, with extreme inputs
// mixed into the random ones. tolerances (u = 2^-53 or 2^-24):
// - elementwise outputs: |a - b| <= tol * max(1, |b|); float64 1e-12 (both sides use a correctly
//   rounded add and a <= 1 ulp libm); float32 16u (the native side rounds b x, exp and the products
//   in float, a few ulps each, while the reference rounds once on store).
// - sums over n terms (losses, the param gradient, gradBias): |a - b| <= gamma_{n+slack} * sum |terms|,
//   valid for any summation order; the slack covers per-term float rounding (32 in float32).
// - denormals: native flushes them to zero (fpenv.h, x86), wasm cannot (no such mode) and keeps them
//   as the reference does; a flushed value is off by less than 1.2e-38 (float) or 2.2e-308, far
//   below every floor above (max(1, |ref|) tol), so both pass the same tolerances (the table shows
//   native's biasAct/softmax float32 differences of ~1e-38 where wasm's are 0).
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ACT_CODE, type ActName, type DType, type FloatArray, type Kernels } from '../../src/kernels/types.js';
import { referenceKernels as ref, actParamDerivative } from '../../src/kernels/reference/index.js';
import { nonReferenceBackends } from '../helpers/backends.js';
import {
  DTYPES, DiffStats, assertClose, assertScalarClose, classIndices, ctorOf, distributionArray, gammaTol,
  normalArray, oneHot, rng, uniformArray,
} from '../helpers/numeric.js';
import type { Rng } from '../../src/random.js';

// the largest native-vs-reference and wasm-vs-reference difference per kernel and dtype, printed
// after the suite; `backendName` is the backend of the running case
const stats = new DiffStats();
let backendName = '';
afterAll(() => {
  if (stats.size > 0) console.log(stats.table('kernels: native and wasm vs reference (elementwise max(1,|ref|)-relative; sums relative to sum|terms|)'));
});

const ACTS = Object.keys(ACT_CODE) as ActName[];
const PARAMS = [0.5, 1, 1.7, 3];
const EXTREMES = [100, -100, 800, -800, 20, -20, 88, -88, 0];
const SHAPES: [number, number][] = [[1, 1], [2, 3], [3, 5], [7, 13], [17, 33], [64, 65], [129, 7], [31, 257]];

function elemTol(dtype: DType): number {
  return dtype === 'float64' ? 1e-12 : 16 * 2 ** -24;
}

function sumTol(n: number, dtype: DType): number {
  return gammaTol(n, dtype, dtype === 'float64' ? 8 : 32);
}

// normal * scale with extremes written over some entries
function withExtremes(dtype: DType, n: number, r: Rng, scale: number): FloatArray {
  const a = normalArray(dtype, n, r, scale);
  for (let i = 0; i < n; i++) if (r.uniform() < 0.1) a[i] = EXTREMES[r.int(EXTREMES.length)];
  return a;
}

function paramsOf(act: ActName): number[] {
  return act === 'swish' || act === 'celu' ? PARAMS : [1];
}

function elem(kernel: string, dtype: DType, label: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  const tol = elemTol(dtype);
  stats.record(kernel, dtype, assertClose(`${kernel} ${dtype} ${label}`, got, want, tol), tol, backendName);
}

function sum(kernel: string, dtype: DType, label: string, got: number, want: number, n: number, scale: number): void {
  const tol = sumTol(n, dtype);
  stats.record(kernel, dtype, assertScalarClose(`${kernel} ${dtype} ${label}`, got, want, tol, Math.max(scale, Number.MIN_VALUE)), tol, backendName);
}

// FFNN_SKIP_NATIVE=1 leaves nothing to compare: say so instead of an empty file
if (nonReferenceBackends.length === 0) it.skip('native and wasm backends skipped (FFNN_SKIP_NATIVE=1, FFNN_SKIP_WASM=1)', () => {});

describe.each(nonReferenceBackends)('$name against the reference', ({ name, kernels: k }: { name: string; kernels: Kernels }) => {
  beforeEach(() => {
    backendName = name;
  });
  describe.each(DTYPES)('%s', (dtype) => {
    const F = ctorOf(dtype);

    it('biasAct: every activation, param, shape, with and without bias and pre, and in place', () => {
      const r = rng(11);
      for (const act of ACTS) {
        for (const param of paramsOf(act)) {
          for (const [B, N] of SHAPES) {
            const x = withExtremes(dtype, B * N, r, 4);
            const bias = r.uniform() < 0.5 ? null : normalArray(dtype, N, r);
            const label = `${act}(${param}) B=${B} N=${N} bias=${bias !== null}`;
            const [y0, y1, p0, p1] = [new F(B * N), new F(B * N), new F(B * N), new F(B * N)];
            ref.biasAct(B, N, x, bias, ACT_CODE[act], param, y0, p0);
            k.biasAct(B, N, x.slice(), bias?.slice() ?? null, ACT_CODE[act], param, y1, p1);
            elem('biasAct', dtype, `${label} y`, y1, y0);
            elem('biasAct', dtype, `${label} pre`, p1, p0);
            const inPlace = x.slice();
            k.biasAct(B, N, inPlace, bias, ACT_CODE[act], param, inPlace, null);
            elem('biasAct', dtype, `${label} y aliasing x`, inPlace, y0);
          }
        }
      }
    });

    it('actBackward: gradIn, gradBias and the param gradient, every activation and param, in place', () => {
      const r = rng(12);
      for (const act of ACTS) {
        for (const param of paramsOf(act)) {
          for (const [B, N] of SHAPES) {
            const z = withExtremes(dtype, B * N, r, 4);
            const g = normalArray(dtype, B * N, r);
            const gb = normalArray(dtype, N, r);
            const label = `${act}(${param}) B=${B} N=${N}`;
            const [gi0, gi1] = [new F(B * N), new F(B * N)];
            const [gb0, gb1] = [gb.slice(), gb.slice()];
            const d0 = ref.actBackward(B, N, z, g, ACT_CODE[act], param, gi0, gb0);
            const d1 = k.actBackward(B, N, z.slice(), g.slice(), ACT_CODE[act], param, gi1, gb1);
            elem('actBackward', dtype, `${label} gradIn`, gi1, gi0);
            let dScale = 0;
            for (let i = 0; i < B * N; i++) dScale += Math.abs(g[i] * actParamDerivative(ACT_CODE[act], z[i], param));
            sum('actBackward', dtype, `${label} d/dparam`, d1, d0, B * N, dScale);
            for (let j = 0; j < N; j++) {
              let s = Math.abs(gb[j]);
              for (let i = 0; i < B; i++) s += Math.abs(gi0[i * N + j]);
              sum('actBackward', dtype, `${label} gradBias[${j}]`, gb1[j], gb0[j], B, s);
            }
            const inPlace = g.slice();
            const d2 = k.actBackward(B, N, z, inPlace, ACT_CODE[act], param, inPlace, null);
            elem('actBackward', dtype, `${label} gradIn aliasing gradOut`, inPlace, gi0);
            sum('actBackward', dtype, `${label} d/dparam in place`, d2, d0, B * N, dScale);
          }
        }
      }
    });

    // relu's d loss / d z is a select, so every path must give the reference's bits: gradOut where
    // z > 0, else gradOut * 0 (-0 for a negative gradOut, NaN for NaN or an infinite gradOut), into
    // its own array (a Sequential's Linear + ReLU pair in the module calls: gradOut is the caller's)
    // or over gradOut (the fused step); native takes a hand-written sse2 loop for both
    it('linearBackward relu: gradZ has the reference bits (signed zeros, NaN, z = 0), separate and in place', () => {
      const r = rng(13);
      const special = [0, -0, 1e-30, -1e-30, NaN, Infinity, -Infinity];
      // the bits of each element; any NaN as one (its sign and payload are not specified, js
      // itself may change them on a store)
      const bits = (a: FloatArray) => {
        const raw = dtype === 'float32' ? new Uint32Array(a.buffer) : new BigUint64Array(a.buffer);
        return Array.from(a, (v, i) => (Number.isNaN(v) ? 'NaN' : String(raw[i])));
      };
      for (const [B, N] of [...SHAPES, [5, 260], [3, 1024]] as [number, number][]) {
        const z = normalArray(dtype, B * N, r);
        const g = normalArray(dtype, B * N, r);
        for (let i = 0; i < B * N; i++) {
          if (r.uniform() < 0.2) z[i] = special[r.int(special.length)];
          if (r.uniform() < 0.1) g[i] = special[r.int(special.length)];
        }
        const x = new F(B);
        const w = new F(N);
        const gz0 = new F(B * N);
        const label = `relu B=${B} N=${N}`;
        // relu has no parameter: its gradient is 0 whatever gradOut holds (not Inf * 0)
        expect(ref.linearBackward(B, 1, N, x, w, z, g, ACT_CODE.relu, 0, gz0, null, new F(N), null, false), `${label} reference d/dparam`).toBe(0);
        const gz1 = new F(B * N);
        expect(k.linearBackward(B, 1, N, x, w, z, g, ACT_CODE.relu, 0, gz1, null, new F(N), null, false), `${label} d/dparam`).toBe(0);
        expect(bits(gz1), `${label} gradZ`).toEqual(bits(gz0));
        const inPlace = g.slice();
        k.linearBackward(B, 1, N, x, w, z, inPlace, ACT_CODE.relu, 0, inPlace, null, null, null, false);
        expect(bits(inPlace), `${label} gradZ over gradOut`).toEqual(bits(gz0));
      }
    });

    const CLASS_SHAPES: [number, number][] = [[1, 1], [1, 2], [3, 3], [5, 10], [16, 17], [33, 127], [64, 257], [7, 1000]];

    it('softmax: shapes, extremes, in place', () => {
      const r = rng(13);
      for (const [B, C] of CLASS_SHAPES) {
        const x = withExtremes(dtype, B * C, r, 4);
        const [y0, y1] = [new F(B * C), new F(B * C)];
        ref.softmax(B, C, x, y0);
        k.softmax(B, C, x.slice(), y1);
        const tol = dtype === 'float64' ? 1e-12 : gammaTol(C, dtype, 32);
        stats.record('softmax', dtype, assertClose(`softmax ${dtype} B=${B} C=${C}`, y1, y0, tol), tol, backendName);
        const inPlace = x.slice();
        k.softmax(B, C, inPlace, inPlace);
        assertClose(`softmax ${dtype} B=${B} C=${C} in place`, inPlace, y0, tol);
      }
    });

    it('softmaxCrossEntropy: class indices, one-hot and soft targets, probs and grad', () => {
      const r = rng(14);
      for (const [B, C] of CLASS_SHAPES) {
        const idx = classIndices(B, C, r);
        const targets: [string, FloatArray | Int32Array][] = [
          ['indices', idx],
          ['one-hot', oneHot(dtype, idx, C)],
          ['soft', distributionArray(dtype, B, C, r)],
          // rows that do not sum to 1 (multi-label scores): the gradient is p * S - t, S the row sum
          ['weights', uniformArray(dtype, B * C, r, 0, 2)],
        ];
        for (const [kind, target] of targets) {
          const logits = withExtremes(dtype, B * C, r, 4);
          const label = `B=${B} C=${C} ${kind}`;
          const [p0, p1, g0, g1] = [new F(B * C), new F(B * C), new F(B * C), new F(B * C)];
          const l0 = ref.softmaxCrossEntropy(B, C, logits, target, p0, g0);
          const l1 = k.softmaxCrossEntropy(B, C, logits.slice(), target.slice(), p1, g1);
          const l2 = k.softmaxCrossEntropy(B, C, logits, target, null, null);
          // sum over rows and classes of |t| (|z - max| + |lse|) / B, lse <= log C
          let scale = 0;
          for (let i = 0; i < B; i++) {
            let max = -Infinity;
            for (let j = 0; j < C; j++) max = Math.max(max, logits[i * C + j]);
            for (let j = 0; j < C; j++) {
              const t = target instanceof Int32Array ? (target[i] === j ? 1 : 0) : target[i * C + j];
              scale += (Math.abs(t) * (Math.abs(logits[i * C + j] - max) + Math.log(C) + 1)) / B;
            }
          }
          sum('softmaxCrossEntropy', dtype, `${label} loss`, l1, l0, B * C, scale);
          sum('softmaxCrossEntropy', dtype, `${label} loss without outputs`, l2, l0, B * C, scale);
          const tol = dtype === 'float64' ? 1e-12 : gammaTol(C, dtype, 32);
          stats.record('softmaxCrossEntropy', dtype, assertClose(`softmaxCrossEntropy ${dtype} ${label} probs`, p1, p0, tol), tol, backendName);
          // the gradient is (p S - t) / B, S the row's target sum: error relative to max(S, 1) / B
          const rowScale = (i: number): number => {
            if (target instanceof Int32Array) return 1 / B;
            const row = Math.floor(i / C);
            let S = 0;
            for (let j = 0; j < C; j++) S += Math.abs(target[row * C + j]);
            return Math.max(S, 1) / B;
          };
          const rel = assertClose(`softmaxCrossEntropy ${dtype} ${label} grad`, g1, g0, tol, rowScale);
          stats.record('softmaxCrossEntropy', dtype, rel, tol, backendName);
        }
      }
    });

    it('ceLoss and categoricalCELoss: stable with zeros in q, unstable, several epsilons', () => {
      const r = rng(15);
      for (const [B, C] of CLASS_SHAPES) {
        for (const epsilon of [1e-8, 1e-3, 0.25]) {
          for (const stable of [true, false]) {
            const q = distributionArray(dtype, B, C, r);
            if (stable) for (let i = 0; i < q.length; i++) if (r.uniform() < 0.2) q[i] = r.uniform() < 0.5 ? 0 : 1e-12;
            const idx = classIndices(B, C, r);
            const p = r.uniform() < 0.5 ? distributionArray(dtype, B, C, r) : oneHot(dtype, idx, C);
            const label = `B=${B} C=${C} stable=${stable} epsilon=${epsilon}`;
            let scale = 0;
            let catScale = 0;
            for (let i = 0; i < B * C; i++) scale += Math.abs(p[i] * Math.log(stable ? Math.max(q[i], epsilon) : q[i])) / B;
            for (let i = 0; i < B; i++) catScale += Math.abs(Math.log(stable ? Math.max(q[i * C + idx[i]], epsilon) : q[i * C + idx[i]])) / B;
            const l0 = ref.ceLoss(B, C, q, p, stable, epsilon);
            sum('ceLoss', dtype, label, k.ceLoss(B, C, q, p, stable, epsilon), l0, B * C, scale);
            const c0 = ref.categoricalCELoss(B, C, q, idx, stable, epsilon);
            sum('categoricalCELoss', dtype, label, k.categoricalCELoss(B, C, q, idx, stable, epsilon), c0, B, catScale);
          }
        }
      }
    });

    it('mseLoss: sum and mean, with and without grad', () => {
      const r = rng(16);
      for (const n of [1, 2, 3, 7, 17, 64, 1000, 4097]) {
        for (const reduction of ['sum', 'mean'] as const) {
          const pred = uniformArray(dtype, n, r, -10, 10);
          const target = uniformArray(dtype, n, r, -10, 10);
          const [g0, g1] = [new F(n), new F(n)];
          const l0 = ref.mseLoss(n, pred, target, reduction, g0);
          const l1 = k.mseLoss(n, pred, target, reduction, g1);
          const l2 = k.mseLoss(n, pred, target, reduction, null);
          // every term is a square: the sum of |terms| is the loss itself
          sum('mseLoss', dtype, `n=${n} ${reduction}`, l1, l0, n, l0);
          sum('mseLoss', dtype, `n=${n} ${reduction} no grad`, l2, l0, n, l0);
          elem('mseLoss', dtype, `n=${n} ${reduction} grad`, g1, g0);
        }
      }
    });

    it('sgdStep: momentum, dampening, nesterov, weight decay over several steps', () => {
      const r = rng(17);
      const configs = [
        { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
        { momentum: 0, dampening: 0, nesterov: false, weightDecay: 1e-2 },
        { momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
        { momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 5e-4 },
        { momentum: 0.5, dampening: 0, nesterov: true, weightDecay: 1e-2 },
      ];
      for (const cfg of configs) {
        for (const n of [1, 3, 17, 1000, 4099]) {
          for (const lr of [0.1, 1e-3]) {
            const [w0, w1] = [normalArray(dtype, n, r), new F(n)];
            w1.set(w0);
            const [b0, b1] = [new F(n), new F(n)];
            for (let step = 0; step < 4; step++) {
              const grad = normalArray(dtype, n, r);
              const o = { ...cfg, lr, firstStep: step === 0 };
              ref.sgdStep(n, w0, grad, cfg.momentum === 0 ? null : b0, o);
              k.sgdStep(n, w1, grad, cfg.momentum === 0 ? null : b1, o);
              const label = `${JSON.stringify(o)} n=${n} step ${step + 1}`;
              elem('sgdStep', dtype, `${label} param`, w1, w0);
              elem('sgdStep', dtype, `${label} buf`, b1, b0);
            }
          }
        }
      }
    });

    it('adamStep: Adam and AdamW, weight decay, betas, over several steps', () => {
      const r = rng(18);
      const configs = [
        { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false },
        { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, decoupled: false },
        { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, decoupled: true },
        { beta1: 0, beta2: 0.5, eps: 1e-3, weightDecay: 0.1, decoupled: true },
      ];
      for (const cfg of configs) {
        for (const n of [1, 3, 17, 1000, 4099]) {
          for (const lr of [1e-3, 0.1]) {
            const [w0, w1] = [normalArray(dtype, n, r), new F(n)];
            w1.set(w0);
            const [m0, m1, v0, v1] = [new F(n), new F(n), new F(n), new F(n)];
            for (let step = 1; step <= 5; step++) {
              const grad = normalArray(dtype, n, r);
              const o = { ...cfg, lr, step };
              ref.adamStep(n, w0, grad, m0, v0, o);
              k.adamStep(n, w1, grad, m1, v1, o);
              const label = `${JSON.stringify(o)} n=${n}`;
              elem('adamStep', dtype, `${label} param`, w1, w0);
              elem('adamStep', dtype, `${label} m`, m1, m0);
              elem('adamStep', dtype, `${label} v`, v1, v0);
            }
          }
        }
      }
    });
  });
});
