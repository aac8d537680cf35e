// the wasm backend: the reference kernels with the hot ones (gemm, the relu / identity layer epilogues,
// the sgd update, the whole training step) run as WebAssembly 128-bit simd on one thread. the module
// loads on first use and needs no compiler on the machine: the fallback where the addon cannot build.
import type { BackendInfo, Kernels } from '../types.js';
import { referenceKernels } from '../reference/index.js';
import { wasmMemory } from './memory.js';
import { actBackward, biasAct, gemm, linearBackward, linearForward, sgdStep } from './kernels.js';
import { createStepPlan, trainStep } from './train-step.js';

let numThreads = 1;
let kernels: Kernels | undefined;

// the wasm Kernels; loads the module (throws with the paths tried when it cannot)
export function loadWasmKernels(): Kernels {
  if (kernels) return kernels;
  wasmMemory();
  kernels = Object.freeze({
    ...referenceKernels,
    name: 'wasm',
    info(): BackendInfo {
      return {
        backend: 'wasm',
        isa: 'wasm simd128',
        threads: 1,
        compiler: `V8 ${process.versions.v8}`,
      };
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
    sgdStep,
    createStepPlan,
    trainStep,
  });
  return kernels;
}
