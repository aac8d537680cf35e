// the definitions behind optim_arch.h, included by exactly one file per instruction set
// (optim_avx2.cpp, optim_avx512.cpp), which then says FFNN_OPTIM_INSTANTIATE(its Isa): the loops of
// optim_loops.h compiled with that file's flags, so std::fma is an instruction there (the baseline
// build calls libm's fmaf, a function call per element) and the numbers are the same on every path
#pragma once

#include "optim_arch.h"
#include "optim_loops.h"

namespace ffnn {

template <Isa I, typename T, int G>
void sgd_loop_isa(std::int64_t n, T* param, T* grad, T* buf, const SgdParams& o, double l1) {
  sgd_loop<T, G>(n, param, grad, buf, o, l1);
}

template <Isa I, typename T, int G>
void adam_loop_isa(std::int64_t n, T* param, T* grad, T* m, T* v, const AdamParams& o,
                   const AdamConsts& c, double l1) {
  adam_loop<T, G>(n, param, grad, m, v, o, c, l1);
}

template <Isa I>
void sgd_outer_f32_isa(std::int64_t i0, std::int64_t i1, std::int64_t N, const float* x,
                       const float* gz, float* grad, float* param, float* buf, const SgdParams& o,
                       bool plus_zero) {
  sgd_outer_f32(i0, i1, N, x, gz, grad, param, buf, o, plus_zero);
}

}  // namespace ffnn

#define FFNN_OPTIM_INSTANTIATE_TG(I, T, G)                                                      \
  template void ffnn::sgd_loop_isa<I, T, G>(std::int64_t, T*, T*, T*, const ffnn::SgdParams&,    \
                                            double);                                             \
  template void ffnn::adam_loop_isa<I, T, G>(std::int64_t, T*, T*, T*, T*,                       \
                                             const ffnn::AdamParams&, const ffnn::AdamConsts&,   \
                                             double);
#define FFNN_OPTIM_INSTANTIATE_T(I, T)                                                          \
  FFNN_OPTIM_INSTANTIATE_TG(I, T, 0)                                                            \
  FFNN_OPTIM_INSTANTIATE_TG(I, T, 1)                                                            \
  FFNN_OPTIM_INSTANTIATE_TG(I, T, 2)                                                            \
  FFNN_OPTIM_INSTANTIATE_TG(I, T, 3)
// x86-64 only (FFNN_OPTIM_X86, optim_arch.h)
#if FFNN_OPTIM_X86
#define FFNN_OPTIM_INSTANTIATE(I)                                                               \
  FFNN_OPTIM_INSTANTIATE_T(I, float)                                                            \
  FFNN_OPTIM_INSTANTIATE_T(I, double)                                                           \
  template void ffnn::sgd_outer_f32_isa<I>(std::int64_t, std::int64_t, std::int64_t,             \
                                           const float*, const float*, float*, float*, float*,   \
                                           const ffnn::SgdParams&, bool);
#else
#define FFNN_OPTIM_INSTANTIATE(I)
#endif
