// pred, target, grad are (n); returns sum (or mean) of (pred - target)^2;
// grad := 2 (pred - target), divided by n for mean
import type { FloatArray, Reduction } from '../types.js';

export function mseLoss(
  n: number, pred: FloatArray, target: FloatArray, reduction: Reduction, grad: FloatArray | null,
): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i] - target[i];
    total += d * d;
    if (grad !== null) grad[i] = reduction === 'mean' ? (2 * d) / n : 2 * d;
  }
  // a mean over no elements is NaN (0 / 0), as torch's
  return reduction === 'mean' ? total / n : total;
}
