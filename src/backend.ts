// process-wide backend settings: the native thread count and what the addon runs on
import { backend, DEVICES, type Device } from './kernels/index.js';
import { checked } from './kernels/checked.js';
import type { BackendInfo, Kernels } from './kernels/types.js';
import { checkInt, checkOneOf } from './util/check.js';

// the checked kernels of a device: every argument validated before it reaches the backend
export function getKernels(device: Device = 'native'): Kernels {
  checkOneOf('device', device, DEVICES);
  return checked(backend(device));
}

// threads used by native kernels (default: the number of available cores)
export function setNumThreads(n: number): void {
  checkInt('n', n, 1, 256);
  backend('native').setNumThreads(n);
}

export function getNumThreads(): number {
  return backend('native').getNumThreads();
}

// the native backend's instruction set, thread count and compiler; the js or wasm backend's when
// `device` names it
export function backendInfo(device: Device = 'native'): BackendInfo {
  checkOneOf('device', device, DEVICES);
  return backend(device).info();
}
