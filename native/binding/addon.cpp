// the export table of the addon; argument checks live beside each wrapper
#include <napi.h>

#include "cpu.h"

#ifndef FFNN_COMPILER
#define FFNN_COMPILER "unknown"
#endif

static Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", ffnn::isa_name());
  o.Set("compiler", FFNN_COMPILER);
  o.Set("threads", 1);
  return o;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  return exports;
}

NODE_API_MODULE(ffnn, Init)
