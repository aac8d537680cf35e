// param, grad, buf are (n); buf may be null when momentum is 0
// torch.optim.SGD's order: g = grad + wd p; buf = first ? g : m buf + (1 - d) g;
// g = nesterov ? g + m buf : buf; p -= lr g
import type { FloatArray, SgdOptions } from '../types.js';

export function sgdStep(n: number, param: FloatArray, grad: FloatArray, buf: FloatArray | null, o: SgdOptions): void {
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
