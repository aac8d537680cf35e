// picks a backend by device name. the native addon and the wasm module load on first use, so the js
// device works on a machine where neither could be built, and wasm where only the addon could not.
// an option left out means defaultDevice(): native where the addon loads, else wasm with one notice.
import { isMainThread } from 'node:worker_threads';
import type { Kernels } from './types.js';
import { referenceKernels } from './reference/index.js';
import { BUILD_COMMAND, loadNativeKernels, nativeStatus } from './native.js';
import { loadWasmKernels } from './wasm/index.js';
import { checked } from './checked.js';
import { checkOneOf } from '../util/check.js';

export type Device = 'native' | 'js' | 'wasm';
export const DEVICES: readonly Device[] = ['native', 'js', 'wasm'];

// the js device behind the checks the addon and the wasm copies make at their own door (lengths,
// overlaps): a detached or shrunk array is an error there too, never a silent NaN. the reference's
// loops cost far more than the checks
const jsKernels = checked(referenceKernels);

// the backend whose door checks what would crash or read past an array; the meaning of the values
// is the callers' to check
export function backend(device: Device): Kernels {
  checkOneOf('device', device, DEVICES);
  if (device === 'js') return jsKernels;
  return device === 'wasm' ? loadWasmKernels() : loadNativeKernels();
}

export interface DefaultDevice {
  device: Device;
  // why it is not native (absent when it is)
  reason?: string;
}

let chosen: DefaultDevice | undefined;

function wasmLoads(): string | null {
  try {
    loadWasmKernels();
    return null;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).split('\n')[0];
  }
}

// the device of every module, optimizer, loss and command made without one: native where the addon
// loads; else wasm (or js where wasm cannot load either), said once per process on stderr
// (FFNN_QUIET=1 silences it; a worker thread never says it, its parent did)
export function defaultDevice(): DefaultDevice {
  if (chosen) return chosen;
  const s = nativeStatus();
  if (s.loaded) {
    chosen = { device: 'native' };
    return chosen;
  }
  const wasmError = wasmLoads();
  chosen = wasmError === null
    ? { device: 'wasm', reason: s.reason }
    : { device: 'js', reason: `${s.reason}; the wasm module failed to load too: ${wasmError}` };
  if (process.env.FFNN_QUIET !== '1' && isMainThread) {
    const what = chosen.device === 'wasm'
      ? 'using the wasm device (the same C++ kernels as WebAssembly, one thread)'
      : 'using the js device (the reference kernels, slow)';
    process.stderr.write(`ffnn: native addon unavailable (${chosen.reason}); ${what}; build native with \`${BUILD_COMMAND}\` (FFNN_QUIET=1 hides this)\n`);
  }
  return chosen;
}

// a device option: the one given (checked), or the default device when undefined
export function deviceOption(name: string, value: unknown): Device {
  return value === undefined ? defaultDevice().device : checkOneOf(name, value, DEVICES);
}

export * from './types.js';
