#include "optim_clip.h"

#include <algorithm>
#include <cmath>

#include "threads.h"

namespace ffnn {

namespace {

// the sum of squares in 8 independent lanes: one chain of adds would run at the adder's latency
template <typename T>
double sum_squares(std::int64_t n, const T* x) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) s[k] += static_cast<double>(x[i + k]) * static_cast<double>(x[i + k]);
  }
  double t = 0;
  for (; i < n; ++i) t += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  return (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))) + t;
}

// chunks of the L2 norm: at least NORM_CHUNK elements (a task worth a thread), at most NORM_PARTS
// of them (their sums on the stack); the split depends on n only
constexpr std::int64_t NORM_CHUNK = 1 << 16;
constexpr int NORM_PARTS = 64;

}  // namespace

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
    const std::int64_t chunk = std::max(NORM_CHUNK, (n + NORM_PARTS - 1) / NORM_PARTS);
    const int parts = static_cast<int>((n + chunk - 1) / chunk);
    double part[NORM_PARTS];
    parallel_for(parts, get_num_threads(), [&](int c) {
      const std::int64_t a = chunk * c;
      part[c] = sum_squares(std::min(chunk, n - a), x + a);
    });
    for (int c = 0; c < parts; c++) s += part[c];
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
void scale(std::int64_t n, T* x, double alpha, bool plus_zero) {
  const T a = static_cast<T>(alpha);
  if (plus_zero) {
    for (std::int64_t i = 0; i < n; i++) x[i] = (T(0) + x[i]) * a;
  } else {
    for (std::int64_t i = 0; i < n; i++) x[i] = x[i] * a;
  }
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
template void scale<float>(std::int64_t, float*, double, bool);
template void scale<double>(std::int64_t, double*, double, bool);
template void clamp_abs<float>(std::int64_t, float*, double);
template void clamp_abs<double>(std::int64_t, double*, double);
template void max_norm_columns<float>(std::int64_t, std::int64_t, float*, double);
template void max_norm_columns<double>(std::int64_t, std::int64_t, double*, double);

}  // namespace ffnn
