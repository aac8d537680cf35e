// the native backend: the only place that calls the C++ addon. the addon loads on first use
// and is cached; the kernels forward to it unchanged (the addon re-checks every argument, and
// src/kernels/checked.ts validates fully before that).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Kernels } from './types.js';
import { packageRoot } from '../util/package-root.js';

// the addon's exports: every Kernels method under the same name and argument order (the type is
// derived from the contract, so the two cannot drift apart), plus the native-only controls
export interface NativeAddon extends Omit<Kernels, 'name'> {
  // the gemm path: 'avx512' | 'avx2' | 'portable', only one this cpu supports (tests run each)
  setIsa(name: string): void;
  getIsa(): string;
  // the paths this cpu supports, best first
  supportedIsas(): string[];
  // the kernels' scratch allocations so far (grow-only buffers, step workspaces): a training step at
  // a fixed batch shape leaves it unchanged
  nativeAllocations(): number;
  // where an ArrayBuffer's memory starts, modulo 64 (src/tensor.ts aligns big arrays with it)
  addressMod64(buffer: ArrayBuffer): number;
}

function rebuildHint(root: string): string {
  return (
    `rebuild it in ${root} with \`npm run build:native\` (that is \`npx cmake-js compile\`), ` +
    'or with `npx node-gyp rebuild`'
  );
}


// the paths tried, in order: $FFNN_ADDON, then the cmake-js / node-gyp Release and Debug builds
export function addonCandidates(): string[] {
  const root = packageRoot();
  const paths: string[] = [];
  const explicit = process.env.FFNN_ADDON;
  if (explicit) paths.push(resolve(explicit));
  paths.push(join(root, 'build', 'Release', 'ffnn.node'), join(root, 'build', 'Debug', 'ffnn.node'));
  return paths;
}

let addon: NativeAddon | undefined;

// the raw addon object, loaded on first call and cached; throws with every path tried and why
export function nativeAddon(): NativeAddon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const path of addonCandidates()) {
    if (!existsSync(path)) {
      failures.push(`  ${path}: not found`);
      continue;
    }
    try {
      addon = require(path) as NativeAddon;
      return addon;
    } catch (e) {
      failures.push(`  ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(
    `ffnn: the native addon could not be loaded; tried:\n${failures.join('\n')}\n` +
      `${rebuildHint(packageRoot())}; set FFNN_ADDON to load a .node file from elsewhere, ` +
      `or use device 'js' for the reference kernels.`,
  );
}

let kernels: Kernels | undefined;

// the native Kernels; forwards to the addon without re-validating
export function loadNativeKernels(): Kernels {
  if (kernels) return kernels;
  const a = nativeAddon();
  kernels = {
    name: 'native',
    info: () => a.info(),
    setNumThreads: (n) => a.setNumThreads(n),
    getNumThreads: () => a.getNumThreads(),
    gemm: a.gemm,
    biasAct: a.biasAct,
    actBackward: a.actBackward,
    softmax: a.softmax,
    softmaxCrossEntropy: a.softmaxCrossEntropy,
    ceLoss: a.ceLoss,
    categoricalCELoss: a.categoricalCELoss,
    mseLoss: a.mseLoss,
    sgdStep: a.sgdStep,
    adamStep: a.adamStep,
    // fused in C++: gemm with the bias + activation epilogue; activation derivative then two gemms
    linearForward: a.linearForward,
    linearBackward: a.linearBackward,
    // one call per training step: the plan holds the arrays and workspaces (native/kernels/train_step.h)
    createStepPlan: a.createStepPlan,
    trainStep: a.trainStep,
  };
  return Object.freeze(kernels);
}
