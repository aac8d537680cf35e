// fmaf(a, b, c): a * b + c for float32 values with one rounding to float32, as C's fmaf and the
// fused multiply-add instruction. a * b of two floats is exact in a double (24 + 24 bits); the sum is
// then rounded to odd in double (the double nearest, moved one unit to the odd neighbour when it is
// inexact and even), and a value rounded to odd with at least two more bits than the target rounds
// to the target exactly as the exact value would (53 >= 24 + 2): Math.fround of it is the single
// rounding
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const LO = LITTLE ? 0 : 1;
const HI = 1 - LO;

export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  // rounding s to float is the single rounding unless s landed on a float midpoint (a midpoint is a
  // double, so one lying strictly between the exact sum and s would have been nearer): r + 2 (s - r)
  // is then the other float neighbour (both steps exact); anything else rounds alike
  const r = Math.fround(s);
  const d = s - r;
  if (d === 0 || d !== d) return r;
  // (r infinite with s finite: s at or past the midpoint of the largest float and 2^128, where C's
  // fmaf still gives the largest float for an exact sum below that midpoint: on to the exact error)
  if (r !== Infinity && r !== -Infinity) {
    const t = r + 2 * d;
    if (Math.fround(t) !== t) return r;
  }
  // the error of s, exactly (TwoSum)
  const bb = s - p;
  const e = p - (s - bb) + (c - bb);
  if (e === 0) return r;
  f64[0] = s;
  if ((u32[LO] & 1) === 0) {
    // s even and inexact: the odd neighbour toward the exact value
    if (e > 0 === s > 0) {
      u32[LO] += 1;
    } else if (u32[LO] === 0) {
      u32[LO] = 0xffffffff;
      u32[HI] -= 1;
    } else {
      u32[LO] -= 1;
    }
  }
  return Math.fround(f64[0]);
}
