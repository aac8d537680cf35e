// the training-step plan: createStepPlan(spec) -> plan, trainStep(plan, B, x, y) -> loss, and the
// kernels' allocation count (nativeAllocations)
#pragma once

#include <napi.h>

namespace ffnn::binding {

Napi::Value CreateStepPlan(const Napi::CallbackInfo& info);
Napi::Value TrainStep(const Napi::CallbackInfo& info);
Napi::Value LinearGradStep(const Napi::CallbackInfo& info);
Napi::Value NativeAllocations(const Napi::CallbackInfo& info);
Napi::Value AddressMod64(const Napi::CallbackInfo& info);

}  // namespace ffnn::binding
