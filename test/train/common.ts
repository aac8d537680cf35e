// shared by the training tests: the devices (js, and native unless FFNN_SKIP_NATIVE=1), a small
// learnable task, a stream that records what trainFFNN prints, and weight snapshots
import { backends } from '../helpers/backends.js';
import type { Device } from '../../src/kernels/index.js';
import type { DType } from '../../src/kernels/types.js';
import { TensorDataset } from '../../src/data/dataset.js';
import type { Module } from '../../src/nn/module.js';
import { Tensor } from '../../src/tensor.js';

export const DEVICES: readonly Device[] = backends.map((b) => b.name);

// x is (N, F) standard normal, y = argmax of the first C features: a linear rule a network learns fast
export function argmaxTask(N: number, F: number, C: number, seed: number, dtype: DType = 'float32'): TensorDataset {
  const x = Tensor.randn([N, F], { seed, dtype });
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (x.data[i * F + c] > x.data[i * F + best]) best = c;
    y[i] = best;
  }
  return new TensorDataset(x, y);
}

export class Recorder {
  text = '';
  constructor(readonly isTTY = false) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
  get lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }
}

export function snapshot(net: Module): Float64Array[] {
  return net.parameters().map((p) => Float64Array.from(p.data));
}

export function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
