// the optimizer loops built for one instruction set each (optim_isa.h, compiled by optim_avx2.cpp
// with -mavx2 -mfma and by optim_avx512.cpp with -mavx512f); no Node headers
#pragma once

#include <cstdint>

#include "cpu.h"
#include "optim.h"

// the per-isa builds exist on x86-64 only: elsewhere (arm64, wasm) no path is avx2 or avx-512, so
// optim_isa.h instantiates nothing and optim.cpp names none of them
#if defined(__x86_64__) || defined(_M_X64)
#define FFNN_OPTIM_X86 1
#else
#define FFNN_OPTIM_X86 0
#endif

namespace ffnn {

// G: bits of G_L1 and G_PLUS_ZERO (optim_loops.h). I: Isa::Avx2 or Isa::Avx512, called only when
// that path is active (optim.cpp)
template <Isa I, typename T, int G>
void sgd_loop_isa(std::int64_t n, T* param, T* grad, T* buf, const SgdParams& o, double l1);

// sgd_outer_f32 (optim_loops.h) built for I: its fma are that gemm micro-kernel's instructions
template <Isa I>
void sgd_outer_f32_isa(std::int64_t i0, std::int64_t i1, std::int64_t N, const float* x,
                       const float* gz, float* grad, float* param, float* buf, const SgdParams& o,
                       bool plus_zero);

template <Isa I, typename T, int G>
void adam_loop_isa(std::int64_t n, T* param, T* grad, T* m, T* v, const AdamParams& o,
                   const AdamConsts& c, double l1);

}  // namespace ffnn
