// general matrix multiply in the BLIS shape; no Node headers
#pragma once

#include <cstdint>

namespace ffnn {

// applied to each (mr, nr) tile of c at rows i0.., columns j0.. once its sum is complete, while
// the tile is still in L1 (the fused bias + activation of a layer's forward)
template <typename T>
struct Epilogue {
  void (*fn)(const void* ctx, T* c, std::int64_t ldc, std::int64_t i0, std::int64_t j0,
             std::int64_t mr, std::int64_t nr);
  const void* ctx;
};

// c is (M, N); a is (M, K), or (K, M) when trans_a; b is (K, N), or (N, K) when trans_b.
// c := alpha * op(a) * op(b) + beta * c; when beta is 0, c is overwritten and never read.
// row-major, leading dimensions are the row lengths; c must not alias a or b.
// every element is summed over k in the same order whatever the thread count: threads split M or
// N on tile boundaries, never K.
template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
          const T* a, const T* b, T beta, T* c);

// the same with an epilogue (null for none)
template <typename T>
void gemm_epilogue(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                   T alpha, const T* a, const T* b, T beta, T* c, const Epilogue<T>* epilogue);

// called once rows [i0, i1) of c are final (every column, all of K), on the thread that computed
// them, while they are still in cache (a layer's fused optimizer update of grad_w's rows)
struct RowsDone {
  void (*fn)(const void* ctx, std::int64_t i0, std::int64_t i1);
  const void* ctx;
};

// the same numbers as gemm, with `done` called on disjoint row blocks that together cover c;
// threads split M only
template <typename T>
void gemm_rows_done(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                    T alpha, const T* a, const T* b, T beta, T* c, const RowsDone* done);

}  // namespace ffnn
