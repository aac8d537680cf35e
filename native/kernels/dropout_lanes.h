// the lane loop of the dropout masks (dropout.cpp), one source built twice: baseline (8 lanes) in
// dropout.cpp and with -mavx512f (16 lanes, one zmm per state word) in dropout_avx512.cpp. no Node
// headers
#pragma once

#include <cstdint>

namespace ffnn {
// internal linkage: the two files build this header with different instruction sets, and the
// linker must not pick one file's copy for the other
namespace {

inline std::uint32_t dropout_rotl(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// lane l draws elements [l m, (l + 1) m) of mask from its state (x0..x3)[l], two draws an element
// (xoshiro128**: the output of the state, then the step); an element is dropped when the 53-bit
// uniform (hi << 26) | lo is below (hi_l << 26) | lo_l, and mask := drop ? 0 : scale
template <typename T, int LANES>
inline void dropout_lanes(std::int64_t m, std::uint32_t* s0, std::uint32_t* s1, std::uint32_t* s2,
                          std::uint32_t* s3, std::uint32_t hi_l, std::uint32_t lo_l, T scale,
                          T* mask) {
  // local copies: the four arrays may alias as far as the compiler knows, the copies stay in registers
  std::uint32_t x0[LANES], x1[LANES], x2[LANES], x3[LANES];
  for (int l = 0; l < LANES; ++l) x0[l] = s0[l], x1[l] = s1[l], x2[l] = s2[l], x3[l] = s3[l];
  for (std::int64_t k = 0; k < m; ++k) {
    T out[LANES];
    for (int l = 0; l < LANES; ++l) {
      const std::uint32_t hi = (dropout_rotl(x1[l] * 5u, 7) * 9u) >> 5;
      std::uint32_t t = x1[l] << 9;
      x2[l] ^= x0[l], x3[l] ^= x1[l], x1[l] ^= x2[l], x0[l] ^= x3[l], x2[l] ^= t, x3[l] = dropout_rotl(x3[l], 11);
      const std::uint32_t lo = (dropout_rotl(x1[l] * 5u, 7) * 9u) >> 6;
      t = x1[l] << 9;
      x2[l] ^= x0[l], x3[l] ^= x1[l], x1[l] ^= x2[l], x0[l] ^= x3[l], x2[l] ^= t, x3[l] = dropout_rotl(x3[l], 11);
      const std::uint32_t drop = static_cast<std::uint32_t>(hi < hi_l) | (static_cast<std::uint32_t>(hi == hi_l) & static_cast<std::uint32_t>(lo < lo_l));
      out[l] = scale * static_cast<T>(static_cast<std::int32_t>(drop ^ 1u));
    }
    for (int l = 0; l < LANES; ++l) mask[l * m + k] = out[l];
  }
  for (int l = 0; l < LANES; ++l) s0[l] = x0[l], s1[l] = x1[l], s2[l] = x2[l], s3[l] = x3[l];
}

}  // namespace

// the 16-lane build (dropout_avx512.cpp), called only when the active path is avx-512
constexpr int DROPOUT_WIDE_LANES = 16;
void dropout_lanes_avx512(std::int64_t m, std::uint32_t* x0, std::uint32_t* x1, std::uint32_t* x2,
                          std::uint32_t* x3, std::uint32_t hi_l, std::uint32_t lo_l, float scale,
                          float* mask);
void dropout_lanes_avx512(std::int64_t m, std::uint32_t* x0, std::uint32_t* x1, std::uint32_t* x2,
                          std::uint32_t* x3, std::uint32_t hi_l, std::uint32_t lo_l, double scale,
                          double* mask);

}  // namespace ffnn
