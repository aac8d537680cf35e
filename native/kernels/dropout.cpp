#include "dropout.h"

#include <cmath>

#include "fpenv.h"

namespace ffnn {

namespace {

inline std::uint32_t rotl(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// xoshiro128** (Blackman and Vigna), as src/random.ts nextU32: the output of the state, then the step
inline std::uint32_t output(const std::uint32_t* s) { return rotl(s[1] * 5u, 7) * 9u; }

inline void advance(std::uint32_t* s) {
  const std::uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
}

}  // namespace

template <typename T>
void dropout_mask(std::int64_t n, double p, std::uint32_t* state, T* mask) {
  // p = 1 drops everything (torch gives zeros, not 0 * inf)
  const T scale = p == 1 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
  // Rng.uniform() < p is u < p 2^53 for u = (hi << 26) | lo, the 53 bits of two draws: u < L with L
  // the integer ceil(p 2^53) (exact in double; 0 for p <= 0 or NaN, never true then; 2^53 + 1 above 1)
  const double limit = p * 9007199254740992.0;
  const std::uint64_t L = !(limit > 0) ? 0
                          : limit > 9007199254740992.0 ? (std::uint64_t(1) << 53) + 1
                                                       : static_cast<std::uint64_t>(std::ceil(limit));
  // compared on hi first: lo decides only when hi equals L's top 27 bits (one draw in 2^27), so the
  // second draw's output is computed only then (its state step always)
  const std::uint64_t Lhi = L >> 26;
  const std::uint64_t Llo = L & ((std::uint64_t(1) << 26) - 1);
  std::uint32_t s[4] = {state[0], state[1], state[2], state[3]};
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint64_t hi = output(s) >> 5;
    advance(s);
    bool drop = hi < Lhi;
    if (hi == Lhi) drop = (output(s) >> 6) < Llo;
    advance(s);
    // kept as 0 or 1 and multiplied, not a branch (a random branch mispredicts half the time)
    mask[i] = scale * static_cast<T>(!drop);
  }
  for (int k = 0; k < 4; ++k) state[k] = s[k];
}

template <typename T>
void dropout_forward(std::int64_t n, const T* x, double p, std::uint32_t* state, T* mask, T* y) {
  FlushDenormals ftz;
  dropout_mask<T>(n, p, state, mask);
  dropout_backward<T>(n, x, mask, y);
}

template <typename T>
void dropout_backward(std::int64_t n, const T* g, const T* mask, T* gi) {
  FlushDenormals ftz;
  for (std::int64_t i = 0; i < n; ++i) gi[i] = g[i] * mask[i];
}

template void dropout_forward<float>(std::int64_t, const float*, double, std::uint32_t*, float*, float*);
template void dropout_forward<double>(std::int64_t, const double*, double, std::uint32_t*, double*, double*);
template void dropout_backward<float>(std::int64_t, const float*, const float*, float*);
template void dropout_backward<double>(std::int64_t, const double*, const double*, double*);
template void dropout_mask<float>(std::int64_t, double, std::uint32_t*, float*);
template void dropout_mask<double>(std::int64_t, double, std::uint32_t*, double*);

}  // namespace ffnn
