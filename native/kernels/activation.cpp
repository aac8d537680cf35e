#include "activation.h"

#include <vector>

#include "activation_math.h"
#include "alloc_count.h"
#include "fpenv.h"

namespace ffnn {

template <typename T>
void bias_act(std::int64_t B, std::int64_t N, const T* x, const T* bias, int act, double param,
              T* y, T* pre) {
  FlushDenormals ftz;
  for (std::int64_t i = 0; i < B; ++i) {
    const std::int64_t row = i * N;
    for (std::int64_t j = 0; j < N; ++j) {
      // read before either write: y and pre may alias x
      const T z = bias ? static_cast<T>(x[row + j] + bias[j]) : x[row + j];
      if (pre) pre[row + j] = z;
      y[row + j] = static_cast<T>(act::forward(act, static_cast<double>(z), param));
    }
  }
}

template <typename T>
double act_backward(std::int64_t B, std::int64_t N, const T* z, const T* grad_out, int act,
                    double param, T* grad_in, T* grad_bias) {
  // zero rows add nothing to grad_bias: no column buffer sized by N
  if (B <= 0) return 0.0;
  FlushDenormals ftz;
  // column sums and the param gradient accumulate in double, also for float data
  thread_local std::vector<double> colsum;
  if (grad_bias) {
    if (colsum.capacity() < static_cast<std::size_t>(N)) count_allocation();
    colsum.assign(static_cast<std::size_t>(N), 0.0);
  }
  double dparam = 0.0;
  const bool has_param = act == ACT_SWISH || act == ACT_CELU;
  for (std::int64_t i = 0; i < B; ++i) {
    const std::int64_t row = i * N;
    for (std::int64_t j = 0; j < N; ++j) {
      // read before the write: grad_in may alias grad_out
      const double go = static_cast<double>(grad_out[row + j]);
      const act::Deriv d = act::derivative(act, static_cast<double>(z[row + j]), param);
      const T gi = static_cast<T>(go * d.dx);
      grad_in[row + j] = gi;
      if (grad_bias) colsum[j] += static_cast<double>(gi);
      if (has_param) dparam += go * d.dp;
    }
  }
  if (grad_bias) {
    for (std::int64_t j = 0; j < N; ++j) {
      grad_bias[j] = static_cast<T>(static_cast<double>(grad_bias[j]) + colsum[j]);
    }
  }
  return dparam;
}

template void bias_act<float>(std::int64_t, std::int64_t, const float*, const float*, int, double,
                              float*, float*);
template void bias_act<double>(std::int64_t, std::int64_t, const double*, const double*, int,
                               double, double*, double*);
template double act_backward<float>(std::int64_t, std::int64_t, const float*, const float*, int,
                                    double, float*, float*);
template double act_backward<double>(std::int64_t, std::int64_t, const double*, const double*, int,
                                     double, double*, double*);

}  // namespace ffnn
