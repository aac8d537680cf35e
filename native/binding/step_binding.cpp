// the plan is a frozen, type-tagged object wrapping a Plan: references to every typed array of the
// spec (kept alive with the plan), the layer chain and the workspaces. each trainStep fetches the
// arrays' data pointers again and re-checks their types and lengths (an array may have been detached
// or resized since), then runs the whole step without calling back into JavaScript.
#include "step_binding.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "activation.h"
#include "alloc_count.h"
#include "check.h"
#include "train_step.h"

namespace ffnn::binding {

namespace {

const napi_type_tag kPlanTag = {0x6666'6e6e'5374'6570ULL, 0x506c'616e'0000'0001ULL};

struct SlotRefs {
  napi_ref data = nullptr, grad = nullptr, buf = nullptr, m = nullptr, v = nullptr;
  std::int64_t n = 0;
};

struct Plan {
  napi_env env = nullptr;
  DType dtype = DType::F32;
  ffnn::StepConfig cfg;
  std::vector<SlotRefs> refs;
  std::vector<napi_ref> drop_refs;  // per drop, its generator's state words (Uint32Array)
  std::vector<std::uint32_t*> drop_states;
  napi_ref state = nullptr;
  ffnn::StepWorkspace<float> wf;
  ffnn::StepWorkspace<double> wd;
  std::vector<ffnn::StepSlot<float>> sf;
  std::vector<ffnn::StepSlot<double>> sd;

  ~Plan() {
    for (SlotRefs& r : refs) {
      for (napi_ref x : {r.data, r.grad, r.buf, r.m, r.v}) {
        if (x) napi_delete_reference(env, x);
      }
    }
    for (napi_ref x : drop_refs) napi_delete_reference(env, x);
    if (state) napi_delete_reference(env, state);
  }
};

void finalize_plan(napi_env, void* data, void*) { delete static_cast<Plan*>(data); }

napi_typedarray_type float_type(DType d) {
  return d == DType::F64 ? napi_float64_array : napi_float32_array;
}

const char* float_name(DType d) { return d == DType::F64 ? "Float64Array" : "Float32Array"; }

// a typed array of `type` with at least `need` elements; its data pointer. name: the argument's
// name, or a function that makes it (called only to throw: a slot's "params[3].data")
template <typename Name>
void* typed(const Args& a, const Napi::Value& v, const Name& name, napi_typedarray_type type,
            const char* type_name, std::int64_t need) {
  const auto named = [&]() -> std::string {
    if constexpr (std::is_invocable_v<Name>) {
      return name();
    } else {
      return std::string(name);
    }
  };
  const auto expected = [&] { return std::string("a ") + type_name; };
  if (!v.IsTypedArray()) a.type_error(named(), expected(), v);
  napi_typedarray_type t;
  std::size_t length;
  void* data;
  napi_value buffer;
  std::size_t offset;
  const napi_status s = napi_get_typedarray_info(v.Env(), v, &t, &length, &data, &buffer, &offset);
  NAPI_THROW_IF_FAILED(v.Env(), s, nullptr);
  if (t != type) a.type_error(named(), expected(), v);
  if (static_cast<std::int64_t>(length) < need) {
    a.range_error(named(), "at least " + std::to_string(need) + " elements (detached or shrunk?)",
                  describe(v));
  }
  return data;
}

napi_ref make_ref(const Napi::Value& v) {
  napi_ref r;
  const napi_status s = napi_create_reference(v.Env(), v, 1, &r);
  NAPI_THROW_IF_FAILED(v.Env(), s, nullptr);
  return r;
}

Napi::Value deref(napi_env env, napi_ref r) {
  napi_value v;
  const napi_status s = napi_get_reference_value(env, r, &v);
  NAPI_THROW_IF_FAILED(env, s, Napi::Value());
  return Napi::Value(env, v);
}

std::string one_of(const Args& a, const Napi::Value& v, const std::string& name,
                   std::initializer_list<const char*> options) {
  std::string expected = "one of";
  for (const char* o : options) expected += std::string(" \"") + o + "\"";
  if (!v.IsString()) a.type_error(name, expected, v);
  const std::string s = v.As<Napi::String>().Utf8Value();
  for (const char* o : options) {
    if (s == o) return s;
  }
  a.range_error(name, expected, describe(v));
}

template <typename T>
double run_step(Plan& p, std::vector<ffnn::StepSlot<T>>& slots, ffnn::StepWorkspace<T>& ws,
                const Args& a, std::int64_t B, void* x, void* ydense, const std::int32_t* yidx,
                const double* state) {
  const ffnn::StepResult r = ffnn::train_step<T>(p.cfg, ws, B, static_cast<const T*>(x),
                                                 static_cast<const T*>(ydense), yidx, slots.data(),
                                                 state, p.drop_states.data());
  const std::int64_t in = p.cfg.layers[0].in;
  const std::int64_t C = p.cfg.layers.back().out;
  switch (r.status) {
    case ffnn::StepStatus::XNotFinite:
      a.range_error("x", "finite values",
                    describe(Napi::Number::New(a.env(), static_cast<double>(static_cast<const T*>(x)[r.at]))) +
                        " at [" + std::to_string(r.at / in) + ", " + std::to_string(r.at % in) + "]");
    case ffnn::StepStatus::YNotFinite:
      a.range_error("y", "finite values",
                    describe(Napi::Number::New(a.env(), static_cast<double>(static_cast<const T*>(ydense)[r.at]))) +
                        " at [" + std::to_string(r.at / C) + ", " + std::to_string(r.at % C) + "]");
    case ffnn::StepStatus::BadIndex:
      a.range_error("y", "class indices in [0, " + std::to_string(C) + ")",
                    std::to_string(yidx[r.at]) + " at index " + std::to_string(r.at));
    default:
      return r.loss;
  }
}

}  // namespace

// createStepPlan(spec) -> plan. spec: {dtype, loss: "ffnn" | "cross-entropy" | "mse", reduction:
// "sum" | "mean", optimizer: "sgd" | "adam", layers: [{IN, OUT, act, param, scalar, w, b}], params:
// [{data, grad, buf, m, v}], state: Float64Array}; see src/kernels/types.ts
Napi::Value CreateStepPlan(const Napi::CallbackInfo& info) {
  Args a(info, "createStepPlan");
  Napi::Env env = info.Env();
  const Napi::Object spec = a.object(a.at(0), "spec");
  auto plan = std::make_unique<Plan>();
  Plan& p = *plan;
  p.env = env;
  p.dtype = one_of(a, spec.Get("dtype"), "spec.dtype", {"float32", "float64"}) == "float64"
                ? DType::F64
                : DType::F32;
  const std::string loss = one_of(a, spec.Get("loss"), "spec.loss", {"ffnn", "cross-entropy", "mse"});
  p.cfg.loss = loss == "ffnn" ? ffnn::StepLoss::Ffnn
               : loss == "mse" ? ffnn::StepLoss::Mse
                               : ffnn::StepLoss::CrossEntropy;
  p.cfg.mean = one_of(a, spec.Get("reduction"), "spec.reduction", {"sum", "mean"}) == "mean";
  p.cfg.optimizer = one_of(a, spec.Get("optimizer"), "spec.optimizer", {"sgd", "adam"}) == "adam"
                        ? ffnn::StepOptimizer::Adam
                        : ffnn::StepOptimizer::Sgd;
  const napi_typedarray_type ft = float_type(p.dtype);
  const char* fname = float_name(p.dtype);

  const Napi::Value pv = spec.Get("params");
  if (!pv.IsArray()) a.type_error("spec.params", "an array of parameters", pv);
  const Napi::Array params = pv.As<Napi::Array>();
  const std::uint32_t nslots = params.Length();
  if (nslots == 0 || nslots > 1u << 20) a.range_error("spec.params", "1 to 2^20 parameters", describe(pv));
  p.cfg.slots = static_cast<int>(nslots);
  p.refs.resize(nslots);
  const bool adam = p.cfg.optimizer == ffnn::StepOptimizer::Adam;
  for (std::uint32_t s = 0; s < nslots; ++s) {
    const std::string at = "spec.params[" + std::to_string(s) + "]";
    const Napi::Object o = a.object(params.Get(s), at);
    const Napi::Value data = o.Get("data");
    const Napi::Value grad = o.Get("grad");
    const Napi::Value buf = o.Get("buf");
    const Napi::Value m = o.Get("m");
    const Napi::Value v = o.Get("v");
    // lengths are read after every getter has run
    typed(a, data, at + ".data", ft, fname, 0);
    const std::int64_t n = static_cast<std::int64_t>(data.As<Napi::TypedArray>().ElementLength());
    if (n == 0) a.range_error(at + ".data", "at least 1 element", describe(data));
    typed(a, grad, at + ".grad", ft, fname, n);
    SlotRefs& r = p.refs[s];
    r.n = n;
    r.data = make_ref(data);
    r.grad = make_ref(grad);
    if (adam) {
      typed(a, m, at + ".m", ft, fname, n);
      typed(a, v, at + ".v", ft, fname, n);
      r.m = make_ref(m);
      r.v = make_ref(v);
    } else if (!buf.IsNull() && !buf.IsUndefined()) {
      typed(a, buf, at + ".buf", ft, fname, n);
      r.buf = make_ref(buf);
    }
  }

  const Napi::Value lv = spec.Get("layers");
  if (!lv.IsArray()) a.type_error("spec.layers", "an array of layers", lv);
  const Napi::Array layers = lv.As<Napi::Array>();
  const std::uint32_t L = layers.Length();
  if (L == 0 || L > 1u << 16) a.range_error("spec.layers", "1 to 2^16 layers", describe(lv));
  std::vector<int> role(nslots, 0);  // 1 w or b, 2 scalar
  for (std::uint32_t l = 0; l < L; ++l) {
    const std::string at = "spec.layers[" + std::to_string(l) + "]";
    const Napi::Object o = a.object(layers.Get(l), at);
    ffnn::StepLayer ly{};
    ly.in = a.integer(o.Get("IN"), at + ".IN", 1, std::numeric_limits<std::int32_t>::max());
    ly.out = a.integer(o.Get("OUT"), at + ".OUT", 1, std::numeric_limits<std::int32_t>::max());
    ly.act = static_cast<int>(a.integer(o.Get("act"), at + ".act", 0, ffnn::ACT_COUNT - 1));
    ly.param = a.finite(o.Get("param"), at + ".param");
    ly.scalar = static_cast<int>(a.integer(o.Get("scalar"), at + ".scalar", -1, nslots - 1));
    ly.w = static_cast<int>(a.integer(o.Get("w"), at + ".w", 0, nslots - 1));
    ly.b = static_cast<int>(a.integer(o.Get("b"), at + ".b", -1, nslots - 1));
    // precision: absent or "float32", or "bf16" with float32 arrays (a double would be read as floats)
    const Napi::Value pv = o.Get("precision");
    if (!pv.IsUndefined()) {
      ly.bf16 = one_of(a, pv, at + ".precision", {"float32", "bf16"}) == "bf16";
      if (ly.bf16 && p.dtype != DType::F32) {
        a.range_error(at + ".precision", "\"float32\" with dtype float64 (\"bf16\" needs float32)", "\"bf16\"");
      }
    }
    if (l > 0 && ly.in != p.cfg.layers.back().out) {
      a.range_error(at + ".IN", "the OUT of the layer before (" + std::to_string(p.cfg.layers.back().out) + ")",
                    std::to_string(ly.in));
    }
    if (ly.act == ffnn::ACT_IDENTITY && ly.scalar >= 0) {
      a.range_error(at + ".scalar", "-1 (no activation)", std::to_string(ly.scalar));
    }
    auto claim = [&](int s, int kind, std::int64_t n, const char* what) {
      if (role[s] != 0 && !(kind == 2 && role[s] == 2)) {
        a.range_error(at + "." + what, "a parameter no other layer uses as a weight or bias",
                      std::to_string(s));
      }
      role[s] = kind;
      if (p.refs[s].n != n) {
        a.range_error(at + "." + what, "a parameter of " + std::to_string(n) + " elements",
                      "params[" + std::to_string(s) + "] of " + std::to_string(p.refs[s].n));
      }
    };
    claim(ly.w, 1, ly.in * ly.out, "w");
    if (ly.b >= 0) claim(ly.b, 1, ly.out, "b");
    if (ly.scalar >= 0) claim(ly.scalar, 2, 1, "scalar");
    p.cfg.layers.push_back(ly);
  }
  for (std::uint32_t s = 0; s < nslots; ++s) {
    if (role[s] == 0) {
      a.range_error("spec.params[" + std::to_string(s) + "]", "a parameter some layer uses",
                    "an unused parameter");
    }
  }
  if (p.cfg.loss == ffnn::StepLoss::Ffnn && L < 1) a.range_error("spec.layers", "at least one layer", "none");

  // the dropouts (optional): {at, p, state}, ordered by at
  const Napi::Value dv = spec.Get("drops");
  if (!dv.IsUndefined()) {
    if (!dv.IsArray()) a.type_error("spec.drops", "an array of dropouts", dv);
    const Napi::Array drops = dv.As<Napi::Array>();
    const std::uint32_t D = drops.Length();
    if (D > 1u << 16) a.range_error("spec.drops", "at most 2^16 dropouts", describe(dv));
    for (std::uint32_t d = 0; d < D; ++d) {
      const std::string at = "spec.drops[" + std::to_string(d) + "]";
      const Napi::Object o = a.object(drops.Get(d), at);
      ffnn::StepDrop dr{};
      const std::int64_t lo = p.cfg.drops.empty() ? 0 : p.cfg.drops.back().at;
      dr.at = a.integer(o.Get("at"), at + ".at", lo, L);
      dr.p = a.number(o.Get("p"), at + ".p");
      const Napi::Value st = o.Get("state");
      a.uint32s(st, at + ".state", 4);
      p.drop_refs.push_back(make_ref(st));
      p.cfg.drops.push_back(dr);
    }
    p.drop_states.assign(D, nullptr);
  }

  // clipGradNorm (optional): a number >= 0, the updates then wait for the total norm
  const Napi::Value cv = spec.Get("clipGradNorm");
  if (!cv.IsUndefined() && !cv.IsNull()) {
    p.cfg.clip = a.number(cv, "spec.clipGradNorm");
    if (!(p.cfg.clip >= 0)) a.range_error("spec.clipGradNorm", "a number >= 0", describe(cv));
  }
  const Napi::Value sv = spec.Get("state");
  typed(a, sv, "spec.state", napi_float64_array, "Float64Array", static_cast<std::int64_t>(ffnn::H_STRIDE) * nslots);
  p.state = make_ref(sv);

  p.sf.resize(nslots);
  p.sd.resize(nslots);
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("backend", "native");
  obj.Set("dtype", p.dtype == DType::F64 ? "float64" : "float32");
  obj.Set("inFeatures", Napi::Number::New(env, static_cast<double>(p.cfg.layers.front().in)));
  obj.Set("outFeatures", Napi::Number::New(env, static_cast<double>(p.cfg.layers.back().out)));
  NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, obj, &kPlanTag), Napi::Value());
  NAPI_THROW_IF_FAILED(env, napi_wrap(env, obj, plan.get(), finalize_plan, nullptr, nullptr),
                       Napi::Value());
  plan.release();
  NAPI_THROW_IF_FAILED(env, napi_object_freeze(env, obj), Napi::Value());
  return obj;
}

// trainStep(plan, B, x, y) -> loss. x is (B, IN) of the plan's dtype; y is (B) Int32Array class
// indices ("ffnn", "cross-entropy") or (B, C) floats
Napi::Value TrainStep(const Napi::CallbackInfo& info) {
  Args a(info, "trainStep");
  napi_env env = info.Env();
  const Napi::Value pv = a.at(0);
  bool tagged = false;
  if (pv.IsObject()) NAPI_THROW_IF_FAILED(env, napi_check_object_type_tag(env, pv, &kPlanTag, &tagged), Napi::Value());
  if (!tagged) a.type_error("plan", "a plan from createStepPlan", pv);
  void* raw = nullptr;
  NAPI_THROW_IF_FAILED(env, napi_unwrap(env, pv, &raw), Napi::Value());
  Plan& p = *static_cast<Plan*>(raw);
  const std::int64_t B = a.integer(a.at(1), "B", 1, std::numeric_limits<std::int32_t>::max());
  const napi_typedarray_type ft = float_type(p.dtype);
  const char* fname = float_name(p.dtype);
  const std::int64_t in = p.cfg.layers.front().in;
  const std::int64_t C = p.cfg.layers.back().out;
  void* x = typed(a, a.at(2), "x", ft, fname, B * in);
  const Napi::Value yv = a.at(3);
  void* ydense = nullptr;
  const std::int32_t* yidx = nullptr;
  if (p.cfg.loss != ffnn::StepLoss::Mse && yv.IsTypedArray() &&
      yv.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    yidx = static_cast<const std::int32_t*>(typed(a, yv, "y", napi_int32_array, "Int32Array", B));
  } else {
    ydense = typed(a, yv, "y", ft, p.cfg.loss == ffnn::StepLoss::Mse ? fname : "Int32Array of class indices or a float array like x", B * C);
  }
  const double* state = static_cast<const double*>(
      typed(a, deref(env, p.state), "plan state", napi_float64_array, "Float64Array",
            static_cast<std::int64_t>(ffnn::H_STRIDE) * p.cfg.slots));
  const bool adam = p.cfg.optimizer == ffnn::StepOptimizer::Adam;
  for (int s = 0; s < p.cfg.slots; ++s) {
    const SlotRefs& r = p.refs[s];
    const double* hs = state + static_cast<std::int64_t>(ffnn::H_STRIDE) * s;
    for (int h = 0; h < ffnn::H_COUNT; ++h) {
      if (!std::isfinite(hs[h])) a.range_error("plan state", "finite hyper-parameters", "a non-finite value");
    }
    // "params[s].field", made only for a message
    const auto at = [s](const char* field) {
      return [s, field] { return "params[" + std::to_string(s) + "]" + field; };
    };
    const double per = hs[ffnn::H_COUNT];
    if (adam && !(per >= 1 && per <= 9007199254740991.0 && per == static_cast<double>(static_cast<std::int64_t>(per)))) {
      a.range_error(at(" step")(), "an integer >= 1", describe(Napi::Number::New(env, per)));
    }
    if (!adam && hs[ffnn::H_MOMENTUM] != 0 && r.buf == nullptr) {
      a.type_error(at(".buf")(), "a momentum buffer (momentum is not 0)", Napi::Env(env).Null());
    }
    void* data = typed(a, deref(env, r.data), at(".data"), ft, fname, r.n);
    void* grad = typed(a, deref(env, r.grad), at(".grad"), ft, fname, r.n);
    void* buf = r.buf ? typed(a, deref(env, r.buf), at(".buf"), ft, fname, r.n) : nullptr;
    void* m = r.m ? typed(a, deref(env, r.m), at(".m"), ft, fname, r.n) : nullptr;
    void* v = r.v ? typed(a, deref(env, r.v), at(".v"), ft, fname, r.n) : nullptr;
    if (p.dtype == DType::F64) {
      p.sd[s] = {static_cast<double*>(data), static_cast<double*>(grad), static_cast<double*>(buf),
                 static_cast<double*>(m), static_cast<double*>(v), r.n};
    } else {
      p.sf[s] = {static_cast<float*>(data), static_cast<float*>(grad), static_cast<float*>(buf),
                 static_cast<float*>(m), static_cast<float*>(v), r.n};
    }
  }
  // the step reads x and y while it writes every slot's arrays: they may share no byte (the module
  // calls would give other numbers)
  const std::uintptr_t es = p.dtype == DType::F64 ? 8 : 4;
  const auto overlaps = [](const void* u, std::uintptr_t ub, const void* w, std::uintptr_t wb) {
    const std::uintptr_t i = reinterpret_cast<std::uintptr_t>(u);
    const std::uintptr_t j = reinterpret_cast<std::uintptr_t>(w);
    return u != nullptr && w != nullptr && i < j + wb && j < i + ub;
  };
  const void* yp = ydense ? ydense : static_cast<const void*>(yidx);
  const std::uintptr_t yb = ydense ? static_cast<std::uintptr_t>(B * C) * es : static_cast<std::uintptr_t>(B) * 4;
  for (int s = 0; s < p.cfg.slots; ++s) {
    const void* arrays[5];
    std::int64_t n;
    if (p.dtype == DType::F64) {
      const ffnn::StepSlot<double>& q = p.sd[s];
      arrays[0] = q.data, arrays[1] = q.grad, arrays[2] = q.buf, arrays[3] = q.m, arrays[4] = q.v, n = q.n;
    } else {
      const ffnn::StepSlot<float>& q = p.sf[s];
      arrays[0] = q.data, arrays[1] = q.grad, arrays[2] = q.buf, arrays[3] = q.m, arrays[4] = q.v, n = q.n;
    }
    static const char* const names[5] = {".data", ".grad", ".buf", ".m", ".v"};
    for (int k = 0; k < 5; ++k) {
      // the message is built only for an error: this runs every step
      const auto other = [&] { return "an array that does not overlap params[" + std::to_string(s) + "]" + names[k]; };
      const std::uintptr_t bytes = static_cast<std::uintptr_t>(n) * es;
      if (overlaps(x, static_cast<std::uintptr_t>(B * in) * es, arrays[k], bytes)) a.range_error("x", other(), describe(a.at(2)));
      if (overlaps(yp, yb, arrays[k], bytes)) a.range_error("y", other(), describe(yv));
    }
  }
  for (std::size_t d = 0; d < p.drop_refs.size(); ++d) {
    p.drop_states[d] = a.uint32s(deref(env, p.drop_refs[d]), "spec.drops[" + std::to_string(d) + "].state", 4);
  }
  const double loss = p.dtype == DType::F64
                          ? run_step<double>(p, p.sd, p.wd, a, B, x, ydense, yidx, state)
                          : run_step<float>(p, p.sf, p.wf, a, B, x, ydense, yidx, state);
  return Napi::Number::New(env, loss);
}

// linearGradStep(optimizer, B, IN, OUT, x, gradZ, gradW, param, buf, m, v, plusZero, keep, state[, gradX]): a
// Linear's weight gradient gradW := x^T gradZ (stored, as 0 + it when plusZero) and the optimizer's
// update of param from it in one pass (ffnn::linear_grad_step). optimizer 0 is SGD (buf, or null
// without momentum), 1 is Adam (m, v); keep (or null) gets param before the update; x is (B, IN),
// gradZ is (B, OUT), the rest (IN, OUT); state
// is a Float64Array of the hyper-parameters then the parameter's count (StepHyper, H_COUNT + 1);
// gradX (B, IN), absent or null: gradZ param^T from param before the update
Napi::Value LinearGradStep(const Napi::CallbackInfo& info) {
  Args a(info, "linearGradStep");
  const bool adam = a.integer(a.at(0), "optimizer", 0, 1) == 1;
  const std::int64_t B = a.dim(a.at(1), "B");
  const std::int64_t IN = a.dim(a.at(2), "IN");
  const std::int64_t OUT = a.dim(a.at(3), "OUT");
  const bool plus_zero = a.boolean(a.at(11), "plusZero");
  const double* state = static_cast<const double*>(
      typed(a, a.at(13), "state", napi_float64_array, "Float64Array", ffnn::H_COUNT + 1));
  for (int h = 0; h <= ffnn::H_COUNT; ++h) {
    if (!std::isfinite(state[h])) a.range_error("state", "finite hyper-parameters and count", "a non-finite value");
  }
  // the optimizers' rules, as sgdStep and adamStep take them
  rule_value(a, state[ffnn::H_LR], "state lr", kAtLeast0);
  rule_value(a, state[ffnn::H_WEIGHT_DECAY], "state weightDecay", kAtLeast0);
  rule_value(a, state[ffnn::H_L1], "state l1", kAtLeast0);
  if (adam) {
    rule_value(a, state[ffnn::H_BETA1], "state beta1", kBeta);
    rule_value(a, state[ffnn::H_BETA2], "state beta2", kBeta);
    rule_value(a, state[ffnn::H_EPS], "state eps", kAbove0);
  } else {
    rule_value(a, state[ffnn::H_MOMENTUM], "state momentum", kAtLeast0);
    rule_value(a, state[ffnn::H_DAMPENING], "state dampening", kAtLeast0);
    if (state[ffnn::H_NESTEROV] != 0 && (state[ffnn::H_MOMENTUM] == 0 || state[ffnn::H_DAMPENING] != 0)) {
      a.range_error("state nesterov", "0 unless momentum > 0 and dampening is 0", "1");
    }
  }
  const double per = state[ffnn::H_COUNT];
  if (adam && !(per >= 1 && per <= 9007199254740991.0 && per == static_cast<double>(static_cast<std::int64_t>(per)))) {
    a.range_error("state", "an Adam step count that is an integer >= 1", describe(Napi::Number::New(a.env(), per)));
  }
  const std::int64_t n = IN * OUT;
  void* x = a.floats(a.at(4), "x", B * IN);
  void* gz = a.floats(a.at(5), "gradZ", B * OUT);
  void* gw = a.floats(a.at(6), "gradW", n);
  void* w = a.floats(a.at(7), "param", n);
  void* buf = a.floats(a.at(8), "buf", n, true);
  void* m = a.floats(a.at(9), "m", n, true);
  void* v = a.floats(a.at(10), "v", n, true);
  void* keep = a.floats(a.at(12), "keep", n, true);
  void* gx = info.Length() > 14 ? a.floats(a.at(14), "gradX", B * IN, true) : nullptr;
  if (!adam && state[ffnn::H_MOMENTUM] != 0 && buf == nullptr) {
    a.type_error("buf", "a momentum buffer (momentum is not 0)", a.at(8));
  }
  if (adam && (m == nullptr || v == nullptr)) a.type_error(m == nullptr ? "m" : "v", "a float array like param", a.at(m == nullptr ? 9 : 10));
  struct Arr {
    std::size_t k;
    const char* name;
    void* p;
    std::int64_t n;
  };
  const Arr ins[] = {{4, "x", x, B * IN}, {5, "gradZ", gz, B * OUT}};
  const Arr outs[] = {{6, "gradW", gw, n}, {7, "param", w, n}, {8, "buf", buf, n}, {9, "m", m, n}, {10, "v", v, n}, {12, "keep", keep, n}, {14, "gradX", gx, B * IN}};
  for (std::size_t o = 0; o < 7; ++o) {
    for (const Arr& in : ins) a.disjoint(a.at(outs[o].k), outs[o].name, outs[o].p, outs[o].n, in.name, in.p, in.n);
    for (std::size_t q = 0; q < o; ++q) {
      a.disjoint(a.at(outs[o].k), outs[o].name, outs[o].p, outs[o].n, outs[q].name, outs[q].p, outs[q].n);
    }
  }
  const ffnn::StepOptimizer opt = adam ? ffnn::StepOptimizer::Adam : ffnn::StepOptimizer::Sgd;
  if (a.dtype() == DType::F64) {
    ffnn::StepSlot<double> slot{static_cast<double*>(w), static_cast<double*>(gw), static_cast<double*>(buf),
                                static_cast<double*>(m), static_cast<double*>(v), n};
    ffnn::linear_grad_step<double>(opt, B, IN, OUT, static_cast<const double*>(x), static_cast<const double*>(gz), slot, plus_zero, static_cast<double*>(keep), static_cast<double*>(gx), state);
  } else {
    ffnn::StepSlot<float> slot{static_cast<float*>(w), static_cast<float*>(gw), static_cast<float*>(buf),
                               static_cast<float*>(m), static_cast<float*>(v), n};
    ffnn::linear_grad_step<float>(opt, B, IN, OUT, static_cast<const float*>(x), static_cast<const float*>(gz), slot, plus_zero, static_cast<float*>(keep), static_cast<float*>(gx), state);
  }
  return a.env().Undefined();
}

// the kernels' scratch allocations so far (grow-only buffers and step workspaces)
Napi::Value NativeAllocations(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ffnn::allocation_count()));
}

// where an ArrayBuffer's memory starts, modulo 64 (a cache line): Tensor allocations use it to start
// big arrays on a line, so that threads owning neighbouring parts of a matrix never share a line
Napi::Value AddressMod64(const Napi::CallbackInfo& info) {
  Args a(info, "addressMod64");
  if (!info[0].IsArrayBuffer()) a.type_error("buffer", "an ArrayBuffer", info[0]);
  const void* p = info[0].As<Napi::ArrayBuffer>().Data();
  return Napi::Number::New(a.env(), static_cast<double>(reinterpret_cast<std::uintptr_t>(p) % 64));
}

}  // namespace ffnn::binding
