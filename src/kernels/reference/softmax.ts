// x is (B, C), y is (B, C); y := softmax of each row; y may alias x
import type { FloatArray } from '../types.js';

export function softmax(B: number, C: number, x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < B; i++) {
    const row = i * C;
    // the row max is subtracted only for numerical stability: exp never overflows
    let max = -Infinity;
    for (let j = 0; j < C; j++) max = Math.max(max, x[row + j]);
    let sum = 0;
    for (let j = 0; j < C; j++) sum += Math.exp(x[row + j] - max);
    for (let j = 0; j < C; j++) y[row + j] = Math.exp(x[row + j] - max) / sum;
  }
}
