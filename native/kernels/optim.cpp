#include "optim.h"

#include <cmath>

#include "fpenv.h"

namespace ffnn {

namespace {

// the gradient the update reads: grad, or grad + l1 sign(param) rounded to T as the optimizer's
// scratch array holds it (torch.sign: 0 at 0 and NaN)
template <typename T, bool L1>
inline double effective(T p, T g, double l1) {
  if (!L1) return static_cast<double>(g);
  if (p > T(0)) return static_cast<double>(static_cast<T>(static_cast<double>(g) + l1));
  if (p < T(0)) return static_cast<double>(static_cast<T>(static_cast<double>(g) - l1));
  return static_cast<double>(g);
}

// element math in double for both storage types; one rounding per stored value
// the options copied to locals and the arrays restrict: a store to param may not alias an option, so
// the loop-invariant branches are hoisted and the loop vectorizes (same operations, same order)
template <typename T, bool L1, bool WD, bool MOM>
void sgd_loop_v(std::int64_t n, T* __restrict param, const T* __restrict grad, T* __restrict buf,
                const double lr, const double wd, const double momentum, const double dampening,
                const bool nesterov, const bool first, const double l1) {
  for (std::int64_t i = 0; i < n; ++i) {
    const double p = static_cast<double>(param[i]);
    // torch.optim.SGD: g = grad + wd * param
    double g = effective<T, L1>(param[i], grad[i], l1);
    if (WD) g += wd * p;
    if (MOM) {
      // buf = g on the first step, else momentum * buf + (1 - dampening) * g
      const double b = first ? g : momentum * static_cast<double>(buf[i]) + (1.0 - dampening) * g;
      buf[i] = static_cast<T>(b);
      g = nesterov ? g + momentum * b : b;
    }
    param[i] = static_cast<T>(p - lr * g);
  }
}

template <typename T, bool L1>
void sgd_loop(std::int64_t n, T* param, const T* grad, T* buf, const SgdParams& o, double l1) {
  const bool mom = o.momentum != 0 && buf != nullptr;
  const bool wd = o.weight_decay != 0;
  const double lr = o.lr, w = o.weight_decay, m = o.momentum, d = o.dampening;
  const bool nest = o.nesterov, first = o.first_step;
  if (mom) {
    if (wd) sgd_loop_v<T, L1, true, true>(n, param, grad, buf, lr, w, m, d, nest, first, l1);
    else sgd_loop_v<T, L1, false, true>(n, param, grad, buf, lr, w, m, d, nest, first, l1);
  } else {
    if (wd) sgd_loop_v<T, L1, true, false>(n, param, grad, buf, lr, w, m, d, nest, first, l1);
    else sgd_loop_v<T, L1, false, false>(n, param, grad, buf, lr, w, m, d, nest, first, l1);
  }
}

template <typename T, bool L1, int DECAY>
void adam_loop_v(std::int64_t n, T* __restrict param, const T* __restrict grad, T* __restrict m,
                 T* __restrict v, const double beta1, const double beta2, const double eps,
                 const double wd, const double step_size, const double bc2_sqrt,
                 const double decay, const double l1) {
  for (std::int64_t i = 0; i < n; ++i) {
    double p = static_cast<double>(param[i]);
    double g = effective<T, L1>(param[i], grad[i], l1);
    // adamw decays the parameter itself (DECAY 2); adam adds the L2 term to the gradient (DECAY 1)
    if (DECAY == 2) p *= decay;
    if (DECAY == 1) g += wd * p;
    const double mi = beta1 * static_cast<double>(m[i]) + (1.0 - beta1) * g;
    const double vi = beta2 * static_cast<double>(v[i]) + (1.0 - beta2) * (g * g);
    m[i] = static_cast<T>(mi);
    v[i] = static_cast<T>(vi);
    const double denom = std::sqrt(vi) / bc2_sqrt + eps;
    param[i] = static_cast<T>(p - step_size * (mi / denom));
  }
}

template <typename T, bool L1>
void adam_loop(std::int64_t n, T* param, const T* grad, T* m, T* v, const AdamParams& o,
               const AdamConsts& c, double l1) {
  const int mode = o.weight_decay == 0 ? 0 : (o.decoupled ? 2 : 1);
  const double b1 = o.beta1, b2 = o.beta2, eps = o.eps, wd = o.weight_decay;
  if (mode == 0) {
    adam_loop_v<T, L1, 0>(n, param, grad, m, v, b1, b2, eps, wd, c.step_size, c.bc2_sqrt, c.decay, l1);
  } else if (mode == 1) {
    adam_loop_v<T, L1, 1>(n, param, grad, m, v, b1, b2, eps, wd, c.step_size, c.bc2_sqrt, c.decay, l1);
  } else {
    adam_loop_v<T, L1, 2>(n, param, grad, m, v, b1, b2, eps, wd, c.step_size, c.bc2_sqrt, c.decay, l1);
  }
}

}  // namespace

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

template <typename T>
void sgd_update(std::int64_t n, T* param, const T* grad, T* buf, const SgdParams& o, double l1) {
  if (l1 != 0) {
    sgd_loop<T, true>(n, param, grad, buf, o, l1);
  } else {
    sgd_loop<T, false>(n, param, grad, buf, o, 0.0);
  }
}

template <typename T>
void adam_update(std::int64_t n, T* param, const T* grad, T* m, T* v, const AdamParams& o,
                 const AdamConsts& c, double l1) {
  if (l1 != 0) {
    adam_loop<T, true>(n, param, grad, m, v, o, c, l1);
  } else {
    adam_loop<T, false>(n, param, grad, m, v, o, c, 0.0);
  }
}

template <typename T>
void sgd_step(std::int64_t n, T* param, const T* grad, T* buf, const SgdParams& o) {
  FlushDenormals ftz;
  sgd_loop<T, false>(n, param, grad, buf, o, 0.0);
}

template <typename T>
void adam_step(std::int64_t n, T* param, const T* grad, T* m, T* v, const AdamParams& o) {
  FlushDenormals ftz;
  adam_loop<T, false>(n, param, grad, m, v, o, adam_consts(o), 0.0);
}

#define FFNN_INSTANTIATE(T)                                                                      \
  template void sgd_step<T>(std::int64_t, T*, const T*, T*, const SgdParams&);                   \
  template void adam_step<T>(std::int64_t, T*, const T*, T*, T*, const AdamParams&);             \
  template void sgd_update<T>(std::int64_t, T*, const T*, T*, const SgdParams&, double);         \
  template void adam_update<T>(std::int64_t, T*, const T*, T*, T*, const AdamParams&,            \
                               const AdamConsts&, double);
FFNN_INSTANTIATE(float)
FFNN_INSTANTIATE(double)
#undef FFNN_INSTANTIATE

}  // namespace ffnn
