// c is (M, N); a is (M, K), or (K, M) when transA; b is (K, N), or (N, K) when transB
// c := alpha * op(a) * op(b) + beta * c, summed in doubles over k = 0..K-1 in order; beta 0 writes c
// without reading it, alpha 0 reads neither a nor b. the loops are ordered so the innermost one
// walks memory contiguously (a row accumulator when b is (K, N), dot products when b is (N, K)): the
// same sums in the same order as the textbook triple loop, without striding through b.
import type { FloatArray, Precision } from '../types.js';
import { gemmBf16 } from './gemm-bf16.js';

// one row of c in doubles; kept between calls (grow-only) so a training step allocates nothing
let acc = new Float64Array(0);

export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, a: FloatArray, b: FloatArray, beta: number, c: FloatArray, precision: Precision = 'float32',
): void {
  // alpha 0 or K 0: no products, a and b are not read (the BLAS rule: an Inf in a does not become NaN)
  if (alpha === 0 || K === 0) {
    for (let i = 0; i < M * N; i++) c[i] = beta === 0 ? 0 : beta === 1 ? c[i] : beta * c[i];
    return;
  }
  if (precision === 'bf16') {
    gemmBf16(transA, transB, M, N, K, alpha, a, b, beta, c as Float32Array);
    return;
  }
  if (acc.length < N) acc = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    if (transB) {
      // b is (N, K): c[i][j] = dot(op(a) row i, b row j)
      for (let j = 0; j < N; j++) {
        let sum = 0;
        const bj = j * K;
        if (transA) for (let k = 0; k < K; k++) sum += a[k * M + i] * b[bj + k];
        else for (let k = 0, ai = i * K; k < K; k++) sum += a[ai + k] * b[bj + k];
        acc[j] = sum;
      }
    } else {
      // b is (K, N): row i of c accumulates a[i][k] * (row k of b)
      acc.fill(0, 0, N);
      for (let k = 0; k < K; k++) {
        const aik = transA ? a[k * M + i] : a[i * K + k];
        const bk = k * N;
        for (let j = 0; j < N; j++) acc[j] += aik * b[bk + j];
      }
    }
    const ci = i * N;
    // NaN or Inf already in c must not leak when beta is 0
    if (beta === 0) for (let j = 0; j < N; j++) c[ci + j] = alpha * acc[j];
    else for (let j = 0; j < N; j++) c[ci + j] = alpha * acc[j] + beta * c[ci + j];
  }
}
