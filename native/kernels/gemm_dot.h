// GemmArch::kernel_m1_tb's loop, one template for the paths' vector types (S: zero, load, store,
// fma, add and the scalar sfma of gemm_avx2.cpp / gemm_avx512.cpp), included by each micro-kernel
// file so that it compiles with that file's flags
#pragma once

#include <cstdint>

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace ffnn {

#if defined(__AVX__)
namespace {
// the S::halves of 8 floats and 4 doubles (one copy per including file, compiled with its flags):
// lane i += lane i + w for w = W / 2, ..., 1, then lane 0, as the scalar loop over a stored vector
// did (its store and W - 1 scalar adds through memory made the batch-1 grad_x dots 2-3x slower)
inline float halves8(__m256 v) {
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}
inline double halves4(__m256d v) {
  const __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
}
}  // namespace
#endif

// GemmArch::kernel_m1_tb: c[j] := alpha (a . b[j]) (+ beta c[j]) over kc, for j < nr; each dot in
// four vector accumulators by 4-vector steps, whole vectors after into the first, the last kc % W
// elements in a scalar chain; then (acc0 + acc1) + (acc2 + acc3), its lanes summed in halves (lane
// i += lane i + w, w = W / 2, ..., 1: S::halves, in registers), plus the scalar chain
template <typename S>
void dot_tb(std::int64_t kc, typename S::T alpha, const typename S::T* a, const typename S::T* b,
            std::int64_t ldb, typename S::T beta, typename S::T* c, std::int64_t ldc,
            std::int64_t mr, std::int64_t nr) {
  using T = typename S::T;
  using V = typename S::V;
  constexpr int W = S::W;
  for (std::int64_t j = 0; j < nr; ++j) {
    const T* bj = b + j * ldb;
    V acc0 = S::zero(), acc1 = S::zero(), acc2 = S::zero(), acc3 = S::zero();
    std::int64_t k = 0;
    for (; k + 4 * W <= kc; k += 4 * W) {
      acc0 = S::fma(S::load(a + k), S::load(bj + k), acc0);
      acc1 = S::fma(S::load(a + k + W), S::load(bj + k + W), acc1);
      acc2 = S::fma(S::load(a + k + 2 * W), S::load(bj + k + 2 * W), acc2);
      acc3 = S::fma(S::load(a + k + 3 * W), S::load(bj + k + 3 * W), acc3);
    }
    for (; k + W <= kc; k += W) acc0 = S::fma(S::load(a + k), S::load(bj + k), acc0);
    T tail = T(0);
    for (; k < kc; ++k) tail = S::sfma(a[k], bj[k], tail);
    const T sum = S::halves(S::add(S::add(acc0, acc1), S::add(acc2, acc3))) + tail;
    c[j] = beta == T(0) ? alpha * sum : S::sfma(alpha, sum, beta * c[j]);
  }
}

}  // namespace ffnn
