// the one seeded generator of ffnn: xoshiro128** (Blackman and Vigna) seeded through splitmix32.
// uniform doubles take 53 bits from two draws; normals use the Marsaglia polar method, which needs
// only Math.log and Math.sqrt (V8 computes both in software, so a seed gives the same numbers on
// every machine). native code never draws random numbers: both backends see the same values.
import { checkInt } from './util/check.js';

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    checkInt('seed', seed, 0);
    // splitmix32 from the seed's low word fills the four state words; the high word (seeds of 2^32
    // and more), through a bijective mix that keeps 0 at 0, goes into the third: two seeds never share
    // a state (low words that differ give different first words; equal low words, different third
    // ones), and every seed below 2^32 keeps the stream it always had
    const hi = Math.floor(seed / 0x100000000);
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      return fmix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = (next() ^ fmix32(hi)) >>> 0;
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  // next 32-bit unsigned integer
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  // uniform in [0, 1) with 53 random bits
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  // uniform integer in [0, n), without modulo bias
  int(n: number): number {
    if (n <= 0x100000000) {
      const limit = 0x100000000 - (0x100000000 % n);
      let r = this.nextU32();
      while (r >= limit) r = this.nextU32();
      return r % n;
    }
    return Math.floor(this.uniform() * n);
  }

  // standard normal
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  // in-place Fisher-Yates shuffle
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// a fresh seed when the caller gave none: the only place ffnn reads Math.random
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x100000000);
}

// murmur3's 32-bit finalizer: a bijection of 32-bit words, 0 to 0
function fmix32(v: number): number {
  let z = v | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
