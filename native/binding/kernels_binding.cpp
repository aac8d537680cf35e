#include "kernels_binding.h"

#include <cmath>

#include "activation.h"
#include "check.h"
#include "cpu.h"
#include "dropout.h"
#include "gemm.h"
#include "linear.h"
#include "losses.h"
#include "optim.h"
#include "blocking.h"
#include "threads.h"
#include "optim_clip.h"
#include "threads.h"

#ifndef FFNN_COMPILER
#define FFNN_COMPILER "unknown"
#endif

namespace ffnn::binding {

namespace {

template <typename T>
T* as(void* p) {
  return static_cast<T*>(p);
}

// the optional trailing precision of gemm, linearForward, linearBackward: undefined or "float32"
// (false), or "bf16" (true; float32 arrays only)
bool bf16_precision(const Args& a, std::size_t i) {
  const Napi::Value v = a.at(i);
  if (v.IsUndefined()) return false;
  constexpr std::string_view expected = "\"float32\" or \"bf16\"";
  if (!v.IsString()) a.type_error("precision", expected, v);
  const std::string p = v.As<Napi::String>().Utf8Value();
  if (p == "float32") return false;
  if (p != "bf16") a.range_error("precision", expected, describe(v));
  if (a.dtype() != DType::F32) {
    a.range_error("precision", "\"bf16\" with Float32Array arrays only", "\"bf16\" with Float64Array arrays");
  }
  return true;
}

}  // namespace

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", "native");
  o.Set("isa", ffnn::isa_name());
  o.Set("bf16Isa", ffnn::bf16_isa_name());
  o.Set("threads", ffnn::get_num_threads());
  o.Set("compiler", FFNN_COMPILER);
  // FFNN_ISA asked for a path this cpu lacks (or an unknown name): the fallback, said here
  const std::string note = ffnn::isa_note();
  if (!note.empty()) o.Set("isaNote", note);
  return o;
}

// setIsa(name): the gemm path for the following calls, one this cpu supports (tests run each)
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Args a(info, "setIsa");
  std::string expected = "one of the paths this cpu supports:";
  for (ffnn::Isa isa : {ffnn::Isa::Avx512, ffnn::Isa::Avx2, ffnn::Isa::Portable}) {
    if (ffnn::isa_supported(isa)) expected += std::string(" \"") + ffnn::isa_to_name(isa) + "\"";
  }
  const Napi::Value v = a.at(0);
  if (!v.IsString()) a.type_error("name", expected, v);
  const std::string name = v.As<Napi::String>().Utf8Value();
  ffnn::Isa isa;
  if (!ffnn::isa_from_name(name.c_str(), &isa) || !ffnn::set_isa(isa)) {
    a.range_error("name", expected, describe(v));
  }
  return info.Env().Undefined();
}

Napi::Value GetIsa(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), ffnn::isa_name());
}

// the paths this cpu supports, best first
Napi::Value SupportedIsas(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env());
  std::uint32_t n = 0;
  for (ffnn::Isa isa : {ffnn::Isa::Avx512, ffnn::Isa::Avx2, ffnn::Isa::Portable}) {
    if (ffnn::isa_supported(isa)) out.Set(n++, ffnn::isa_to_name(isa));
  }
  return out;
}

// setBf16Isa(name): the path of the bf16 products, one this cpu supports
Napi::Value SetBf16Isa(const Napi::CallbackInfo& info) {
  Args a(info, "setBf16Isa");
  std::string expected = "one of the bf16 paths this cpu supports:";
  for (ffnn::Bf16Isa isa : {ffnn::Bf16Isa::Amx, ffnn::Bf16Isa::Avx512Bf16, ffnn::Bf16Isa::Portable}) {
    if (ffnn::bf16_isa_supported(isa)) expected += std::string(" \"") + ffnn::bf16_isa_to_name(isa) + "\"";
  }
  const Napi::Value v = a.at(0);
  if (!v.IsString()) a.type_error("name", expected, v);
  const std::string name = v.As<Napi::String>().Utf8Value();
  ffnn::Bf16Isa isa;
  if (!ffnn::bf16_isa_from_name(name.c_str(), &isa) || !ffnn::set_bf16_isa(isa)) {
    a.range_error("name", expected, describe(v));
  }
  return info.Env().Undefined();
}

Napi::Value GetBf16Isa(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), ffnn::bf16_isa_name());
}

// the bf16 paths this cpu supports, best first
Napi::Value SupportedBf16Isas(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env());
  std::uint32_t n = 0;
  for (ffnn::Bf16Isa isa : {ffnn::Bf16Isa::Amx, ffnn::Bf16Isa::Avx512Bf16, ffnn::Bf16Isa::Portable}) {
    if (ffnn::bf16_isa_supported(isa)) out.Set(n++, ffnn::bf16_isa_to_name(isa));
  }
  return out;
}

// n is an integer in [1, MAX_THREADS]
Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args a(info, "setNumThreads");
  const std::int64_t n = a.integer(a.at(0), "n", 1, ffnn::MAX_THREADS);
  ffnn::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ffnn::get_num_threads());
}

// gemm(transA, transB, M, N, K, alpha, a, b, beta, c, precision)
// c is (M, N); a is (M, K), or (K, M) when transA; b is (K, N), or (N, K) when transB
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args a(info, "gemm");
  const bool ta = a.boolean(a.at(0), "transA");
  const bool tb = a.boolean(a.at(1), "transB");
  const std::int64_t M = a.dim(a.at(2), "M");
  const std::int64_t N = a.dim(a.at(3), "N");
  const std::int64_t K = a.dim(a.at(4), "K");
  const double alpha = a.number(a.at(5), "alpha");
  void* pa = a.floats(a.at(6), "a", M * K);
  void* pb = a.floats(a.at(7), "b", K * N);
  const double beta = a.number(a.at(8), "beta");
  void* pc = a.floats(a.at(9), "c", M * N);
  a.disjoint(a.at(9), "c", pc, M * N, "a", pa, M * K);
  a.disjoint(a.at(9), "c", pc, M * N, "b", pb, K * N);
  if (bf16_precision(a, 10)) {
    ffnn::gemm_bf16(ta, tb, M, N, K, static_cast<float>(alpha), as<float>(pa), as<float>(pb),
                    static_cast<float>(beta), as<float>(pc));
  } else if (a.dtype() == DType::F32) {
    ffnn::gemm<float>(ta, tb, M, N, K, static_cast<float>(alpha), as<float>(pa), as<float>(pb),
                      static_cast<float>(beta), as<float>(pc));
  } else {
    ffnn::gemm<double>(ta, tb, M, N, K, alpha, as<double>(pa), as<double>(pb), beta,
                       as<double>(pc));
  }
  return info.Env().Undefined();
}

// biasAct(B, N, x, bias, act, param, y, pre)
// x is (B, N), bias is (N) or null, y is (B, N), pre is (B, N) or null
Napi::Value BiasAct(const Napi::CallbackInfo& info) {
  Args a(info, "biasAct");
  const std::int64_t B = a.dim(a.at(0), "B");
  const std::int64_t N = a.dim(a.at(1), "N");
  void* x = a.floats(a.at(2), "x", B * N);
  void* bias = a.floats(a.at(3), "bias", N, true);
  const int act = static_cast<int>(a.integer(a.at(4), "act", 0, ffnn::ACT_COUNT - 1));
  const double param = a.number(a.at(5), "param");
  void* y = a.floats(a.at(6), "y", B * N);
  void* pre = a.floats(a.at(7), "pre", B * N, true);
  if (a.dtype() == DType::F32) {
    ffnn::bias_act<float>(B, N, as<float>(x), as<float>(bias), act, param, as<float>(y),
                          as<float>(pre));
  } else {
    ffnn::bias_act<double>(B, N, as<double>(x), as<double>(bias), act, param, as<double>(y),
                           as<double>(pre));
  }
  return info.Env().Undefined();
}

// actBackward(B, N, z, gradOut, act, param, gradIn, gradBias) -> d loss / d param
// z, gradOut, gradIn are (B, N), gradBias is (N) or null
Napi::Value ActBackward(const Napi::CallbackInfo& info) {
  Args a(info, "actBackward");
  const std::int64_t B = a.dim(a.at(0), "B");
  const std::int64_t N = a.dim(a.at(1), "N");
  void* z = a.floats(a.at(2), "z", B * N);
  void* go = a.floats(a.at(3), "gradOut", B * N);
  const int act = static_cast<int>(a.integer(a.at(4), "act", 0, ffnn::ACT_COUNT - 1));
  const double param = a.number(a.at(5), "param");
  void* gi = a.floats(a.at(6), "gradIn", B * N);
  void* gb = a.floats(a.at(7), "gradBias", N, true);
  double r;
  if (a.dtype() == DType::F32) {
    r = ffnn::act_backward<float>(B, N, as<float>(z), as<float>(go), act, param, as<float>(gi),
                                  as<float>(gb));
  } else {
    r = ffnn::act_backward<double>(B, N, as<double>(z), as<double>(go), act, param,
                                   as<double>(gi), as<double>(gb));
  }
  return Napi::Number::New(info.Env(), r);
}

// linearForward(B, IN, OUT, x, w, bias, act, param, y, pre, precision)
// x is (B, IN), w is (IN, OUT), bias is (OUT) or null, y is (B, OUT), pre is (B, OUT) or null;
// the outputs are written tile by tile while the inputs are still read, so neither may overlap an
// input; pre may be y itself (then y ends as act(pre), as gemm then biasAct would leave it)
Napi::Value LinearForward(const Napi::CallbackInfo& info) {
  Args a(info, "linearForward");
  const std::int64_t B = a.dim(a.at(0), "B");
  const std::int64_t IN = a.dim(a.at(1), "IN");
  const std::int64_t OUT = a.dim(a.at(2), "OUT");
  void* x = a.floats(a.at(3), "x", B * IN);
  void* w = a.floats(a.at(4), "w", IN * OUT);
  void* bias = a.floats(a.at(5), "bias", OUT, true);
  const int act = static_cast<int>(a.integer(a.at(6), "act", 0, ffnn::ACT_COUNT - 1));
  const double param = a.number(a.at(7), "param");
  void* y = a.floats(a.at(8), "y", B * OUT);
  void* pre = a.floats(a.at(9), "pre", B * OUT, true);
  const std::int64_t BO = B * OUT;
  for (std::size_t k : {8u, 9u}) {
    void* out = k == 8 ? y : pre;
    const char* name = k == 8 ? "y" : "pre";
    a.disjoint(a.at(k), name, out, BO, "x", x, B * IN);
    a.disjoint(a.at(k), name, out, BO, "w", w, IN * OUT);
    a.disjoint(a.at(k), name, out, BO, "bias", bias, OUT);
  }
  if (pre != y) a.disjoint(a.at(9), "pre", pre, BO, "y (unless it is y itself)", y, BO);
  const bool bf16 = bf16_precision(a, 10);
  const int parts = ffnn::owned_parts(IN, OUT, B, ffnn::get_num_threads());
  if (a.dtype() == DType::F32) {
    // the fused step's parts (blocking.h): the rows of w each thread reads here are the ones its
    // update writes in linearGradStep
    ffnn::linear_forward<float>(B, IN, OUT, as<float>(x), as<float>(w), as<float>(bias), act,
                                param, as<float>(y), as<float>(pre), parts, bf16);
  } else {
    ffnn::linear_forward<double>(B, IN, OUT, as<double>(x), as<double>(w), as<double>(bias), act,
                                 param, as<double>(y), as<double>(pre), parts);
  }
  return info.Env().Undefined();
}

// linearBackward(B, IN, OUT, x, w, z, gradOut, act, param, gradZ, gradW, gradBias, gradX,
// accumulate, precision) -> d loss / d param
// x is (B, IN), w is (IN, OUT), z, gradOut, gradZ are (B, OUT), gradW is (IN, OUT), gradBias is
// (OUT) or null, gradX is (B, IN) or null. no output overlaps an input or another output, except
// gradZ, which may be gradOut or z itself (read element by element before it is written)
Napi::Value LinearBackward(const Napi::CallbackInfo& info) {
  Args a(info, "linearBackward");
  const std::int64_t B = a.dim(a.at(0), "B");
  const std::int64_t IN = a.dim(a.at(1), "IN");
  const std::int64_t OUT = a.dim(a.at(2), "OUT");
  void* x = a.floats(a.at(3), "x", B * IN);
  void* w = a.floats(a.at(4), "w", IN * OUT);
  void* z = a.floats(a.at(5), "z", B * OUT);
  void* go = a.floats(a.at(6), "gradOut", B * OUT);
  const int act = static_cast<int>(a.integer(a.at(7), "act", 0, ffnn::ACT_COUNT - 1));
  const double param = a.number(a.at(8), "param");
  void* gz = a.floats(a.at(9), "gradZ", B * OUT);
  void* gw = a.floats(a.at(10), "gradW", IN * OUT, true);
  void* gb = a.floats(a.at(11), "gradBias", OUT, true);
  void* gx = a.floats(a.at(12), "gradX", B * IN, true);
  const bool accumulate = a.boolean(a.at(13), "accumulate");
  struct Arr {
    std::size_t k;
    const char* name;
    void* p;
    std::int64_t n;
  };
  const Arr ins[] = {{3, "x", x, B * IN}, {4, "w", w, IN * OUT}, {5, "z", z, B * OUT},
                     {6, "gradOut", go, B * OUT}};
  const Arr outs[] = {{9, "gradZ", gz, B * OUT}, {10, "gradW", gw, IN * OUT},
                      {11, "gradBias", gb, OUT}, {12, "gradX", gx, B * IN}};
  for (std::size_t o = 0; o < 4; ++o) {
    const Arr& out = outs[o];
    for (const Arr& in : ins) {
      if (o == 0 && in.p == out.p && (in.k == 5 || in.k == 6)) continue;
      a.disjoint(a.at(out.k), out.name, out.p, out.n, in.name, in.p, in.n);
    }
    for (std::size_t q = 0; q < o; ++q) {
      a.disjoint(a.at(out.k), out.name, out.p, out.n, outs[q].name, outs[q].p, outs[q].n);
    }
  }
  const bool bf16 = bf16_precision(a, 14);
  double r;
  if (a.dtype() == DType::F32) {
    r = ffnn::linear_backward<float>(B, IN, OUT, as<float>(x), as<float>(w), as<float>(z),
                                     as<float>(go), act, param, as<float>(gz), as<float>(gw),
                                     as<float>(gb), as<float>(gx), accumulate, bf16);
  } else {
    r = ffnn::linear_backward<double>(B, IN, OUT, as<double>(x), as<double>(w), as<double>(z),
                                      as<double>(go), act, param, as<double>(gz),
                                      as<double>(gw), as<double>(gb), as<double>(gx), accumulate);
  }
  return Napi::Number::New(info.Env(), r);
}

// softmax(B, C, x, y); x and y are (B, C)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Args a(info, "softmax");
  const std::int64_t B = a.dim(a.at(0), "B");
  const std::int64_t C = a.dim(a.at(1), "C");
  void* x = a.floats(a.at(2), "x", B * C);
  void* y = a.floats(a.at(3), "y", B * C);
  if (a.dtype() == DType::F32) {
    ffnn::softmax<float>(B, C, as<float>(x), as<float>(y));
  } else {
    ffnn::softmax<double>(B, C, as<double>(x), as<double>(y));
  }
  return info.Env().Undefined();
}

// softmaxCrossEntropy(B, C, logits, target, probs, grad) -> mean loss
// logits is (B, C); target is (B, C) floats or (B) Int32Array class indices in [0, C);
// probs and grad are (B, C) or null
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxCrossEntropy");
  const std::int64_t B = a.dim(a.at(0), "B");
  const std::int64_t C = a.dim(a.at(1), "C");
  void* logits = a.floats(a.at(2), "logits", B * C);
  const Napi::Value tv = a.at(3);
  const std::int32_t* idx = nullptr;
  void* tgt = nullptr;
  if (tv.IsTypedArray() && tv.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    idx = a.int32s(tv, "target", B);
  } else if (tv.IsTypedArray()) {
    tgt = a.floats(tv, "target", B * C);
  } else {
    a.type_error("target", "an Int32Array of class indices or a float array like logits", tv);
  }
  void* probs = a.floats(a.at(4), "probs", B * C, true);
  void* grad = a.floats(a.at(5), "grad", B * C, true);
  if (idx) a.class_indices(idx, B, C, "target");
  double r;
  if (a.dtype() == DType::F32) {
    r = idx ? ffnn::softmax_cross_entropy_index<float>(B, C, as<float>(logits), idx,
                                                       as<float>(probs), as<float>(grad))
            : ffnn::softmax_cross_entropy<float>(B, C, as<float>(logits), as<float>(tgt),
                                                 as<float>(probs), as<float>(grad));
  } else {
    r = idx ? ffnn::softmax_cross_entropy_index<double>(B, C, as<double>(logits), idx,
                                                        as<double>(probs), as<double>(grad))
            : ffnn::softmax_cross_entropy<double>(B, C, as<double>(logits), as<double>(tgt),
                                                  as<double>(probs), as<double>(grad));
  }
  return Napi::Number::New(info.Env(), r);
}

// ceLoss(B, C, q, p, stable, epsilon) -> mean loss; q and p are (B, C)
Napi::Value CeLoss(const Napi::CallbackInfo& info) {
  Args a(info, "ceLoss");
  const std::int64_t B = a.dim(a.at(0), "B");
  const std::int64_t C = a.dim(a.at(1), "C");
  void* q = a.floats(a.at(2), "q", B * C);
  void* p = a.floats(a.at(3), "p", B * C);
  const bool stable = a.boolean(a.at(4), "stable");
  const double eps = a.finite(a.at(5), "epsilon");
  const double r = a.dtype() == DType::F32
                       ? ffnn::ce_loss<float>(B, C, as<float>(q), as<float>(p), stable, eps)
                       : ffnn::ce_loss<double>(B, C, as<double>(q), as<double>(p), stable, eps);
  return Napi::Number::New(info.Env(), r);
}

// categoricalCELoss(B, C, q, target, stable, epsilon) -> mean loss
// q is (B, C), target is (B) Int32Array class indices in [0, C)
Napi::Value CategoricalCeLoss(const Napi::CallbackInfo& info) {
  Args a(info, "categoricalCELoss");
  const std::int64_t B = a.dim(a.at(0), "B");
  const std::int64_t C = a.dim(a.at(1), "C");
  void* q = a.floats(a.at(2), "q", B * C);
  const std::int32_t* t = a.int32s(a.at(3), "target", B);
  const bool stable = a.boolean(a.at(4), "stable");
  const double eps = a.finite(a.at(5), "epsilon");
  a.class_indices(t, B, C, "target");
  const double r =
      a.dtype() == DType::F32
          ? ffnn::categorical_ce_loss<float>(B, C, as<float>(q), t, stable, eps)
          : ffnn::categorical_ce_loss<double>(B, C, as<double>(q), t, stable, eps);
  return Napi::Number::New(info.Env(), r);
}

// mseLoss(n, pred, target, reduction, grad) -> loss; pred, target, grad are (n);
// reduction is "sum" or "mean"; grad may be null
Napi::Value MseLoss(const Napi::CallbackInfo& info) {
  Args a(info, "mseLoss");
  const std::int64_t n = a.dim(a.at(0), "n");
  void* pred = a.floats(a.at(1), "pred", n);
  void* target = a.floats(a.at(2), "target", n);
  const Napi::Value rv = a.at(3);
  if (!rv.IsString()) a.type_error("reduction", "\"sum\" or \"mean\"", rv);
  const std::string red = rv.As<Napi::String>().Utf8Value();
  if (red != "sum" && red != "mean") a.range_error("reduction", "\"sum\" or \"mean\"", describe(rv));
  void* grad = a.floats(a.at(4), "grad", n, true);
  const bool mean = red == "mean";
  const double r =
      a.dtype() == DType::F32
          ? ffnn::mse_loss<float>(n, as<float>(pred), as<float>(target), mean, as<float>(grad))
          : ffnn::mse_loss<double>(n, as<double>(pred), as<double>(target), mean,
                                   as<double>(grad));
  return Napi::Number::New(info.Env(), r);
}


// sgdStep(n, param, grad, buf, o); param, grad, buf are (n); buf may be null when o.momentum is 0;
// o is {lr, momentum, dampening, nesterov, weightDecay, firstStep}
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Args a(info, "sgdStep");
  const std::int64_t n = a.dim(a.at(0), "n");
  // the options first: their getters run user code, which may detach an array argument; no data
  // pointer is taken until every JS-observable read is done
  const Napi::Object o = a.object(a.at(4), "o");
  ffnn::SgdParams p{};
  p.lr = rule(a, o.Get("lr"), "o.lr", kAtLeast0);
  p.momentum = rule(a, o.Get("momentum"), "o.momentum", kAtLeast0);
  p.dampening = rule(a, o.Get("dampening"), "o.dampening", kAtLeast0);
  p.nesterov = a.boolean(o.Get("nesterov"), "o.nesterov");
  p.weight_decay = rule(a, o.Get("weightDecay"), "o.weightDecay", kAtLeast0);
  p.first_step = a.boolean(o.Get("firstStep"), "o.firstStep");
  // as torch.optim.SGD: nesterov needs a momentum and zero dampening
  if (p.nesterov && (p.momentum == 0 || p.dampening != 0)) {
    a.range_error("o.nesterov", "false unless momentum > 0 and dampening is 0", "true");
  }
  void* param = a.floats(a.at(1), "param", n);
  void* grad = a.floats(a.at(2), "grad", n);
  const Napi::Value bv = a.at(3);
  if (p.momentum != 0 && bv.IsNull()) {
    a.type_error("buf", "a float array like param (o.momentum is not 0)", bv);
  }
  void* buf = a.floats(bv, "buf", n, true);
  if (a.dtype() == DType::F32) {
    ffnn::sgd_step<float>(n, as<float>(param), as<float>(grad), as<float>(buf), p);
  } else {
    ffnn::sgd_step<double>(n, as<double>(param), as<double>(grad), as<double>(buf), p);
  }
  return info.Env().Undefined();
}

// adamStep(n, param, grad, m, v, o); param, grad, m, v are (n);
// o is {lr, beta1, beta2, eps, weightDecay, decoupled, step} with step an integer >= 1
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Args a(info, "adamStep");
  const std::int64_t n = a.dim(a.at(0), "n");
  // the options first (their getters may detach an array argument), then the data pointers
  const Napi::Object o = a.object(a.at(5), "o");
  ffnn::AdamParams p{};
  p.lr = rule(a, o.Get("lr"), "o.lr", kAtLeast0);
  p.beta1 = rule(a, o.Get("beta1"), "o.beta1", kBeta);
  p.beta2 = rule(a, o.Get("beta2"), "o.beta2", kBeta);
  p.eps = rule(a, o.Get("eps"), "o.eps", kAbove0);
  p.weight_decay = rule(a, o.Get("weightDecay"), "o.weightDecay", kAtLeast0);
  p.decoupled = a.boolean(o.Get("decoupled"), "o.decoupled");
  p.step = a.integer(o.Get("step"), "o.step", 1, 9007199254740991LL);
  void* param = a.floats(a.at(1), "param", n);
  void* grad = a.floats(a.at(2), "grad", n);
  void* m = a.floats(a.at(3), "m", n);
  void* v = a.floats(a.at(4), "v", n);
  if (a.dtype() == DType::F32) {
    ffnn::adam_step<float>(n, as<float>(param), as<float>(grad), as<float>(m), as<float>(v), p);
  } else {
    ffnn::adam_step<double>(n, as<double>(param), as<double>(grad), as<double>(m), as<double>(v),
                            p);
  }
  return info.Env().Undefined();
}

// vectorNorm(n, x, p); x is (n); p > 0 or Infinity (a NaN p would loop on pow: refused)
Napi::Value VectorNorm(const Napi::CallbackInfo& info) {
  Args a(info, "vectorNorm");
  const std::int64_t n = a.dim(a.at(0), "n");
  const double p = a.number(a.at(2), "p");
  if (!(p > 0)) a.range_error("p", "a number > 0 or Infinity", describe(a.at(2)));
  void* x = a.floats(a.at(1), "x", n);
  const double r = a.dtype() == DType::F32 ? ffnn::vector_norm<float>(n, as<float>(x), p)
                                           : ffnn::vector_norm<double>(n, as<double>(x), p);
  return Napi::Number::New(info.Env(), r);
}

// scale(n, x, alpha); x is (n)
Napi::Value Scale(const Napi::CallbackInfo& info) {
  Args a(info, "scale");
  const std::int64_t n = a.dim(a.at(0), "n");
  const double alpha = a.number(a.at(2), "alpha");
  void* x = a.floats(a.at(1), "x", n);
  if (a.dtype() == DType::F32) {
    ffnn::scale<float>(n, as<float>(x), alpha);
  } else {
    ffnn::scale<double>(n, as<double>(x), alpha);
  }
  return info.Env().Undefined();
}

// clampAbs(n, x, c); x is (n); c >= 0
Napi::Value ClampAbs(const Napi::CallbackInfo& info) {
  Args a(info, "clampAbs");
  const std::int64_t n = a.dim(a.at(0), "n");
  const double c = a.finite(a.at(2), "c");
  if (c < 0) a.range_error("c", "a number >= 0", describe(a.at(2)));
  void* x = a.floats(a.at(1), "x", n);
  if (a.dtype() == DType::F32) {
    ffnn::clamp_abs<float>(n, as<float>(x), c);
  } else {
    ffnn::clamp_abs<double>(n, as<double>(x), c);
  }
  return info.Env().Undefined();
}

// maxNormColumns(IN, OUT, w, maxNorm); w is (IN, OUT); maxNorm > 0 (the maxNorm rule of src/optim/rules.ts)
Napi::Value MaxNormColumns(const Napi::CallbackInfo& info) {
  Args a(info, "maxNormColumns");
  const std::int64_t IN = a.dim(a.at(0), "IN");
  const std::int64_t OUT = a.dim(a.at(1), "OUT");
  const double c = a.finite(a.at(3), "maxNorm");
  if (!(c > 0)) a.range_error("maxNorm", "a number > 0", describe(a.at(3)));
  void* w = a.floats(a.at(2), "w", IN * OUT);
  if (a.dtype() == DType::F32) {
    ffnn::max_norm_columns<float>(IN, OUT, as<float>(w), c);
  } else {
    ffnn::max_norm_columns<double>(IN, OUT, as<double>(w), c);
  }
  return info.Env().Undefined();
}

// dropoutForward(n, x, p, state, mask, y); x, mask, y are (n), state a Uint32Array of 4 words
// (advanced in place); y may alias x. p's meaning is checked in TypeScript; any number is safe here
Napi::Value DropoutForward(const Napi::CallbackInfo& info) {
  Args a(info, "dropoutForward");
  const std::int64_t n = a.dim(a.at(0), "n");
  const double p = a.number(a.at(2), "p");
  void* x = a.floats(a.at(1), "x", n);
  std::uint32_t* state = a.uint32s(a.at(3), "state", 4);
  void* mask = a.floats(a.at(4), "mask", n);
  void* y = a.floats(a.at(5), "y", n);
  if (a.dtype() == DType::F32) {
    ffnn::dropout_forward<float>(n, as<float>(x), p, state, as<float>(mask), as<float>(y));
  } else {
    ffnn::dropout_forward<double>(n, as<double>(x), p, state, as<double>(mask), as<double>(y));
  }
  return info.Env().Undefined();
}

// dropoutBackward(n, g, mask, gi); g, mask, gi are (n); gi may alias g
Napi::Value DropoutBackward(const Napi::CallbackInfo& info) {
  Args a(info, "dropoutBackward");
  const std::int64_t n = a.dim(a.at(0), "n");
  void* g = a.floats(a.at(1), "g", n);
  void* mask = a.floats(a.at(2), "mask", n);
  void* gi = a.floats(a.at(3), "gi", n);
  if (a.dtype() == DType::F32) {
    ffnn::dropout_backward<float>(n, as<float>(g), as<float>(mask), as<float>(gi));
  } else {
    ffnn::dropout_backward<double>(n, as<double>(g), as<double>(mask), as<double>(gi));
  }
  return info.Env().Undefined();
}

}  // namespace ffnn::binding
