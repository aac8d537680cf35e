// the avx2+fma micro-kernels: float 6 x 16, double 6 x 8 (blocking.h says why).
// compiled with -mavx2 -mfma for this file only; called only when the cpu has both.
#include "gemm_arch.h"
#include "gemm_dot.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

namespace ffnn {

namespace {

struct F32 {
  using T = float;
  using V = __m256;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
  static V bcast(T x) { return _mm256_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static T sfma(T a, T b, T c) { return __builtin_fmaf(a, b, c); }
  // gemm_dot.h's lane sums in halves
  static T halves(V v) { return halves8(v); }
};

struct F64 {
  using T = double;
  using V = __m256d;
  static constexpr int W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
  static V bcast(T x) { return _mm256_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static T sfma(T a, T b, T c) { return __builtin_fma(a, b, c); }
  static T halves(V v) { return halves4(v); }
};

// MR rows x NV vectors in registers. a full tile is updated with vector loads and stores; an
// edge tile spills the accumulators and updates its elements with scalar fma, the same roundings
template <class S, int MR, int NV>
void micro_kernel(std::int64_t kc, typename S::T alpha, const typename S::T* a,
                  const typename S::T* b, std::int64_t ldb, typename S::T beta,
                  typename S::T* c, std::int64_t ldc, std::int64_t mr, std::int64_t nr) {
  using T = typename S::T;
  using V = typename S::V;
  // c is read (or written) only after the kc loop: fetch its rows now so the miss overlaps the
  // products (c is often far bigger than L2); a prefetch never faults, even past the matrix
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    const char* row = reinterpret_cast<const char*>(c + i * ldc);
    _mm_prefetch(row, _MM_HINT_T0);
    _mm_prefetch(row + NV * S::W * sizeof(typename S::T) - 1, _MM_HINT_T0);
  }
  V acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = S::zero();
  }
  for (std::int64_t p = 0; p < kc; ++p) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = S::load(b + v * S::W);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const V ai = S::bcast(a[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = S::fma(ai, bv[v], acc[i][v]);
    }
    a += MR;
    b += ldb;
  }
  const V va = S::bcast(alpha);
  if (mr == MR && nr == NV * S::W) {
    if (beta == T(0)) {
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) S::store(c + i * ldc + v * S::W, S::mul(va, acc[i][v]));
      }
    } else {
      const V vb = S::bcast(beta);
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          T* cp = c + i * ldc + v * S::W;
          S::store(cp, S::fma(va, acc[i][v], S::mul(vb, S::load(cp))));
        }
      }
    }
    return;
  }
  alignas(32) T t[MR][NV * S::W];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) S::store(&t[i][v * S::W], acc[i][v]);
  }
  for (std::int64_t i = 0; i < mr; ++i) {
    T* cr = c + i * ldc;
    if (beta == T(0)) {
      for (std::int64_t j = 0; j < nr; ++j) cr[j] = alpha * t[i][j];
    } else {
      for (std::int64_t j = 0; j < nr; ++j) cr[j] = S::sfma(alpha, t[i][j], beta * cr[j]);
    }
  }
}

void kernel_f32(std::int64_t kc, float alpha, const float* a, const float* b, std::int64_t ldb,
                float beta, float* c, std::int64_t ldc, std::int64_t mr, std::int64_t nr) {
  micro_kernel<F32, AVX2_F32.MR, AVX2_F32.NR / 8>(kc, alpha, a, b, ldb, beta, c, ldc, mr, nr);
}

void kernel_f64(std::int64_t kc, double alpha, const double* a, const double* b,
                std::int64_t ldb, double beta, double* c, std::int64_t ldc, std::int64_t mr,
                std::int64_t nr) {
  micro_kernel<F64, AVX2_F64.MR, AVX2_F64.NR / 4>(kc, alpha, a, b, ldb, beta, c, ldc, mr, nr);
}

const GemmArch<float> ARCH_F32{AVX2_F32, kernel_f32, nullptr, nullptr, nullptr, nullptr,
                               nullptr, nullptr, dot_tb<F32>};
const GemmArch<double> ARCH_F64{AVX2_F64, kernel_f64, nullptr, nullptr, nullptr, nullptr,
                                nullptr, nullptr, dot_tb<F64>};

}  // namespace

const GemmArch<float>& gemm_arch_avx2_f32() { return ARCH_F32; }
const GemmArch<double>& gemm_arch_avx2_f64() { return ARCH_F64; }

}  // namespace ffnn

#else

// not x86-64: the path is never supported (cpu.cpp), the tables only satisfy the linker
namespace ffnn {
const GemmArch<float>& gemm_arch_avx2_f32() { return gemm_arch_portable_f32(); }
const GemmArch<double>& gemm_arch_avx2_f64() { return gemm_arch_portable_f64(); }
}  // namespace ffnn

#endif
