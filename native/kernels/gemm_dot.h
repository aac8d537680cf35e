// GemmArch::kernel_m1_tb's loop, one template for the paths' vector types (S: zero, load, store,
// fma, add and the scalar sfma of gemm_avx2.cpp / gemm_avx512.cpp), included by each micro-kernel
// file so that it compiles with that file's flags
#pragma once

#include <cstdint>

namespace ffnn {

// GemmArch::kernel_m1_tb: c[j] := alpha (a . b[j]) (+ beta c[j]) over kc, for j < nr; each dot in
// four vector accumulators by 4-vector steps, whole vectors after into the first, the last kc % W
// elements in a scalar chain; then (acc0 + acc1) + (acc2 + acc3), its lanes summed in halves (lane
// i += lane i + w, w = W / 2, ..., 1), plus the scalar chain
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
    T lane[W];
    S::store(lane, S::add(S::add(acc0, acc1), S::add(acc2, acc3)));
    for (int w = W / 2; w >= 1; w /= 2) {
      for (int i = 0; i < w; ++i) lane[i] += lane[i + w];
    }
    const T sum = lane[0] + tail;
    c[j] = beta == T(0) ? alpha * sum : S::sfma(alpha, sum, beta * c[j]);
  }
}

}  // namespace ffnn
