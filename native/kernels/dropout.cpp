#include "dropout.h"

#include "fpenv.h"

namespace ffnn {

namespace {

inline std::uint32_t rotl(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// xoshiro128** (Blackman and Vigna), as src/random.ts nextU32
inline std::uint32_t next_u32(std::uint32_t* s) {
  const std::uint32_t result = rotl(s[1] * 5u, 7) * 9u;
  const std::uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

}  // namespace

template <typename T>
void dropout_forward(std::int64_t n, const T* x, double p, std::uint32_t* state, T* mask, T* y) {
  FlushDenormals ftz;
  // p = 1 drops everything (torch gives zeros, not 0 * inf)
  const T scale = p == 1 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
  // uniform() < p as integers: u / 2^53 < p is u < p 2^53, both sides exact in double
  const double limit = p * 9007199254740992.0;
  std::uint32_t s[4] = {state[0], state[1], state[2], state[3]};
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint64_t hi = next_u32(s) >> 5;
    const std::uint64_t lo = next_u32(s) >> 6;
    const double u = static_cast<double>((hi << 26) | lo);
    const T m = u < limit ? T(0) : scale;
    mask[i] = m;
    y[i] = x[i] * m;
  }
  for (int k = 0; k < 4; ++k) state[k] = s[k];
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

}  // namespace ffnn
