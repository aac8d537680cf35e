// bfloat16: the upper 16 bits of a float32 (8 exponent bits, 7 stored significand bits).
// roundBf16(x): the float32 x rounded to the nearest bf16, ties to even, returned as the float32 of
// that value (its low 16 bits zero). NaN stays NaN (quiet, sign kept); float32 subnormals become a
// signed zero, as the hardware conversions (vcvtne2ps2bf16) and dot products (vdpbf16ps, tdpbf16ps)
// treat them: no bf16 operand is ever subnormal, so every path sees the same operands
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function roundBf16(x: number): number {
  f32[0] = x;
  const u = u32[0];
  const exp = u & 0x7f800000;
  if (exp === 0x7f800000) {
    // Inf stays Inf; NaN keeps its sign and top payload bits, quiet bit set
    u32[0] = (u & 0x7fffff) === 0 ? u : (u | 0x400000) & 0xffff0000;
    return f32[0];
  }
  if (exp === 0) {
    u32[0] = u & 0x80000000;
    return f32[0];
  }
  // ties to even on bit 16; a carry out of the significand bumps the exponent (to Inf past the
  // largest bf16), which is the correct rounding
  u32[0] = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 0) & 0xffff0000;
  return f32[0];
}

// dst[i] := roundBf16(src[i]) for i < n; dst may be src
export function roundBf16Array(n: number, src: ArrayLike<number>, dst: Float32Array): void {
  for (let i = 0; i < n; i++) dst[i] = roundBf16(src[i]);
}
