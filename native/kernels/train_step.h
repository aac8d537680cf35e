// a whole training step of a chain of Linear + activation layers: forward, loss, backward and the
// optimizer update, each layer's update applied as soon as its gradient is final (with clipGradNorm,
// once the last one is and the total norm known). the same kernel functions, in the same order, as
// the module path (FFNN or Sequential with SGD or Adam), so the numbers are the same bit for bit. no
// Node headers
#pragma once

#include <cstdint>
#include <vector>

namespace ffnn {

enum class StepLoss : int {
  // FFNN: softmax, then CELoss of the probabilities (stable, epsilon 1e-8), d loss / d logits =
  // (probs - target) / B as FFNN.backward computes it; gradients stored (not accumulated)
  Ffnn = 0,
  // Sequential with CrossEntropyLoss on the logits (no weights, no smoothing)
  CrossEntropy = 1,
  // Sequential with MSELoss
  Mse = 2,
};

enum class StepOptimizer : int { Sgd = 0, Adam = 1 };

// one block per parameter slot (H_STRIDE numbers, a Float64Array the caller refreshes every step):
// its group's hyper-parameters, then at H_COUNT its own number: SGD 1 on the step that creates its
// momentum buffer, else 0; Adam its 1-based step. a block per slot lets parameter groups differ
enum StepHyper : int {
  H_LR = 0,
  H_WEIGHT_DECAY,
  H_L1,
  H_MOMENTUM,
  H_DAMPENING,
  H_NESTEROV,
  H_BETA1,
  H_BETA2,
  H_EPS,
  H_DECOUPLED,
  H_COUNT,
  H_STRIDE,
};

struct StepLayer {
  std::int64_t in, out;
  int act;
  double param;  // the fixed swish beta / celu alpha, when scalar < 0
  int scalar;    // the slot of a learnable beta / alpha (shape [1]), or -1
  int w;         // slot of w (in, out)
  int b;         // slot of the bias (out), or -1
  bool bf16 = false;  // the products with bf16 operands (float only; linear.h)
};

// an inverted dropout on the input of layer `at` (at = layers.size(): on the output, before the
// loss), in training mode (eval mode and p = 0 are the identity and not listed); several at one place
// run in list order. its mask is drawn from its generator's state (dropout.h), the same bits as the
// Dropout module's forward
struct StepDrop {
  std::int64_t at;
  double p;
};

struct StepConfig {
  std::vector<StepLayer> layers;
  std::vector<StepDrop> drops;  // ordered by at
  int slots = 0;
  StepLoss loss = StepLoss::Ffnn;
  bool mean = true;  // CrossEntropy and Mse: reduction 'mean' (else 'sum')
  StepOptimizer optimizer = StepOptimizer::Sgd;
  // clipGradNorm's max norm, or < 0 for none: every update then waits for the last gradient
  double clip = -1;
};

// one parameter's arrays at this step: data and grad (n); SGD: buf (n) or null; Adam: m, v (n)
template <typename T>
struct StepSlot {
  T* data;
  T* grad;
  T* buf;
  T* m;
  T* v;
  std::int64_t n;
};

// the activations and gradients between layers, grown only when the batch grows
template <typename T>
class StepWorkspace {
 public:
  StepWorkspace() = default;
  StepWorkspace(const StepWorkspace&) = delete;
  StepWorkspace& operator=(const StepWorkspace&) = delete;
  ~StepWorkspace();
  // sizes every buffer for B rows (allocates only when B exceeds every batch so far)
  void reserve(const StepConfig& cfg, std::int64_t B);
  std::vector<T*> y, pre, dx;  // per layer: output (B, out); pre-activation (B, out) or null;
                               // d loss / d input (B, in) or null for the first layer
  std::vector<T*> mask, dy;    // per drop: its mask and its output (B, width at its place)
  std::vector<const T*> xin;   // per layer: its input in this step (x, an output, a drop's output)
  T* head = nullptr;           // probs (B, C) for Ffnn
  T* dout = nullptr;           // d loss / d output (B, C)

 private:
  T* mem_ = nullptr;
  std::int64_t rows_ = 0;
};

enum class StepStatus : int { Ok = 0, XNotFinite = 1, YNotFinite = 2, BadIndex = 3 };

struct StepResult {
  double loss;
  StepStatus status;
  std::int64_t at;  // the flat index of the bad element
};

// x is (B, layers[0].in); target is (B, C) floats (ydense) or (B) class indices (yidx, Ffnn and
// CrossEntropy); state is one block per slot (StepHyper).
// returns the loss; NaN when the output was not finite, or the loss when it is not finite, with no
// gradient or parameter touched (as trainFFNN's step); a bad x, y or class index is reported before
// anything is written (and before any mask is drawn). drop_states: per drop its generator's 4 state
// words, advanced as the module's forward would (also when the output or the loss is not finite)
template <typename T>
StepResult train_step(const StepConfig& cfg, StepWorkspace<T>& ws, std::int64_t B, const T* x,
                      const T* ydense, const std::int32_t* yidx, StepSlot<T>* slots,
                      const double* state, std::uint32_t* const* drop_states);

// the module path's deferred weight gradient (Linear.backward leaves it to the optimizer's step):
// grad_w := x^T grad_z, stored (as 0 + it when plus_zero: a gradient added to a zeroed one), and
// the optimizer's update of w from it while its blocks are warm, as train_step does for a layer:
// the same numbers as the product then sgd_step / adam_step. x is (B, in), grad_z is (B, out); w
// is the weight's slot (data, grad, buf or m and v, n = in * out); state is the hyper-parameters
// then the slot's count (H_COUNT + 1 numbers, StepHyper). keep (in * out) or null: w as it was
// before the update, copied in the same pass (a lazy d loss / d x still reads it). grad_x (B, in)
// or null: grad_z w^T from w before the update, gemm's numbers (at batch 1 on the outer pass, each
// row block of w read just before its update, so no copy of w is needed)
template <typename T>
void linear_grad_step(StepOptimizer opt, std::int64_t B, std::int64_t in, std::int64_t out,
                      const T* x, const T* grad_z, StepSlot<T>& w, bool plus_zero, T* keep,
                      T* grad_x, const double* state);

}  // namespace ffnn
