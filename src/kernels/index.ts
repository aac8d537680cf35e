// picks a backend by device name. the native addon loads on first use, so the js device works
// on a machine where the addon could not be built.
import type { Kernels } from './types.js';
import { referenceKernels } from './reference/index.js';
import { loadNativeKernels } from './native.js';
import { checkOneOf } from '../util/check.js';

export type Device = 'native' | 'js';
export const DEVICES: readonly Device[] = ['native', 'js'];

// the unchecked backend: callers have validated every argument already
export function backend(device: Device): Kernels {
  checkOneOf('device', device, DEVICES);
  return device === 'js' ? referenceKernels : loadNativeKernels();
}

export * from './types.js';
