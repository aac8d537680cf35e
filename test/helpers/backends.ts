// the backends every kernel test runs against: the reference, and the native addon when it loads.
// a native addon that fails to load is not skipped: its entry throws the load error from every
// kernel, so each native case fails and says why. FFNN_SKIP_NATIVE=1 drops the entry instead.
import type { Kernels } from '../../src/kernels/types.js';
import { referenceKernels } from '../../src/kernels/reference/index.js';

export interface Backend {
  name: 'js' | 'native';
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

// a Kernels whose every member throws why the native backend did not load
function unavailable(error: unknown): Kernels {
  const message = `native backend failed to load (set FFNN_SKIP_NATIVE=1 to skip it): ${
    error instanceof Error ? error.message : String(error)
  }`;
  return new Proxy({} as Kernels, {
    get(_t, prop) {
      if (prop === 'name') return 'native';
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

export const backends: Backend[] = native === null ? [reference] : [reference, native];

// the backends checked against the reference (every one but the reference itself)
export const nonReferenceBackends: Backend[] = native === null ? [] : [native];
