// the optimizer loops built with -mavx512f (CMakeLists.txt / binding.gyp set it for this file only);
// called only when the active path is avx-512
#include "optim_arch.h"
#include "optim_loops.h"

namespace ffnn {

template <typename T, int G>
void sgd_loop_avx512(std::int64_t n, T* param, T* grad, T* buf, const SgdParams& o, double l1) {
  sgd_loop<T, G>(n, param, grad, buf, o, l1);
}

template <typename T, int G>
void adam_loop_avx512(std::int64_t n, T* param, T* grad, T* m, T* v, const AdamParams& o,
                      const AdamConsts& c, double l1) {
  adam_loop<T, G>(n, param, grad, m, v, o, c, l1);
}

void sgd_outer_f32_avx512(std::int64_t i0, std::int64_t i1, std::int64_t N, const float* x,
                          const float* gz, float* grad, float* param, float* buf,
                          const SgdParams& o, bool plus_zero) {
  sgd_outer_f32(i0, i1, N, x, gz, grad, param, buf, o, plus_zero);
}

#define FFNN_INSTANTIATE(T, G)                                                                  \
  template void sgd_loop_avx512<T, G>(std::int64_t, T*, T*, T*, const SgdParams&, double);      \
  template void adam_loop_avx512<T, G>(std::int64_t, T*, T*, T*, T*, const AdamParams&,         \
                                       const AdamConsts&, double);
FFNN_INSTANTIATE(float, 0)
FFNN_INSTANTIATE(float, 1)
FFNN_INSTANTIATE(float, 2)
FFNN_INSTANTIATE(float, 3)
FFNN_INSTANTIATE(double, 0)
FFNN_INSTANTIATE(double, 1)
FFNN_INSTANTIATE(double, 2)
FFNN_INSTANTIATE(double, 3)
#undef FFNN_INSTANTIATE

}  // namespace ffnn
