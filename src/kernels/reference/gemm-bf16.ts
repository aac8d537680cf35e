// the bf16 mixed-precision product, the definition every bf16 path is checked against:
// c is (M, N); a is (M, K), or (K, M) when transA; b is (K, N), or (N, K) when transB
// c := alpha * bf16(op(a)) * bf16(op(b)) + beta * c with float32 accumulation: each operand rounded
// to bf16 (roundBf16), the products (exact in float32: 8 x 8 significand bits) summed in a float32
// accumulator over k = 0..K-1 in order, then alpha * acc + beta * c (in double) stored as float32; beta 0
// writes c without reading it. a path that sums the same products in another order (k blocks, pairs,
// tiles) differs from this by at most 2 gamma_{K+2} (|alpha| sum_k |a'_ik||b'_kj| + |beta||c_ij|)
// with a' and b' the rounded operands (Higham 3.1, each sum within gamma_{K+2} of the exact one).
import { roundBf16 } from './bf16.js';
import { fmaf } from './fmaf.js';

// the rounded operands, kept between calls (grow-only) so a training step allocates nothing
let ra = new Float32Array(0);
let rb = new Float32Array(0);
let acc = new Float32Array(0);

export function gemmBf16(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, a: ArrayLike<number>, b: ArrayLike<number>, beta: number, c: Float32Array,
): void {
  if (ra.length < M * K) ra = new Float32Array(M * K);
  if (rb.length < K * N) rb = new Float32Array(K * N);
  if (acc.length < N) acc = new Float32Array(N);
  // op(a) as (M, K) and op(b) as (K, N), rounded
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) ra[i * K + k] = roundBf16(transA ? a[k * M + i] : a[i * K + k]);
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) rb[k * N + j] = roundBf16(transB ? b[j * K + k] : b[k * N + j]);
  for (let i = 0; i < M; i++) {
    acc.fill(0, 0, N);
    for (let k = 0; k < K; k++) {
      const aik = ra[i * K + k];
      const bk = k * N;
      // the product is exact in float32: one rounding per step, the float32 sum
      for (let j = 0; j < N; j++) acc[j] = fmaf(aik, rb[bk + j], acc[j]);
    }
    const ci = i * N;
    // NaN or Inf already in c must not leak when beta is 0
    if (beta === 0) for (let j = 0; j < N; j++) c[ci + j] = alpha * acc[j];
    else for (let j = 0; j < N; j++) c[ci + j] = alpha * acc[j] + beta * c[ci + j];
  }
}
