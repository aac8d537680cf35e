// weight initialization from the seeded generator. w is (IN, OUT), b is (OUT).
// 'torch': torch.nn.Linear's default, w and b ~ U(-1/sqrt(IN), 1/sqrt(IN)) (kaiming_uniform_ with a = sqrt(5));
// 'kaiming': He normal, w ~ N(0, 2/IN), b = 0 (for relu-like activations);
// 'xavier': Glorot uniform, w ~ U(-sqrt(6/(IN+OUT)), sqrt(6/(IN+OUT))), b = 0 (for sigmoid, tanh, softmax)
import type { FloatArray } from '../kernels/types.js';
import type { Rng } from '../random.js';

export type InitName = 'kaiming' | 'xavier' | 'torch';
export const INITS: readonly InitName[] = ['kaiming', 'xavier', 'torch'];

export function initLinear(init: InitName, IN: number, OUT: number, w: FloatArray, b: FloatArray | null, rng: Rng): void {
  if (init === 'torch') {
    const bound = 1 / Math.sqrt(IN);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * bound;
    if (b !== null) for (let i = 0; i < b.length; i++) b[i] = (2 * rng.uniform() - 1) * bound;
  } else if (init === 'kaiming') {
    const std = Math.sqrt(2 / IN);
    for (let i = 0; i < w.length; i++) w[i] = std * rng.normal();
    if (b !== null) b.fill(0);
  } else {
    const bound = Math.sqrt(6 / (IN + OUT));
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * bound;
    if (b !== null) b.fill(0);
  }
}
