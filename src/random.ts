// the one seeded generator of ffnn: xoshiro128** (Blackman and Vigna) seeded through splitmix32.
// uniform doubles take 53 bits from two draws; normals use the Marsaglia polar method, which needs
// only Math.log and Math.sqrt (V8 computes both in software, so a seed gives the same numbers on
// every machine). the one exception, dropout masks, is drawn by native/kernels/dropout.cpp from a
// generator's state words (Rng.state) with the same bits as uniform() here.
import { checkInt } from './util/check.js';

export class Rng {
  // xoshiro128**'s four state words, advanced in place by nextU32 (and by the dropout kernels, which
  // draw from them as uniform() does); the spare normal stays here
  readonly state = new Uint32Array(4);
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
    const s = this.state;
    s[0] = next();
    s[1] = next();
    s[2] = (next() ^ fmix32(hi)) >>> 0;
    s[3] = next();
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  }

  // next 32-bit unsigned integer
  nextU32(): number {
    return nextU32(this.state);
  }

  // uniform in [0, 1) with 53 random bits
  uniform(): number {
    return uniform(this.state);
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

// xoshiro128**'s next output from its state words s (advanced in place)
export function nextU32(s: Uint32Array): number {
  const s0 = s[0];
  const s1 = s[1];
  const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
  const t = s1 << 9;
  const s2 = s[2] ^ s0;
  const s3 = s[3] ^ s1;
  s[1] = s1 ^ s2;
  s[0] = s0 ^ s3;
  s[2] = s2 ^ t;
  s[3] = rotl(s3, 11);
  return result;
}

// uniform in [0, 1) with 53 random bits from two draws of s
export function uniform(s: Uint32Array): number {
  const hi = nextU32(s) >>> 5;
  const lo = nextU32(s) >>> 6;
  return (hi * 67108864 + lo) / 9007199254740992;
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
