// the portable micro-kernels: float 4 x 8, double 4 x 4 in plain C++ (blocking.h says why);
// compiled with no SIMD flags, so the compiler's baseline vectorization is all it gets.
// no fma: a * b + c is two roundings here (fp-contract is off in both builds).
#include "gemm_arch.h"

namespace ffnn {

namespace {

template <typename T, int MR, int NR>
void micro_kernel(std::int64_t kc, T alpha, const T* a, const T* b, std::int64_t ldb, T beta,
                  T* c, std::int64_t ldc, std::int64_t mr, std::int64_t nr) {
  T acc[MR][NR] = {};
  for (std::int64_t p = 0; p < kc; ++p) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const T ai = a[i];
#pragma GCC unroll 8
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
    }
    a += MR;
    b += ldb;
  }
  for (std::int64_t i = 0; i < mr; ++i) {
    T* cr = c + i * ldc;
    if (beta == T(0)) {
      for (std::int64_t j = 0; j < nr; ++j) cr[j] = alpha * acc[i][j];
    } else {
      for (std::int64_t j = 0; j < nr; ++j) cr[j] = alpha * acc[i][j] + beta * cr[j];
    }
  }
}

void kernel_f32(std::int64_t kc, float alpha, const float* a, const float* b, std::int64_t ldb,
                float beta, float* c, std::int64_t ldc, std::int64_t mr, std::int64_t nr) {
  micro_kernel<float, PORTABLE_F32.MR, PORTABLE_F32.NR>(kc, alpha, a, b, ldb, beta, c, ldc, mr,
                                                        nr);
}

void kernel_f64(std::int64_t kc, double alpha, const double* a, const double* b,
                std::int64_t ldb, double beta, double* c, std::int64_t ldc, std::int64_t mr,
                std::int64_t nr) {
  micro_kernel<double, PORTABLE_F64.MR, PORTABLE_F64.NR>(kc, alpha, a, b, ldb, beta, c, ldc, mr,
                                                         nr);
}

const GemmArch<float> ARCH_F32{PORTABLE_F32, kernel_f32, nullptr, nullptr, nullptr, nullptr,
                               nullptr, nullptr};
const GemmArch<double> ARCH_F64{PORTABLE_F64, kernel_f64, nullptr, nullptr, nullptr, nullptr,
                                nullptr, nullptr};

}  // namespace

const GemmArch<float>& gemm_arch_portable_f32() { return ARCH_F32; }
const GemmArch<double>& gemm_arch_portable_f64() { return ARCH_F64; }

}  // namespace ffnn
