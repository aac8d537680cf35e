// the export table of the addon; each wrapper checks its own arguments (kernels_binding.cpp)
#include <napi.h>

#include <exception>
#include <new>
#include <string>

#include "kernels_binding.h"
#include "step_binding.h"

namespace b = ffnn::binding;

namespace {

using Callback = Napi::Value (*)(const Napi::CallbackInfo&);

// node-addon-api turns only a thrown Napi::Error into a JavaScript exception: any other C++
// exception leaving a callback would terminate the process. an allocation the machine cannot
// satisfy (a workspace for a huge batch) becomes a RangeError, anything else an Error, named
template <Callback F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* name) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), std::string(name) +
                                                ": out of memory: the sizes given need more memory "
                                                "than the process can allocate");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string(name) + ": " + e.what());
  }
}

template <Callback F>
void add(Napi::Env env, Napi::Object exports, const char* name) {
  // the name outlives every call: a string literal
  exports.Set(name, Napi::Function::New(
                        env, [](const Napi::CallbackInfo& info) {
                          return guarded<F>(info, static_cast<const char*>(info.Data()));
                        },
                        name, const_cast<char*>(name)));
}

}  // namespace

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  add<b::Info>(env, exports, "info");
  add<b::SetNumThreads>(env, exports, "setNumThreads");
  add<b::GetNumThreads>(env, exports, "getNumThreads");
  add<b::SetIsa>(env, exports, "setIsa");
  add<b::GetIsa>(env, exports, "getIsa");
  add<b::SupportedIsas>(env, exports, "supportedIsas");
  add<b::SetBf16Isa>(env, exports, "setBf16Isa");
  add<b::GetBf16Isa>(env, exports, "getBf16Isa");
  add<b::SupportedBf16Isas>(env, exports, "supportedBf16Isas");
  add<b::Gemm>(env, exports, "gemm");
  add<b::BiasAct>(env, exports, "biasAct");
  add<b::ActBackward>(env, exports, "actBackward");
  add<b::LinearForward>(env, exports, "linearForward");
  add<b::LinearBackward>(env, exports, "linearBackward");
  add<b::Softmax>(env, exports, "softmax");
  add<b::SoftmaxCrossEntropy>(env, exports, "softmaxCrossEntropy");
  add<b::CeLoss>(env, exports, "ceLoss");
  add<b::CategoricalCeLoss>(env, exports, "categoricalCELoss");
  add<b::MseLoss>(env, exports, "mseLoss");
  add<b::SgdStep>(env, exports, "sgdStep");
  add<b::AdamStep>(env, exports, "adamStep");
  add<b::VectorNorm>(env, exports, "vectorNorm");
  add<b::Scale>(env, exports, "scale");
  add<b::ClampAbs>(env, exports, "clampAbs");
  add<b::MaxNormColumns>(env, exports, "maxNormColumns");
  add<b::DropoutForward>(env, exports, "dropoutForward");
  add<b::DropoutBackward>(env, exports, "dropoutBackward");
  add<b::CreateStepPlan>(env, exports, "createStepPlan");
  add<b::TrainStep>(env, exports, "trainStep");
  add<b::LinearGradStep>(env, exports, "linearGradStep");
  add<b::NativeAllocations>(env, exports, "nativeAllocations");
  add<b::AddressMod64>(env, exports, "addressMod64");
  return exports;
}

NODE_API_MODULE(ffnn, Init)
