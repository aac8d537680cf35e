// param, grad, buf are (n); buf may be null when momentum is 0
// torch.optim.SGD's order: g = grad + wd p; buf = first ? g : m buf + (1 - d) g;
// g = nesterov ? g + m buf : buf; p -= lr g
import type { FloatArray, SgdOptions } from '../types.js';
import { fmaf } from './fmaf.js';

export function sgdStep(n: number, param: FloatArray, grad: FloatArray, buf: FloatArray | null, o: SgdOptions): void {
  if (param instanceof Float32Array) {
    sgdStepF32(n, param, grad, buf, o);
    return;
  }
  // float64: the element math in double, one rounding per stored value
  for (let i = 0; i < n; i++) {
    const p = param[i];
    let g = o.weightDecay !== 0 ? grad[i] + o.weightDecay * p : grad[i];
    if (o.momentum !== 0 && buf !== null) {
      const b = o.firstStep ? g : o.momentum * buf[i] + (1 - o.dampening) * g;
      buf[i] = b;
      g = o.nesterov ? g + o.momentum * b : b;
    }
    param[i] = p - o.lr * g;
  }
}

// float32: torch's float32 arithmetic as its vectorized cpu kernels do it: each add_ with an alpha
// one fused multiply-add with the alpha rounded to float (g + wd p; m buf + (1 - d) g after buf's
// mul_ by m; nesterov g + m buf; p - lr g)
function sgdStepF32(n: number, param: Float32Array, grad: FloatArray, buf: FloatArray | null, o: SgdOptions): void {
  const negLr = Math.fround(-o.lr);
  const wd = Math.fround(o.weightDecay);
  const m = Math.fround(o.momentum);
  const keep = Math.fround(1 - o.dampening);
  const mom = o.momentum !== 0 && buf !== null;
  for (let i = 0; i < n; i++) {
    const p = param[i];
    let g = grad[i];
    if (o.weightDecay !== 0) g = fmaf(p, wd, g);
    if (mom) {
      const b = o.firstStep ? g : fmaf(g, keep, Math.fround(buf[i] * m));
      buf[i] = b;
      g = o.nesterov ? fmaf(b, m, g) : b;
    }
    param[i] = fmaf(g, negLr, p);
  }
}
