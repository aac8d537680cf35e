// the dropout kernels of every backend against a plain loop over Rng.uniform() (the module's own
// generator): the same masks, outputs, gradients and generator state, for float32 and float64, sizes
// around the SIMD widths, p in {0, 0.2, 0.5, 1}, and at every native thread count (the masks are drawn
// as one stream, whether in order or in lanes that jump ahead); checked arguments refuse a p outside [0, 1] and a short state
import { afterEach, describe, expect, test } from 'vitest';
import { Rng } from '../../src/random.js';
import { checked } from '../../src/kernels/checked.js';
import type { FloatArray } from '../../src/kernels/types.js';
import { backends, skipNative } from '../helpers/backends.js';

const { nativeAddon } = skipNative ? { nativeAddon: () => null } : await import('../../src/kernels/native.js');

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

// the mask and output a plain loop gives from a generator with this seed
function loop(n: number, x: FloatArray, p: number, seed: number, C: Ctor): { mask: FloatArray; y: FloatArray; rng: Rng } {
  const rng = new Rng(seed);
  const mask = new C(n);
  const y = new C(n);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < n; i++) {
    mask[i] = rng.uniform() < p ? 0 : scale;
    y[i] = x[i] * mask[i];
  }
  return { mask, y, rng };
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `[${i}] ${a[i]} vs ${b[i]}`;
  return a.length === b.length ? null : `length ${a.length} vs ${b.length}`;
}

describe.each(backends)('dropout kernels on $name', ({ name, kernels }) => {
  const threads = kernels.getNumThreads();
  afterEach(() => kernels.setNumThreads(threads));

  for (const C of [Float32Array, Float64Array] as const) {
    test(`${C.name}: masks, outputs and state as Rng.uniform draws them`, () => {
      for (const t of name === 'native' ? [1, 2] : [1]) {
        kernels.setNumThreads(t);
        for (const p of [0, 0.2, 0.5, 1]) {
          // from 2^15 elements on the native and wasm kernels draw lanes of the stream side by side (8,
          // 16 on the avx-512 path)
          for (const n of [1, 7, 16, 17, 33, 1000, 32767, 32768, 40000, 65543]) {
            const seed = 31 * n + Math.round(p * 10);
            const x = new C(n).map((_, i) => Math.sin(i + 1) * 3 - (i % 3 === 0 ? 0.5 : 0));
            const want = loop(n, x, p, seed, C);
            const rng = new Rng(seed);
            const mask = new C(n);
            const y = new C(n);
            kernels.dropoutForward(n, x, p, rng.state, mask, y);
            expect(same(mask, want.mask), `p ${p} n ${n} mask`).toBeNull();
            expect(same(y, want.y), `p ${p} n ${n} y`).toBeNull();
            // the generator stands where the loop's does: the next draws agree
            expect(rng.nextU32(), `p ${p} n ${n} state`).toBe(want.rng.nextU32());
            // backward: g * mask, in place too
            const g = new C(n).map((_, i) => Math.cos(i) * 2);
            const gi = new C(n);
            kernels.dropoutBackward(n, g, mask, gi);
            expect(same(gi, g.map((v, i) => v * mask[i])), `p ${p} n ${n} backward`).toBeNull();
            kernels.dropoutBackward(n, g, mask, g);
            expect(same(g, gi), `p ${p} n ${n} backward in place`).toBeNull();
          }
        }
      }
    });
  }

  test('p whose 53-bit threshold shares the first draw\'s high 27 bits: the low bits decide', () => {
    let dropped = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const hi = new Rng(seed).nextU32() >>> 5;
      // the threshold hi 2^26 + 2^25: the first element is dropped when its low 26 bits are below 2^25
      const p = (hi * 67108864 + 33554432) / 9007199254740992;
      const x = new Float64Array(3).fill(1);
      const want = loop(3, x, p, seed, Float64Array);
      const rng = new Rng(seed);
      const mask = new Float64Array(3);
      kernels.dropoutForward(3, x, p, rng.state, mask, new Float64Array(3));
      expect(same(mask, want.mask), `seed ${seed} p ${p}`).toBeNull();
      if (want.mask[0] === 0) dropped++;
    }
    // both sides of the tie were met
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(40);
  });

  test('a tie inside the lanes (the low bits decide there too), on every instruction set of the native addon', () => {
    // native lanes: 8 (baseline) or 16 (avx-512) of m = floor(n / lanes) elements; a p whose threshold
    // shares element k's first-draw high 27 bits makes its low 26 bits decide, for k on lane edges
    const n = 65543;
    const isas: (string | null)[] = [null];
    const addon = name === 'native' ? nativeAddon() : null;
    if (addon) isas.push(...(addon.supportedIsas() as string[]));
    const saved = addon?.getIsa();
    try {
      for (const isa of isas) {
        if (isa !== null) addon!.setIsa(isa);
        let dropped = 0;
        const ks = [0, Math.floor(n / 16) - 1, Math.floor(n / 16), Math.floor(n / 8), 7 * Math.floor(n / 8) + 3, 15 * Math.floor(n / 16), n - 1];
        for (const [j, k] of ks.entries()) {
          for (const half of [0, 1]) {
            const seed = 100 + 2 * j + half;
            const r = new Rng(seed);
            for (let i = 0; i < 2 * k; i++) r.nextU32();
            const hi = r.nextU32() >>> 5;
            const p = (hi * 67108864 + 33554432) / 9007199254740992;
            const x = new Float32Array(n).fill(1);
            const want = loop(n, x, p, seed, Float32Array);
            const rng = new Rng(seed);
            const mask = new Float32Array(n);
            kernels.dropoutForward(n, x, p, rng.state, mask, new Float32Array(n));
            expect(same(mask, want.mask), `isa ${isa} k ${k} seed ${seed}`).toBeNull();
            expect(rng.nextU32(), `isa ${isa} k ${k} state`).toBe(want.rng.nextU32());
            if (want.mask[k] === 0) dropped++;
          }
        }
        // both sides of the ties were met
        expect(dropped, `isa ${isa}`).toBeGreaterThan(0);
        expect(dropped, `isa ${isa}`).toBeLessThan(2 * ks.length);
      }
    } finally {
      if (addon) addon.setIsa(saved as string);
    }
  });

  test('y may alias x', () => {
    const x = new Float32Array(50).map((_, i) => i - 20);
    const want = loop(50, x, 0.3, 9, Float32Array);
    const rng = new Rng(9);
    kernels.dropoutForward(50, x, 0.3, rng.state, new Float32Array(50), x);
    expect(same(x, want.y)).toBeNull();
  });

  test('checked: p outside [0, 1], a short or untyped state, short arrays', () => {
    const k = checked(kernels);
    const x = new Float32Array(4);
    const m = new Float32Array(4);
    const s = new Rng(1).state;
    expect(() => k.dropoutForward(4, x, 1.5, s, m, x)).toThrow(/dropoutForward: p: expected a probability in \[0, 1\], received 1.5/);
    expect(() => k.dropoutForward(4, x, -0.1, s, m, x)).toThrow(RangeError);
    expect(() => k.dropoutForward(4, x, NaN, s, m, x)).toThrow(RangeError);
    expect(() => k.dropoutForward(4, x, 0.5, new Uint32Array(3), m, x)).toThrow(/state: expected at least 4 elements/);
    expect(() => k.dropoutForward(4, x, 0.5, new Int32Array(4) as unknown as Uint32Array, m, x)).toThrow(TypeError);
    expect(() => k.dropoutForward(5, x, 0.5, s, m, x)).toThrow(/x: expected/);
    expect(() => k.dropoutForward(4, x, 0.5, s, new Float64Array(4), x)).toThrow(TypeError);
    expect(() => k.dropoutBackward(4, x, new Float32Array(3), x)).toThrow(/mask: expected/);
  });
});
