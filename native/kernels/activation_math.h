// the scalar activation math shared by bias_act, act_backward and the fused layer epilogues, so
// the fused kernels compute the same numbers as their parts; no Node headers
#pragma once

#include <cmath>

#include "activation.h"

namespace ffnn {

namespace act {

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

}  // namespace act

}  // namespace ffnn
