// the backends every kernel test runs against: the reference, the native addon and the wasm module.
// an addon or module that fails to load is not skipped: its entry throws the load error from every
// kernel, so each of its cases fails and says why. FFNN_SKIP_NATIVE=1 drops the native entry instead,
// FFNN_SKIP_WASM=1 the wasm one.
import type { Kernels } from '../../src/kernels/types.js';
import type { Device } from '../../src/kernels/index.js';
import { referenceKernels } from '../../src/kernels/reference/index.js';

export interface Backend {
  name: Device;
  kernels: Kernels;
}

export const skipNative = process.env.FFNN_SKIP_NATIVE === '1';

let nativeKernels: Kernels | null = null;
export let nativeLoadError: unknown = null;
if (!skipNative) {
  try {
    const mod = await import('../../src/kernels/native.js');
    nativeKernels = mod.loadNativeKernels();
  } catch (e) {
    nativeLoadError = e;
  }
}

export const nativeAvailable = nativeKernels !== null;

export const skipWasm = process.env.FFNN_SKIP_WASM === '1';

let wasmKernels: Kernels | null = null;
export let wasmLoadError: unknown = null;
if (!skipWasm) {
  try {
    const mod = await import('../../src/kernels/wasm/index.js');
    wasmKernels = mod.loadWasmKernels();
  } catch (e) {
    wasmLoadError = e;
  }
}

// a Kernels whose every member throws why the backend did not load
function unavailable(error: unknown, name: 'native' | 'wasm' = 'native'): Kernels {
  const skip = name === 'native' ? 'FFNN_SKIP_NATIVE' : 'FFNN_SKIP_WASM';
  const message = `${name} backend failed to load (set ${skip}=1 to skip it): ${
    error instanceof Error ? error.message : String(error)
  }`;
  return new Proxy({} as Kernels, {
    get(_t, prop) {
      if (prop === 'name') return name;
      if (prop === 'then') return undefined;
      return () => {
        throw new Error(message, { cause: error });
      };
    },
  });
}

export const reference: Backend = { name: 'js', kernels: referenceKernels };

// the native entry: loaded, failing, or absent when FFNN_SKIP_NATIVE=1
export const native: Backend | null = skipNative
  ? null
  : { name: 'native', kernels: nativeKernels ?? unavailable(nativeLoadError) };

// the wasm entry: loaded, failing, or absent when FFNN_SKIP_WASM=1
export const wasm: Backend | null = skipWasm
  ? null
  : { name: 'wasm', kernels: wasmKernels ?? unavailable(wasmLoadError, 'wasm') };

// the backends checked against the reference (every one but the reference itself)
export const nonReferenceBackends: Backend[] = [native, wasm].filter((b): b is Backend => b !== null);

export const backends: Backend[] = [reference, ...nonReferenceBackends];
