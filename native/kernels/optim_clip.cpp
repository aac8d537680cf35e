#include "optim_clip.h"

#include <cmath>

namespace ffnn {

template <typename T>
double vector_norm(std::int64_t n, const T* x, double p) {
  if (std::isinf(p)) {
    double m = 0;
    for (std::int64_t i = 0; i < n; i++) {
      const double a = std::fabs(static_cast<double>(x[i]));
      // a NaN wins, as torch's max
      if (!(a <= m)) m = a;
    }
    return m;
  }
  double s = 0;
  if (p == 2) {
    for (std::int64_t i = 0; i < n; i++) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    return std::sqrt(s);
  }
  if (p == 1) {
    for (std::int64_t i = 0; i < n; i++) s += std::fabs(static_cast<double>(x[i]));
    return s;
  }
  for (std::int64_t i = 0; i < n; i++) s += std::pow(std::fabs(static_cast<double>(x[i])), p);
  return std::pow(s, 1.0 / p);
}

template <typename T>
void scale(std::int64_t n, T* x, double alpha) {
  const T a = static_cast<T>(alpha);
  for (std::int64_t i = 0; i < n; i++) x[i] = x[i] * a;
}

template <typename T>
void clamp_abs(std::int64_t n, T* x, double c) {
  const T hi = static_cast<T>(c);
  const T lo = -hi;
  for (std::int64_t i = 0; i < n; i++) {
    const T v = x[i];
    x[i] = v < lo ? lo : (v > hi ? hi : v);
  }
}

namespace {
// columns per pass: their sums of squares live on the stack (2 KiB), so a step allocates nothing
constexpr std::int64_t COLS = 256;
}  // namespace

template <typename T>
void max_norm_columns(std::int64_t IN, std::int64_t OUT, T* w, double max_norm) {
  double sq[COLS];
  double f[COLS];
  for (std::int64_t j0 = 0; j0 < OUT; j0 += COLS) {
    const std::int64_t nj = OUT - j0 < COLS ? OUT - j0 : COLS;
    for (std::int64_t j = 0; j < nj; j++) sq[j] = 0;
    for (std::int64_t i = 0; i < IN; i++) {
      const T* row = w + i * OUT + j0;
      for (std::int64_t j = 0; j < nj; j++) sq[j] += static_cast<double>(row[j]) * static_cast<double>(row[j]);
    }
    bool any = false;
    for (std::int64_t j = 0; j < nj; j++) {
      const double norm = std::sqrt(sq[j]);
      // torch.renorm: norm > maxnorm scales by maxnorm / (norm + 1e-7); a NaN norm is left alone
      f[j] = norm > max_norm ? max_norm / (norm + 1e-7) : 1.0;
      any = any || f[j] != 1.0;
    }
    if (!any) continue;
    for (std::int64_t i = 0; i < IN; i++) {
      T* row = w + i * OUT + j0;
      for (std::int64_t j = 0; j < nj; j++) {
        if (f[j] != 1.0) row[j] = row[j] * static_cast<T>(f[j]);
      }
    }
  }
}

template double vector_norm<float>(std::int64_t, const float*, double);
template double vector_norm<double>(std::int64_t, const double*, double);
template void scale<float>(std::int64_t, float*, double);
template void scale<double>(std::int64_t, double*, double);
template void clamp_abs<float>(std::int64_t, float*, double);
template void clamp_abs<double>(std::int64_t, double*, double);
template void max_norm_columns<float>(std::int64_t, std::int64_t, float*, double);
template void max_norm_columns<double>(std::int64_t, std::int64_t, double*, double);

}  // namespace ffnn
