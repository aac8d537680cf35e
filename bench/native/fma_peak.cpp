// one core's fused multiply-add throughput, the ceiling of every gemm figure: independent chains
// of acc = b * c + acc (the micro-kernels' form) in whole vector registers, nothing loaded or
// stored. each path is compiled for its own instruction set (a target attribute; the file itself
// takes the base flags), so calling only the paths the cpu runs (ffnn::isa_supported) is safe.
#include "fma_peak.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace {

double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CH chains; the operands pass through an empty asm so the compiler cannot fold the loop, and one
// lane of the sum leaves through *sink so it cannot drop it
#define FFNN_PEAK_BODY(VEC, SET1, FMA, ADD, CH)                      \
  VEC b = SET1(0.9999999f), c = SET1(1e-7f);                         \
  __asm__ volatile("" : "+v"(b), "+v"(c));                           \
  VEC x[CH];                                                         \
  for (int j = 0; j < CH; ++j) x[j] = SET1(1.0f + j);                \
  const double t0 = seconds();                                       \
  for (long i = 0; i < iters; ++i) {                                 \
    _Pragma("GCC unroll 32") for (int j = 0; j < CH; ++j) x[j] = FMA(b, c, x[j]); \
  }                                                                  \
  const double dt = seconds() - t0;                                  \
  VEC s = x[0];                                                      \
  for (int j = 1; j < CH; ++j) s = ADD(s, x[j]);                     \
  float lane;                                                        \
  std::memcpy(&lane, &s, sizeof lane);                               \
  *sink += lane;                                                     \
  return 2.0 * (sizeof(VEC) / sizeof(float)) * CH * static_cast<double>(iters) / dt / 1e9;

// 24 chains of 16 lanes, 12 of 8: more than pipes x latency on the cores of these paths (2 x 4 on
// zen 5), and within the 32 (16) vector registers
__attribute__((target("avx512f"))) double peak_avx512(long iters, float* sink) {
  FFNN_PEAK_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 24)
}

__attribute__((target("avx2,fma"))) double peak_avx2(long iters, float* sink) {
  FFNN_PEAK_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 12)
}

#undef FFNN_PEAK_BODY

}  // namespace

double fma_peak_gflops(bool avx512, int runs) {
  float sink = 0;
  double best = 0;
  // about 0.1 s a timing at 200 GFLOP/s
  for (int r = 0; r < runs; ++r) {
    best = std::max(best, avx512 ? peak_avx512(2000000, &sink) : peak_avx2(4000000, &sink));
  }
  // sink is never this: it keeps the sums alive without printing them
  return sink == -1.0f ? 0 : best;
}
