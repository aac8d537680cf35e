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

// adam_step's per-call constants: step_size = lr / (1 - beta1^step), bc2_sqrt = sqrt(1 - beta2^step),
// decay = 1 - lr * weight_decay (decoupled)
struct AdamConsts {
  double step_size;
  double bc2_sqrt;
  double decay;
};
AdamConsts adam_consts(const AdamParams& o);

// param, grad, buf are (n); buf may be null when momentum is 0; updates param and buf in place.
// float: torch's float32 arithmetic (each add_ with an alpha one fused multiply-add, the alpha
// rounded to float); double: the element math in double (optim_loops.h)
template <typename T>
void sgd_step(std::int64_t n, T* param, const T* grad, T* buf, const SgdParams& o);

// param, grad, m, v are (n); updates param, m, v in place
template <typename T>
void adam_step(std::int64_t n, T* param, const T* grad, T* m, T* v, const AdamParams& o);

// the same updates over a range, for a fused training step (no floating-point environment change: the
// caller's); the gradient read is grad + l1 sign(param) rounded to T (the optimizer's l1 scratch
// value), or grad itself when l1 is 0: the same numbers as the optimizer's l1 scratch then sgd_step.
// plus_zero: grad's -0 entries are first stored as +0 (a gradient stored where the module path adds
// it to a zeroed one, 0 + -0 being +0); grad is written only then
template <typename T>
void sgd_update(std::int64_t n, T* param, T* grad, T* buf, const SgdParams& o, double l1,
                bool plus_zero);

// whether sgd_outer_update runs here: the active gemm path is avx-512 or avx2 (its fma
// instructions are the gemm micro-kernel's, so the gradient is the gemm's to the bit)
bool sgd_outer_available();

// a batch-1 layer: rows [i0, i1) of grad := x gz^T (x is (IN), gz is (N), grad and param (IN, N)),
// + 0 when plus_zero, then sgd_update's float32 update of param (and buf) from them without l1,
// in one pass: the same numbers as the gemm of depth 1 then sgd_update. only when
// sgd_outer_available()
void sgd_outer_update(std::int64_t i0, std::int64_t i1, std::int64_t N, const float* x,
                      const float* gz, float* grad, float* param, float* buf, const SgdParams& o,
                      bool plus_zero);

template <typename T>
void adam_update(std::int64_t n, T* param, T* grad, T* m, T* v, const AdamParams& o,
                 const AdamConsts& c, double l1, bool plus_zero);

}  // namespace ffnn
