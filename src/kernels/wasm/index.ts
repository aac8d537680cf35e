// the wasm backend: the C++ kernels of native/kernels compiled by clang to wasm32 with simd128
// (tools/build-wasm.mjs), on one thread. every Kernels function runs in the module; nothing falls
// back to the reference. the module loads on first use and needs no compiler on the machine: the
// fallback where the addon cannot load.
import type { BackendInfo, Kernels } from '../types.js';
import { wasmMemory } from './memory.js';
import {
  actBackward, adamStep, biasAct, categoricalCELoss, ceLoss, dropoutBackward, dropoutForward, gemm, linearBackward, linearForward,
  mseLoss, sgdStep, softmax, softmaxCrossEntropy, vectorNorm, scale, clampAbs, maxNormColumns,
} from './kernels.js';
import { createStepPlan, trainStep } from './step.js';
import { composeLinearGradStep } from '../compose.js';

let numThreads = 1;
let kernels: Kernels | undefined;

// the wasm Kernels; loads the module (throws with the paths tried when it cannot)
export function loadWasmKernels(): Kernels {
  if (kernels) return kernels;
  const m = wasmMemory();
  const compiler = m.cstring(m.x.ffnn_compiler());
  const own = {
    name: 'wasm' as const,
    info(): BackendInfo {
      return { backend: 'wasm', isa: 'wasm simd128', bf16Isa: 'portable', threads: 1, compiler };
    },
    // stored only: the wasm kernels run on one thread
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
    vectorNorm,
    scale,
    clampAbs,
    maxNormColumns,
    adamStep,
    dropoutForward,
    dropoutBackward,
    createStepPlan,
    trainStep,
  } satisfies Omit<Kernels, 'linearGradStep'>;
  kernels = Object.freeze({ ...own, linearGradStep: composeLinearGradStep(own as Kernels) });
  return kernels;
}
