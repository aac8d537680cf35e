// shared by the nn tests: the devices to run (js, native unless FFNN_SKIP_NATIVE=1 and wasm unless
// FFNN_SKIP_WASM=1; a backend that fails to load fails its cases, as in test/helpers/backends.ts), fixture loading and
// the per-fixture difference table printed after the fixture suite.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backends } from '../helpers/backends.js';
import type { Device } from '../../src/kernels/index.js';
import type { DType } from '../../src/kernels/types.js';
import { Tensor } from '../../src/tensor.js';

export const DEVICES: readonly Device[] = backends.map((b) => b.name);
export const DTYPES: readonly DType[] = ['float64', 'float32'];

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'backprop');

export function fixtureNames(prefix: string): string[] {
  return readdirSync(FIXTURES).filter((f) => f.startsWith(prefix) && f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as T;
}

// nested arrays -> flat numbers
export function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

export function tensor(v: unknown, dtype: DType, shape?: readonly number[]): Tensor {
  const data = flat(v);
  return Tensor.from(data, { dtype, shape: shape ?? inferShape(v) });
}

function inferShape(v: unknown): number[] {
  const s: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) {
    s.push(cur.length);
    cur = cur[0];
  }
  return s;
}

// |a - e| / max(|e|, floor * max |e| over the array): relative, except for elements that are
// (nearly) zero next to the rest of the array, where the array's scale is the meaningful one
export function maxRelDiff(actual: ArrayLike<number>, expected: ArrayLike<number>, floor: number): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != expected ${expected.length}`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (a === e) continue;
    if (!Number.isFinite(a)) return Infinity;
    const d = Math.abs(a - e) / Math.max(Math.abs(e), floor * scale, Number.MIN_VALUE);
    if (d > worst) worst = d;
  }
  return worst;
}
