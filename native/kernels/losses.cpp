#include "losses.h"

#include <cmath>
#include <vector>

#include "alloc_count.h"
#include "fpenv.h"

namespace ffnn {

namespace {

// row max of a (C) row; NaN propagates
template <typename T>
double row_max(std::int64_t C, const T* x) {
  double m = -INFINITY;
  for (std::int64_t j = 0; j < C; ++j) {
    const double v = static_cast<double>(x[j]);
    if (v > m || v != v) m = v;
    if (m != m) break;
  }
  return m;
}

// e := exp(x - max) for a (C) row, in double; returns the sum, *max gets the row max.
// the max is subtracted only for stability: exp never overflows and the max entry is exp(0) = 1
template <typename T>
double row_exp(std::int64_t C, const T* x, double* e, double* max) {
  const double m = row_max(C, x);
  double sum = 0.0;
  for (std::int64_t j = 0; j < C; ++j) {
    e[j] = std::exp(static_cast<double>(x[j]) - m);
    sum += e[j];
  }
  *max = m;
  return sum;
}

// per-thread row buffer of C doubles, reused across calls
inline double* row_buffer(std::int64_t C) {
  thread_local std::vector<double> buf;
  if (buf.size() < static_cast<std::size_t>(C)) {
    count_allocation();
    buf.resize(static_cast<std::size_t>(C));
  }
  return buf.data();
}

inline double clamp_q(double q, bool stable, double epsilon) {
  return stable && q < epsilon ? epsilon : q;
}

}  // namespace

template <typename T>
void softmax(std::int64_t B, std::int64_t C, const T* x, T* y) {
  // no rows or no columns: nothing to write, and no row buffer sized by an unused C
  if (B <= 0 || C <= 0) return;
  FlushDenormals ftz;
  double* e = row_buffer(C);
  for (std::int64_t i = 0; i < B; ++i) {
    const T* xr = x + i * C;
    T* yr = y + i * C;
    double m;
    const double inv = 1.0 / row_exp(C, xr, e, &m);
    for (std::int64_t j = 0; j < C; ++j) yr[j] = static_cast<T>(e[j] * inv);
  }
}

template <typename T>
double softmax_cross_entropy(std::int64_t B, std::int64_t C, const T* logits, const T* target,
                             T* probs, T* grad) {
  // the mean over zero rows is NaN (as torch); no row buffer sized by an unused C
  if (B <= 0) return NAN;
  FlushDenormals ftz;
  double* e = row_buffer(C);
  double total = 0.0;
  const double invB = 1.0 / static_cast<double>(B);
  for (std::int64_t i = 0; i < B; ++i) {
    const T* xr = logits + i * C;
    const T* tr = target + i * C;
    // log-sum-exp = max + log(sum exp(x - max))
    double m;
    const double sum = row_exp(C, xr, e, &m);
    const double lse = m + std::log(sum);
    const double inv = 1.0 / sum;
    double row = 0.0;
    // the row's target mass: d loss / d x_j = p_j S - t_j (S = 1 for a distribution, so p - t)
    double S = 0.0;
    for (std::int64_t j = 0; j < C; ++j) {
      const double t = static_cast<double>(tr[j]);
      // log softmax = x - lse; a zero target contributes 0 even where x is -inf
      if (t != 0) row -= t * (static_cast<double>(xr[j]) - lse);
      S += t;
    }
    // target is read before grad or probs is written at each j (they may alias it)
    for (std::int64_t j = 0; j < C; ++j) {
      const double t = static_cast<double>(tr[j]);
      const double p = e[j] * inv;
      if (probs) probs[i * C + j] = static_cast<T>(p);
      if (grad) grad[i * C + j] = static_cast<T>((p * S - t) * invB);
    }
    total += row;
  }
  return total / static_cast<double>(B);
}

template <typename T>
double softmax_cross_entropy_index(std::int64_t B, std::int64_t C, const T* logits,
                                   const std::int32_t* target, T* probs, T* grad) {
  // the mean over zero rows is NaN (as torch); no row buffer sized by an unused C
  if (B <= 0) return NAN;
  FlushDenormals ftz;
  double* e = row_buffer(C);
  double total = 0.0;
  const double invB = 1.0 / static_cast<double>(B);
  for (std::int64_t i = 0; i < B; ++i) {
    const T* xr = logits + i * C;
    const std::int64_t k = target[i];
    // log-sum-exp = max + log(sum exp(x - max))
    double m;
    const double sum = row_exp(C, xr, e, &m);
    const double lse = m + std::log(sum);
    const double inv = 1.0 / sum;
    total += lse - static_cast<double>(xr[k]);
    if (probs || grad) {
      for (std::int64_t j = 0; j < C; ++j) {
        const double p = e[j] * inv;
        if (probs) probs[i * C + j] = static_cast<T>(p);
        if (grad) grad[i * C + j] = static_cast<T>((p - (j == k ? 1.0 : 0.0)) * invB);
      }
    }
  }
  return total / static_cast<double>(B);
}

template <typename T>
double ce_loss(std::int64_t B, std::int64_t C, const T* q, const T* p, bool stable,
               double epsilon) {
  FlushDenormals ftz;
  double total = 0.0;
  for (std::int64_t i = 0; i < B * C; ++i) {
    // a zero target adds nothing (0 log q = 0, the entropy convention, as the reference): the one-hot
    // form equals categorical_ce_loss even where an unclamped q is 0
    const double pv = static_cast<double>(p[i]);
    if (pv != 0) total -= pv * std::log(clamp_q(static_cast<double>(q[i]), stable, epsilon));
  }
  return total / static_cast<double>(B);
}

template <typename T>
double categorical_ce_loss(std::int64_t B, std::int64_t C, const T* q, const std::int32_t* target,
                           bool stable, double epsilon) {
  FlushDenormals ftz;
  double total = 0.0;
  for (std::int64_t i = 0; i < B; ++i) {
    total -= std::log(clamp_q(static_cast<double>(q[i * C + target[i]]), stable, epsilon));
  }
  return total / static_cast<double>(B);
}

template <typename T>
double mse_loss(std::int64_t n, const T* pred, const T* target, bool mean, T* grad) {
  FlushDenormals ftz;
  double total = 0.0;
  const double scale = mean ? 2.0 / static_cast<double>(n) : 2.0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(pred[i]) - static_cast<double>(target[i]);
    total += d * d;
    if (grad) grad[i] = static_cast<T>(scale * d);
  }
  return mean ? total / static_cast<double>(n) : total;
}

#define FFNN_INSTANTIATE(T)                                                                      \
  template void softmax<T>(std::int64_t, std::int64_t, const T*, T*);                            \
  template double softmax_cross_entropy<T>(std::int64_t, std::int64_t, const T*, const T*, T*,  \
                                           T*);                                                  \
  template double softmax_cross_entropy_index<T>(std::int64_t, std::int64_t, const T*,          \
                                                 const std::int32_t*, T*, T*);                   \
  template double ce_loss<T>(std::int64_t, std::int64_t, const T*, const T*, bool, double);     \
  template double categorical_ce_loss<T>(std::int64_t, std::int64_t, const T*,                  \
                                         const std::int32_t*, bool, double);                     \
  template double mse_loss<T>(std::int64_t, const T*, const T*, bool, T*);
FFNN_INSTANTIATE(float)
FFNN_INSTANTIATE(double)
#undef FFNN_INSTANTIATE

}  // namespace ffnn
