#include "cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ffnn {

namespace {

struct IsaState {
  std::atomic<int> active;
  std::string note;
};

// FFNN_ISA read once, on first use: a forced path the cpu lacks falls back to the best one
IsaState& state() {
  static IsaState* s = [] {
    auto* st = new IsaState();
    Isa chosen = best_isa();
    const char* env = std::getenv("FFNN_ISA");
    if (env != nullptr && *env != '\0') {
      Isa want;
      if (!isa_from_name(env, &want)) {
        st->note = std::string("FFNN_ISA=") + env + " is not avx512, avx2 or portable; using " +
                   isa_to_name(chosen);
      } else if (!isa_supported(want)) {
        st->note = std::string("FFNN_ISA=") + env + " is not supported by this cpu; using " +
                   isa_to_name(chosen);
      } else {
        chosen = want;
      }
    }
    st->active.store(static_cast<int>(chosen));
    return st;
  }();
  return *s;
}

}  // namespace

const char* isa_to_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "portable";
  }
}

bool isa_from_name(const char* name, Isa* out) {
  if (std::strcmp(name, "avx512") == 0) *out = Isa::Avx512;
  else if (std::strcmp(name, "avx2") == 0) *out = Isa::Avx2;
  else if (std::strcmp(name, "portable") == 0) *out = Isa::Portable;
  else return false;
  return true;
}

bool isa_supported(Isa isa) {
  if (isa == Isa::Portable) return true;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // __builtin_cpu_supports checks cpuid and that the os saves the wide registers (xgetbv)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (isa == Isa::Avx2) return avx2;
  if (isa == Isa::Avx512) return avx2 && __builtin_cpu_supports("avx512f");
#endif
  return false;
}

Isa best_isa() {
  if (isa_supported(Isa::Avx512)) return Isa::Avx512;
  if (isa_supported(Isa::Avx2)) return Isa::Avx2;
  return Isa::Portable;
}

Isa active_isa() { return static_cast<Isa>(state().active.load(std::memory_order_relaxed)); }

bool set_isa(Isa isa) {
  if (!isa_supported(isa)) return false;
  state().active.store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

const char* isa_note() { return state().note.c_str(); }

const char* isa_name() { return isa_to_name(active_isa()); }

}  // namespace ffnn
