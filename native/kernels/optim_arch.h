// the avx-512 build of the optimizer loops (optim_avx512.cpp); no Node headers
#pragma once

#include <cstdint>

#include "optim.h"

namespace ffnn {

// G: bits of G_L1 and G_PLUS_ZERO (optim_loops.h)
template <typename T, int G>
void sgd_loop_avx512(std::int64_t n, T* param, T* grad, T* buf, const SgdParams& o, double l1);

// sgd_outer_f32 (optim_loops.h) built for avx-512: its fma are the micro-kernel's instructions
void sgd_outer_f32_avx512(std::int64_t i0, std::int64_t i1, std::int64_t N, const float* x,
                          const float* gz, float* grad, float* param, float* buf,
                          const SgdParams& o, bool plus_zero);

template <typename T, int G>
void adam_loop_avx512(std::int64_t n, T* param, T* grad, T* m, T* v, const AdamParams& o,
                      const AdamConsts& c, double l1);

}  // namespace ffnn
