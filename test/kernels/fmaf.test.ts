// the reference's fmaf (src/kernels/reference/fmaf.ts) and the wasm module's (native/wasm/fmaf.cpp, the
// one its float32 optimizers link: wasi-libc's rounds twice): one rounding of a * b + c to float32,
// checked against exact integer arithmetic and on sums that a double rounding gets wrong
import { describe, expect, it } from 'vitest';
import { fmaf } from '../../src/kernels/reference/fmaf.js';
import { Rng } from '../../src/random.js';
import { wasm } from '../helpers/backends.js';
import { wasmMemory } from '../../src/kernels/wasm/memory.js';

type Fmaf = (a: number, b: number, c: number) => number;
const IMPLS: [string, Fmaf][] = [['reference', fmaf]];
if (wasm !== null) {
  wasm.kernels.info(); // loads the module, or throws why it did not
  IMPLS.push(['wasm', wasmMemory().fn('ffnn_fmaf')]);
}

// a normal float as mantissa * 2^exponent with an integer mantissa
function split(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  let e = Math.floor(Math.log2(Math.abs(x))) - 23;
  let m = x / 2 ** e;
  while (!Number.isInteger(m)) {
    e -= 1;
    m = x / 2 ** e;
  }
  return [BigInt(m), e];
}

// a * b + c rounded once to float32 (nearest, ties to even), in integers; normal results only
function exactFmaf(a: number, b: number, c: number): number {
  const [ma, ea] = split(a);
  const [mb, eb] = split(b);
  const [mc, ec] = split(c);
  const base = Math.min(ea + eb, ec);
  const s = ((ma * mb) << BigInt(ea + eb - base)) + (mc << BigInt(ec - base));
  if (s === 0n) return 0;
  const neg = s < 0n;
  const mag = neg ? -s : s;
  const bits = mag.toString(2).length;
  const shift = bits - 24;
  if (shift <= 0) return (neg ? -1 : 1) * Number(mag) * 2 ** base;
  let q = mag >> BigInt(shift);
  const rem = mag - (q << BigInt(shift));
  const half = 1n << BigInt(shift - 1);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  return (neg ? -1 : 1) * Number(q) * 2 ** (shift + base);
}

describe.each(IMPLS)('fmaf (%s)', (_name, impl) => {
  it('rounds once where rounding to double, then to float, is off by an ulp', () => {
    // a * b + c = 1 + 2^-24 + 2^-70: just above the midpoint of 1 and 1 + 2^-23
    const a = 1 + 2 ** -23;
    const b = 1 - 2 ** -24;
    const c = 2 ** -47 * (1 + 2 ** -23);
    expect(Math.fround(a * b + c)).toBe(1); // the double rounding lands on the midpoint
    expect(impl(a, b, c)).toBe(1 + 2 ** -23);
    expect(impl(-a, b, -c)).toBe(-(1 + 2 ** -23));
    expect(exactFmaf(a, b, c)).toBe(1 + 2 ** -23);
  });

  it('agrees with exact integer arithmetic on 20,000 random triples', () => {
    const rng = new Rng(7);
    const f = (): number => Math.fround((rng.uniform() * 2 - 1) * 2 ** Math.floor(rng.uniform() * 40 - 20));
    let unfused = 0;
    for (let i = 0; i < 20000; i++) {
      const a = f();
      const b = f();
      // c near -a b half of the time: cancellation, where the rounding matters most
      const c = i % 2 === 0 ? f() : Math.fround(-a * b * (1 + (rng.uniform() - 0.5) * 2 ** -10));
      const want = exactFmaf(a, b, c);
      const got = impl(a, b, c);
      if (!Object.is(got, want) && !(got === 0 && want === 0)) {
        throw new Error(`impl(${a}, ${b}, ${c}) = ${got}, exact ${want}`);
      }
      if (Math.fround(Math.fround(a * b) + c) !== want) unfused++;
    }
    // a multiply rounded to float before the add differs on many of them: the check has teeth
    expect(unfused).toBeGreaterThan(1000);
  });

  it('keeps the largest float where the exact sum is below its midpoint with 2^128 (a double rounding overflows)', () => {
    const FMAX = 3.4028234663852886e38;
    const a = 599479 * 2 ** 47;
    const b = 14329 * 2 ** 23;
    // a b = (2^33 - 1) 2^70: FMAX + a b = 2^128 - 2^103 - 2^70, which rounds to the double 2^128 - 2^103
    expect(FMAX + a * b).toBe(2 ** 128 - 2 ** 103);
    expect(Math.fround(FMAX + a * b)).toBe(Infinity);
    expect(impl(a, b, FMAX)).toBe(FMAX);
    expect(impl(-a, b, -FMAX)).toBe(-FMAX);
    // at or past the midpoint it overflows, as fmaf does
    expect(impl(2 ** 103, 1, FMAX)).toBe(Infinity);
  });

  it('passes NaN and infinities through', () => {
    expect(impl(NaN, 1, 1)).toBeNaN();
    expect(impl(Infinity, 1, 1)).toBe(Infinity);
    expect(impl(Infinity, 0, 1)).toBeNaN();
    expect(impl(1, 1, -Infinity)).toBe(-Infinity);
  });
});
