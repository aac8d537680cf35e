// general matrix multiply; no Node headers
#pragma once

#include <cstdint>

namespace ffnn {

// c is (M, N); a is (M, K), or (K, M) when trans_a; b is (K, N), or (N, K) when trans_b.
// c := alpha * op(a) * op(b) + beta * c; when beta is 0, c is overwritten and never read.
// row-major, leading dimensions are the row lengths; c must not alias a or b.
template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
          const T* a, const T* b, T beta, T* c);

}  // namespace ffnn
