// bias + activation forward and the activation backward; no Node headers
#pragma once

#include <cstdint>

namespace ffnn {

// codes shared with ACT_CODE in src/kernels/types.ts; never renumber
enum Act : int {
  ACT_IDENTITY = 0,
  ACT_RELU = 1,
  ACT_SIGMOID = 2,
  ACT_TANH = 3,
  ACT_SWISH = 4,  // param is beta
  ACT_CELU = 5,   // param is alpha
};
constexpr int ACT_COUNT = 6;

// x is (B, N), bias is (N) or null, y is (B, N), pre is (B, N) or null.
// pre := x + bias, y := act(x + bias; param); y and pre may alias x.
template <typename T>
void bias_act(std::int64_t B, std::int64_t N, const T* x, const T* bias, int act, double param,
              T* y, T* pre);

// z is (B, N), grad_out is (B, N), grad_in is (B, N), grad_bias is (N) or null.
// grad_in := grad_out * act'(z); grad_bias += column sums of grad_in;
// returns sum(grad_out * d act / d param) (swish beta, celu alpha; 0 otherwise).
// grad_in may alias grad_out.
template <typename T>
double act_backward(std::int64_t B, std::int64_t N, const T* z, const T* grad_out, int act,
                    double param, T* grad_in, T* grad_bias);

}  // namespace ffnn
