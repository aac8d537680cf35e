// gemm on every backend: against an independent oracle (explicit transposes, i-k-j loop) and, for
// native, against the reference over size sweeps around every blocking edge.
// bound: c is a sum of K products plus alpha and beta roundings, so whatever the summation order
// (blocking, fma, threads) |c - exact| <= gamma_{K+4} * S with S = |alpha| sum_k |a_ik||b_kj| + |beta||c_ij|
// (Higham, Accuracy and Stability, 3.1); the reference rounds once more on store. we allow
// gamma_{K+8} * S per element, in u = 2^-24 (float32) or 2^-53 (float64; <= 1e-12 for every K here).
import { afterAll, describe, expect, it } from 'vitest';
import type { DType, FloatArray, Kernels } from '../../src/kernels/types.js';
import { referenceKernels } from '../../src/kernels/reference/index.js';
import { backends, nonReferenceBackends } from '../helpers/backends.js';
import { DTYPES, DiffStats, assertClose, ctorOf, gammaTol, rng, uniformArray } from '../helpers/numeric.js';

const stats = new DiffStats();
afterAll(() => {
  if (stats.size > 0) console.log(stats.table('gemm: native and wasm vs reference, |c - ref| / (|alpha| sum|a||b| + |beta||c|)'));
});

const EDGE_SIZES = [1, 2, 3, 5, 7, 13, 15, 16, 17, 31, 32, 33, 61, 63, 64, 65, 127, 128, 129, 255, 256, 257];
const TRANS: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
// (alpha, beta); beta 0 always runs with NaN in c
const SCALES: [number, number][] = [[1, 0], [0.5, 1], [1.7, -0.5], [-3, 0.25], [1, 0]];

interface Case {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
}

interface Inputs {
  a: FloatArray;
  b: FloatArray;
  c: FloatArray;
}

function inputs(dtype: DType, cs: Case, seed: number): Inputs {
  const r = rng(seed);
  const a = uniformArray(dtype, cs.M * cs.K, r);
  const b = uniformArray(dtype, cs.K * cs.N, r);
  const c = cs.beta === 0 ? new (ctorOf(dtype))(cs.M * cs.N).fill(NaN) : uniformArray(dtype, cs.M * cs.N, r);
  return { a, b, c };
}

// S_ij = |alpha| sum_k |op(a)_ik||op(b)_kj| + |beta||c_ij|, in doubles
function errorScale(cs: Case, x: Inputs): Float64Array {
  const { M, N, K } = cs;
  const s = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        sum += Math.abs(cs.transA ? x.a[k * M + i] : x.a[i * K + k]) * Math.abs(cs.transB ? x.b[j * K + k] : x.b[k * N + j]);
      }
      s[i * N + j] = Math.abs(cs.alpha) * sum + (cs.beta === 0 ? 0 : Math.abs(cs.beta * x.c[i * N + j]));
    }
  }
  return s;
}

// the oracle: transposes made explicit, then an i-k-j loop over double accumulators
function oracle(cs: Case, x: Inputs): Float64Array {
  const { M, N, K } = cs;
  const A = new Float64Array(M * K);
  const Bm = new Float64Array(K * N);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) A[i * K + k] = cs.transA ? x.a[k * M + i] : x.a[i * K + k];
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) Bm[k * N + j] = cs.transB ? x.b[j * K + k] : x.b[k * N + j];
  const acc = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const aik = A[i * K + k];
      for (let j = 0; j < N; j++) acc[i * N + j] += aik * Bm[k * N + j];
    }
  }
  for (let i = 0; i < M * N; i++) acc[i] = cs.alpha * acc[i] + (cs.beta === 0 ? 0 : cs.beta * x.c[i]);
  return acc;
}

// runs k.gemm on a copy of c with a NaN sentinel past its end; checks the sentinel survived
function run(k: Kernels, dtype: DType, cs: Case, x: Inputs): FloatArray {
  const n = cs.M * cs.N;
  const padded = new (ctorOf(dtype))(n + 3).fill(-7.25);
  padded.set(x.c);
  const c = padded.subarray(0, n);
  k.gemm(cs.transA, cs.transB, cs.M, cs.N, cs.K, cs.alpha, x.a.slice(), x.b.slice(), cs.beta, c);
  expect([...padded.subarray(n)], 'gemm wrote past c').toEqual([-7.25, -7.25, -7.25]);
  return c;
}

function label(cs: Case, dtype: DType): string {
  return `gemm ${dtype} ${cs.transA ? 'T' : 'N'}${cs.transB ? 'T' : 'N'} M=${cs.M} N=${cs.N} K=${cs.K} alpha=${cs.alpha} beta=${cs.beta}`;
}

// M, N and K each swept over the edge sizes with the other two fixed, all four transposes,
// alpha and beta rotating through SCALES; then empty and large shapes
function sweep(base: number): Case[] {
  const cases: Case[] = [];
  let s = 0;
  for (const size of EDGE_SIZES) {
    for (const dims of [[size, base, base], [base, size, base], [base, base, size]]) {
      for (const [transA, transB] of TRANS) {
        const [alpha, beta] = SCALES[s++ % SCALES.length];
        cases.push({ transA, transB, M: dims[0], N: dims[1], K: dims[2], alpha, beta });
      }
    }
  }
  for (const [M, N, K] of [[0, 5, 3], [4, 0, 3], [4, 5, 0], [0, 0, 0]]) {
    cases.push({ transA: false, transB: false, M, N, K, alpha: 1, beta: 0 });
    cases.push({ transA: true, transB: true, M, N, K, alpha: 2, beta: 0.5 });
  }
  return cases;
}

const LARGE: Case[] = [
  { transA: false, transB: false, M: 512, N: 300, K: 784, alpha: 1, beta: 0 },
  { transA: true, transB: false, M: 784, N: 300, K: 512, alpha: 1, beta: 1 },
  { transA: false, transB: true, M: 1024, N: 1024, K: 64, alpha: 0.5, beta: 0 },
  { transA: true, transB: true, M: 257, N: 255, K: 513, alpha: -1.7, beta: 0.25 },
  // b packed row by row (M past the in-place limit) over two column panels, the second starting
  // past column 1024 and ending in a partial sliver, and two K blocks
  { transA: false, transB: false, M: 100, N: 1100, K: 600, alpha: 1, beta: 0.5 },
];

describe.each(backends)('gemm on $name', ({ kernels }) => {
  describe.each(DTYPES)('%s', (dtype) => {
    it('matches the independent oracle on edge sizes, all transposes, several alpha and beta', () => {
      let seed = 1;
      for (const cs of sweep(13).filter((c) => Math.max(c.M, c.N, c.K) <= 65)) {
        const x = inputs(dtype, cs, seed++);
        const got = run(kernels, dtype, cs, x);
        const s = errorScale(cs, x);
        assertClose(label(cs, dtype), got, oracle(cs, x), gammaTol(cs.K, dtype), (i) => s[i]);
      }
    });

    it('one row of a (batch 1) over widths around the wide batch-1 kernel (128 columns) and its masked tail', () => {
      let seed = 5000;
      for (const N of [1, 10, 31, 127, 128, 129, 160, 255, 256, 257, 300, 1024]) {
        for (const K of [1, 7, 784]) {
          for (const [alpha, beta] of [[1, 0], [0.5, 1]] as [number, number][]) {
            for (const transA of [false, true]) {
              const cs: Case = { transA, transB: false, M: 1, N, K, alpha, beta };
              const x = inputs(dtype, cs, seed++);
              const got = run(kernels, dtype, cs, x);
              const s = errorScale(cs, x);
              assertClose(label(cs, dtype), got, oracle(cs, x), gammaTol(cs.K, dtype), (i) => s[i]);
            }
          }
        }
      }
    });

    it('writes c without reading it when beta is 0 (NaN and Inf in c do not leak)', () => {
      for (const [transA, transB] of TRANS) {
        const cs: Case = { transA, transB, M: 17, N: 33, K: 9, alpha: 1.5, beta: 0 };
        const x = inputs(dtype, cs, 99);
        x.c.fill(NaN);
        x.c[3] = Infinity;
        x.c[5] = -Infinity;
        const got = run(kernels, dtype, cs, x);
        const s = errorScale(cs, x);
        assertClose(label(cs, dtype), got, oracle(cs, x), gammaTol(cs.K, dtype), (i) => s[i]);
      }
    });

    it('scales c by beta when K is 0 and zeroes it when beta is 0 too', () => {
      const c = new (ctorOf(dtype))([1, 2, 3, 4, 5, 6]);
      kernels.gemm(false, false, 2, 3, 0, 1, new (ctorOf(dtype))(0), new (ctorOf(dtype))(0), 0.5, c);
      expect([...c]).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
      c.fill(NaN);
      kernels.gemm(true, true, 2, 3, 0, 1, new (ctorOf(dtype))(0), new (ctorOf(dtype))(0), 0, c);
      expect([...c]).toEqual([0, 0, 0, 0, 0, 0]);
    });

    it('gives the textbook product', () => {
      const F = ctorOf(dtype);
      const c = new F(4).fill(NaN);
      // [1 2 3; 4 5 6] [1 0; 0 1; 1 1] = [4 5; 10 11]
      kernels.gemm(false, false, 2, 2, 3, 1, new F([1, 2, 3, 4, 5, 6]), new F([1, 0, 0, 1, 1, 1]), 0, c);
      expect([...c]).toEqual([4, 5, 10, 11]);
      // 2 * a^T b^T + 1 * c with a (3, 2), b (2, 3)
      kernels.gemm(true, true, 2, 2, 3, 2, new F([1, 4, 2, 5, 3, 6]), new F([1, 0, 1, 0, 1, 1]), 1, c);
      expect([...c]).toEqual([12, 15, 30, 33]);
    });
  });
});

describe.each(nonReferenceBackends)('gemm: $name against the reference', ({ name, kernels }) => {
  describe.each(DTYPES)('%s', (dtype) => {
    function check(cs: Case, seed: number): void {
      const x = inputs(dtype, cs, seed);
      const want = run(referenceKernels, dtype, cs, x);
      const got = run(kernels, dtype, cs, x);
      const s = errorScale(cs, x);
      const tol = gammaTol(cs.K, dtype);
      stats.record('gemm', dtype, assertClose(label(cs, dtype), got, want, tol, (i) => s[i]), tol, name);
    }

    it('agrees on M, N, K swept over edge sizes, all transposes, several alpha and beta', () => {
      let seed = 1000;
      for (const cs of sweep(37)) check(cs, seed++);
    });

    it('agrees on large shapes', () => {
      let seed = 2000;
      for (const cs of LARGE) check(cs, seed++);
    });
  });
});
