// gradient clipping and the max-norm constraint, as torch.nn.utils.clip_grad_norm_ /
// clip_grad_value_ and torch.renorm; no Node headers
#pragma once

#include <cstdint>

namespace ffnn {

// x is (n); the p-norm of x (p > 0; p = inf: max |x|), accumulated in double (p = 2: in fixed chunks
// over the threads, the same bits at any thread count). a NaN gives NaN
template <typename T>
double vector_norm(std::int64_t n, const T* x, double p);

// x is (n); x *= alpha, alpha rounded to T first (torch's mul_ by a T scalar); plus_zero: x := (0 + x)
// * alpha (a gradient stored where the module calls add it to a zeroed one)
template <typename T>
void scale(std::int64_t n, T* x, double alpha, bool plus_zero = false);

// x is (n); x := min(max(x, -c), c) (torch's clamp_; a NaN stays NaN)
template <typename T>
void clamp_abs(std::int64_t n, T* x, double c);

// w is (IN, OUT); each column j (unit j's incoming weights) whose L2 norm exceeds max_norm is
// scaled by max_norm / (norm + 1e-7), as torch.renorm(w, 2, 1, max_norm); no allocation
template <typename T>
void max_norm_columns(std::int64_t IN, std::int64_t OUT, T* w, double max_norm);

}  // namespace ffnn
