// the avx-512 micro-kernels: float 8 x 32, double 8 x 16 (blocking.h says why).
// compiled with -mavx512f -mfma for this file only; called only when the cpu has avx-512f.
#include "gemm_arch.h"
#include "gemm_dot.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

#include <cmath>

// gcc 12's shuffle and cast intrinsics pass an undefined vector as the unused merge operand, which
// -Wmaybe-uninitialized reports wherever they inline (F32::halves, F64::halves)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace ffnn {

namespace {

// the vector type and its operations for one element type
struct F32 {
  using T = float;
  using V = __m512;
  static constexpr int W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const T* p) { return _mm512_loadu_ps(p); }
  static V bcast(T x) { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static void store(T* p, V v) { _mm512_storeu_ps(p, v); }
  static T sfma(T a, T b, T c) { return std::fma(a, b, c); }
  static __mmask16 mask(std::int64_t n) {
    // n <= 0: the columns past nr of an edge tile; shifting by a negative count is undefined
    if (n <= 0) return 0;
    return n >= W ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
  }
  static V load_mask(__mmask16 m, const T* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void store_mask(T* p, __mmask16 m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  // lane i += lane i + 8, then gemm_dot.h's halves8 (w = 4, 2, 1)
  static T halves(V v) { return halves8(_mm512_castps512_ps256(_mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0x4E)))); }
};

struct F64 {
  using T = double;
  using V = __m512d;
  static constexpr int W = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const T* p) { return _mm512_loadu_pd(p); }
  static V bcast(T x) { return _mm512_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static void store(T* p, V v) { _mm512_storeu_pd(p, v); }
  static T sfma(T a, T b, T c) { return std::fma(a, b, c); }
  static __mmask8 mask(std::int64_t n) {
    if (n <= 0) return 0;
    return n >= W ? static_cast<__mmask8>(0xFF) : static_cast<__mmask8>((1u << n) - 1u);
  }
  static V load_mask(__mmask8 m, const T* p) { return _mm512_maskz_loadu_pd(m, p); }
  static void store_mask(T* p, __mmask8 m, V v) { _mm512_mask_storeu_pd(p, m, v); }
  // lane i += lane i + 4, then halves4 (w = 2, 1)
  static T halves(V v) { return halves4(_mm512_castpd512_pd256(_mm512_add_pd(v, _mm512_shuffle_f64x2(v, v, 0x4E)))); }
};

inline void prefetch_for_write(const char* p) {
#if defined(__GNUC__)
  __builtin_prefetch(p, 1, 3);
#else
  _mm_prefetch(p, _MM_HINT_T0);
#endif
}

// MR rows x NV vectors; the accumulators stay in registers (loops fully unrolled). edges use
// masked loads and stores of c, so full and edge tiles round every element the same way. MB: b's
// rows loaded masked to nr columns (b read in place at a partial sliver); the lanes past nr are
// zero either way and never stored
template <class S, int MR, int NV, bool MB = false>
void micro_kernel(std::int64_t kc, typename S::T alpha, const typename S::T* a,
                  const typename S::T* b, std::int64_t ldb, typename S::T beta,
                  typename S::T* c, std::int64_t ldc, std::int64_t mr, std::int64_t nr) {
  using V = typename S::V;
  // c is read (or written) only after the kc loop: fetch its rows now so the miss overlaps the
  // products (c is often far bigger than L2); a prefetch never faults, even past the matrix.
  // with intent to write (prefetchw, built with -mprfchw, which every avx-512 cpu has): a tile last
  // read by another thread (a training step's partial sums and gradients, read by the other core
  // at every step) then comes exclusive at once, not shared and then upgraded at the store. W1
  // (784-256-10, batch 16, 2 threads) measured 77.0 -> 72.2 us a step, medians of 7
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    const char* row = reinterpret_cast<const char*>(c + i * ldc);
    prefetch_for_write(row);
    prefetch_for_write(row + NV * S::W * sizeof(typename S::T) - 1);
  }
  V acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = S::zero();
  }
  decltype(S::mask(0)) mb[NV];
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) mb[v] = MB ? S::mask(nr - v * S::W) : S::mask(S::W);
  for (std::int64_t p = 0; p < kc; ++p) {
    V bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) bv[v] = MB ? S::load_mask(mb[v], b + v * S::W) : S::load(b + v * S::W);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const V ai = S::bcast(a[i]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = S::fma(ai, bv[v], acc[i][v]);
    }
    a += MR;
    b += ldb;
  }
  decltype(S::mask(0)) m[NV];
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) m[v] = S::mask(nr - v * S::W);
  const V va = S::bcast(alpha);
  if (beta == typename S::T(0)) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      if (i >= mr) break;
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) {
        if (v * S::W < nr) S::store_mask(c + i * ldc + v * S::W, m[v], S::mul(va, acc[i][v]));
      }
    }
  } else {
    const V vb = S::bcast(beta);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      if (i >= mr) break;
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) {
        if (v * S::W >= nr) continue;
        typename S::T* cp = c + i * ldc + v * S::W;
        const V old = S::load_mask(m[v], cp);
        S::store_mask(cp, m[v], S::fma(va, acc[i][v], S::mul(vb, old)));
      }
    }
  }
}

// each path's tiles, micro_kernel itself: float 8 x 32 (NR / 16 vectors a row), double 8 x 16; one
// row for batch 1, M1_WIDE_NR columns for its wide calls. the half-width tiles (one vector a row)
// take a partial sliver of at most NR / 2 columns with 8 accumulators (still the 2 fma pipes x 4
// cycles of latency): one thread, 3 interleaved bench:gemm runs of 15, 100 x 100 x 100 112-133 ->
// 139-141 GFLOP/s, 97 x 131 x 67 104-112 -> 114-126, a classifier's 256 x 1024 x 10 41-44 -> 56-58
constexpr int F32_NV = AVX512_F32.NR / F32::W;
constexpr int F64_NV = AVX512_F64.NR / F64::W;
const GemmArch<float> ARCH_F32{AVX512_F32,
                               micro_kernel<F32, AVX512_F32.MR, F32_NV>,
                               micro_kernel<F32, 1, F32_NV>,
                               micro_kernel<F32, AVX512_F32.MR, F32_NV, true>,
                               micro_kernel<F32, 1, F32_NV, true>,
                               micro_kernel<F32, 1, M1_WIDE_NR / F32::W>,
                               micro_kernel<F32, AVX512_F32.MR, F32_NV / 2>,
                               micro_kernel<F32, AVX512_F32.MR, F32_NV / 2, true>,
                               dot_tb<F32>};
const GemmArch<double> ARCH_F64{AVX512_F64,
                                micro_kernel<F64, AVX512_F64.MR, F64_NV>,
                                nullptr,
                                micro_kernel<F64, AVX512_F64.MR, F64_NV, true>,
                                nullptr,
                                nullptr,
                                micro_kernel<F64, AVX512_F64.MR, F64_NV / 2>,
                                micro_kernel<F64, AVX512_F64.MR, F64_NV / 2, true>,
                                dot_tb<F64>};

}  // namespace

const GemmArch<float>& gemm_arch_avx512_f32() { return ARCH_F32; }
const GemmArch<double>& gemm_arch_avx512_f64() { return ARCH_F64; }

}  // namespace ffnn

#else

// not x86-64: the path is never supported (cpu.cpp), the tables only satisfy the linker
namespace ffnn {
const GemmArch<float>& gemm_arch_avx512_f32() { return gemm_arch_portable_f32(); }
const GemmArch<double>& gemm_arch_avx512_f64() { return gemm_arch_portable_f64(); }
}  // namespace ffnn

#endif
