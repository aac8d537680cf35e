// the wrappers behind the addon's exports, one per Kernels method, same names and argument
// orders as src/kernels/types.ts; each re-checks every argument before it reaches C++
#pragma once

#include <napi.h>

namespace ffnn::binding {

Napi::Value Info(const Napi::CallbackInfo& info);
Napi::Value SetNumThreads(const Napi::CallbackInfo& info);
Napi::Value GetNumThreads(const Napi::CallbackInfo& info);
Napi::Value SetIsa(const Napi::CallbackInfo& info);
Napi::Value GetIsa(const Napi::CallbackInfo& info);
Napi::Value SupportedIsas(const Napi::CallbackInfo& info);
Napi::Value SetBf16Isa(const Napi::CallbackInfo& info);
Napi::Value GetBf16Isa(const Napi::CallbackInfo& info);
Napi::Value SupportedBf16Isas(const Napi::CallbackInfo& info);
Napi::Value Gemm(const Napi::CallbackInfo& info);
Napi::Value BiasAct(const Napi::CallbackInfo& info);
Napi::Value ActBackward(const Napi::CallbackInfo& info);
Napi::Value LinearForward(const Napi::CallbackInfo& info);
Napi::Value LinearBackward(const Napi::CallbackInfo& info);
Napi::Value Softmax(const Napi::CallbackInfo& info);
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info);
Napi::Value CeLoss(const Napi::CallbackInfo& info);
Napi::Value CategoricalCeLoss(const Napi::CallbackInfo& info);
Napi::Value MseLoss(const Napi::CallbackInfo& info);
Napi::Value SgdStep(const Napi::CallbackInfo& info);
Napi::Value AdamStep(const Napi::CallbackInfo& info);
Napi::Value VectorNorm(const Napi::CallbackInfo& info);
Napi::Value Scale(const Napi::CallbackInfo& info);
Napi::Value ClampAbs(const Napi::CallbackInfo& info);
Napi::Value MaxNormColumns(const Napi::CallbackInfo& info);
Napi::Value DropoutForward(const Napi::CallbackInfo& info);
Napi::Value DropoutBackward(const Napi::CallbackInfo& info);

}  // namespace ffnn::binding
