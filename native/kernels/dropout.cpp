#include "dropout.h"

#include <cmath>

#include "cpu.h"
#include "dropout_lanes.h"
#include "fpenv.h"

namespace ffnn {

namespace {

inline std::uint32_t rotl(std::uint32_t x, int k) { return dropout_rotl(x, k); }

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

// the transition of advance() is linear over GF(2) with a characteristic polynomial P of degree 128:
// A^k = (x^k mod P)(A), so a state k steps ahead costs 128 steps, whatever k. P comes once from
// Berlekamp-Massey on one state bit's sequence (its minimal polynomial, of degree 128)
struct Poly128 {
  std::uint64_t lo = 0, hi = 0;  // bits 0..63 and 64..127
  bool bit(int i) const { return ((i < 64 ? lo >> i : hi >> (i - 64)) & 1) != 0; }
};

struct Charpoly {
  Poly128 low;     // P without its x^128 term
  bool ok = false;  // degree 128 found (always, for xoshiro128**); else the lanes are not used
};

const Charpoly& charpoly() {
  static const Charpoly cp = [] {
    constexpr int N = 256;
    std::uint8_t b[N];
    std::uint32_t st[4] = {1, 2, 3, 4};
    for (int i = 0; i < N; ++i) {
      b[i] = st[0] & 1;
      advance(st);
    }
    // connection polynomial c (c[0] = 1): b[n] = sum c[i] b[n - i], i = 1..len
    std::uint8_t c[N + 1] = {1}, prev[N + 1] = {1}, t[N + 1];
    int len = 0, m = 1;
    for (int n = 0; n < N; ++n) {
      std::uint8_t d = b[n];
      for (int i = 1; i <= len; ++i) d ^= c[i] & b[n - i];
      if (d == 0) {
        ++m;
        continue;
      }
      for (int i = 0; i <= N; ++i) t[i] = c[i];
      for (int i = 0; i + m <= N; ++i) c[i + m] ^= prev[i];
      if (2 * len <= n) {
        len = n + 1 - len;
        for (int i = 0; i <= N; ++i) prev[i] = t[i];
        m = 1;
      } else {
        ++m;
      }
    }
    Charpoly r;
    r.ok = len == 128;
    // P(x) = x^128 C(1/x): the coefficient of x^(128 - i) is c[i]
    for (int i = 1; i <= 128 && r.ok; ++i) {
      if (c[i] == 0) continue;
      const int e = 128 - i;
      if (e < 64) r.low.lo |= std::uint64_t(1) << e;
      else r.low.hi |= std::uint64_t(1) << (e - 64);
    }
    return r;
  }();
  return cp;
}

// a x mod P
inline Poly128 mulx(Poly128 a, const Poly128& low) {
  const bool carry = (a.hi >> 63) != 0;
  a.hi = (a.hi << 1) | (a.lo >> 63);
  a.lo <<= 1;
  if (carry) {
    a.lo ^= low.lo;
    a.hi ^= low.hi;
  }
  return a;
}

// a b mod P
Poly128 mulmod(const Poly128& a, const Poly128& b, const Poly128& low) {
  Poly128 r;
  for (int i = 127; i >= 0; --i) {
    r = mulx(r, low);
    if (b.bit(i)) {
      r.lo ^= a.lo;
      r.hi ^= a.hi;
    }
  }
  return r;
}

// x^k mod P
Poly128 xpow(std::uint64_t k, const Poly128& low) {
  Poly128 r;
  r.lo = 1;
  Poly128 base;
  base.lo = 2;
  for (; k != 0; k >>= 1) {
    if (k & 1) r = mulmod(r, base, low);
    base = mulmod(base, base, low);
  }
  return r;
}

// the state k steps after s, with q = x^k mod P
void jump(std::uint32_t* s, const Poly128& q) {
  std::uint32_t acc[4] = {0, 0, 0, 0};
  for (int i = 0; i < 128; ++i) {
    if (q.bit(i)) {
      for (int w = 0; w < 4; ++w) acc[w] ^= s[w];
    }
    advance(s);
  }
  for (int w = 0; w < 4; ++w) s[w] = acc[w];
}

// lanes of one stream drawn side by side (the loop over lanes vectorizes); from this many elements on
// (a jump is about 20 us of polynomial work and 1000 steps)
constexpr int LANES = 8;
constexpr std::int64_t LANES_MIN = 1 << 15;

// mask[0, lanes m) with m = n / lanes: lane l from the state 2 l m steps after s, which then holds
// the last lane's state (the one that continues with the rest)
template <typename T, int NL>
void draw_lanes(std::int64_t m, std::uint32_t* s, const Charpoly& cp, std::uint32_t hi_l,
                std::uint32_t lo_l, T scale, T* mask) {
  const Poly128 q = xpow(static_cast<std::uint64_t>(2 * m), cp.low);
  std::uint32_t x0[NL], x1[NL], x2[NL], x3[NL];
  for (int l = 0; l < NL; ++l) {
    x0[l] = s[0], x1[l] = s[1], x2[l] = s[2], x3[l] = s[3];
    jump(s, q);
  }
  if constexpr (NL == DROPOUT_WIDE_LANES) dropout_lanes_avx512(m, x0, x1, x2, x3, hi_l, lo_l, scale, mask);
  else dropout_lanes<T, NL>(m, x0, x1, x2, x3, hi_l, lo_l, scale, mask);
  s[0] = x0[NL - 1], s[1] = x1[NL - 1], s[2] = x2[NL - 1], s[3] = x3[NL - 1];
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
  std::int64_t i = 0;
  const Charpoly& cp = charpoly();
  if (n >= LANES_MIN && cp.ok) {
    // the lanes cut one stream in order: the same bits as the loop below alone, at any lane count
    const std::uint32_t hi_l = static_cast<std::uint32_t>(Lhi);
    const std::uint32_t lo_l = static_cast<std::uint32_t>(Llo);
    const int nl = active_isa() == Isa::Avx512 ? DROPOUT_WIDE_LANES : LANES;
    const std::int64_t m = n / nl;
    if (nl == DROPOUT_WIDE_LANES) draw_lanes<T, DROPOUT_WIDE_LANES>(m, s, cp, hi_l, lo_l, scale, mask);
    else draw_lanes<T, LANES>(m, s, cp, hi_l, lo_l, scale, mask);
    i = nl * m;
  }
  for (; i < n; ++i) {
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
