// the l1 penalty's gradient: out := grad + l1 sign(param), rounded to out's dtype (torch.sign: 0 at 0
// and at NaN); the optimizers' l1 scratch and the composed linearGradStep
import type { FloatArray } from '../types.js';

export function addL1Sign(n: number, param: FloatArray, grad: FloatArray, l1: number, out: FloatArray): void {
  for (let k = 0; k < n; k++) {
    const x = param[k];
    out[k] = x > 0 ? grad[k] + l1 : x < 0 ? grad[k] - l1 : grad[k];
  }
}
