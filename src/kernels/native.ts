// the native backend: the only place that calls the C++ addon. the addon loads on first use and is
// cached; the kernels forward to it unchanged (the addon re-checks every argument, and
// src/kernels/checked.ts validates fully before that). loading never throws: nativeStatus() says
// what was tried and why it failed, nativeAddon() throws that as an Error for an explicit 'native'.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { familySync } from 'detect-libc';
import type { Kernels } from './types.js';
import { packageRoot } from '../util/package-root.js';

// the addon's exports: every Kernels method under the same name and argument order (the type is
// derived from the contract, so the two cannot drift apart), plus the native-only controls
export interface NativeAddon extends Omit<Kernels, 'name' | 'linearGradStep'> {
  // Kernels.linearGradStep with the optimizer as 0 (SGD) or 1 (Adam)
  linearGradStep(optimizer: 0 | 1, ...rest: DropFirst<Parameters<Kernels['linearGradStep']>>): void;
  // the gemm path: 'avx512' | 'avx2' | 'portable', only one this cpu supports (tests run each)
  setIsa(name: string): void;
  getIsa(): string;
  // the paths this cpu supports, best first
  supportedIsas(): string[];
  // the bf16 products' path: 'amx' | 'avx512bf16' | 'portable', only one this cpu supports
  setBf16Isa(name: string): void;
  getBf16Isa(): string;
  supportedBf16Isas(): string[];
  // the kernels' scratch allocations so far (grow-only buffers, step workspaces): a training step at
  // a fixed batch shape leaves it unchanged
  nativeAllocations(): number;
  // where an ArrayBuffer's memory starts, modulo 64 (src/tensor.ts aligns big arrays with it)
  addressMod64(buffer: ArrayBuffer): number;
}

// where a loaded addon came from
type DropFirst<T extends unknown[]> = T extends [unknown, ...infer R] ? R : never;

export type AddonSource = 'FFNN_ADDON' | 'local build' | 'prebuild';

export interface AddonCandidate {
  path: string;
  source: AddonSource;
}

export interface NativeStatus {
  loaded: boolean;
  // the file that loaded, and from where (when loaded)
  path?: string;
  source?: AddonSource;
  // every path tried, in order, with what happened to it
  tried: string[];
  // why native is unavailable, in a few words (when not loaded)
  reason?: string;
}

// the exports a loaded file must have: a build of older sources is refused, not half-used
const REQUIRED = [
  'info', 'setNumThreads', 'getNumThreads', 'setIsa', 'getIsa', 'supportedIsas', 'setBf16Isa',
  'getBf16Isa', 'supportedBf16Isas', 'gemm', 'biasAct',
  'actBackward', 'linearForward', 'linearBackward', 'softmax', 'softmaxCrossEntropy', 'ceLoss',
  'categoricalCELoss', 'mseLoss', 'sgdStep', 'adamStep', 'vectorNorm', 'scale', 'clampAbs', 'maxNormColumns',
  'dropoutForward', 'dropoutBackward', 'createStepPlan', 'trainStep', 'linearGradStep',
  'nativeAllocations', 'addressMod64',
] as const;

// the one command that builds native from source in the installed package
export const BUILD_COMMAND = 'npx ffnn build-native';

// the prebuilds/ folder name of this platform: linux-x64, linux-x64-musl, darwin-arm64, win32-x64
export function platformKey(): string {
  const musl = process.platform === 'linux' && familySync() === 'musl';
  return `${process.platform}-${process.arch}${musl ? '-musl' : ''}`;
}

export function prebuildPath(root = packageRoot()): string {
  return join(root, 'prebuilds', platformKey(), 'ffnn.node');
}

// the paths tried, in order: $FFNN_ADDON, the local source build (cmake-js / node-gyp Release, then
// Debug), the prebuilt binary of this platform
export function addonCandidates(): AddonCandidate[] {
  const root = packageRoot();
  const paths: AddonCandidate[] = [];
  const explicit = process.env.FFNN_ADDON;
  if (explicit) paths.push({ path: resolve(explicit), source: 'FFNN_ADDON' });
  paths.push(
    { path: join(root, 'build', 'Release', 'ffnn.node'), source: 'local build' },
    { path: join(root, 'build', 'Debug', 'ffnn.node'), source: 'local build' },
    { path: prebuildPath(root), source: 'prebuild' },
  );
  return paths;
}

let addon: NativeAddon | undefined;
let status: NativeStatus | undefined;

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

function load(): NativeStatus {
  if (status) return status;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  const why: string[] = [];
  for (const c of addonCandidates()) {
    if (!existsSync(c.path)) {
      tried.push(`${c.path} (${c.source}): not found`);
      if (c.source === 'prebuild') why.push(`no prebuilt binary for ${platformKey()}`);
      continue;
    }
    try {
      const a = require(c.path) as NativeAddon;
      const missing = REQUIRED.filter((k) => typeof (a as unknown as Record<string, unknown>)[k] !== 'function');
      if (missing.length > 0) throw new Error(`built from older sources: no ${missing.join(', ')}`);
      addon = a;
      tried.push(`${c.path} (${c.source}): loaded`);
      status = { loaded: true, path: c.path, source: c.source, tried };
      return status;
    } catch (e) {
      tried.push(`${c.path} (${c.source}): ${message(e)}`);
      why.push(`${c.source} ${c.path} failed to load: ${message(e)}`);
    }
  }
  status = { loaded: false, tried, reason: why.join('; ') || 'no addon found' };
  return status;
}

// what loading the addon found; never throws
export function nativeStatus(): NativeStatus {
  return load();
}

// the raw addon object, loaded on first call and cached; throws with every path tried and why
export function nativeAddon(): NativeAddon {
  const s = load();
  if (addon) return addon;
  throw new Error(
    `ffnn: the native addon could not be loaded; tried:\n${s.tried.map((t) => `  ${t}`).join('\n')}\n` +
      `build it from source with \`${BUILD_COMMAND}\` (node-gyp, no cmake needed), ` +
      `set FFNN_ADDON to load a .node file from elsewhere, or use device 'wasm' (the same kernels ` +
      `compiled to WebAssembly) or 'js' (the reference kernels).`,
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
    vectorNorm: a.vectorNorm,
    scale: a.scale,
    clampAbs: a.clampAbs,
    maxNormColumns: a.maxNormColumns,
    dropoutForward: a.dropoutForward,
    dropoutBackward: a.dropoutBackward,
    // fused in C++: gemm with the bias + activation epilogue; activation derivative then two gemms
    linearForward: a.linearForward,
    linearBackward: a.linearBackward,
    // one call per training step: the plan holds the arrays and workspaces (native/kernels/train_step.h)
    createStepPlan: a.createStepPlan,
    trainStep: a.trainStep,
    linearGradStep: (opt, ...rest) => a.linearGradStep(opt === 'adam' ? 1 : 0, ...rest),
  };
  return Object.freeze(kernels);
}
