#include "optim.h"

#include <cmath>

#include "fpenv.h"

namespace ffnn {

// element math in double for both storage types; one rounding per stored value

template <typename T>
void sgd_step(std::int64_t n, T* param, const T* grad, T* buf, const SgdParams& o) {
  FlushDenormals ftz;
  const bool use_momentum = o.momentum != 0 && buf != nullptr;
  for (std::int64_t i = 0; i < n; ++i) {
    const double p = static_cast<double>(param[i]);
    // torch.optim.SGD: g = grad + wd * param
    double g = static_cast<double>(grad[i]);
    if (o.weight_decay != 0) g += o.weight_decay * p;
    if (use_momentum) {
      // buf = g on the first step, else momentum * buf + (1 - dampening) * g
      const double b =
          o.first_step ? g : o.momentum * static_cast<double>(buf[i]) + (1.0 - o.dampening) * g;
      buf[i] = static_cast<T>(b);
      g = o.nesterov ? g + o.momentum * b : b;
    }
    param[i] = static_cast<T>(p - o.lr * g);
  }
}

template <typename T>
void adam_step(std::int64_t n, T* param, const T* grad, T* m, T* v, const AdamParams& o) {
  FlushDenormals ftz;
  // torch 1.13 single-tensor adam: denom = sqrt(v) / sqrt(bc2) + eps, step_size = lr / bc1
  const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(o.step));
  const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(o.step));
  const double step_size = o.lr / bc1;
  const double bc2_sqrt = std::sqrt(bc2);
  const double decay = 1.0 - o.lr * o.weight_decay;
  for (std::int64_t i = 0; i < n; ++i) {
    double p = static_cast<double>(param[i]);
    double g = static_cast<double>(grad[i]);
    if (o.weight_decay != 0) {
      // adamw decays the parameter itself; adam adds the L2 term to the gradient
      if (o.decoupled) {
        p *= decay;
      } else {
        g += o.weight_decay * p;
      }
    }
    const double mi = o.beta1 * static_cast<double>(m[i]) + (1.0 - o.beta1) * g;
    const double vi = o.beta2 * static_cast<double>(v[i]) + (1.0 - o.beta2) * (g * g);
    m[i] = static_cast<T>(mi);
    v[i] = static_cast<T>(vi);
    const double denom = std::sqrt(vi) / bc2_sqrt + o.eps;
    param[i] = static_cast<T>(p - step_size * (mi / denom));
  }
}

template void sgd_step<float>(std::int64_t, float*, const float*, float*, const SgdParams&);
template void sgd_step<double>(std::int64_t, double*, const double*, double*, const SgdParams&);
template void adam_step<float>(std::int64_t, float*, const float*, float*, float*,
                               const AdamParams&);
template void adam_step<double>(std::int64_t, double*, const double*, double*, double*,
                                const AdamParams&);

}  // namespace ffnn
