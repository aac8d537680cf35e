// c is (M, N); a is (M, K), or (K, M) when transA; b is (K, N), or (N, K) when transB
// c := alpha * op(a) * op(b) + beta * c, summed in doubles; beta 0 writes c without reading it
import type { FloatArray } from '../types.js';

export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, a: FloatArray, b: FloatArray, beta: number, c: FloatArray,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const aik = transA ? a[k * M + i] : a[i * K + k];
        const bkj = transB ? b[j * K + k] : b[k * N + j];
        sum += aik * bkj;
      }
      // NaN or Inf already in c must not leak when beta is 0
      c[i * N + j] = beta === 0 ? alpha * sum : alpha * sum + beta * c[i * N + j];
    }
  }
}
