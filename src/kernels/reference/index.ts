// the js backend: plain loops in doubles, one file per kernel, the oracle the native backend is checked against
import type { BackendInfo, Kernels } from '../types.js';
import { gemm } from './gemm.js';
import { biasAct } from './bias-act.js';
import { actBackward } from './act-backward.js';
import { softmax } from './softmax.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { ceLoss, categoricalCELoss } from './ce-loss.js';
import { mseLoss } from './mse-loss.js';
import { sgdStep } from './sgd.js';
import { adamStep } from './adam.js';
import { clampAbs, maxNormColumns, scale, vectorNorm } from './clip.js';
import { dropoutBackward, dropoutForward } from './dropout.js';
import { linearForward, linearBackward } from './linear.js';
import { createStepPlan, trainStep } from './train-step.js';
import { composeLinearGradStep } from '../compose.js';

let numThreads = 1;

const kernels: Omit<Kernels, 'linearGradStep'> = {
  name: 'js' as const,
  info(): BackendInfo {
    return { backend: 'js', isa: 'js', bf16Isa: 'js', threads: 1, compiler: `V8 ${process.versions.v8}` };
  },
  // stored only: the reference runs on one thread
  setNumThreads(n: number): void {
    numThreads = n;
  },
  getNumThreads(): number {
    return numThreads;
  },
  gemm,
  biasAct,
  actBackward,
  linearForward,
  linearBackward,
  softmax,
  softmaxCrossEntropy,
  ceLoss,
  categoricalCELoss,
  mseLoss,
  sgdStep,
  adamStep,
  vectorNorm,
  scale,
  clampAbs,
  maxNormColumns,
  dropoutForward,
  dropoutBackward,
  createStepPlan,
  trainStep,
};
export const referenceKernels: Kernels = Object.freeze({ ...kernels, linearGradStep: composeLinearGradStep(kernels as Kernels) });

export { sigmoid, swish, celu, actValue, actDerivative, actParamDerivative } from './activations.js';
