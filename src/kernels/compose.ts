// kernels that the native device fuses and the js and wasm devices run as the calls they stand for,
// one after the other (the fused kernel's definition, and its twin in the tests)
import type { FloatArray, Kernels, StepOptimizer } from './types.js';
import { STEP_STATE } from './types.js';
import { addL1Sign } from './reference/l1.js';

// linearGradStep as gemm, the optimizer's l1 scratch (grad + l1 sign(param), rounded to the dtype)
// and sgdStep / adamStep
export function composeLinearGradStep(k: Kernels): Kernels['linearGradStep'] {
  return (
    optimizer: StepOptimizer, B: number, IN: number, OUT: number, x: FloatArray, gradZ: FloatArray,
    gradW: FloatArray, param: FloatArray, buf: FloatArray | null, m: FloatArray | null,
    v: FloatArray | null, plusZero: boolean, keep: FloatArray | null, state: Float64Array,
    gradX: FloatArray | null = null,
  ): void => {
    const S = STEP_STATE;
    const n = IN * OUT;
    if (gradX !== null) k.gemm(false, true, B, IN, OUT, 1, gradZ, param, 0, gradX);
    if (plusZero) gradW.fill(0, 0, n);
    k.gemm(true, false, IN, OUT, B, 1, x, gradZ, plusZero ? 1 : 0, gradW);
    const l1 = state[S.l1];
    let g = gradW;
    if (l1 !== 0) {
      g = gradW instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
      addL1Sign(n, param, gradW, l1, g);
    }
    const count = state[S.count];
    if (keep !== null) keep.set(param.subarray(0, n));
    if (optimizer === 'sgd') {
      const momentum = state[S.momentum];
      k.sgdStep(n, param, g, momentum === 0 ? null : buf, {
        lr: state[S.lr], momentum, dampening: state[S.dampening], nesterov: state[S.nesterov] !== 0,
        weightDecay: state[S.weightDecay], firstStep: count !== 0,
      });
    } else {
      k.adamStep(n, param, g, m as FloatArray, v as FloatArray, {
        lr: state[S.lr], beta1: state[S.beta1], beta2: state[S.beta2], eps: state[S.eps],
        weightDecay: state[S.weightDecay], decoupled: state[S.decoupled] !== 0, step: count,
      });
    }
  };
}
