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

// where part p of `parts` starts in a depth K cut on the gemm's own K blocks (K for p past the
// last part: there are at most as many parts as blocks)
template <typename T>
std::int64_t gemm_part_start(std::int64_t K, int parts, int p);

// the same with an epilogue (null for none). parts 0 lets the gemm choose its threads. parts >= 1
// (a, b not transposed, alpha 1, beta 0): K split into at most `parts` contiguous runs of the
// gemm's own K blocks, run p by pool thread p whatever the size (threads.h), partial products
// added in block order (the same numbers as parts 0): thread p reads only rows
// [gemm_part_start(K, parts, p), gemm_part_start(K, parts, p + 1)) of b. parts >= 1 with b
// transposed (N, K): c's columns [gemm_part_start(N, parts, p), gemm_part_start(N, parts, p + 1))
// on pool thread p, which reads only those rows of b. with one block, or any other case, the
// caller's thread alone
template <typename T>
void gemm_epilogue(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                   T alpha, const T* a, const T* b, T beta, T* c, const Epilogue<T>* epilogue,
                   int parts = 0);

// called once rows [i0, i1) of c are final (every column, all of K), on the thread that computed
// them, while they are still in cache (a layer's fused optimizer update of grad_w's rows)
struct RowsDone {
  void (*fn)(const void* ctx, std::int64_t i0, std::int64_t i1);
  const void* ctx;
};

// the same numbers as gemm, with `done` called on disjoint row blocks that together cover c;
// threads split M only. parts >= 1: rows [gemm_part_start(M, parts, p), gemm_part_start(M, parts,
// p + 1)) on pool thread p, whatever the size: the rows of a layer's grad_w (IN, OUT) that its
// forward product with the same parts read on that thread
template <typename T>
void gemm_rows_done(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                    T alpha, const T* a, const T* b, T beta, T* c, const RowsDone* done,
                    int parts = 0);

// the same products with bf16 operands and float32 accumulation (the mixed-precision product of
// src/kernels/reference/gemm-bf16.ts): op(a) and op(b) rounded to bf16 (bf16.h), their products
// (exact in float32) summed in float32, on the active bf16 path (cpu.h). portable: the rounded
// operands through gemm_epilogue / gemm_rows_done, parts as there; amx, avx512bf16: each element's
// sum over all of K in a fixed order whatever the threads and parts (parts only hints), epilogue on
// each finished tile, `done` once for all rows. every path gives the same numbers at every call
void gemm_bf16(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
               float alpha, const float* a, const float* b, float beta, float* c,
               const Epilogue<float>* epilogue = nullptr, const RowsDone* done = nullptr,
               int parts = 0);

}  // namespace ffnn
