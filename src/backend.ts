// process-wide backend settings: the thread count and what the kernels run on
import { backend, defaultDevice, DEVICES, type Device } from './kernels/index.js';
import { nativeStatus } from './kernels/native.js';
import { checked } from './kernels/checked.js';
import type { BackendInfo, Kernels } from './kernels/types.js';
import { checkInt, checkOneOf } from './util/check.js';

// the checked kernels of a device (default: the default device, native where it loads)
export function getKernels(device?: Device): Kernels {
  const d = device === undefined ? defaultDevice().device : checkOneOf('device', device, DEVICES);
  return checked(backend(d));
}

// threads used by the default device's kernels (native: default the number of available cores; wasm
// and js run on one thread and only keep the number)
export function setNumThreads(n: number): void {
  checkInt('n', n, 1, 256);
  backend(defaultDevice().device).setNumThreads(n);
}

export function getNumThreads(): number {
  return backend(defaultDevice().device).getNumThreads();
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

// the instruction set, thread count, compiler and origin of the kernels a device runs (default: the
// default device); never throws: a device that cannot load says so in source 'unavailable'
export function backendInfo(device?: Device): BackendInfo {
  if (device !== undefined) checkOneOf('device', device, DEVICES);
  const def = defaultDevice();
  const d = device ?? def.device;
  const s = nativeStatus();
  if (d === 'native') {
    if (!s.loaded) return { backend: 'native', isa: 'none', threads: 0, compiler: '', source: 'unavailable', reason: s.reason, tried: s.tried };
    return { ...backend('native').info(), source: s.source, path: s.path, tried: s.tried };
  }
  let info: BackendInfo;
  try {
    info = backend(d).info();
  } catch (e) {
    return { backend: d, isa: 'none', threads: 0, compiler: '', source: 'unavailable', reason: message(e) };
  }
  if (device === undefined) return { ...info, source: d === 'wasm' ? 'wasm fallback' : 'js fallback', reason: def.reason, tried: s.tried };
  return { ...info, source: 'requested' };
}
