#include "cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace ffnn {

namespace {

struct IsaState {
  std::atomic<int> active;
  std::atomic<int> bf16;
  std::string note;
};

// FFNN_ISA read once, on first use: a forced path the cpu lacks falls back to the best one
IsaState& state() {
  static IsaState* s = [] {
    auto* st = new IsaState();
    Isa chosen = best_isa();
    Bf16Isa chosen_bf16 = best_bf16_isa();
    const char* env = std::getenv("FFNN_ISA");
    if (env != nullptr && *env != '\0') {
      Isa want;
      Bf16Isa want_bf16;
      if (bf16_isa_from_name(env, &want_bf16) && want_bf16 != Bf16Isa::Portable) {
        if (bf16_isa_supported(want_bf16)) {
          chosen_bf16 = want_bf16;
        } else {
          st->note = std::string("FFNN_ISA=") + env + " is not supported by this cpu; using " +
                     isa_to_name(chosen) + " (bf16: " + bf16_isa_to_name(chosen_bf16) + ")";
        }
      } else if (!isa_from_name(env, &want)) {
        st->note = std::string("FFNN_ISA=") + env +
                   " is not avx512, avx2, portable, amx or avx512bf16; using " + isa_to_name(chosen);
      } else if (!isa_supported(want)) {
        st->note = std::string("FFNN_ISA=") + env + " is not supported by this cpu; using " +
                   isa_to_name(chosen);
      } else {
        chosen = want;
        chosen_bf16 = Bf16Isa::Portable;
      }
    }
    st->active.store(static_cast<int>(chosen));
    st->bf16.store(static_cast<int>(chosen_bf16));
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

const char* bf16_isa_to_name(Bf16Isa isa) {
  switch (isa) {
    case Bf16Isa::Amx: return "amx";
    case Bf16Isa::Avx512Bf16: return "avx512bf16";
    default: return "portable";
  }
}

bool bf16_isa_from_name(const char* name, Bf16Isa* out) {
  if (std::strcmp(name, "amx") == 0) *out = Bf16Isa::Amx;
  else if (std::strcmp(name, "avx512bf16") == 0) *out = Bf16Isa::Avx512Bf16;
  else if (std::strcmp(name, "portable") == 0) *out = Bf16Isa::Portable;
  else return false;
  return true;
}

namespace {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// xcr0, read only after cpuid says the os enabled xsave
unsigned long long xcr0() {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

bool osxsave() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c & (1u << 27)) != 0;
}

// avx512bw (vpermw in the packing) and avx512_bf16 (cpuid 7.1 eax bit 5)
bool cpu_avx512bf16() {
  if (!isa_supported(Isa::Avx512) || !__builtin_cpu_supports("avx512bw")) return false;
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return false;
  return (a & (1u << 5)) != 0;
}

// amx-tile and amx-bf16 (cpuid 7.0 edx bits 24, 22)
bool cpu_amx_bits() {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  return (d & (1u << 24)) != 0 && (d & (1u << 22)) != 0;
}

// the amx bits, tile state enabled by the os (xcr0 bits 17, 18), and the kernel's grant of the tile
// data to this process, asked once
bool cpu_amx() {
  if (!cpu_avx512bf16() || !cpu_amx_bits()) return false;
  if (!osxsave() || (xcr0() & (3ull << 17)) != (3ull << 17)) return false;
#if defined(__linux__)
  static const bool granted = [] {
    constexpr long ARCH_REQ_XCOMP_PERM = 0x1023;
    constexpr long XFEATURE_XTILEDATA = 18;
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
  }();
  return granted;
#else
  return false;
#endif
}
#endif

// the cpu has amx tiles, whether or not the os and the kernel let this process use them
bool cpu_amx_hardware() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return cpu_amx_bits();
#else
  return false;
#endif
}

}  // namespace

bool bf16_isa_supported(Bf16Isa isa) {
  if (isa == Bf16Isa::Portable) return true;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (isa == Bf16Isa::Avx512Bf16) return cpu_avx512bf16();
  if (isa == Bf16Isa::Amx) return cpu_amx();
#endif
  return false;
}

Bf16Isa best_bf16_isa() {
  if (bf16_isa_supported(Bf16Isa::Amx)) return Bf16Isa::Amx;
  // a cpu with amx tiles (intel sapphire rapids on) whose kernel refused them: its vdpbf16ps ran the
  // 1024^2 product at 56-104 GFLOP/s on one core against 132 for the portable path (the float32
  // avx-512 kernel on rounded operands), so portable; elsewhere (amd zen 4) vdpbf16ps is the faster
  if (bf16_isa_supported(Bf16Isa::Avx512Bf16) && !cpu_amx_hardware()) return Bf16Isa::Avx512Bf16;
  return Bf16Isa::Portable;
}

Bf16Isa active_bf16_isa() {
  return static_cast<Bf16Isa>(state().bf16.load(std::memory_order_relaxed));
}

bool set_bf16_isa(Bf16Isa isa) {
  if (!bf16_isa_supported(isa)) return false;
  state().bf16.store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

const char* bf16_isa_name() { return bf16_isa_to_name(active_bf16_isa()); }

}  // namespace ffnn
