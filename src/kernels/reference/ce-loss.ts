// q, p are (B, C) probabilities; target is (B) class indices
// ceLoss: mean over rows of -sum p * log q, q clamped below at epsilon when stable
// categoricalCELoss: mean over rows of -log q[target], the one-hot form's value
// ceProbsGrad: d ceLoss / d logits where q = softmax(logits), FFNN.backward's (q S - p) / B
import type { FloatArray } from '../types.js';

export function ceLoss(B: number, C: number, q: FloatArray, p: FloatArray, stable: boolean, epsilon: number): number {
  let total = 0;
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < C; j++) {
      // a zero target adds nothing (0 log q = 0, the entropy convention), so the one-hot form equals
      // categoricalCELoss even where an unclamped q is 0
      const pij = p[i * C + j];
      if (pij === 0) continue;
      const qij = stable ? Math.max(q[i * C + j], epsilon) : q[i * C + j];
      total -= pij * Math.log(qij);
    }
  }
  // a mean over no rows is NaN (0 / 0), as torch's
  return total / B;
}

export function categoricalCELoss(
  B: number, C: number, q: FloatArray, target: Int32Array, stable: boolean, epsilon: number,
): number {
  let total = 0;
  for (let i = 0; i < B; i++) {
    const qi = q[i * C + target[i]];
    total -= Math.log(stable ? Math.max(qi, epsilon) : qi);
  }
  // a mean over no rows is NaN (0 / 0), as torch's
  return total / B;
}

// grad := (q S - p) / B with S the row's target sum (in double, in column order): the gradient of
// -sum p log softmax(logits) / B for any target rows; q - p where a row sums to exactly 1 (one-hot),
// with the same bits, since q * 1 is q. p may be class indices (B): q / B, less 1 / B at each target.
// grad may alias q, not p
export function ceProbsGrad(B: number, C: number, q: FloatArray, p: FloatArray | Int32Array, grad: FloatArray): void {
  if (p instanceof Int32Array) {
    for (let i = 0; i < B * C; i++) grad[i] = q[i] / B;
    for (let i = 0; i < B; i++) grad[i * C + p[i]] -= 1 / B;
    return;
  }
  for (let i = 0; i < B; i++) {
    const row = i * C;
    let S = 0;
    for (let j = 0; j < C; j++) S += p[row + j];
    for (let j = 0; j < C; j++) grad[row + j] = (q[row + j] * S - p[row + j]) / B;
  }
}
