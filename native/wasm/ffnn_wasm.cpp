// the wasm module's C ABI: one extern "C" export per Kernels function and dtype, over the same
// native/kernels the addon calls. pointers are offsets into the module's linear memory, laid out by
// src/kernels/wasm (which checks every argument first: these trust their caller, as the kernels
// do). a null pointer (0) stands for a null array. no Node headers
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "activation.h"
#include "alloc_count.h"
#include "cpu.h"
#include "dropout.h"
#include "gemm.h"
#include "linear.h"
#include "losses.h"
#include "optim.h"
#include "optim_clip.h"
#include "train_step.h"

#ifndef FFNN_COMPILER
#define FFNN_COMPILER "unknown"
#endif

#define FFNN_EXPORT(name) extern "C" __attribute__((export_name(#name), visibility("default")))

using i64 = std::int64_t;
using i32 = std::int32_t;

FFNN_EXPORT(ffnn_malloc) void* ffnn_malloc(std::uint32_t bytes) { return std::aligned_alloc(64, (bytes + 63) & ~63u); }
FFNN_EXPORT(ffnn_free) void ffnn_free(void* p) { std::free(p); }
FFNN_EXPORT(ffnn_compiler) const char* ffnn_compiler() { return FFNN_COMPILER; }
FFNN_EXPORT(ffnn_isa) const char* ffnn_isa() { return ffnn::isa_name(); }
// the fmaf the float32 optimizers call (native/wasm/fmaf.cpp), for the tests
FFNN_EXPORT(ffnn_fmaf) float ffnn_fmaf(float a, float b, float c) { return std::fma(a, b, c); }

// the kernels with products once more with bf16 operands (float arrays, suffix bf16): gemm_bf16 on
// the portable path, the rounded operands through the simd128 float32 kernels
/* c is (M, N); a is (M, K) or (K, M) when ta; b is (K, N) or (N, K) when tb */
FFNN_EXPORT(ffnn_gemm_bf16) void ffnn_gemm_bf16(i32 ta, i32 tb, double M, double N, double K,
                                                double alpha, const float* a, const float* b,
                                                double beta, float* c) {
  ffnn::gemm_bf16(ta != 0, tb != 0, i64(M), i64(N), i64(K), float(alpha), a, b, float(beta), c);
}
/* x is (B, IN), w is (IN, OUT), bias is (OUT), y and pre are (B, OUT) */
FFNN_EXPORT(ffnn_linear_forward_bf16) void ffnn_linear_forward_bf16(
    double B, double IN, double OUT, const float* x, const float* w, const float* bias, i32 act,
    double param, float* y, float* pre) {
  ffnn::linear_forward<float>(i64(B), i64(IN), i64(OUT), x, w, bias, act, param, y, pre, 0, true);
}
/* x is (B, IN), w is (IN, OUT), z, grad_out, grad_z are (B, OUT), grad_w is (IN, OUT) */
FFNN_EXPORT(ffnn_linear_backward_bf16) double ffnn_linear_backward_bf16(
    double B, double IN, double OUT, const float* x, const float* w, const float* z,
    const float* go, i32 act, double param, float* gz, float* gw, float* gb, float* gx,
    i32 accumulate) {
  return ffnn::linear_backward<float>(i64(B), i64(IN), i64(OUT), x, w, z, go, act, param, gz, gw,
                                      gb, gx, accumulate != 0, true);
}

// each kernel twice, T float (suffix f32) and double (f64); dims arrive as doubles (exact integers)
#define FFNN_KERNELS(T, S)                                                                        \
  /* c is (M, N); a is (M, K) or (K, M) when ta; b is (K, N) or (N, K) when tb */                \
  FFNN_EXPORT(ffnn_gemm_##S) void ffnn_gemm_##S(i32 ta, i32 tb, double M, double N, double K,    \
                                                double alpha, const T* a, const T* b,            \
                                                double beta, T* c) {                             \
    ffnn::gemm<T>(ta != 0, tb != 0, i64(M), i64(N), i64(K), T(alpha), a, b, T(beta), c);         \
  }                                                                                               \
  /* x, y, pre are (B, N), bias is (N) */                                                         \
  FFNN_EXPORT(ffnn_bias_act_##S) void ffnn_bias_act_##S(double B, double N, const T* x,          \
                                                        const T* bias, i32 act, double param,    \
                                                        T* y, T* pre) {                           \
    ffnn::bias_act<T>(i64(B), i64(N), x, bias, act, param, y, pre);                               \
  }                                                                                               \
  /* z, grad_out, grad_in are (B, N), grad_bias is (N) */                                         \
  FFNN_EXPORT(ffnn_act_backward_##S) double ffnn_act_backward_##S(                                \
      double B, double N, const T* z, const T* go, i32 act, double param, T* gi, T* gb) {         \
    return ffnn::act_backward<T>(i64(B), i64(N), z, go, act, param, gi, gb);                      \
  }                                                                                               \
  /* x is (B, IN), w is (IN, OUT), bias is (OUT), y and pre are (B, OUT) */                       \
  FFNN_EXPORT(ffnn_linear_forward_##S) void ffnn_linear_forward_##S(                              \
      double B, double IN, double OUT, const T* x, const T* w, const T* bias, i32 act,            \
      double param, T* y, T* pre) {                                                               \
    ffnn::linear_forward<T>(i64(B), i64(IN), i64(OUT), x, w, bias, act, param, y, pre);           \
  }                                                                                               \
  /* x is (B, IN), w is (IN, OUT), z, go, gz are (B, OUT), gw (IN, OUT), gb (OUT), gx (B, IN) */  \
  FFNN_EXPORT(ffnn_linear_backward_##S) double ffnn_linear_backward_##S(                          \
      double B, double IN, double OUT, const T* x, const T* w, const T* z, const T* go, i32 act,  \
      double param, T* gz, T* gw, T* gb, T* gx, i32 accumulate) {                                 \
    return ffnn::linear_backward<T>(i64(B), i64(IN), i64(OUT), x, w, z, go, act, param, gz, gw,   \
                                    gb, gx, accumulate != 0);                                     \
  }                                                                                               \
  /* x, y are (B, C) */                                                                           \
  FFNN_EXPORT(ffnn_softmax_##S) void ffnn_softmax_##S(double B, double C, const T* x, T* y) {     \
    ffnn::softmax<T>(i64(B), i64(C), x, y);                                                       \
  }                                                                                               \
  /* logits, target, probs, grad are (B, C) */                                                    \
  FFNN_EXPORT(ffnn_softmax_ce_##S) double ffnn_softmax_ce_##S(double B, double C, const T* l,     \
                                                              const T* t, T* probs, T* grad) {   \
    return ffnn::softmax_cross_entropy<T>(i64(B), i64(C), l, t, probs, grad);                     \
  }                                                                                               \
  /* logits, probs, grad are (B, C), target is (B) class indices */                               \
  FFNN_EXPORT(ffnn_softmax_ce_index_##S) double ffnn_softmax_ce_index_##S(                        \
      double B, double C, const T* l, const i32* t, T* probs, T* grad) {                          \
    return ffnn::softmax_cross_entropy_index<T>(i64(B), i64(C), l, t, probs, grad);               \
  }                                                                                               \
  /* q, p are (B, C) */                                                                           \
  FFNN_EXPORT(ffnn_ce_loss_##S) double ffnn_ce_loss_##S(double B, double C, const T* q,          \
                                                        const T* p, i32 stable, double eps) {     \
    return ffnn::ce_loss<T>(i64(B), i64(C), q, p, stable != 0, eps);                              \
  }                                                                                               \
  /* q is (B, C), target is (B) class indices */                                                  \
  FFNN_EXPORT(ffnn_categorical_ce_loss_##S) double ffnn_categorical_ce_loss_##S(                  \
      double B, double C, const T* q, const i32* t, i32 stable, double eps) {                     \
    return ffnn::categorical_ce_loss<T>(i64(B), i64(C), q, t, stable != 0, eps);                  \
  }                                                                                               \
  /* pred, target, grad are (n) */                                                                \
  FFNN_EXPORT(ffnn_mse_loss_##S) double ffnn_mse_loss_##S(double n, const T* pred,                \
                                                          const T* target, i32 mean, T* grad) {   \
    return ffnn::mse_loss<T>(i64(n), pred, target, mean != 0, grad);                              \
  }                                                                                               \
  /* param, grad, buf are (n) */                                                                  \
  FFNN_EXPORT(ffnn_sgd_step_##S) void ffnn_sgd_step_##S(                                          \
      double n, T* param, const T* grad, T* buf, double lr, double momentum, double dampening,    \
      i32 nesterov, double weight_decay, i32 first_step) {                                        \
    const ffnn::SgdParams o{lr, momentum, dampening, nesterov != 0, weight_decay,                 \
                            first_step != 0};                                                     \
    ffnn::sgd_step<T>(i64(n), param, grad, buf, o);                                               \
  }                                                                                               \
  /* param, grad, m, v are (n) */                                                                 \
  FFNN_EXPORT(ffnn_adam_step_##S) void ffnn_adam_step_##S(                                        \
      double n, T* param, const T* grad, T* m, T* v, double lr, double beta1, double beta2,       \
      double eps, double weight_decay, i32 decoupled, double step) {                              \
    const ffnn::AdamParams o{lr, beta1, beta2, eps, weight_decay, decoupled != 0, i64(step)};     \
    ffnn::adam_step<T>(i64(n), param, grad, m, v, o);                                             \
  }                                                                                               \
  /* x is (n) */                                                                                  \
  FFNN_EXPORT(ffnn_vector_norm_##S) double ffnn_vector_norm_##S(double n, const T* x, double p) { \
    return ffnn::vector_norm<T>(i64(n), x, p);                                                    \
  }                                                                                               \
  FFNN_EXPORT(ffnn_scale_##S) void ffnn_scale_##S(double n, T* x, double alpha) {                 \
    ffnn::scale<T>(i64(n), x, alpha);                                                             \
  }                                                                                               \
  FFNN_EXPORT(ffnn_clamp_abs_##S) void ffnn_clamp_abs_##S(double n, T* x, double c) {             \
    ffnn::clamp_abs<T>(i64(n), x, c);                                                             \
  }                                                                                               \
  /* w is (IN, OUT) */                                                                            \
  FFNN_EXPORT(ffnn_max_norm_columns_##S) void ffnn_max_norm_columns_##S(double IN, double OUT,    \
                                                                        T* w, double c) {         \
    ffnn::max_norm_columns<T>(i64(IN), i64(OUT), w, c);                                           \
  }                                                                                               \
  /* x, mask, y are (n), state 4 words */                                                         \
  FFNN_EXPORT(ffnn_dropout_forward_##S) void ffnn_dropout_forward_##S(                            \
      double n, const T* x, double p, std::uint32_t* state, T* mask, T* y) {                      \
    ffnn::dropout_forward<T>(i64(n), x, p, state, mask, y);                                       \
  }                                                                                               \
  /* g, mask, gi are (n) */                                                                       \
  FFNN_EXPORT(ffnn_dropout_backward_##S) void ffnn_dropout_backward_##S(double n, const T* g,     \
                                                                        const T* mask, T* gi) {   \
    ffnn::dropout_backward<T>(i64(n), g, mask, gi);                                               \
  }

FFNN_KERNELS(float, f32)
FFNN_KERNELS(double, f64)

// the fused training step: a plan holds the config, both workspaces and the slots' pointers
namespace {

struct Plan {
  ffnn::StepConfig cfg;
  ffnn::StepWorkspace<float> wf;
  ffnn::StepWorkspace<double> wd;
  std::vector<ffnn::StepSlot<float>> sf;
  std::vector<ffnn::StepSlot<double>> sd;
  std::vector<std::uint32_t*> drop_states;
  // the last step's status and the flat index of the bad element (StepResult)
  i32 status = 0;
  double at = 0;
};

template <typename T>
double plan_step(Plan& p, std::vector<ffnn::StepSlot<T>>& slots, ffnn::StepWorkspace<T>& ws,
                 double B, const T* x, const T* ydense, const i32* yidx, const double* state) {
  const ffnn::StepResult r =
      ffnn::train_step<T>(p.cfg, ws, i64(B), x, ydense, yidx, slots.data(), state, p.drop_states.data());
  p.status = static_cast<i32>(r.status);
  p.at = static_cast<double>(r.at);
  return r.loss;
}

}  // namespace

// loss 0 ffnn, 1 cross-entropy, 2 mse; optimizer 0 sgd, 1 adam; layers is 8 doubles per layer
// (IN, OUT, act, param, scalar, w, b, bf16), drops 2 per dropout (at, p), clip clipGradNorm's max
// norm or -1, checked by the caller; returns 0 when out of memory
FFNN_EXPORT(ffnn_plan_new) Plan* ffnn_plan_new(i32 loss, i32 mean, i32 optimizer, i32 nlayers,
                                               const double* layers, i32 slots, i32 ndrops,
                                               const double* drops, double clip) {
  Plan* p = new (std::nothrow) Plan();
  if (p == nullptr) return nullptr;
  p->cfg.loss = static_cast<ffnn::StepLoss>(loss);
  p->cfg.mean = mean != 0;
  p->cfg.optimizer = static_cast<ffnn::StepOptimizer>(optimizer);
  p->cfg.slots = slots;
  p->cfg.clip = clip;
  for (i32 l = 0; l < nlayers; ++l) {
    const double* d = layers + 8 * l;
    p->cfg.layers.push_back({i64(d[0]), i64(d[1]), int(d[2]), d[3], int(d[4]), int(d[5]), int(d[6]), d[7] != 0});
  }
  for (i32 d = 0; d < ndrops; ++d) p->cfg.drops.push_back({i64(drops[2 * d]), drops[2 * d + 1]});
  p->drop_states.assign(ndrops, nullptr);
  p->sf.resize(slots);
  p->sd.resize(slots);
  return p;
}

// where dropout d's 4 state words lie for the next step
FFNN_EXPORT(ffnn_plan_drop_state) void ffnn_plan_drop_state(Plan* p, i32 d, std::uint32_t* state) {
  p->drop_states[d] = state;
}

FFNN_EXPORT(ffnn_plan_free) void ffnn_plan_free(Plan* p) { delete p; }

// one parameter's arrays for the next step (null buf, m, v where the optimizer has none)
FFNN_EXPORT(ffnn_plan_slot) void ffnn_plan_slot(Plan* p, i32 s, double n, void* data, void* grad,
                                                void* buf, void* m, void* v) {
  p->sf[s] = {static_cast<float*>(data), static_cast<float*>(grad), static_cast<float*>(buf),
              static_cast<float*>(m), static_cast<float*>(v), i64(n)};
  p->sd[s] = {static_cast<double*>(data), static_cast<double*>(grad), static_cast<double*>(buf),
              static_cast<double*>(m), static_cast<double*>(v), i64(n)};
}

// x is (B, IN); ydense (B, C) or yidx (B), the other null; state is STEP_STATE.stride per slot
FFNN_EXPORT(ffnn_plan_step_f32) double ffnn_plan_step_f32(Plan* p, double B, const float* x,
                                                          const float* ydense, const i32* yidx,
                                                          const double* state) {
  return plan_step<float>(*p, p->sf, p->wf, B, x, ydense, yidx, state);
}

FFNN_EXPORT(ffnn_plan_step_f64) double ffnn_plan_step_f64(Plan* p, double B, const double* x,
                                                          const double* ydense, const i32* yidx,
                                                          const double* state) {
  return plan_step<double>(*p, p->sd, p->wd, B, x, ydense, yidx, state);
}

FFNN_EXPORT(ffnn_plan_status) i32 ffnn_plan_status(const Plan* p) { return p->status; }
FFNN_EXPORT(ffnn_plan_at) double ffnn_plan_at(const Plan* p) { return p->at; }

// the kernels' scratch allocations so far (alloc_count.h)
FFNN_EXPORT(ffnn_allocations) double ffnn_allocations() { return static_cast<double>(ffnn::allocation_count()); }
