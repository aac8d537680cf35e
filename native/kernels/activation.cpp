#include "activation.h"

#include <cmath>
#include <vector>

namespace ffnn {

namespace {

// element math runs in double for both storage types: float data gets one rounding, on store

// two branches so exp never overflows: exp(-x) for x >= 0, exp(x) otherwise
inline double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

// matches Math.max(0, x): NaN stays NaN, -0 becomes 0
inline double relu(double x) { return x > 0 ? x : (x == x ? 0.0 : x); }

// celu(x; a) = max(0, x) + min(0, a (exp(x / a) - 1)); for x <= 0 the second term is <= 0 for
// either sign of a, so it is the whole value; expm1 keeps precision near 0
inline double celu(double x, double a) { return x > 0 ? x : a * std::expm1(x / a); }

inline double forward(int act, double x, double p) {
  switch (act) {
    case ACT_RELU: return relu(x);
    case ACT_SIGMOID: return sigmoid(x);
    case ACT_TANH: return std::tanh(x);
    case ACT_SWISH: return x * sigmoid(p * x);
    case ACT_CELU: return celu(x, p);
    default: return x;
  }
}

struct Deriv {
  double dx;  // d act / d x
  double dp;  // d act / d param
};

inline Deriv derivative(int act, double x, double p) {
  switch (act) {
    case ACT_RELU: return {x > 0 ? 1.0 : 0.0, 0.0};
    case ACT_SIGMOID:
      // s (1 - s) as sigmoid(x) sigmoid(-x): no cancellation in 1 - s, no inf * 0
      return {sigmoid(x) * sigmoid(-x), 0.0};
    case ACT_TANH: {
      const double t = std::tanh(x);
      return {1.0 - t * t, 0.0};
    }
    case ACT_SWISH: {
      // s = sigmoid(b x); d/dx = s + b x s (1 - s); d/db = x^2 s (1 - s)
      // x s and x (1 - s) are each finite, so neither product is inf * 0 at large |x|
      const double t = p * x;
      const double s = sigmoid(t);
      const double s1 = sigmoid(-t);
      const double xs = x * s;
      const double xs1 = x * s1;
      return {s + p * (xs * s1), xs * xs1};
    }
    case ACT_CELU: {
      // d/dx = 1 for x > 0 else exp(x / a); d/da = 0 for x > 0 else expm1(x / a) - (x / a) exp(x / a)
      if (x > 0) return {1.0, 0.0};
      const double u = x / p;
      const double e = std::exp(u);
      // e underflows to 0 where u is -inf or huge: the product's limit is 0, not inf * 0
      const double ue = e == 0 ? 0.0 : u * e;
      return {e, std::expm1(u) - ue};
    }
    default: return {1.0, 0.0};
  }
}

}  // namespace

template <typename T>
void bias_act(std::int64_t B, std::int64_t N, const T* x, const T* bias, int act, double param,
              T* y, T* pre) {
  for (std::int64_t i = 0; i < B; ++i) {
    const std::int64_t row = i * N;
    for (std::int64_t j = 0; j < N; ++j) {
      // read before either write: y and pre may alias x
      const T z = bias ? static_cast<T>(x[row + j] + bias[j]) : x[row + j];
      if (pre) pre[row + j] = z;
      y[row + j] = static_cast<T>(forward(act, static_cast<double>(z), param));
    }
  }
}

template <typename T>
double act_backward(std::int64_t B, std::int64_t N, const T* z, const T* grad_out, int act,
                    double param, T* grad_in, T* grad_bias) {
  // column sums and the param gradient accumulate in double, also for float data
  thread_local std::vector<double> colsum;
  if (grad_bias) colsum.assign(static_cast<std::size_t>(N), 0.0);
  double dparam = 0.0;
  const bool has_param = act == ACT_SWISH || act == ACT_CELU;
  for (std::int64_t i = 0; i < B; ++i) {
    const std::int64_t row = i * N;
    for (std::int64_t j = 0; j < N; ++j) {
      // read before the write: grad_in may alias grad_out
      const double go = static_cast<double>(grad_out[row + j]);
      const Deriv d = derivative(act, static_cast<double>(z[row + j]), param);
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
