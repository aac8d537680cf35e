// the export table of the addon; each wrapper checks its own arguments (kernels_binding.cpp)
#include <napi.h>

#include "kernels_binding.h"
#include "step_binding.h"

namespace b = ffnn::binding;

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, b::Info, "info"));
  exports.Set("setNumThreads", Napi::Function::New(env, b::SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, b::GetNumThreads, "getNumThreads"));
  exports.Set("setIsa", Napi::Function::New(env, b::SetIsa, "setIsa"));
  exports.Set("getIsa", Napi::Function::New(env, b::GetIsa, "getIsa"));
  exports.Set("supportedIsas", Napi::Function::New(env, b::SupportedIsas, "supportedIsas"));
  exports.Set("gemm", Napi::Function::New(env, b::Gemm, "gemm"));
  exports.Set("biasAct", Napi::Function::New(env, b::BiasAct, "biasAct"));
  exports.Set("actBackward", Napi::Function::New(env, b::ActBackward, "actBackward"));
  exports.Set("linearForward", Napi::Function::New(env, b::LinearForward, "linearForward"));
  exports.Set("linearBackward", Napi::Function::New(env, b::LinearBackward, "linearBackward"));
  exports.Set("softmax", Napi::Function::New(env, b::Softmax, "softmax"));
  exports.Set("softmaxCrossEntropy",
              Napi::Function::New(env, b::SoftmaxCrossEntropy, "softmaxCrossEntropy"));
  exports.Set("ceLoss", Napi::Function::New(env, b::CeLoss, "ceLoss"));
  exports.Set("categoricalCELoss",
              Napi::Function::New(env, b::CategoricalCeLoss, "categoricalCELoss"));
  exports.Set("mseLoss", Napi::Function::New(env, b::MseLoss, "mseLoss"));
  exports.Set("sgdStep", Napi::Function::New(env, b::SgdStep, "sgdStep"));
  exports.Set("adamStep", Napi::Function::New(env, b::AdamStep, "adamStep"));
  exports.Set("createStepPlan", Napi::Function::New(env, b::CreateStepPlan, "createStepPlan"));
  exports.Set("trainStep", Napi::Function::New(env, b::TrainStep, "trainStep"));
  exports.Set("nativeAllocations",
              Napi::Function::New(env, b::NativeAllocations, "nativeAllocations"));
  exports.Set("addressMod64", Napi::Function::New(env, b::AddressMod64, "addressMod64"));
  return exports;
}

NODE_API_MODULE(ffnn, Init)
