// module options shared by every layer: { device, dtype, seed }, validated once at construction
import { DEVICES, type Device } from '../kernels/index.js';
import type { DType } from '../kernels/types.js';
import { DTYPES } from '../tensor.js';
import { randomSeed } from '../random.js';
import { checkInt, checkObject, checkOneOf } from '../util/check.js';

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

export function resolveOptions(name: string, opts: unknown): ResolvedOptions & { raw: Record<string, unknown> } {
  const o = checkObject(name, opts);
  const device = o.device === undefined ? 'native' : checkOneOf(`${name}.device`, o.device, DEVICES);
  const dtype = o.dtype === undefined ? 'float32' : checkOneOf(`${name}.dtype`, o.dtype, DTYPES);
  const seed = o.seed === undefined ? randomSeed() : checkInt(`${name}.seed`, o.seed, 0);
  return { device, dtype, seed, explicitDevice: o.device !== undefined, explicitDtype: o.dtype !== undefined, raw: o };
}
