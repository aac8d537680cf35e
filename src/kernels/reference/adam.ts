// param, grad, m, v are (n); torch.optim.Adam / AdamW (1.13) order:
// decoupled ? p *= 1 - lr wd : g = grad + wd p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// denom = sqrt(v) / sqrt(1 - b2^step) + eps; p -= lr / (1 - b1^step) * m / denom
import type { AdamOptions, FloatArray } from '../types.js';

export function adamStep(
  n: number, param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, o: AdamOptions,
): void {
  const bc1 = 1 - Math.pow(o.beta1, o.step);
  const bc2 = 1 - Math.pow(o.beta2, o.step);
  const stepSize = o.lr / bc1;
  const bc2Sqrt = Math.sqrt(bc2);
  for (let i = 0; i < n; i++) {
    let p = param[i];
    let g = grad[i];
    if (o.decoupled) p *= 1 - o.lr * o.weightDecay;
    else if (o.weightDecay !== 0) g += o.weightDecay * p;
    const mi = o.beta1 * m[i] + (1 - o.beta1) * g;
    const vi = o.beta2 * v[i] + (1 - o.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const denom = Math.sqrt(vi) / bc2Sqrt + o.eps;
    param[i] = p - (stepSize * mi) / denom;
  }
}
