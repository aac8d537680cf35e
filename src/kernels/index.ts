// picks a backend by device name. the native addon and the wasm module load on first use, so the js
// device works on a machine where neither could be built, and wasm where only the addon could not.
import type { Kernels } from './types.js';
import { referenceKernels } from './reference/index.js';
import { loadNativeKernels } from './native.js';
import { loadWasmKernels } from './wasm/index.js';
import { checkOneOf } from '../util/check.js';

export type Device = 'native' | 'js' | 'wasm';
export const DEVICES: readonly Device[] = ['native', 'js', 'wasm'];

// the unchecked backend: callers have validated every argument already
export function backend(device: Device): Kernels {
  checkOneOf('device', device, DEVICES);
  if (device === 'js') return referenceKernels;
  return device === 'wasm' ? loadWasmKernels() : loadNativeKernels();
}

export * from './types.js';
