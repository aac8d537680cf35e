// logits is (B, C); target is (B, C) floats or (B) class indices (Int32Array); probs, grad are (B, C) or null
// returns mean over rows of -sum target * (z - max - log sum exp(z - max)) (log-sum-exp, never log 0);
// probs := softmax(logits); grad := (softmax(logits) * S - target) / B with S the row's target sum
// (torch's gradient for any targets; (softmax - target) / B for one-hot or distribution rows)
import type { FloatArray } from '../types.js';

export function softmaxCrossEntropy(
  B: number, C: number, logits: FloatArray, target: FloatArray | Int32Array,
  probs: FloatArray | null, grad: FloatArray | null,
): number {
  const indices = target instanceof Int32Array;
  let total = 0;
  for (let i = 0; i < B; i++) {
    const row = i * C;
    let max = -Infinity;
    for (let j = 0; j < C; j++) max = Math.max(max, logits[row + j]);
    let sum = 0;
    for (let j = 0; j < C; j++) sum += Math.exp(logits[row + j] - max);
    const lse = Math.log(sum);
    let S = 1;
    if (indices) {
      total -= logits[row + target[i]] - max - lse;
    } else {
      S = 0;
      for (let j = 0; j < C; j++) {
        total -= target[row + j] * (logits[row + j] - max - lse);
        S += target[row + j];
      }
    }
    // elementwise, each logit read before probs or grad is written, in case they alias
    for (let j = 0; j < C; j++) {
      const p = Math.exp(logits[row + j] - max) / sum;
      const t = indices ? (target[i] === j ? 1 : 0) : target[row + j];
      if (probs !== null) probs[row + j] = p;
      if (grad !== null) grad[row + j] = (p * S - t) / B;
    }
  }
  // a mean over no rows is NaN (0 / 0), as torch's
  return total / B;
}
