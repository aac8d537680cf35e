// the avx-512 bf16 path: packing to bf16 with vcvtne2ps2bf16 (once per operand and call, for this
// path and amx) and an 8 x 32 vdpbf16ps micro-kernel; compiled with -mavx512f -mavx512bw
// -mavx512bf16 for this file only, called only when cpu.cpp says the cpu has avx512_bf16.
// everything here has internal linkage (gemm_arch.h says why).
#include "bf16.h"

#if defined(__x86_64__) && defined(__AVX512BF16__)

#include <immintrin.h>

// gcc 12's unpack intrinsics pass _mm512_undefined_epi32() as the unused merge operand, which
// -Wmaybe-uninitialized reports at every inlined call
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace ffnn {

namespace {

inline __mmask16 mask16(std::int64_t n) {
  if (n <= 0) return 0;
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
}

// 16 floats of r0 and 16 of r1 as 16 bf16 pairs (r0[j], r1[j]): lane j of a vdpbf16ps operand.
// vcvtne2ps2bf16 rounds to nearest even, quiets NaN and flushes subnormal inputs (bf16.h's rule)
inline __m512i pairs(__m512 r0, __m512 r1) {
  const __m512i v = (__m512i)(_mm512_cvtne2ps_pbh(r1, r0));
  const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24,
                                       8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  return _mm512_permutexvar_epi16(idx, v);
}

// 32 consecutive floats (n of them exist) as 32 bf16 in order
inline __m512i row32(const float* p, std::int64_t n) {
  const __m512 lo = _mm512_maskz_loadu_ps(mask16(n), p);
  const __m512 hi = _mm512_maskz_loadu_ps(mask16(n - 16), p + 16);
  return (__m512i)(_mm512_cvtne2ps_pbh(hi, lo));
}

// r[i][j] := r[j][i] for 16 x 16 32-bit elements: unpacks of 32 and 64 bits within 128-bit lanes,
// then two rounds of lane shuffles (the transposed packings move bf16 pairs as 32-bit elements)
inline void transpose16(__m512i r[16]) {
  __m512i t[16], u[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // u[4 g + c], 128-bit lane q: column 4 q + c of rows 4 g .. 4 g + 3
#pragma GCC unroll 4
  for (int g = 0; g < 4; ++g) {
    u[4 * g] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
    u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const __m512i x0 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x88);
    const __m512i x1 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xdd);
    const __m512i y0 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x88);
    const __m512i y1 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xdd);
    r[c] = _mm512_shuffle_i32x4(x0, y0, 0x88);
    r[8 + c] = _mm512_shuffle_i32x4(x0, y0, 0xdd);
    r[4 + c] = _mm512_shuffle_i32x4(x1, y1, 0x88);
    r[12 + c] = _mm512_shuffle_i32x4(x1, y1, 0xdd);
  }
}

void pack_a(bool trans, const float* a, std::int64_t M, std::int64_t K, std::int64_t i0,
            std::int64_t mc, std::int64_t Kp, std::uint16_t* dst, int MR) {
  const std::int64_t mp = (mc + MR - 1) / MR * MR;
  if (!trans) {
    // a is (M, K): each row converted in runs of 32
    for (std::int64_t i = 0; i < mp; ++i) {
      std::uint16_t* d = dst + i * Kp;
      const bool exists = i < mc;
      const float* src = a + (i0 + i) * K;
      for (std::int64_t k = 0; k < Kp; k += 32) {
        const __m512i v = exists ? row32(src + k, K - k) : _mm512_setzero_si512();
        _mm512_storeu_si512(d + k, v);
      }
    }
    return;
  }
  // a is (K, M): 16 rows of op(a) by 16 k pairs at a time: each pair of rows of a converted to 16
  // bf16 pairs (one per row of op(a)), then the 16 x 16 block of pairs transposed into 16 rows of
  // 64 bytes (1024 x 1024, one thread: 0.61 ms scattering each pair, 0.49 ms so)
  for (std::int64_t ib = 0; ib < mp; ib += 16) {
    const __mmask16 m = mask16(mc - ib);
    const std::int64_t rows = mp - ib < 16 ? mp - ib : 16;
    for (std::int64_t k0 = 0; k0 < Kp; k0 += 32) {
      __m512i v[16];
#pragma GCC unroll 16
      for (int l = 0; l < 16; ++l) {
        const std::int64_t k = k0 + 2 * l;
        const __m512 r0 = k < K ? _mm512_maskz_loadu_ps(m, a + k * M + i0 + ib) : _mm512_setzero_ps();
        const __m512 r1 = k + 1 < K ? _mm512_maskz_loadu_ps(m, a + (k + 1) * M + i0 + ib) : _mm512_setzero_ps();
        v[l] = pairs(r0, r1);
      }
      transpose16(v);
      for (std::int64_t i = 0; i < rows; ++i) _mm512_storeu_si512(dst + (ib + i) * Kp + k0, v[i]);
    }
  }
}

void pack_b(bool trans, const float* b, std::int64_t K, std::int64_t N, std::int64_t s0,
            std::int64_t s1, std::int64_t Kp, std::uint16_t* dst) {
  const std::int64_t kp2 = Kp / 2;
  if (!trans) {
    // b is (K, N): rows k and k + 1 of 16 columns make one 64-byte row of a sliver. slivers in
    // groups of PACK_B_GROUP, row pairs outer: each pass reads 2 x 512 contiguous bytes of b and
    // writes 8 streams (one sliver at a time down all of K, reading b at a stride of N, packed
    // 1024 x 1024 in 0.48 ms against 0.33, one thread)
    constexpr std::int64_t PACK_B_GROUP = 8;
    for (std::int64_t g = s0; g < s1; g += PACK_B_GROUP) {
      const std::int64_t g1 = g + PACK_B_GROUP < s1 ? g + PACK_B_GROUP : s1;
      for (std::int64_t p = 0; p < kp2; ++p) {
        const std::int64_t k = 2 * p;
        const float* r0p = b + k * N;
        const float* r1p = r0p + N;
        for (std::int64_t s = g; s < g1; ++s) {
          const std::int64_t j0 = s * BF16_SLIVER;
          const __mmask16 m = mask16(N - j0);
          const __m512 r0 = k < K ? _mm512_maskz_loadu_ps(m, r0p + j0) : _mm512_setzero_ps();
          const __m512 r1 = k + 1 < K ? _mm512_maskz_loadu_ps(m, r1p + j0) : _mm512_setzero_ps();
          _mm512_storeu_si512(dst + (s - s0) * Kp * BF16_SLIVER + p * 32, pairs(r0, r1));
        }
      }
    }
    return;
  }
  for (std::int64_t s = s0; s < s1; ++s) {
    std::uint16_t* d = dst + (s - s0) * Kp * BF16_SLIVER;
    const std::int64_t j0 = s * BF16_SLIVER;
    // b is (N, K): column j of op(b) is row j of b, whose k pairs are already side by side: 32 of
    // its floats (16 pairs) converted at once for each of the sliver's 16 columns, then the 16 x 16
    // block of pairs transposed into 16 sliver rows (1024 x 1024: 0.27 ms scattering, 0.22 ms so)
    for (std::int64_t k0 = 0; k0 < Kp; k0 += 32) {
      __m512i v[16];
#pragma GCC unroll 16
      for (int j = 0; j < BF16_SLIVER; ++j) {
        v[j] = j0 + j < N ? row32(b + (j0 + j) * K + k0, K - k0) : _mm512_setzero_si512();
      }
      transpose16(v);
#pragma GCC unroll 16
      for (int l = 0; l < 16; ++l) _mm512_storeu_si512(d + (k0 / 2 + l) * 32, v[l]);
    }
  }
}

void pack_a8(bool trans, const float* a, std::int64_t M, std::int64_t K, std::int64_t i0,
             std::int64_t mc, std::int64_t Kp, std::uint16_t* dst) {
  pack_a(trans, a, M, K, i0, mc, Kp, dst, 8);
}

void pack_a32(bool trans, const float* a, std::int64_t M, std::int64_t K, std::int64_t i0,
              std::int64_t mc, std::int64_t Kp, std::uint16_t* dst) {
  pack_a(trans, a, M, K, i0, mc, Kp, dst, 32);
}

// c (mr, nr) := alpha acc + beta c from 16-lane accumulators (masked past nr; beta 0: c not read):
// alpha acc, or fma(alpha, acc, beta c)
inline void store_row(const __m512* acc, int nv, float alpha, float beta, float* c, std::int64_t nr) {
  const __m512 va = _mm512_set1_ps(alpha);
  for (int v = 0; v < nv; ++v) {
    const __mmask16 m = mask16(nr - 16 * v);
    if (m == 0) break;
    __m512 r;
    if (beta == 0.0f) {
      r = _mm512_mul_ps(va, acc[v]);
    } else {
      const __m512 old = _mm512_maskz_loadu_ps(m, c + 16 * v);
      r = _mm512_fmadd_ps(va, acc[v], _mm512_mul_ps(_mm512_set1_ps(beta), old));
    }
    _mm512_mask_storeu_ps(c + 16 * v, m, r);
  }
}

// 8 x 32: 16 zmm accumulators, 2 b loads and 8 broadcast pairs per 16 vdpbf16ps (the float32
// kernel's shape, each instruction two multiply-adds per lane)
constexpr int MR = 8;
void kernel(std::int64_t Kp, const std::uint16_t* a, const std::uint16_t* b,
            std::int64_t sliver_stride, float alpha, float beta, float* c, std::int64_t ldc,
            std::int64_t mr, std::int64_t nr) {
  __m512 acc[MR][2];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  const std::uint16_t* b1 = b + sliver_stride;
  for (std::int64_t p = 0; p < Kp / 2; ++p) {
    const __m512bh v0 = (__m512bh)(_mm512_loadu_si512(b + p * 32));
    const __m512bh v1 = (__m512bh)(_mm512_loadu_si512(b1 + p * 32));
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      std::int32_t pair;
      __builtin_memcpy(&pair, a + i * Kp + 2 * p, sizeof pair);
      const __m512bh ai = (__m512bh)(_mm512_set1_epi32(pair));
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, v0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, v1);
    }
  }
  for (std::int64_t i = 0; i < mr; ++i) store_row(acc[i], 2, alpha, beta, c + i * ldc, nr);
}

const Bf16Arch ARCH{MR, 32, pack_a8, pack_b, kernel, nullptr};

}  // namespace

const Bf16Arch* bf16_arch_avx512bf16() { return &ARCH; }

// the amx path's packing (the same layouts, 32-row tiles of a) and its store of the tile sums
// (acc (mr, nr) at row stride lda, c as the kernels' contract); its kernel is gemm_amx.cpp's
void bf16_store_tile(const float* acc, std::int64_t lda, float alpha, float beta, float* c,
                     std::int64_t ldc, std::int64_t mr, std::int64_t nr) {
  for (std::int64_t i = 0; i < mr; ++i) {
    __m512 row[2] = {_mm512_loadu_ps(acc + i * lda), _mm512_loadu_ps(acc + i * lda + 16)};
    store_row(row, 2, alpha, beta, c + i * ldc, nr);
  }
}
void bf16_pack_a32(bool trans, const float* a, std::int64_t M, std::int64_t K, std::int64_t i0,
                   std::int64_t mc, std::int64_t Kp, std::uint16_t* dst) {
  pack_a32(trans, a, M, K, i0, mc, Kp, dst);
}
void bf16_pack_b(bool trans, const float* b, std::int64_t K, std::int64_t N, std::int64_t s0,
                 std::int64_t s1, std::int64_t Kp, std::uint16_t* dst) {
  pack_b(trans, b, K, N, s0, s1, Kp, dst);
}

}  // namespace ffnn

#else

namespace ffnn {
const Bf16Arch* bf16_arch_avx512bf16() { return nullptr; }
void bf16_store_tile(const float*, std::int64_t, float, float, float*, std::int64_t, std::int64_t,
                     std::int64_t) {}
void bf16_pack_a32(bool, const float*, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                   std::int64_t, std::uint16_t*) {}
void bf16_pack_b(bool, const float*, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                 std::int64_t, std::uint16_t*) {}
}  // namespace ffnn

#endif
