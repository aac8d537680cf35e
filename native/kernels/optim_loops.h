// the optimizer loops, included by optim.cpp (baseline flags) and through optim_isa.h by
// optim_avx2.cpp (-mavx2 -mfma) and optim_avx512.cpp (-mavx512f): the same source, so the same operations in the same order and the same numbers on every path (no
// contraction: -ffp-contract=off). internal linkage in each file, so the builds never merge.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "optim.h"

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

// G: the gradient's treatment, bits of G_L1 and G_PLUS_ZERO
constexpr int G_L1 = 1;
// the gradient was stored where the module path adds it to a zeroed one (0 + -0 = +0): its -0
// entries are written back as +0 before they are read (grad is only written with this bit)
constexpr int G_PLUS_ZERO = 2;

template <typename T, int G>
inline T read_grad(T* grad, std::int64_t i) {
  if (!(G & G_PLUS_ZERO)) return grad[i];
  // literally the module path's 0 + g (x + 0 is not folded away: signed zeros are honoured)
  const T g = static_cast<T>(grad[i] + T(0));
  grad[i] = g;
  return g;
}

// double storage (and Adam for both): element math in double, one rounding per stored value
// the options copied to locals and the arrays restrict: a store to param may not alias an option, so
// the loop-invariant branches are hoisted and the loop vectorizes (same operations, same order)
template <typename T, int G, bool WD, bool MOM>
void sgd_loop_v(std::int64_t n, T* __restrict param, T* __restrict grad, T* __restrict buf,
                const double lr, const double wd, const double momentum, const double dampening,
                const bool nesterov, const bool first, const double l1) {
  for (std::int64_t i = 0; i < n; ++i) {
    const double p = static_cast<double>(param[i]);
    // torch.optim.SGD: g = grad + wd * param
    double g = effective<T, (G & G_L1) != 0>(param[i], read_grad<T, G>(grad, i), l1);
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

// float storage: torch.optim.SGD's float32 arithmetic as its vectorized cpu kernels do it: each
// add_ with an alpha one fused multiply-add with the alpha rounded to float (weight decay
// g + wd p, momentum m buf + (1 - d) g after buf's mul_, nesterov g + m buf, the step p - lr g)
// one element of it: the new param from p and g; the momentum buffer element b updated
template <bool WD, bool MOM>
inline float sgd_f32(float p, float g, float& b, const float neg_lr, const float wd,
                     const float m, const float keep, const bool nesterov, const bool first) {
  if (WD) g = std::fma(p, wd, g);
  if (MOM) {
    b = first ? g : std::fma(g, keep, b * m);
    g = nesterov ? std::fma(b, m, g) : b;
  }
  return std::fma(g, neg_lr, p);
}

template <int G, bool WD, bool MOM>
void sgd_loop_f32(std::int64_t n, float* __restrict param, float* __restrict grad,
                  float* __restrict buf, const float neg_lr, const float wd, const float m,
                  const float keep, const bool nesterov, const bool first, const double l1) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float p = param[i];
    // the l1 scratch value is a float: exact in double and back
    const float g = static_cast<float>(effective<float, (G & G_L1) != 0>(p, read_grad<float, G>(grad, i), l1));
    float b = MOM ? buf[i] : 0.0f;
    param[i] = sgd_f32<WD, MOM>(p, g, b, neg_lr, wd, m, keep, nesterov, first);
    if (MOM) buf[i] = b;
  }
}

// a batch-1 layer's weight gradient and its float32 SGD update in one pass over rows [i0, i1) of
// (IN, N) matrices: grad[i][j] = fma(x[i], gz[j], +0) (what the gemm's micro-kernel stores for a
// product of depth 1: its accumulator starts at +0), + 0 when PZ (G_PLUS_ZERO), then
// sgd_loop_f32's update of param[i][j] from it (no l1)
template <bool PZ, bool WD, bool MOM>
void sgd_outer_f32_v(std::int64_t i0, std::int64_t i1, std::int64_t N, const float* __restrict x,
                     const float* __restrict gz, float* __restrict grad, float* __restrict param,
                     float* __restrict buf, const float neg_lr, const float wd, const float m,
                     const float keep, const bool nesterov, const bool first) {
  for (std::int64_t i = i0; i < i1; ++i) {
    const float xi = x[i];
    float* gr = grad + i * N;
    float* pr = param + i * N;
    float* br = MOM ? buf + i * N : nullptr;
    for (std::int64_t j = 0; j < N; ++j) {
      float g = std::fma(xi, gz[j], 0.0f);
      if (PZ) g = g + 0.0f;
      gr[j] = g;
      float b = MOM ? br[j] : 0.0f;
      pr[j] = sgd_f32<WD, MOM>(pr[j], g, b, neg_lr, wd, m, keep, nesterov, first);
      if (MOM) br[j] = b;
    }
  }
}

inline void sgd_outer_f32(std::int64_t i0, std::int64_t i1, std::int64_t N, const float* x,
                          const float* gz, float* grad, float* param, float* buf,
                          const SgdParams& o, bool plus_zero) {
  const bool mom = o.momentum != 0 && buf != nullptr;
  const bool wd = o.weight_decay != 0;
  const float nl = static_cast<float>(-o.lr), fw = static_cast<float>(o.weight_decay);
  const float fm = static_cast<float>(o.momentum), keep = static_cast<float>(1.0 - o.dampening);
  const bool nest = o.nesterov, first = o.first_step;
#define FFNN_OUTER(PZ, WD, MOM) \
  sgd_outer_f32_v<PZ, WD, MOM>(i0, i1, N, x, gz, grad, param, buf, nl, fw, fm, keep, nest, first)
  if (plus_zero) {
    if (mom) { if (wd) FFNN_OUTER(true, true, true); else FFNN_OUTER(true, false, true); }
    else { if (wd) FFNN_OUTER(true, true, false); else FFNN_OUTER(true, false, false); }
  } else {
    if (mom) { if (wd) FFNN_OUTER(false, true, true); else FFNN_OUTER(false, false, true); }
    else { if (wd) FFNN_OUTER(false, true, false); else FFNN_OUTER(false, false, false); }
  }
#undef FFNN_OUTER
}

template <typename T, int G>
void sgd_loop(std::int64_t n, T* param, T* grad, T* buf, const SgdParams& o, double l1) {
  const bool mom = o.momentum != 0 && buf != nullptr;
  const bool wd = o.weight_decay != 0;
  const double lr = o.lr, w = o.weight_decay, m = o.momentum, d = o.dampening;
  const bool nest = o.nesterov, first = o.first_step;
  if constexpr (std::is_same<T, float>::value) {
    float* fp = param;
    float* fg = grad;
    float* fb = buf;
    const float nl = static_cast<float>(-lr), fw = static_cast<float>(w), fm = static_cast<float>(m);
    const float keep = static_cast<float>(1.0 - d);
    if (mom) {
      if (wd) sgd_loop_f32<G, true, true>(n, fp, fg, fb, nl, fw, fm, keep, nest, first, l1);
      else sgd_loop_f32<G, false, true>(n, fp, fg, fb, nl, fw, fm, keep, nest, first, l1);
    } else {
      if (wd) sgd_loop_f32<G, true, false>(n, fp, fg, fb, nl, fw, fm, keep, nest, first, l1);
      else sgd_loop_f32<G, false, false>(n, fp, fg, fb, nl, fw, fm, keep, nest, first, l1);
    }
  } else if (mom) {
    if (wd) sgd_loop_v<T, G, true, true>(n, param, grad, buf, lr, w, m, d, nest, first, l1);
    else sgd_loop_v<T, G, false, true>(n, param, grad, buf, lr, w, m, d, nest, first, l1);
  } else {
    if (wd) sgd_loop_v<T, G, true, false>(n, param, grad, buf, lr, w, m, d, nest, first, l1);
    else sgd_loop_v<T, G, false, false>(n, param, grad, buf, lr, w, m, d, nest, first, l1);
  }
}

template <typename T, int G, int DECAY>
void adam_loop_v(std::int64_t n, T* __restrict param, T* __restrict grad, T* __restrict m,
                 T* __restrict v, const double beta1, const double beta2, const double eps,
                 const double wd, const double step_size, const double bc2_sqrt,
                 const double decay, const double l1) {
  for (std::int64_t i = 0; i < n; ++i) {
    double p = static_cast<double>(param[i]);
    double g = effective<T, (G & G_L1) != 0>(param[i], read_grad<T, G>(grad, i), l1);
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

template <typename T, int G>
void adam_loop(std::int64_t n, T* param, T* grad, T* m, T* v, const AdamParams& o,
               const AdamConsts& c, double l1) {
  const int mode = o.weight_decay == 0 ? 0 : (o.decoupled ? 2 : 1);
  const double b1 = o.beta1, b2 = o.beta2, eps = o.eps, wd = o.weight_decay;
  if (mode == 0) {
    adam_loop_v<T, G, 0>(n, param, grad, m, v, b1, b2, eps, wd, c.step_size, c.bc2_sqrt, c.decay, l1);
  } else if (mode == 1) {
    adam_loop_v<T, G, 1>(n, param, grad, m, v, b1, b2, eps, wd, c.step_size, c.bc2_sqrt, c.decay, l1);
  } else {
    adam_loop_v<T, G, 2>(n, param, grad, m, v, b1, b2, eps, wd, c.step_size, c.bc2_sqrt, c.decay, l1);
  }
}

}  // namespace
}  // namespace ffnn
