// every gemm path this cpu supports (avx512, avx2, portable; chosen with the addon's setIsa)
// against the reference, in float32 and float64: sizes around each path's MR, NR, KC, MC and NC
// edges, all four transposes, beta 0 with NaN in c, general alpha and beta; then bitwise equality
// of 1, 2 and 3 threads (threads split M or N on tile boundaries and never K).
// bound as in test/kernels/gemm.test.ts: |c - ref| <= gamma_{K+8} * (|alpha| sum|a||b| + |beta||c|).
import { afterAll, describe, expect, it } from 'vitest';
import type { DType, FloatArray } from '../src/kernels/types.js';
import { referenceKernels as ref } from '../src/kernels/reference/index.js';
import { assertClose, ctorOf, DTYPES, gammaTol, rng, uniformArray } from './helpers/numeric.js';

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
  // two K blocks of unequal parts, several MC blocks, an NC edge, the MLP shape, a ragged big one
  const large: [number, number, number][] = [
    [193, 41, 513], [145, 37, 300], [10, 2049, 5], [7, 1025, 3], [16, 256, 784], [61, 97, 259],
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

      it('gives bitwise the same c on 1, 2 and 3 threads', () => {
        addon!.setIsa(path);
        const shapes: Case[] = [
          { transA: false, transB: false, M: 64, N: 256, K: 784, alpha: 1, beta: 0 },
          { transA: false, transB: false, M: 16, N: 256, K: 784, alpha: 1, beta: 0 },
          { transA: true, transB: false, M: 300, N: 70, K: 100, alpha: 0.5, beta: 1 },
          { transA: false, transB: true, M: 33, N: 1000, K: 40, alpha: 1, beta: 0 },
          { transA: true, transB: true, M: 129, N: 131, K: 300, alpha: -1.5, beta: 0.25 },
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
    });
  });

  it('refuses an unknown path with a RangeError and keeps the current one', () => {
    const before = addon!.getIsa();
    expect(() => addon!.setIsa('sse9')).toThrow(RangeError);
    expect(() => addon!.setIsa(3 as unknown as string)).toThrow(TypeError);
    expect(addon!.getIsa()).toBe(before);
  });
});
