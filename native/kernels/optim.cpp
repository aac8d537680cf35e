#include "optim.h"

#include <cmath>

#include "cpu.h"
#include "fpenv.h"
#include "optim_arch.h"
#include "optim_loops.h"

namespace ffnn {

AdamConsts adam_consts(const AdamParams& o) {
  // torch 1.13 single-tensor adam: denom = sqrt(v) / sqrt(bc2) + eps, step_size = lr / bc1
  const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(o.step));
  const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(o.step));
  AdamConsts c;
  c.step_size = o.lr / bc1;
  c.bc2_sqrt = std::sqrt(bc2);
  c.decay = 1.0 - o.lr * o.weight_decay;
  return c;
}

namespace {

// the loops built for the active path's instruction set (optim_avx2.cpp, optim_avx512.cpp: same
// numbers, its vectors and fma instructions), the baseline build's on the portable path
template <typename T, int G>
void sgd_any(std::int64_t n, T* param, T* grad, T* buf, const SgdParams& o, double l1) {
#if FFNN_OPTIM_X86
  switch (active_isa()) {
    case Isa::Avx512: return sgd_loop_isa<Isa::Avx512, T, G>(n, param, grad, buf, o, l1);
    case Isa::Avx2: return sgd_loop_isa<Isa::Avx2, T, G>(n, param, grad, buf, o, l1);
    default: break;
  }
#endif
  sgd_loop<T, G>(n, param, grad, buf, o, l1);
}

template <typename T, int G>
void adam_any(std::int64_t n, T* param, T* grad, T* m, T* v, const AdamParams& o,
              const AdamConsts& c, double l1) {
#if FFNN_OPTIM_X86
  switch (active_isa()) {
    case Isa::Avx512: return adam_loop_isa<Isa::Avx512, T, G>(n, param, grad, m, v, o, c, l1);
    case Isa::Avx2: return adam_loop_isa<Isa::Avx2, T, G>(n, param, grad, m, v, o, c, l1);
    default: break;
  }
#endif
  adam_loop<T, G>(n, param, grad, m, v, o, c, l1);
}

}  // namespace

template <typename T>
void sgd_update(std::int64_t n, T* param, T* grad, T* buf, const SgdParams& o, double l1,
                bool plus_zero) {
  const int g = (l1 != 0 ? G_L1 : 0) | (plus_zero ? G_PLUS_ZERO : 0);
  switch (g) {
    case 0: sgd_any<T, 0>(n, param, grad, buf, o, 0.0); break;
    case 1: sgd_any<T, 1>(n, param, grad, buf, o, l1); break;
    case 2: sgd_any<T, 2>(n, param, grad, buf, o, 0.0); break;
    default: sgd_any<T, 3>(n, param, grad, buf, o, l1); break;
  }
}

template <typename T>
void adam_update(std::int64_t n, T* param, T* grad, T* m, T* v, const AdamParams& o,
                 const AdamConsts& c, double l1, bool plus_zero) {
  const int g = (l1 != 0 ? G_L1 : 0) | (plus_zero ? G_PLUS_ZERO : 0);
  switch (g) {
    case 0: adam_any<T, 0>(n, param, grad, m, v, o, c, 0.0); break;
    case 1: adam_any<T, 1>(n, param, grad, m, v, o, c, l1); break;
    case 2: adam_any<T, 2>(n, param, grad, m, v, o, c, 0.0); break;
    default: adam_any<T, 3>(n, param, grad, m, v, o, c, l1); break;
  }
}

bool sgd_outer_available() {
  return FFNN_OPTIM_X86 && (active_isa() == Isa::Avx512 || active_isa() == Isa::Avx2);
}

void sgd_outer_update(std::int64_t i0, std::int64_t i1, std::int64_t N, const float* x,
                      const float* gz, float* grad, float* param, float* buf, const SgdParams& o,
                      bool plus_zero) {
#if FFNN_OPTIM_X86
  if (active_isa() == Isa::Avx512) {
    sgd_outer_f32_isa<Isa::Avx512>(i0, i1, N, x, gz, grad, param, buf, o, plus_zero);
  } else {
    sgd_outer_f32_isa<Isa::Avx2>(i0, i1, N, x, gz, grad, param, buf, o, plus_zero);
  }
#endif
}

// grad is only written with G_PLUS_ZERO: the const_casts below never write through it
template <typename T>
void sgd_step(std::int64_t n, T* param, const T* grad, T* buf, const SgdParams& o) {
  FlushDenormals ftz;
  sgd_any<T, 0>(n, param, const_cast<T*>(grad), buf, o, 0.0);
}

template <typename T>
void adam_step(std::int64_t n, T* param, const T* grad, T* m, T* v, const AdamParams& o) {
  FlushDenormals ftz;
  adam_any<T, 0>(n, param, const_cast<T*>(grad), m, v, o, adam_consts(o), 0.0);
}

#define FFNN_INSTANTIATE(T)                                                                      \
  template void sgd_step<T>(std::int64_t, T*, const T*, T*, const SgdParams&);                   \
  template void adam_step<T>(std::int64_t, T*, const T*, T*, T*, const AdamParams&);             \
  template void sgd_update<T>(std::int64_t, T*, T*, T*, const SgdParams&, double, bool);         \
  template void adam_update<T>(std::int64_t, T*, T*, T*, T*, const AdamParams&,                  \
                               const AdamConsts&, double, bool);
FFNN_INSTANTIATE(float)
FFNN_INSTANTIATE(double)
#undef FFNN_INSTANTIATE

}  // namespace ffnn
