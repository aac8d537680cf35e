// inverted dropout. x, mask, y are (n); state is a generator's 4 words (src/random.ts), advanced in
// place: one uniform per element, in order, as Rng.uniform draws it. mask := u < p ? 0 : 1 / (1 - p)
// (0 when p is 1, as torch: zeros, not 0 * inf); y := x * mask (y may alias x)
import { uniform } from '../../random.js';
import type { FloatArray } from '../types.js';

export function dropoutForward(n: number, x: FloatArray, p: number, state: Uint32Array, mask: FloatArray, y: FloatArray): void {
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < n; i++) {
    mask[i] = uniform(state) < p ? 0 : scale;
    // the mask as stored (rounded to the array's type)
    y[i] = x[i] * mask[i];
  }
}

// g, mask, gradIn are (n): gradIn := g * mask
export function dropoutBackward(n: number, g: FloatArray, mask: FloatArray, gradIn: FloatArray): void {
  for (let i = 0; i < n; i++) gradIn[i] = g[i] * mask[i];
}
