#include "train_step.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <new>

#include "activation.h"
#include "alloc_count.h"
#include "dropout.h"
#include "blocking.h"
#include "fpenv.h"
#include "gemm.h"
#include "linear.h"
#include "losses.h"
#include "optim.h"
#include "optim_clip.h"
#include "threads.h"

namespace ffnn {

namespace {

// every buffer starts on a 64-byte line
constexpr std::int64_t ALIGN_ELEMS = 16;

inline std::int64_t padded(std::int64_t n) { return (n + ALIGN_ELEMS - 1) / ALIGN_ELEMS * ALIGN_ELEMS; }

// the classes of the output: the last layer's width
inline std::int64_t classes(const StepConfig& cfg) { return cfg.layers.back().out; }

// the width of the activations at a drop's place: layer at's input, or the output
inline std::int64_t drop_width(const StepConfig& cfg, const StepDrop& d) {
  return d.at < static_cast<std::int64_t>(cfg.layers.size()) ? cfg.layers[d.at].in : classes(cfg);
}

// the drop at place `at` when it is the only one there (its mask then applied inside the products
// that meet it: the forward epilogue of layer at - 1, the grad_x of layer at), else -1
inline int single_drop(const StepConfig& cfg, std::int64_t at) {
  int found = -1;
  for (std::size_t q = 0; q < cfg.drops.size(); ++q) {
    if (cfg.drops[q].at != at) continue;
    if (found >= 0) return -1;
    found = static_cast<int>(q);
  }
  return found;
}

// a drop past the input alone at its place is folded into the products that meet it (the mask's
// index, else -1): in the forward into the epilogue of the layer below (places 1..L), in the
// backward into the grad_x of the layer above (places 1..L-1: the output's drop has no layer above
// and keeps its own pass there)
inline int folded_forward(const StepConfig& cfg, std::int64_t at) { return at > 0 ? single_drop(cfg, at) : -1; }
inline int folded_backward(const StepConfig& cfg, std::int64_t at) {
  return at > 0 && at < static_cast<std::int64_t>(cfg.layers.size()) ? single_drop(cfg, at) : -1;
}

// one run of weight rows per thread for a layer big enough at this batch (blocking.h:
// OWNED_MIN_WEIGHTS), else 0 (the gemm picks); the same for the forward and the backward product
inline int layer_parts(const StepLayer& ly, std::int64_t B, int threads) {
  return owned_parts(ly.in, ly.out, B, threads);
}

// a block of a is finite when no element has an all-ones exponent: or-ing the comparisons has no
// early exit, so the loop vectorizes; the index is then searched only in a bad block
template <typename T>
bool block_finite(const T* a, std::int64_t n) {
  using U = typename std::conditional<sizeof(T) == 4, std::uint32_t, std::uint64_t>::type;
  const U exp = sizeof(T) == 4 ? U(0x7f800000u) : U(0x7ff0000000000000ull);
  U bad = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    U u;
    std::memcpy(&u, a + i, sizeof(T));
    bad |= static_cast<U>((u & exp) == exp);
  }
  return bad == 0;
}

template <typename T>
bool all_finite(std::int64_t n, const T* a, std::int64_t* at) {
  constexpr std::int64_t BLOCK = 4096;
  std::int64_t i = 0;
  while (i < n && block_finite(a + i, std::min(BLOCK, n - i))) i += BLOCK;
  if (i >= n) return true;
  for (; i < n; ++i) {
    if (!std::isfinite(a[i])) {
      *at = i;
      return false;
    }
  }
  return true;
}

// one slot's optimizer step over a range of its elements (the fused update)
template <typename T>
struct SlotUpdate {
  StepSlot<T>* slot;
  StepOptimizer opt;
  SgdParams sgd;
  AdamParams adam;
  AdamConsts consts;
  double l1;
  // the gradient was stored, not added to a zeroed one: 0 + g turns a -0 into +0 (done in the update)
  bool plus_zero;
  // or null: where each element of data is copied before it is updated (linear_grad_step)
  T* keep = nullptr;

  // RangeUpdate::outer for float SGD without l1 on the avx-512 and avx2 paths (optim.h: sgd_outer_update)
  static void outer(const void* ctx, std::int64_t i0, std::int64_t i1, std::int64_t n,
                    const void* x, const void* gz) {
    const SlotUpdate& u = *static_cast<const SlotUpdate*>(ctx);
    StepSlot<T>& s = *u.slot;
    if (u.keep) std::memcpy(u.keep + i0 * n, s.data + i0 * n, static_cast<std::size_t>((i1 - i0) * n) * sizeof(T));
    sgd_outer_update(i0, i1, n, static_cast<const float*>(x), static_cast<const float*>(gz),
                     reinterpret_cast<float*>(s.grad), reinterpret_cast<float*>(s.data),
                     reinterpret_cast<float*>(s.buf), u.sgd, u.plus_zero);
  }

  static void run(const void* ctx, std::int64_t off, std::int64_t n) {
    const SlotUpdate& u = *static_cast<const SlotUpdate*>(ctx);
    StepSlot<T>& s = *u.slot;
    if (u.keep) std::memcpy(u.keep + off, s.data + off, static_cast<std::size_t>(n) * sizeof(T));
    if (u.opt == StepOptimizer::Sgd) {
      sgd_update<T>(n, s.data + off, s.grad + off, s.buf ? s.buf + off : nullptr, u.sgd, u.l1,
                    u.plus_zero);
    } else {
      adam_update<T>(n, s.data + off, s.grad + off, s.m + off, s.v + off, u.adam, u.consts, u.l1,
                     u.plus_zero);
    }
  }
};

template <typename T>
SlotUpdate<T> slot_update(const StepConfig& cfg, StepSlot<T>* slots, int s, const double* state) {
  SlotUpdate<T> u{};
  u.slot = &slots[s];
  u.opt = cfg.optimizer;
  // the slot's own block: its group's values
  state += static_cast<std::int64_t>(s) * H_STRIDE;
  u.l1 = state[H_L1];
  u.plus_zero = false;
  const double per = state[H_COUNT];
  if (cfg.optimizer == StepOptimizer::Sgd) {
    u.sgd.lr = state[H_LR];
    u.sgd.momentum = state[H_MOMENTUM];
    u.sgd.dampening = state[H_DAMPENING];
    u.sgd.nesterov = state[H_NESTEROV] != 0;
    u.sgd.weight_decay = state[H_WEIGHT_DECAY];
    u.sgd.first_step = per != 0;
  } else {
    u.adam.lr = state[H_LR];
    u.adam.beta1 = state[H_BETA1];
    u.adam.beta2 = state[H_BETA2];
    u.adam.eps = state[H_EPS];
    u.adam.weight_decay = state[H_WEIGHT_DECAY];
    u.adam.decoupled = state[H_DECOUPLED] != 0;
    u.adam.step = static_cast<std::int64_t>(per);
    u.consts = adam_consts(u.adam);
  }
  return u;
}

template <typename T>
void update_whole(const StepConfig& cfg, StepSlot<T>* slots, int s, const double* state) {
  const SlotUpdate<T> u = slot_update<T>(cfg, slots, s, state);
  SlotUpdate<T>::run(&u, 0, slots[s].n);
}

// clipGradNorm then the optimizer's step, as the module calls make them once every gradient is
// final: the total L2 norm of the slots' norms in slot order (as clipGradNorm combines them), each
// gradient scaled by clip / (total + 1e-6) where that is below 1, then every slot's update, split
// over the threads (elementwise: the same numbers at any split). stored weight gradients get the
// 0 + g of the module calls' accumulation before the scale (scale's pass) or in the update's
template <typename T>
void clip_then_update(const StepConfig& cfg, StepSlot<T>* slots, const double* state, bool accumulate,
                      int threads) {
  double sum = 0.0;
  for (int s = 0; s < cfg.slots; ++s) {
    const double v = vector_norm<T>(slots[s].n, slots[s].grad, 2.0);
    sum += v * v;
  }
  const double coef = cfg.clip / (std::sqrt(sum) + 1e-6);
  const bool scaled = !(coef >= 1.0);
  for (int s = 0; s < cfg.slots; ++s) {
    StepSlot<T>& q = slots[s];
    bool weight = false;
    for (const StepLayer& ly : cfg.layers) weight = weight || ly.w == s;
    const bool pz = accumulate && weight;
    if (scaled) scale<T>(q.n, q.grad, coef, pz);
    SlotUpdate<T> u = slot_update<T>(cfg, slots, s, state);
    u.plus_zero = pz && !scaled;
    const int parts = q.n >= 65536 ? threads : 1;
    parallel_for(parts, parts, [&](int t) {
      const std::int64_t a = q.n * t / parts;
      SlotUpdate<T>::run(&u, a, q.n * (t + 1) / parts - a);
    });
  }
}

}  // namespace

template <typename T>
StepWorkspace<T>::~StepWorkspace() {
  if (mem_) ::operator delete(mem_, std::align_val_t(64));
}

template <typename T>
void StepWorkspace<T>::reserve(const StepConfig& cfg, std::int64_t B) {
  const std::size_t L = cfg.layers.size();
  const std::size_t D = cfg.drops.size();
  if (B <= rows_ && y.size() == L && mask.size() == D) return;
  const std::int64_t rows = std::max(B, rows_);
  const std::int64_t C = classes(cfg);
  std::int64_t total = 0;
  for (std::size_t l = 0; l < L; ++l) {
    const StepLayer& ly = cfg.layers[l];
    total += padded(rows * ly.out);
    if (ly.act != ACT_IDENTITY) total += padded(rows * ly.out);
    if (l > 0) total += padded(rows * ly.in);
  }
  for (const StepDrop& d : cfg.drops) total += 2 * padded(rows * drop_width(cfg, d));
  if (cfg.loss == StepLoss::Ffnn) total += padded(rows * C);
  total += padded(rows * C);
  T* mem = static_cast<T*>(::operator new(static_cast<std::size_t>(total) * sizeof(T),
                                          std::align_val_t(64)));
  count_allocation();
  if (mem_) ::operator delete(mem_, std::align_val_t(64));
  mem_ = mem;
  rows_ = rows;
  y.assign(L, nullptr);
  pre.assign(L, nullptr);
  dx.assign(L, nullptr);
  T* p = mem;
  for (std::size_t l = 0; l < L; ++l) {
    const StepLayer& ly = cfg.layers[l];
    y[l] = p;
    p += padded(rows * ly.out);
    if (ly.act != ACT_IDENTITY) {
      pre[l] = p;
      p += padded(rows * ly.out);
    }
    if (l > 0) {
      dx[l] = p;
      p += padded(rows * ly.in);
    }
  }
  xin.assign(L, nullptr);
  mask.assign(D, nullptr);
  dy.assign(D, nullptr);
  for (std::size_t d = 0; d < D; ++d) {
    const std::int64_t n = padded(rows * drop_width(cfg, cfg.drops[d]));
    mask[d] = p;
    dy[d] = p + n;
    p += 2 * n;
  }
  head = nullptr;
  if (cfg.loss == StepLoss::Ffnn) {
    head = p;
    p += padded(rows * C);
  }
  dout = p;
}

template <typename T>
StepResult train_step(const StepConfig& cfg, StepWorkspace<T>& ws, std::int64_t B, const T* x,
                      const T* ydense, const std::int32_t* yidx, StepSlot<T>* slots,
                      const double* state, std::uint32_t* const* drop_states) {
  FlushDenormals ftz;
  const std::size_t L = cfg.layers.size();
  const std::int64_t C = classes(cfg);
  StepResult r{0.0, StepStatus::Ok, 0};
  // the checks the module path makes before its first write
  if (!all_finite(B * cfg.layers[0].in, x, &r.at)) {
    r.status = StepStatus::XNotFinite;
    return r;
  }
  if (ydense && !all_finite(B * C, ydense, &r.at)) {
    r.status = StepStatus::YNotFinite;
    return r;
  }
  if (yidx) {
    for (std::int64_t i = 0; i < B; ++i) {
      if (yidx[i] < 0 || yidx[i] >= C) {
        r.status = StepStatus::BadIndex;
        r.at = i;
        return r;
      }
    }
  }
  ws.reserve(cfg, B);

  // forward: each layer as Linear.forwardAct (pre kept only with an activation), the drops at its
  // input first, as the Dropout modules before it (masks drawn in their order, on this thread)
  const int threads = get_num_threads();
  const std::size_t D = cfg.drops.size();
  // every mask first, one dropout per task: each is its own generator's stream in element order, so
  // the bits do not depend on the thread that draws it or on the thread count
  parallel_for(static_cast<int>(D), threads, [&](int q) {
    dropout_mask<T>(B * drop_width(cfg, cfg.drops[q]), cfg.drops[q].p, drop_states[q], ws.mask[q]);
  });
  std::size_t d = 0;
  // a drop past the input alone at its place is applied in the layer below's epilogue (folded)
  const auto drop_at = [&](std::int64_t at, const T* h) {
    const bool folded = folded_forward(cfg, at) >= 0;
    for (; d < D && cfg.drops[d].at == at; ++d) {
      if (folded) continue;
      dropout_backward<T>(B * drop_width(cfg, cfg.drops[d]), h, ws.mask[d], ws.dy[d]);
      h = ws.dy[d];
    }
    return h;
  };
  // the input of each layer (x, the layer before's output, or the last drop's output)
  std::vector<const T*>& xin_of = ws.xin;
  const T* h = x;
  for (std::size_t l = 0; l < L; ++l) {
    const StepLayer& ly = cfg.layers[l];
    h = drop_at(static_cast<std::int64_t>(l), h);
    xin_of[l] = h;
    const double param = ly.scalar >= 0 ? static_cast<double>(slots[ly.scalar].data[0]) : ly.param;
    const int out_drop = folded_forward(cfg, static_cast<std::int64_t>(l + 1));
    linear_forward<T>(B, ly.in, ly.out, h, slots[ly.w].data, ly.b >= 0 ? slots[ly.b].data : nullptr,
                      ly.act, param, ws.y[l], ws.pre[l], layer_parts(ly, B, threads), ly.bf16,
                      out_drop >= 0 ? ws.mask[out_drop] : nullptr);
    h = ws.y[l];
  }
  h = drop_at(static_cast<std::int64_t>(L), h);

  // the output must be finite before the loss (trainFFNN's check); then the loss and d loss / d out
  const double invB = 1.0 / static_cast<double>(B);
  T* dout = ws.dout;
  std::int64_t at = 0;
  if (cfg.loss == StepLoss::Ffnn) {
    T* probs = ws.head;
    softmax<T>(B, C, h, probs);
    if (!all_finite(B * C, probs, &at)) {
      r.loss = NAN;
      return r;
    }
    r.loss = yidx ? categorical_ce_loss<T>(B, C, probs, yidx, true, 1e-8)
                  : ce_loss<T>(B, C, probs, ydense, true, 1e-8);
    if (!std::isfinite(r.loss)) return r;
    // FFNN.backward: (yHat S - y) / B with S the target row's sum (in double, in column order; yHat - y
    // with the same bits where S is 1), the one-hot 1 / B taken off the stored p / B for indices
    if (yidx) {
      for (std::int64_t i = 0; i < B * C; ++i) dout[i] = static_cast<T>(static_cast<double>(probs[i]) / static_cast<double>(B));
      for (std::int64_t i = 0; i < B; ++i) {
        T& d = dout[i * C + yidx[i]];
        d = static_cast<T>(static_cast<double>(d) - invB);
      }
    } else {
      for (std::int64_t i = 0; i < B; ++i) {
        const T* yr = ydense + i * C;
        double S = 0.0;
        for (std::int64_t j = 0; j < C; ++j) S += static_cast<double>(yr[j]);
        for (std::int64_t j = 0; j < C; ++j) {
          dout[i * C + j] = static_cast<T>((static_cast<double>(probs[i * C + j]) * S - static_cast<double>(yr[j])) /
                                           static_cast<double>(B));
        }
      }
    }
  } else {
    if (!all_finite(B * C, h, &at)) {
      r.loss = NAN;
      return r;
    }
    if (cfg.loss == StepLoss::CrossEntropy) {
      r.loss = yidx ? softmax_cross_entropy_index<T>(B, C, h, yidx, nullptr, dout)
                    : softmax_cross_entropy<T>(B, C, h, ydense, nullptr, dout);
      if (!cfg.mean) {
        // CrossEntropyLoss 'sum': the mean kernel's grad and loss times B
        const double scale = static_cast<double>(B);
        for (std::int64_t i = 0; i < B * C; ++i) dout[i] = static_cast<T>(static_cast<double>(dout[i]) * scale);
        r.loss *= scale;
      }
    } else {
      r.loss = mse_loss<T>(B * C, h, ydense, cfg.mean, dout);
    }
    if (!std::isfinite(r.loss)) return r;
  }
  // the drops on the output, last first: d loss / d their input (a folded one: in layer at's grad_x)
  const auto drop_back = [&](std::int64_t at, T* g) {
    if (folded_backward(cfg, at) >= 0) return;
    for (std::size_t q = D; q-- > 0;) {
      if (cfg.drops[q].at == at) dropout_backward<T>(B * drop_width(cfg, cfg.drops[q]), g, ws.mask[q], g);
    }
  };
  drop_back(static_cast<std::int64_t>(L), dout);

  // backward, last layer first; each layer's w updated inside its grad_w product, once grad_x has
  // read it; the bias right after; learnable activation scalars (which layers may share) at the end
  // FFNN stores W and b gradients. Sequential zeroes them and adds: the same for W as storing then
  // adding 0 (the float sum 0 + g, which turns -0 into +0) in the update's plus_zero pass, without
  // a pass over memory to zero W's; the bias, summed in double, is zeroed and added to as the module
  // does (a tiny negative double sum rounds to -0 in float, but 0 + it does too). the scalars start
  // at 0 and each layer adds its part
  const bool accumulate = cfg.loss != StepLoss::Ffnn;
  for (const StepLayer& ly : cfg.layers) {
    if (ly.scalar >= 0) slots[ly.scalar].grad[0] = T(0);
    if (accumulate && ly.b >= 0) std::fill(slots[ly.b].grad, slots[ly.b].grad + ly.out, T(0));
  }
  T* g = dout;
  for (std::size_t k = L; k-- > 0;) {
    const StepLayer& ly = cfg.layers[k];
    const double param = ly.scalar >= 0 ? static_cast<double>(slots[ly.scalar].data[0]) : ly.param;
    // the scalar was not updated yet, so this is the value the forward used
    const T* xin = xin_of[k];
    const T* z = ly.act != ACT_IDENTITY ? ws.pre[k] : g;
    T* gx = k > 0 ? ws.dx[k] : nullptr;
    const int in_drop = folded_backward(cfg, static_cast<std::int64_t>(k));
    StepSlot<T>& w = slots[ly.w];
    SlotUpdate<T> wu = slot_update<T>(cfg, slots, ly.w, state);
    wu.plus_zero = accumulate;
    RangeUpdate ru{SlotUpdate<T>::run, &wu};
    const bool clip = cfg.clip >= 0;
    if (std::is_same<T, float>::value && cfg.optimizer == StepOptimizer::Sgd && wu.l1 == 0 &&
        sgd_outer_available()) {
      ru.outer = SlotUpdate<T>::outer;
    }
    // grad_z written over grad_out (read element by element first): the same values as a separate buffer
    const double dparam = linear_backward_update<T>(
        B, ly.in, ly.out, xin, w.data, z, g, ly.act, param, g, w.grad,
        ly.b >= 0 ? slots[ly.b].grad : nullptr, gx, false, accumulate, clip ? nullptr : &ru,
        layer_parts(ly, B, threads), ly.bf16, in_drop >= 0 ? ws.mask[in_drop] : nullptr);
    if (ly.scalar >= 0) {
      T& sg = slots[ly.scalar].grad[0];
      sg = static_cast<T>(static_cast<double>(sg) + dparam);
    }
    if (ly.b >= 0 && !clip) update_whole<T>(cfg, slots, ly.b, state);
    // d loss / d the layer below's output, through the drops between (in place)
    if (k > 0) drop_back(static_cast<std::int64_t>(k), gx);
    g = gx;
  }
  if (cfg.clip >= 0) {
    clip_then_update<T>(cfg, slots, state, accumulate, threads);
    return r;
  }
  for (std::size_t k = 0; k < L; ++k) {
    const int s = cfg.layers[k].scalar;
    if (s < 0) continue;
    // once per distinct scalar, at its first layer
    bool first = true;
    for (std::size_t q = 0; q < k; ++q) first = first && cfg.layers[q].scalar != s;
    if (first) update_whole<T>(cfg, slots, s, state);
  }
  return r;
}

// linear_grad_step's batch-1 pass with grad_x: each part's columns of grad_x := grad_z w^T from its
// rows of w, read just before their update (gemm's numbers: each element of grad_x is its own chain
// over out, whatever the columns around it), then the update of those rows
template <typename T>
struct GradXOuter {
  const SlotUpdate<T>* u;
  T* grad_x;

  static void outer(const void* ctx, std::int64_t i0, std::int64_t i1, std::int64_t n,
                    const void* x, const void* gz) {
    const GradXOuter& g = *static_cast<const GradXOuter*>(ctx);
    gemm_epilogue<T>(false, true, 1, i1 - i0, n, T(1), static_cast<const T*>(gz),
                     g.u->slot->data + i0 * n, T(0), g.grad_x + i0, nullptr, 1);
    SlotUpdate<T>::outer(g.u, i0, i1, n, x, gz);
  }

  // not reached: linear_grad_w_update takes the outer pass at batch 1 whenever outer is set
  static void run(const void* ctx, std::int64_t off, std::int64_t n) {
    SlotUpdate<T>::run(static_cast<const GradXOuter*>(ctx)->u, off, n);
  }
};

template <typename T>
void linear_grad_step(StepOptimizer opt, std::int64_t B, std::int64_t in, std::int64_t out,
                      const T* x, const T* grad_z, StepSlot<T>& w, bool plus_zero, T* keep,
                      T* grad_x, const double* state) {
  FlushDenormals ftz;
  StepConfig cfg;
  cfg.optimizer = opt;
  SlotUpdate<T> u = slot_update<T>(cfg, &w, 0, state);
  u.plus_zero = plus_zero;
  u.keep = keep;
  RangeUpdate ru{SlotUpdate<T>::run, &u};
  const bool outer = std::is_same<T, float>::value && opt == StepOptimizer::Sgd && u.l1 == 0 &&
                     sgd_outer_available();
  if (outer) ru.outer = SlotUpdate<T>::outer;
  const GradXOuter<T> gx{&u, grad_x};
  if (grad_x && outer && B == 1) {
    // batch 1 takes the outer pass (linear_grad_w_update): grad_x there, row block by row block
    ru.ctx = &gx;
    ru.fn = GradXOuter<T>::run;
    ru.outer = GradXOuter<T>::outer;
  } else if (grad_x) {
    // grad_x from w before the update, as a lazy d loss / d x reads it (the same gemm)
    gemm<T>(false, true, B, in, out, T(1), grad_z, w.data, T(0), grad_x);
  }
  const StepLayer ly{in, out, ACT_IDENTITY, 0.0, -1, 0, -1};
  linear_grad_w_update<T>(B, in, out, x, grad_z, w.grad, false, &ru,
                          layer_parts(ly, B, get_num_threads()));
}

template void linear_grad_step<float>(StepOptimizer, std::int64_t, std::int64_t, std::int64_t,
                                      const float*, const float*, StepSlot<float>&, bool,
                                      float*, float*, const double*);
template void linear_grad_step<double>(StepOptimizer, std::int64_t, std::int64_t, std::int64_t,
                                       const double*, const double*, StepSlot<double>&, bool,
                                       double*, double*, const double*);

template class StepWorkspace<float>;
template class StepWorkspace<double>;
template StepResult train_step<float>(const StepConfig&, StepWorkspace<float>&, std::int64_t,
                                      const float*, const float*, const std::int32_t*,
                                      StepSlot<float>*, const double*, std::uint32_t* const*);
template StepResult train_step<double>(const StepConfig&, StepWorkspace<double>&, std::int64_t,
                                       const double*, const double*, const std::int32_t*,
                                       StepSlot<double>*, const double*, std::uint32_t* const*);

}  // namespace ffnn
