// optimizer steps, in PyTorch's order of operations; no Node headers
#pragma once

#include <cstdint>

namespace ffnn {

struct SgdParams {
  double lr;
  double momentum;
  double dampening;
  bool nesterov;
  double weight_decay;
  bool first_step;  // the step that creates the momentum buffer: buf = g, no dampening
};

struct AdamParams {
  double lr;
  double beta1;
  double beta2;
  double eps;
  double weight_decay;
  bool decoupled;     // false: torch.optim.Adam (L2 in the gradient); true: torch.optim.AdamW
  std::int64_t step;  // 1-based, for bias correction
};

// param, grad, buf are (n); buf may be null when momentum is 0; updates param and buf in place
template <typename T>
void sgd_step(std::int64_t n, T* param, const T* grad, T* buf, const SgdParams& o);

// param, grad, m, v are (n); updates param, m, v in place
template <typename T>
void adam_step(std::int64_t n, T* param, const T* grad, T* m, T* v, const AdamParams& o);

}  // namespace ffnn
