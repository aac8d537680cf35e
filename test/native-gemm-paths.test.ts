// every gemm path this cpu supports (avx512, avx2, portable; chosen with the addon's setIsa)
// against the reference, in float32 and float64: sizes around each path's MR, NR, KC, MC and NC
// edges, all four transposes, beta 0 with NaN in c, general alpha and beta; the fused layer
// kernels (linearForward, linearBackward) on each path; then bitwise equality of 1, 2 and 3
// threads (threads split M or N on tile boundaries, never K; layer sums reduce in a fixed order).
// bound as in test/kernels/gemm.test.ts: |c - ref| <= gamma_{K+8} * (|alpha| sum|a||b| + |beta||c|);
// the layer kernels as in test/kernels/linear.test.ts: gamma_{n+32} * max(1, sum|terms|).
import { afterAll, describe, expect, it } from 'vitest';
import type { DType, FloatArray } from '../src/kernels/types.js';
import { referenceKernels as ref } from '../src/kernels/reference/index.js';
import { ACT_CODE, type ActName } from '../src/kernels/types.js';
import { assertClose, assertScalarClose, ctorOf, DTYPES, gammaTol, normalArray, rng, uniformArray } from './helpers/numeric.js';

const skip = process.env.FFNN_SKIP_NATIVE === '1';
const { nativeAddon } = await import('../src/kernels/native.js');

const addon = skip ? null : nativeAddon();
const PATHS: string[] = addon ? addon.supportedIsas() : [];
const savedIsa = addon?.getIsa();
const savedThreads = addon?.getNumThreads();
afterAll(() => {
  if (!addon) return;
  addon.setIsa(savedIsa as string);
  addon.setNumThreads(savedThreads as number);
});

interface Case {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
}

const TRANS: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
const SCALES: [number, number][] = [[1, 0], [0.5, 1], [1.7, -0.5], [-3, 0.25]];
// MR of the paths: 4, 6, 8; NR: 4, 8, 16, 32; KC 256; MC 64..192; NC 1024, 2048 (blocking.h)
const EDGES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 47, 97, 255, 256, 257];

function cases(): Case[] {
  const out: Case[] = [];
  let s = 0;
  for (const e of EDGES) {
    for (const [M, N, K] of [[e, 19, 11], [13, e, 7], [9, 35, e]]) {
      const [transA, transB] = TRANS[s % 4];
      const [alpha, beta] = SCALES[(s >> 2) % 4];
      out.push({ transA, transB, M, N, K, alpha, beta });
      s++;
    }
  }
  // two K blocks of unequal parts, several MC blocks, an NC edge, the MLP shape, a ragged big one;
  // then a^T b of at most 16 columns, computed as its transpose from 17 rows and 4096 elements of a
  // up to 2^20 elements of c (blocking.h: GEMM_NARROW_*): shapes on each side of the row, column and
  // a bounds, and one at the cap on c (the largest scratch)
  const large: [number, number, number][] = [
    [193, 41, 513], [145, 37, 300], [10, 2049, 5], [7, 1025, 3], [16, 256, 784], [61, 97, 259],
    [1024, 10, 256], [257, 16, 33], [300, 1, 20], [17, 7, 300], [16, 7, 300], [100, 17, 100],
    [127, 10, 32], [65536, 16, 1],
  ];
  for (const [M, N, K] of large) {
    for (const [transA, transB] of TRANS) {
      const [alpha, beta] = SCALES[s++ % 4];
      out.push({ transA, transB, M, N, K, alpha, beta });
    }
  }
  return out;
}

function inputs(dtype: DType, cs: Case, seed: number): { a: FloatArray; b: FloatArray; c: FloatArray } {
  const r = rng(seed);
  const a = uniformArray(dtype, cs.M * cs.K, r);
  const b = uniformArray(dtype, cs.K * cs.N, r);
  const c = cs.beta === 0 ? new (ctorOf(dtype))(cs.M * cs.N).fill(NaN) : uniformArray(dtype, cs.M * cs.N, r);
  return { a, b, c };
}

// |alpha| sum_k |op(a)_ik||op(b)_kj| + |beta||c_ij|
function scale(cs: Case, a: FloatArray, b: FloatArray, c: FloatArray): Float64Array {
  const { M, N, K } = cs;
  const s = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let t = 0;
      for (let k = 0; k < K; k++) {
        t += Math.abs(cs.transA ? a[k * M + i] : a[i * K + k]) * Math.abs(cs.transB ? b[j * K + k] : b[k * N + j]);
      }
      s[i * N + j] = Math.abs(cs.alpha) * t + (cs.beta === 0 ? 0 : Math.abs(cs.beta * c[i * N + j]));
    }
  }
  return s;
}

function label(path: string, dtype: DType, cs: Case): string {
  return `${path} ${dtype} ${cs.transA ? 'T' : 'N'}${cs.transB ? 'T' : 'N'} M=${cs.M} N=${cs.N} K=${cs.K} alpha=${cs.alpha} beta=${cs.beta}`;
}

// runs the native gemm on a copy of c followed by a sentinel; checks nothing past c was written
function runNative(dtype: DType, cs: Case, a: FloatArray, b: FloatArray, c: FloatArray): FloatArray {
  const n = cs.M * cs.N;
  const padded = new (ctorOf(dtype))(n + 4).fill(-7.25);
  padded.set(c);
  const out = padded.subarray(0, n);
  addon!.gemm(cs.transA, cs.transB, cs.M, cs.N, cs.K, cs.alpha, a, b, cs.beta, out);
  expect([...padded.subarray(n)], 'gemm wrote past c').toEqual([-7.25, -7.25, -7.25, -7.25]);
  return out;
}

function bitsEqual(x: FloatArray, y: FloatArray): boolean {
  const u = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const v = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
  if (u.length !== v.length) return false;
  for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return false;
  return true;
}

// |a| |b| summed as in a (rows, inner) x (inner, cols) product, at least 1
function absProduct(rows: number, inner: number, cols: number, a: (r: number, k: number) => number, b: (k: number, c: number) => number): Float64Array {
  const s = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    let t = 0;
    for (let k = 0; k < inner; k++) t += Math.abs(a(r, k) * b(k, c));
    s[r * cols + c] = Math.max(1, t);
  }
  return s;
}

const ACTS: [ActName, number][] = [['identity', 1], ['relu', 1], ['sigmoid', 1], ['tanh', 1], ['swish', 1.7], ['celu', 0.5]];
// (B, IN, OUT) around MR, NR and KC, one act each in turn
const LAYERS: [number, number, number][] = [
  [1, 1, 1], [1, 784, 256], [7, 9, 33], [8, 16, 32], [9, 31, 17], [16, 257, 10], [17, 40, 65], [65, 300, 31], [40, 33, 97],
];

interface LayerInputs {
  x: FloatArray; w: FloatArray; bias: FloatArray | null; z: FloatArray; g: FloatArray; gw: FloatArray; gb: FloatArray;
}

function layerInputs(dtype: DType, B: number, IN: number, OUT: number, seed: number, withBias: boolean): LayerInputs {
  const r = rng(seed);
  return {
    x: normalArray(dtype, B * IN, r),
    w: normalArray(dtype, IN * OUT, r),
    bias: withBias ? normalArray(dtype, OUT, r) : null,
    z: normalArray(dtype, B * OUT, r, 3),
    g: normalArray(dtype, B * OUT, r),
    gw: normalArray(dtype, IN * OUT, r),
    gb: normalArray(dtype, OUT, r),
  };
}

interface LayerOut { y: FloatArray; pre: FloatArray; gz: FloatArray; gw: FloatArray; gb: FloatArray; gx: FloatArray; d: number }

// forward then backward (accumulate or not) with one kernel set
function runLayer(
  k: { linearForward: typeof ref.linearForward; linearBackward: typeof ref.linearBackward },
  dtype: DType, B: number, IN: number, OUT: number, act: number, param: number, x: LayerInputs, accumulate: boolean,
): LayerOut {
  const F = ctorOf(dtype);
  const o: LayerOut = {
    y: new F(B * OUT).fill(NaN), pre: new F(B * OUT).fill(NaN), gz: new F(B * OUT).fill(NaN), gw: x.gw.slice(),
    gb: x.gb.slice(), gx: new F(B * IN).fill(NaN), d: 0,
  };
  k.linearForward(B, IN, OUT, x.x, x.w, x.bias, act, param, o.y, o.pre);
  o.d = k.linearBackward(B, IN, OUT, x.x, x.w, x.z, x.g, act, param, o.gz, o.gw, o.gb, o.gx, accumulate);
  return o;
}

describe.skipIf(skip)('gemm paths this cpu supports', () => {
  it('lists at least the portable path, best first', () => {
    expect(PATHS).toContain('portable');
    expect(PATHS[PATHS.length - 1]).toBe('portable');
    expect(PATHS).toContain(addon!.info().isa);
  });

  describe.each(PATHS)('%s', (path) => {
    describe.each(DTYPES)('%s', (dtype) => {
      it('matches the reference around every blocking edge, all transposes, alpha and beta', () => {
        addon!.setIsa(path);
        addon!.setNumThreads(2);
        let seed = 1;
        for (const cs of cases()) {
          const { a, b, c } = inputs(dtype, cs, seed++);
          const want = c.slice();
          ref.gemm(cs.transA, cs.transB, cs.M, cs.N, cs.K, cs.alpha, a, b, cs.beta, want);
          const got = runNative(dtype, cs, a, b, c);
          const s = scale(cs, a, b, c);
          assertClose(label(path, dtype, cs), got, want, gammaTol(cs.K, dtype), (i) => s[i]);
        }
      });

      it('linearForward and linearBackward match the reference, every act, with and without bias', () => {
        addon!.setIsa(path);
        addon!.setNumThreads(2);
        let seed = 500;
        let n = 0;
        for (const [B, IN, OUT] of LAYERS) {
          for (const [actName, param] of ACTS) {
            const act = ACT_CODE[actName];
            const accumulate = n % 2 === 1;
            const x = layerInputs(dtype, B, IN, OUT, seed++, n % 3 !== 2);
            n++;
            const want = runLayer(ref, dtype, B, IN, OUT, act, param, x, accumulate);
            const got = runLayer(addon!, dtype, B, IN, OUT, act, param, x, accumulate);
            const lbl = `${path} ${dtype} B=${B} IN=${IN} OUT=${OUT} ${actName} accumulate=${accumulate}`;
            const sF = absProduct(B, IN, OUT, (i, q) => x.x[i * IN + q], (q, j) => x.w[q * OUT + j]);
            const tolF = gammaTol(IN, dtype, 32);
            assertClose(`${lbl} pre`, got.pre, want.pre, tolF, (i) => sF[i]);
            assertClose(`${lbl} y`, got.y, want.y, tolF, (i) => sF[i]);
            const gz = want.gz;
            const eTol = dtype === 'float64' ? 1e-12 : 16 * 2 ** -24;
            assertClose(`${lbl} gradZ`, got.gz, gz, eTol);
            const sW = absProduct(IN, B, OUT, (i, b) => x.x[b * IN + i], (b, j) => gz[b * OUT + j]);
            const sX = absProduct(B, OUT, IN, (b, j) => gz[b * OUT + j], (j, i) => x.w[i * OUT + j]);
            const sB = absProduct(1, B, OUT, () => 1, (b, j) => gz[b * OUT + j]);
            const acc = (a: FloatArray, sc: Float64Array) => (i: number) => sc[i] + (accumulate ? Math.abs(a[i]) : 0);
            const tolB = gammaTol(B, dtype, 32);
            assertClose(`${lbl} gradW`, got.gw, want.gw, tolB, acc(x.gw, sW));
            assertClose(`${lbl} gradBias`, got.gb, want.gb, tolB, acc(x.gb, sB));
            assertClose(`${lbl} gradX`, got.gx, want.gx, gammaTol(OUT, dtype, 32), (i) => sX[i]);
            let dScale = 1;
            for (let i = 0; i < B * OUT; i++) {
              dScale += Math.abs(x.g[i]) * (actName === 'swish' ? x.z[i] * x.z[i] : actName === 'celu' ? Math.abs(x.z[i]) + 1 : 0);
            }
            assertScalarClose(`${lbl} d/dparam`, got.d, want.d, gammaTol(B * OUT, dtype, 32), dScale);
          }
        }
      });

      it('gives bitwise the same layer outputs on 1, 2 and 3 threads', () => {
        addon!.setIsa(path);
        // big enough that both the products and the activation backward (B OUT >= 2^15) go parallel
        const layers: [number, number, number, ActName, number][] = [
          [128, 100, 256, 'swish', 1.3], [64, 784, 256, 'relu', 1], [200, 37, 300, 'celu', 0.7],
        ];
        let seed = 900;
        for (const [B, IN, OUT, actName, param] of layers) {
          const x = layerInputs(dtype, B, IN, OUT, seed++, true);
          const outs = [1, 2, 3].map((t) => {
            addon!.setNumThreads(t);
            return runLayer(addon!, dtype, B, IN, OUT, ACT_CODE[actName], param, x, true);
          });
          for (const t of [1, 2]) {
            const lbl = `${path} ${dtype} B=${B} IN=${IN} OUT=${OUT} ${actName}: 1 vs ${t + 1} threads`;
            for (const key of ['y', 'pre', 'gz', 'gw', 'gb', 'gx'] as const) {
              expect(bitsEqual(outs[0][key], outs[t][key]), `${lbl} ${key}`).toBe(true);
            }
            expect(Object.is(outs[0].d, outs[t].d), `${lbl} d/dparam`).toBe(true);
          }
        }
      });

      // batch 1 against b transposed (a layer's d loss / d x, gz w^T): dot products of b's rows on the
      // paths that have them. the reference's numbers; the same bits on any thread count and for any
      // run of columns computed alone (linearGradStep computes each thread's columns before the
      // update of those rows of w); K past one depth block, with beta
      it('batch 1 against b transposed: the reference, and the same bits on 1-3 threads and for a run of its columns alone', () => {
        addon!.setIsa(path);
        const shapes: Case[] = [
          { transA: false, transB: true, M: 1, N: 784, K: 256, alpha: 1, beta: 0 },
          { transA: false, transB: true, M: 1, N: 37, K: 19, alpha: 1, beta: 0 },
          { transA: false, transB: true, M: 1, N: 300, K: 1100, alpha: -0.5, beta: 0.75 },
          { transA: false, transB: true, M: 1, N: 5, K: 3, alpha: 2, beta: 1 },
        ];
        let seed = 300;
        try {
          for (const cs of shapes) {
            const { a, b, c } = inputs(dtype, cs, seed++);
            const want = c.slice();
            ref.gemm(false, true, 1, cs.N, cs.K, cs.alpha, a, b, cs.beta, want);
            const outs = [1, 2, 3].map((t) => {
              addon!.setNumThreads(t);
              return runNative(dtype, cs, a, b, c);
            });
            const s = scale(cs, a, b, c);
            assertClose(label(path, dtype, cs), outs[0], want, gammaTol(cs.K, dtype), (i) => s[i]);
            expect(bitsEqual(outs[0], outs[1]), `${label(path, dtype, cs)}: 1 vs 2 threads`).toBe(true);
            expect(bitsEqual(outs[0], outs[2]), `${label(path, dtype, cs)}: 1 vs 3 threads`).toBe(true);
            const lo = Math.floor(cs.N / 3);
            const hi = Math.min(cs.N, lo + 1 + Math.floor(cs.N / 2));
            const part = c.slice(lo, hi);
            addon!.gemm(false, true, 1, hi - lo, cs.K, cs.alpha, a, b.subarray(lo * cs.K, hi * cs.K), cs.beta, part);
            expect(bitsEqual(part, outs[0].subarray(lo, hi)), `${label(path, dtype, cs)}: columns [${lo}, ${hi}) alone`).toBe(true);
          }
        } finally {
          addon!.setNumThreads(2);
        }
      });

      it('gives bitwise the same c on 1, 2 and 3 threads', () => {
        addon!.setIsa(path);
        const shapes: Case[] = [
          { transA: false, transB: false, M: 64, N: 256, K: 784, alpha: 1, beta: 0 },
          { transA: false, transB: false, M: 16, N: 256, K: 784, alpha: 1, beta: 0 },
          { transA: true, transB: false, M: 300, N: 70, K: 100, alpha: 0.5, beta: 1 },
          { transA: false, transB: true, M: 33, N: 1000, K: 40, alpha: 1, beta: 0 },
          { transA: true, transB: true, M: 129, N: 131, K: 300, alpha: -1.5, beta: 0.25 },
          { transA: true, transB: false, M: 1024, N: 10, K: 256, alpha: 1, beta: 0 },
          { transA: true, transB: false, M: 300, N: 16, K: 64, alpha: 0.5, beta: 1 },
          // more rows than columns against b transposed, split by rows so that one thread gets a
          // single row (avx-512's 8-row slivers on 3 threads: [0, 8), [8, 16), [16, 17); avx2's 6 on 2:
          // [0, 6), [6, 7)): that row must take the product's own path, not the batch-1 dot products
          { transA: false, transB: true, M: 17, N: 16, K: 2048, alpha: 1, beta: 0 },
          { transA: false, transB: true, M: 9, N: 8, K: 7300, alpha: 1, beta: 0 },
          { transA: false, transB: true, M: 7, N: 6, K: 12000, alpha: 1, beta: 0 },
        ];
        let seed = 100;
        for (const cs of shapes) {
          const { a, b, c } = inputs(dtype, cs, seed++);
          const outs = [1, 2, 3].map((t) => {
            addon!.setNumThreads(t);
            return runNative(dtype, cs, a, b, c);
          });
          expect(bitsEqual(outs[0], outs[1]), `${label(path, dtype, cs)}: 1 vs 2 threads`).toBe(true);
          expect(bitsEqual(outs[0], outs[2]), `${label(path, dtype, cs)}: 1 vs 3 threads`).toBe(true);
        }
      });

      it('gives a^T b of at most 16 columns, computed as its transpose, the bits of the direct product', () => {
        // c[i][j] reads only column i of a and column j of b, so 8 rows of c computed alone (8 rows
        // are at most GEMM_NARROW_N: the direct product) must equal those rows of the whole product
        // (the transposed one), bit for bit, on rows at the start, middle and end
        addon!.setIsa(path);
        addon!.setNumThreads(2);
        const shapes: Case[] = [
          { transA: true, transB: false, M: 1024, N: 10, K: 256, alpha: 1, beta: 0 },
          { transA: true, transB: false, M: 300, N: 16, K: 64, alpha: 0.5, beta: 1 },
          { transA: true, transB: false, M: 97, N: 1, K: 100, alpha: -1.5, beta: 0.25 },
          { transA: true, transB: false, M: 200, N: 7, K: 513, alpha: 1, beta: 1 },
        ];
        let seed = 300;
        for (const cs of shapes) {
          const { a, b, c } = inputs(dtype, cs, seed++);
          const whole = runNative(dtype, cs, a, b, c);
          for (const r0 of [0, Math.floor(cs.M / 2) - 3, cs.M - 8]) {
            const sub: Case = { ...cs, M: 8 };
            const aSub = new (ctorOf(dtype))(cs.K * 8);
            for (let k = 0; k < cs.K; k++) for (let i = 0; i < 8; i++) aSub[k * 8 + i] = a[k * cs.M + r0 + i];
            const rows = runNative(dtype, sub, aSub, b, c.slice(r0 * cs.N, (r0 + 8) * cs.N));
            const lbl = `${label(path, dtype, cs)} rows ${r0}..${r0 + 7}`;
            expect(bitsEqual(rows, whole.subarray(r0 * cs.N, (r0 + 8) * cs.N)), lbl).toBe(true);
          }
        }
      });
    });
  });

  it('refuses an unknown path with a RangeError and keeps the current one', () => {
    const before = addon!.getIsa();
    expect(() => addon!.setIsa('sse9')).toThrow(RangeError);
    expect(() => addon!.setIsa(3 as unknown as string)).toThrow(TypeError);
    expect(addon!.getIsa()).toBe(before);
  });
});
