#include "gemm.h"

#include <algorithm>
#include <vector>

#include "blocking.h"

namespace ffnn {

namespace {

// c is (mc, nc) with row stride ldc, a is (mc, kc) with row stride lda, b is (kc, nc) with row
// stride ldb; c += alpha * a * b in i-k-j order, four rows of b per pass so each c row is
// loaded and stored once per four products; the contiguous j loop is what the compiler vectorizes
template <typename T>
void block_kernel(std::int64_t mc, std::int64_t nc, std::int64_t kc, T alpha, const T* a,
                  std::int64_t lda, const T* b, std::int64_t ldb, T* c, std::int64_t ldc) {
  for (std::int64_t i = 0; i < mc; ++i) {
    T* __restrict crow = c + i * ldc;
    const T* arow = a + i * lda;
    std::int64_t p = 0;
    for (; p + 4 <= kc; p += 4) {
      const T a0 = alpha * arow[p], a1 = alpha * arow[p + 1];
      const T a2 = alpha * arow[p + 2], a3 = alpha * arow[p + 3];
      const T* __restrict b0 = b + p * ldb;
      const T* __restrict b1 = b0 + ldb;
      const T* __restrict b2 = b1 + ldb;
      const T* __restrict b3 = b2 + ldb;
      for (std::int64_t j = 0; j < nc; ++j) {
        crow[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
      }
    }
    for (; p < kc; ++p) {
      const T ap = alpha * arow[p];
      const T* __restrict bp = b + p * ldb;
      for (std::int64_t j = 0; j < nc; ++j) crow[j] += ap * bp[j];
    }
  }
}

// per-thread pack buffers, grown on demand and reused across calls (no static globals shared
// between threads)
template <typename T>
std::vector<T>& pack_buffer(int which) {
  thread_local std::vector<T> buffers[2];
  return buffers[which];
}

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
          const T* a, const T* b, T beta, T* c) {
  if (M <= 0 || N <= 0) return;
  const std::int64_t MN = M * N;
  // beta == 0 overwrites: NaN or Inf already in c must not leak through 0 * c
  if (beta == T(0)) {
    std::fill(c, c + MN, T(0));
  } else if (beta != T(1)) {
    for (std::int64_t i = 0; i < MN; ++i) c[i] *= beta;
  }
  if (K <= 0 || alpha == T(0)) return;

  std::vector<T>& apack = pack_buffer<T>(0);
  std::vector<T>& bpack = pack_buffer<T>(1);
  if (trans_a && apack.size() < static_cast<std::size_t>(GEMM_MC * GEMM_KC)) {
    apack.resize(GEMM_MC * GEMM_KC);
  }
  if (trans_b && bpack.size() < static_cast<std::size_t>(GEMM_KC * GEMM_NC)) {
    bpack.resize(GEMM_KC * GEMM_NC);
  }

  for (std::int64_t jc = 0; jc < N; jc += GEMM_NC) {
    const std::int64_t nc = std::min(GEMM_NC, N - jc);
    for (std::int64_t pc = 0; pc < K; pc += GEMM_KC) {
      const std::int64_t kc = std::min(GEMM_KC, K - pc);
      // op(b) block (kc, nc): read in place, or a transposed copy when b is (N, K)
      const T* bblk;
      std::int64_t ldb;
      if (!trans_b) {
        bblk = b + pc * N + jc;
        ldb = N;
      } else {
        T* bp = bpack.data();
        for (std::int64_t j = 0; j < nc; ++j) {
          const T* src = b + (jc + j) * K + pc;
          for (std::int64_t p = 0; p < kc; ++p) bp[p * nc + j] = src[p];
        }
        bblk = bp;
        ldb = nc;
      }
      for (std::int64_t ic = 0; ic < M; ic += GEMM_MC) {
        const std::int64_t mc = std::min(GEMM_MC, M - ic);
        // op(a) block (mc, kc): read in place, or a transposed copy when a is (K, M)
        const T* ablk;
        std::int64_t lda;
        if (!trans_a) {
          ablk = a + ic * K + pc;
          lda = K;
        } else {
          T* ap = apack.data();
          for (std::int64_t p = 0; p < kc; ++p) {
            const T* src = a + (pc + p) * M + ic;
            for (std::int64_t i = 0; i < mc; ++i) ap[i * kc + p] = src[i];
          }
          ablk = ap;
          lda = kc;
        }
        block_kernel<T>(mc, nc, kc, alpha, ablk, lda, bblk, ldb, c + ic * N + jc, N);
      }
    }
  }
}

template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float,
                          const float*, const float*, float, float*);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                           const double*, const double*, double, double*);

}  // namespace ffnn
