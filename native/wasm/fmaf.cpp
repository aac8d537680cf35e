// a correctly rounded fmaf for the wasm build. wasm32 has no fma instruction, so std::fma(float)
// is a call to libc's fmaf, and wasi-libc's (musl's older fmaf.c) rounds a * b + c to double, then
// to float: a double rounding wherever the double sum lands on a float midpoint (it fixes that only
// under FE_TOWARDZERO, which wasm lacks). the native build rounds once (an instruction or glibc's
// fmaf), so float32 SGD and Adam would differ in the last bit. no Node headers
#include <cmath>
#include <cstdint>
#include <cstring>

// a * b is exact in double (24 + 24 bits); the sum is rounded to odd (round to nearest, then the
// last bit set where the sum was inexact), and odd rounding to 53 bits then nearest to 24 rounds
// once (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums", 2008)
extern "C" float fmaf(float a, float b, float c) {
  const double p = static_cast<double>(a) * static_cast<double>(b);
  const double z = static_cast<double>(c);
  const double s = p + z;
  std::uint64_t u;
  std::memcpy(&u, &s, sizeof u);
  // the common case: s is no float midpoint (the low 29 of its 52 fraction bits are not 1 then 0s)
  // and a normal float or past them: rounding to double kept the exact sum on the same side of
  // every float midpoint (they are doubles), so rounding s to float rounds it once
  if ((u & 0x1fffffffu) != 0x10000000u && ((u >> 52) & 0x7ff) >= 1023 - 126) return static_cast<float>(s);
  if (!std::isfinite(s)) return static_cast<float>(s);
  // TwoSum: s + err == p + z exactly (-ffp-contract=off keeps these operations apart)
  const double bb = s - p;
  const double err = (p - (s - bb)) + (z - bb);
  if (err != 0 && (u & 1) == 0) {
    // one double ulp toward the exact sum: the magnitude grows when err has the sign of s
    if ((err > 0) == (s > 0)) ++u;
    else --u;
  }
  double odd;
  std::memcpy(&odd, &u, sizeof odd);
  return static_cast<float>(odd);
}
