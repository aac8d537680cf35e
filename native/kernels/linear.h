// a whole Linear + activation layer per call: gemm with the bias + activation epilogue forward,
// the activation derivative then two gemms backward; no Node headers
#pragma once

#include <cstdint>

namespace ffnn {

// bf16 (float only): every product with bf16 operands and float32 accumulation (gemm_bf16), the
// rest (bias, activation, sums, updates) as without it
//
// x is (B, IN), w is (IN, OUT), bias is (OUT) or null, y is (B, OUT), pre is (B, OUT) or null.
// pre := x w + bias; y := act(pre; param); the same numbers as gemm then bias_act.
// y and pre must not overlap x, w or bias; pre may be y itself. parts: gemm_epilogue's (0: the
// gemm picks its threads; >= 1: OUT split into that many column parts, one per pool thread).
// mul (B, OUT) or null: y := act(pre) * mul, the numbers of the product as a pass after (a dropout
// on the layer's output, its mask applied while each tile is in L1); pre stays act's input
template <typename T>
void linear_forward(std::int64_t B, std::int64_t IN, std::int64_t OUT, const T* x, const T* w,
                    const T* bias, int act, double param, T* y, T* pre, int parts = 0,
                    bool bf16 = false, const T* mul = nullptr);

// x is (B, IN), w is (IN, OUT), z is (B, OUT) pre-activation, grad_out is (B, OUT), grad_z is
// (B, OUT), grad_w is (IN, OUT), grad_bias is (OUT) or null, grad_x is (B, IN) or null.
// grad_z := grad_out * act'(z); grad_w := x^T grad_z (+= when accumulate; not computed when grad_w
// is null: the module path's product deferred to the optimizer's step); grad_bias := column
// sums of grad_z (+= when accumulate); grad_x := grad_z w^T; returns sum(grad_out * d act / d param).
// column sums and the param sum run in double over blocks of ACT_BLOCK_ROWS rows, reduced in
// block order (the same for any thread count). grad_z may be grad_out or z itself.
template <typename T>
double linear_backward(std::int64_t B, std::int64_t IN, std::int64_t OUT, const T* x, const T* w,
                       const T* z, const T* grad_out, int act, double param, T* grad_z,
                       T* grad_w, T* grad_bias, T* grad_x, bool accumulate,
                       bool bf16 = false);

// an in-place update of elements [offset, offset + n) of a parameter (the optimizer's step on them);
// called from any pool thread, on disjoint ranges
struct RangeUpdate {
  void (*fn)(const void* ctx, std::int64_t offset, std::int64_t n);
  const void* ctx;
  // or null: a batch-1 layer's grad_w rows [i0, i1) computed as x[i] gz (x is (IN), gz (OUT)) and
  // updated in the same pass, the same numbers as the gemm of depth 1 then fn on them
  void (*outer)(const void* ctx, std::int64_t i0, std::int64_t i1, std::int64_t n, const void* x,
                const void* gz) = nullptr;
};

// linear_backward followed by the update of w (null: none), run on blocks of w while grad_w is
// still warm in cache; grad_x is computed first, from w before the update. grad_w, grad_bias,
// grad_x and the return value are the same numbers as linear_backward's. parts >= 1: grad_w's
// columns split as linear_forward's with the same parts (each thread updates the columns of w it
// read in the forward product), whatever the batch; 0: the gemm picks. grad_x_mul (B, IN) or
// null: grad_x := (grad_z w^T) * grad_x_mul on each finished tile (a dropout below the layer: d loss
// / d its input), the numbers of the product then a pass
template <typename T>
double linear_backward_update(std::int64_t B, std::int64_t IN, std::int64_t OUT, const T* x,
                              const T* w, const T* z, const T* grad_out, int act, double param,
                              T* grad_z, T* grad_w, T* grad_bias, T* grad_x, bool accumulate,
                              bool accumulate_bias, const RangeUpdate* w_update, int parts = 0,
                              bool bf16 = false, const T* grad_x_mul = nullptr);

// the grad_w half of linear_backward_update: grad_w := x^T grad_z (+= when accumulate), then
// w_update (null: none) on blocks of grad_w while they are warm; the same numbers as
// linear_backward_update's grad_w and update. x is (B, IN), grad_z is (B, OUT), grad_w is (IN, OUT)
template <typename T>
void linear_grad_w_update(std::int64_t B, std::int64_t IN, std::int64_t OUT, const T* x,
                          const T* grad_z, T* grad_w, bool accumulate, const RangeUpdate* w_update,
                          int parts = 0, bool bf16 = false);

}  // namespace ffnn
