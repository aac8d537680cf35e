// module options shared by every layer: { device, dtype, seed }, validated once at construction
import { deviceOption, type Device } from '../kernels/index.js';
import type { DType } from '../kernels/types.js';
import { DTYPES } from '../tensor.js';
import { randomSeed } from '../random.js';
import { checkInt, checkKeys, checkObject, checkOneOf } from '../util/check.js';

export interface ModuleOptions {
  device?: Device;
  dtype?: DType;
  seed?: number;
}

export interface ResolvedOptions {
  device: Device;
  dtype: DType;
  seed: number;
  // whether device / dtype were given explicitly (a container adopts the ones that were not)
  explicitDevice: boolean;
  explicitDtype: boolean;
}

// the options every built-in module takes; a module adds its own
export const MODULE_KEYS = ['device', 'dtype', 'seed'] as const;

// keys: the option names the module takes (any other is a TypeError); undefined: not checked (a
// user's subclass passing its own options through)
export function resolveOptions(
  name: string, opts: unknown, keys?: readonly string[],
): ResolvedOptions & { raw: Record<string, unknown> } {
  const o = checkObject(name, opts);
  if (keys !== undefined) checkKeys(name, o, keys);
  const device = deviceOption(`${name}.device`, o.device);
  const dtype = o.dtype === undefined ? 'float32' : checkOneOf(`${name}.dtype`, o.dtype, DTYPES);
  const seed = o.seed === undefined ? randomSeed() : checkInt(`${name}.seed`, o.seed, 0);
  return { device, dtype, seed, explicitDevice: o.device !== undefined, explicitDtype: o.dtype !== undefined, raw: o };
}
