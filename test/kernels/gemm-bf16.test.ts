// bf16 mixed-precision products (precision 'bf16' of gemm, linearForward, linearBackward):
// - roundBf16 against an independent oracle (the value rounded to 8 significant bits in doubles);
// - the reference gemmBf16 against a double oracle on the rounded operands;
// - every backend, and every native bf16 path this cpu has (amx, avx512bf16, portable), against the
//   reference, then bitwise over 1, 2 and 3 threads.
// bound: a path sums the same exact products (bf16 x bf16 fits float32) in float32 in another order
// (k pairs, amx tiles, k blocks, fma), so |c - ref| <= 2 gamma_{K+2} S with S = |alpha| sum |a'||b'|
// + |beta||c| (Higham 3.1, each within gamma_{K+2} of the exact sum); we allow 2 gamma_{K+8} S plus
// 2^-120 (products below the smallest normal float flushed) in u = 2^-24.
import { afterAll, describe, expect, it } from 'vitest';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import { roundBf16 } from '../../src/kernels/reference/bf16.js';
import { gemmBf16 } from '../../src/kernels/reference/gemm-bf16.js';
import { checked } from '../../src/kernels/checked.js';
import { ACT_CODE, type ActName, type Kernels } from '../../src/kernels/types.js';
import { backends, nonReferenceBackends } from '../helpers/backends.js';
import { DiffStats, assertClose, gammaTol, normalArray, rng, uniformArray } from '../helpers/numeric.js';

const skipNative = process.env.FFNN_SKIP_NATIVE === '1';
const { nativeAddon } = await import('../../src/kernels/native.js');
const addon = skipNative ? null : nativeAddon();
const PATHS: string[] = addon ? addon.supportedBf16Isas() : [];
const savedPath = addon?.getBf16Isa();
const savedThreads = addon?.getNumThreads();

const stats = new DiffStats();
afterAll(() => {
  if (addon) {
    addon.setBf16Isa(savedPath as string);
    addon.setNumThreads(savedThreads as number);
  }
  if (stats.size > 0) console.log(stats.table('bf16 products vs the reference gemmBf16, |c - ref| / S (tol 2 gamma_{K+8})'));
});

// the independent rounding: 8 significant bits, ties to even, in doubles (exact for every float32)
function oracleBf16(x: number): number {
  if (Number.isNaN(x) || !Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a < 2 ** -126) return x < 0 ? -0 : 0;
  const e = Math.floor(Math.log2(a));
  // log2 can be off by one at powers of two
  const exp = 2 ** e > a ? e - 1 : 2 ** (e + 1) <= a ? e + 1 : e;
  const ulp = 2 ** (exp - 7);
  const q = a / ulp;
  const fl = Math.floor(q);
  const r = q - fl > 0.5 || (q - fl === 0.5 && fl % 2 === 1) ? fl + 1 : fl;
  const v = r * ulp;
  // past the largest bf16 (0x7f7f: (2 - 2^-7) 2^127) rounds to infinity
  return Math.sign(x) * (v >= 2 ** 128 ? Infinity : v);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (u: number): number => {
  u32[0] = u >>> 0;
  return f32[0];
};
const bitsOf = (x: number): number => {
  f32[0] = x;
  return u32[0];
};

// float32 bit patterns: random ones, every tie and its neighbours at a few exponents, the ends
function patterns(): number[] {
  const r = rng(11);
  const out: number[] = [];
  for (let i = 0; i < 4000; i++) out.push(r.int(2 ** 16) * 2 ** 16 + r.int(2 ** 16));
  for (const hi of [0x3f80, 0x3f81, 0x4049, 0x0080, 0x0081, 0x7f7f, 0x7f7e, 0x8080, 0xbf81, 0xff7f]) {
    for (const lo of [0, 1, 0x7fff, 0x8000, 0x8001, 0xffff]) out.push(hi * 2 ** 16 + lo);
  }
  for (const u of [0, 0x80000000, 1, 0x807fffff, 0x007fffff, 0x7f800000, 0xff800000]) out.push(u);
  return out;
}

describe('roundBf16 (the reference rounding)', () => {
  it('agrees with rounding to 8 significant bits in doubles on random, tie and edge float32 values', () => {
    for (const u of patterns()) {
      const x = fromBits(u);
      const got = roundBf16(x);
      const want = oracleBf16(x);
      if (!Object.is(got, want)) throw new Error(`roundBf16(0x${u.toString(16)} = ${x}) = ${got}, expected ${want}`);
      expect(bitsOf(got) & 0xffff).toBe(0);
    }
  });

  it('keeps NaN a quiet NaN with its sign, and Inf', () => {
    for (const u of [0x7f800001, 0x7fc00000, 0xffa00000, 0x7fffffff]) {
      const got = bitsOf(roundBf16(fromBits(u)));
      expect(got >>> 31).toBe(u >>> 31);
      expect(got & 0x7fc00000).toBe(0x7fc00000);
    }
    expect(roundBf16(Infinity)).toBe(Infinity);
    expect(roundBf16(-Infinity)).toBe(-Infinity);
  });
});

interface Case { transA: boolean; transB: boolean; M: number; N: number; K: number; alpha: number; beta: number }

const TRANS: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
const SCALES: [number, number][] = [[1, 0], [0.5, 1], [1.7, -0.5], [-3, 0.25]];
// around the tiles (8 and 32 rows, 16 and 32 columns) and the amx depth (32) and the column blocks
const EDGES = [1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 257];

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
  for (const [M, N, K] of [[64, 300, 784], [256, 10, 128], [33, 257, 300], [300, 17, 65], [16, 1024, 64]] as [number, number, number][]) {
    for (const [transA, transB] of TRANS) {
      const [alpha, beta] = SCALES[s++ % 4];
      out.push({ transA, transB, M, N, K, alpha, beta });
    }
  }
  return out;
}

function inputs(cs: Case, seed: number): { a: Float32Array; b: Float32Array; c: Float32Array } {
  const r = rng(seed);
  const a = uniformArray('float32', cs.M * cs.K, r) as Float32Array;
  const b = uniformArray('float32', cs.K * cs.N, r) as Float32Array;
  const c = cs.beta === 0 ? new Float32Array(cs.M * cs.N).fill(NaN) : (uniformArray('float32', cs.M * cs.N, r) as Float32Array);
  return { a, b, c };
}

// S on the rounded operands, and the exact (double) product of them
function scaleAndExact(cs: Case, a: Float32Array, b: Float32Array, c: Float32Array): { s: Float64Array; exact: Float64Array } {
  const { M, N, K } = cs;
  const s = new Float64Array(M * N);
  const exact = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let t = 0;
      let e = 0;
      for (let k = 0; k < K; k++) {
        const p = roundBf16(cs.transA ? a[k * M + i] : a[i * K + k]) * roundBf16(cs.transB ? b[j * K + k] : b[k * N + j]);
        t += Math.abs(p);
        e += p;
      }
      const cij = cs.beta === 0 ? 0 : cs.beta * c[i * N + j];
      s[i * N + j] = Math.abs(cs.alpha) * t + Math.abs(cij) + 2 ** -120;
      exact[i * N + j] = cs.alpha * e + cij;
    }
  }
  return { s, exact };
}

const label = (who: string, cs: Case): string =>
  `${who} bf16 ${cs.transA ? 'T' : 'N'}${cs.transB ? 'T' : 'N'} M=${cs.M} N=${cs.N} K=${cs.K} alpha=${cs.alpha} beta=${cs.beta}`;

function run(k: Kernels, cs: Case, x: { a: Float32Array; b: Float32Array; c: Float32Array }): Float32Array {
  const n = cs.M * cs.N;
  const padded = new Float32Array(n + 3).fill(-7.25);
  padded.set(x.c);
  const c = padded.subarray(0, n);
  k.gemm(cs.transA, cs.transB, cs.M, cs.N, cs.K, cs.alpha, x.a.slice(), x.b.slice(), cs.beta, c, 'bf16');
  expect([...padded.subarray(n)], 'gemm wrote past c').toEqual([-7.25, -7.25, -7.25]);
  return c;
}

function reference(cs: Case, x: { a: Float32Array; b: Float32Array; c: Float32Array }): Float32Array {
  const want = x.c.slice();
  gemmBf16(cs.transA, cs.transB, cs.M, cs.N, cs.K, cs.alpha, x.a, x.b, cs.beta, want);
  return want;
}

describe('gemmBf16 (the reference)', () => {
  it('is within gamma_{K+2} of the exact product of the rounded operands', () => {
    let seed = 1;
    for (const cs of cases().filter((c) => c.M * c.N * c.K <= 2e6)) {
      const x = inputs(cs, seed++);
      const { s, exact } = scaleAndExact(cs, x.a, x.b, x.c);
      assertClose(label('reference', cs), reference(cs, x), exact, gammaTol(cs.K, 'float32', 2), (i) => s[i]);
    }
  });
});

// every backend's own bf16 products (native on its active path, wasm's portable kernel)
describe.each(nonReferenceBackends)('bf16 gemm on $name', ({ name, kernels }) => {
  it('matches the reference on edge sizes, all transposes, several alpha and beta, beta 0 over NaN', () => {
    let seed = 100;
    for (const cs of cases()) {
      const x = inputs(cs, seed++);
      const got = run(kernels, cs, x);
      const { s } = scaleAndExact(cs, x.a, x.b, x.c);
      const tol = 2 * gammaTol(cs.K, 'float32');
      stats.record('gemm', 'bf16', assertClose(label(name, cs), got, reference(cs, x), tol, (i) => s[i]), tol, name);
    }
  });

  it('rounds each operand as roundBf16 does (products by 1, bitwise)', () => {
    const a = new Float32Array(patterns().slice(0, 1024).map(fromBits).filter((v) => Number.isFinite(v) && Math.abs(v) < 1e30));
    const n = a.length;
    const one = new Float32Array([1]);
    const c = new Float32Array(n);
    kernels.gemm(false, false, n, 1, 1, 1, a, one, 0, c, 'bf16');
    for (let i = 0; i < n; i++) expect(Object.is(c[i], roundBf16(a[i])) || (c[i] === 0 && roundBf16(a[i]) === 0), `a[${i}] = ${a[i]}`).toBe(true);
  });
});

const ACTS: [ActName, number][] = [['identity', 1], ['relu', 1], ['sigmoid', 1], ['tanh', 1], ['swish', 1.7], ['celu', 0.5]];
const LAYERS: [number, number, number][] = [[1, 1, 1], [1, 784, 256], [7, 9, 33], [8, 16, 32], [16, 257, 10], [17, 40, 65], [65, 300, 31]];

// forward then backward of one layer with one kernel set, bf16 products
function layer(k: Kernels, B: number, IN: number, OUT: number, actName: ActName, param: number, seed: number, accumulate: boolean) {
  const r = rng(seed);
  const x = normalArray('float32', B * IN, r) as Float32Array;
  const w = normalArray('float32', IN * OUT, r) as Float32Array;
  const bias = normalArray('float32', OUT, r) as Float32Array;
  const z = normalArray('float32', B * OUT, r, 3) as Float32Array;
  const g = normalArray('float32', B * OUT, r) as Float32Array;
  const gw = normalArray('float32', IN * OUT, r) as Float32Array;
  const gb = normalArray('float32', OUT, r) as Float32Array;
  const y = new Float32Array(B * OUT);
  const pre = new Float32Array(B * OUT);
  const gz = new Float32Array(B * OUT);
  const gx = new Float32Array(B * IN);
  const act = ACT_CODE[actName];
  k.linearForward(B, IN, OUT, x, w, bias, act, param, y, pre, 'bf16');
  const d = k.linearBackward(B, IN, OUT, x, w, z, g, act, param, gz, gw, gb, gx, accumulate, 'bf16');
  // |terms| of each product, at least 1 (the layer tests' scale): on the rounded operands
  const sum = (rows: number, inner: number, cols: number, av: (i: number, k: number) => number, bv: (k: number, j: number) => number) => {
    const s = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
      let t = 0;
      for (let q = 0; q < inner; q++) t += Math.abs(roundBf16(av(i, q)) * roundBf16(bv(q, j)));
      s[i * cols + j] = Math.max(1, t + Math.abs(bias[j % OUT]));
    }
    return s;
  };
  return { y, pre, gz, gw, gb, gx, d, x, w, sum };
}

function checkLayer(who: string, k: Kernels) {
  let seed = 900;
  let n = 0;
  for (const [B, IN, OUT] of LAYERS) {
    const [actName, param] = ACTS[n % ACTS.length];
    const accumulate = n++ % 2 === 1;
    const got = layer(k, B, IN, OUT, actName, param, seed, accumulate);
    const want = layer(ref, B, IN, OUT, actName, param, seed++, accumulate);
    const tag = `${who} linear bf16 B=${B} IN=${IN} OUT=${OUT} ${actName}`;
    // pre is the product plus the bias; the activation then bounds y by pre's error times its slope
    const sPre = got.sum(B, IN, OUT, (i, q) => got.x[i * IN + q], (q, j) => got.w[q * OUT + j]);
    const tol = 2 * gammaTol(IN + 2, 'float32') + 1e-6;
    assertClose(`${tag} pre`, got.pre, want.pre, tol, (i) => sPre[i]);
    assertClose(`${tag} y`, got.y, want.y, 4 * tol, (i) => sPre[i]);
    // gradZ is elementwise (no product): the same numbers up to the activations' float32 formulas
    assertClose(`${tag} gradZ`, got.gz, want.gz, 1e-5);
    const sW = got.sum(IN, B, OUT, (i, q) => got.x[q * IN + i], (q, j) => want.gz[q * OUT + j]);
    assertClose(`${tag} gradW`, got.gw, want.gw, 2 * gammaTol(B + 4, 'float32') + 1e-5, (i) => sW[i] + (accumulate ? 3 : 0));
    const sX = got.sum(B, OUT, IN, (i, q) => want.gz[i * OUT + q], (q, j) => got.w[j * OUT + q]);
    assertClose(`${tag} gradX`, got.gx, want.gx, 2 * gammaTol(OUT + 4, 'float32') + 1e-5, (i) => sX[i]);
    expect(got.gb.length).toBe(OUT);
  }
}

describe.each(nonReferenceBackends)('bf16 layers on $name', ({ name, kernels }) => {
  it('linearForward and linearBackward with precision bf16 match the reference, every act', () => {
    checkLayer(name, kernels);
  });
});

describe.skipIf(skipNative)('native bf16 paths this cpu supports', () => {
  it('lists portable last, and the amx and avx512bf16 paths where the cpu has them', () => {
    expect(PATHS[PATHS.length - 1]).toBe('portable');
    expect(PATHS).toContain(addon!.info().bf16Isa);
  });

  for (const path of ['amx', 'avx512bf16', 'portable']) {
    const has = PATHS.includes(path);
    const why = `${path}: this cpu (or its kernel) does not offer it (supportedBf16Isas: ${PATHS.join(', ')}); not run`;
    describe.skipIf(!has)(has ? path : why, () => {
      it('gemm matches the reference around every tile edge, all transposes, alpha and beta', () => {
        addon!.setBf16Isa(path);
        addon!.setNumThreads(2);
        let seed = 300;
        for (const cs of cases()) {
          const x = inputs(cs, seed++);
          const got = run(addon as unknown as Kernels, cs, x);
          const { s } = scaleAndExact(cs, x.a, x.b, x.c);
          const tol = 2 * gammaTol(cs.K, 'float32');
          stats.record('gemm', 'bf16', assertClose(label(path, cs), got, reference(cs, x), tol, (i) => s[i]), tol, path);
        }
      });

      it('linearForward and linearBackward match the reference', () => {
        addon!.setBf16Isa(path);
        addon!.setNumThreads(2);
        checkLayer(path, addon as unknown as Kernels);
      });

      it('propagates NaN and Inf as the reference does (padding never turns Inf into NaN)', () => {
        addon!.setBf16Isa(path);
        addon!.setNumThreads(2);
        for (const [M, N, K] of [[5, 7, 3], [33, 40, 70], [64, 17, 257]] as [number, number, number][]) {
          const cs: Case = { transA: false, transB: false, M, N, K, alpha: 1, beta: 0 };
          const x = inputs(cs, 55);
          x.a[2] = NaN;
          x.a[K + 1] = Infinity;
          x.b[N * (K - 1) + 1] = -Infinity;
          const got = run(addon as unknown as Kernels, cs, x);
          const want = reference(cs, x);
          for (let i = 0; i < M * N; i++) {
            expect(Number.isNaN(got[i]), `${path} ${M}x${N}x${K} element ${i} NaN`).toBe(Number.isNaN(want[i]));
            if (!Number.isFinite(want[i])) expect(got[i], `${path} element ${i}`).toBe(want[i]);
          }
        }
      });

      it('gives the same bits on 1, 2 and 3 threads', () => {
        addon!.setBf16Isa(path);
        for (const cs of cases().slice(-12)) {
          const x = inputs(cs, 77);
          const outs = [1, 2, 3].map((t) => {
            addon!.setNumThreads(t);
            return run(addon as unknown as Kernels, cs, x);
          });
          expect(Buffer.from(outs[1].buffer).equals(Buffer.from(outs[0].buffer)), label(`${path} 2 threads`, cs)).toBe(true);
          expect(Buffer.from(outs[2].buffer).equals(Buffer.from(outs[0].buffer)), label(`${path} 3 threads`, cs)).toBe(true);
        }
      });
    });
  }
});

describe.each(backends)('precision argument on $name', ({ kernels }) => {
  const k = checked(kernels);
  it('bf16 with float64 arrays is a RangeError naming precision; an unknown precision too', () => {
    const a = new Float64Array(4);
    expect(() => k.gemm(false, false, 2, 2, 1, 1, a, a.slice(), 0, new Float64Array(4), 'bf16')).toThrow(RangeError);
    expect(() => k.gemm(false, false, 2, 2, 1, 1, a, a.slice(), 0, new Float64Array(4), 'bf16')).toThrow(/gemm: precision/);
    const f = new Float32Array(4);
    expect(() => k.gemm(false, false, 2, 2, 1, 1, f, f.slice(), 0, new Float32Array(4), 'fp8' as 'bf16')).toThrow(/gemm: precision.*'float32', 'bf16'/);
    expect(() => k.gemm(false, false, 2, 2, 1, 1, f, f.slice(), 0, new Float32Array(4), 3 as unknown as 'bf16')).toThrow(TypeError);
  });
});

// a step plan whose one layer asks for bf16 products
function stepSpec(dtype: 'float32' | 'float64', precision: unknown) {
  const C = dtype === 'float64' ? Float64Array : Float32Array;
  return {
    dtype, loss: 'ffnn' as const, reduction: 'mean' as const, optimizer: 'sgd' as const,
    layers: [{ IN: 3, OUT: 2, act: 0, param: 0, scalar: -1, w: 0, b: -1, precision: precision as 'bf16' }],
    params: [{ data: new C(6), grad: new C(6), buf: null, m: null, v: null }],
    state: new Float64Array(11 + 1),
  };
}

describe.each(backends)('step plan precision on $name', ({ kernels }) => {
  const k = checked(kernels);
  it('takes bf16 layers in float32, refuses them in float64 and refuses unknown precisions', () => {
    expect(k.createStepPlan(stepSpec('float32', 'bf16')).dtype).toBe('float32');
    expect(() => k.createStepPlan(stepSpec('float64', 'bf16'))).toThrow(/createStepPlan: spec\.layers\[0\]\.precision/);
    expect(() => k.createStepPlan(stepSpec('float32', 'int8'))).toThrow(RangeError);
  });
});

describe.skipIf(skipNative)('the addon re-checks precision', () => {
  it('refuses a bf16 step layer with float64 arrays', () => {
    expect(() => addon!.createStepPlan(stepSpec('float64', 'bf16'))).toThrow(/spec\.layers\[0\]\.precision/);
    expect(() => addon!.createStepPlan(stepSpec('float32', 7))).toThrow(TypeError);
  });

  it('refuses bf16 with float64 arrays and a non-string', () => {
    const a = new Float64Array(4);
    expect(() => addon!.gemm(false, false, 2, 2, 1, 1, a, a.slice(), 0, new Float64Array(4), 'bf16')).toThrow(RangeError);
    const f = new Float32Array(4);
    expect(() => addon!.gemm(false, false, 2, 2, 1, 1, f, f.slice(), 0, new Float32Array(4), 1 as unknown as 'bf16')).toThrow(TypeError);
    expect(() => addon!.setBf16Isa('sse9')).toThrow(RangeError);
  });
});
