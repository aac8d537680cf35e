// x is (B, N), bias is (N) or null, y is (B, N), pre is (B, N) or null
// pre := x + bias, y := act(x + bias; param); y may alias x (each x read before it is written)
import type { FloatArray } from '../types.js';
import { actValue } from './activations.js';

export function biasAct(
  B: number, N: number, x: FloatArray, bias: FloatArray | null,
  act: number, param: number, y: FloatArray, pre: FloatArray | null,
): void {
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < N; j++) {
      const idx = i * N + j;
      const t = bias === null ? x[idx] : x[idx] + bias[j];
      if (pre !== null) pre[idx] = t;
      // act of the stored (rounded) pre-activation, so backward sees the same z
      const z = pre !== null ? pre[idx] : x instanceof Float32Array ? Math.fround(t) : t;
      y[idx] = actValue(act, z, param);
    }
  }
}
