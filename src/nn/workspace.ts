// reusable buffers: each is allocated once per (rows, cols, dtype) and handed back on every call
// after, so a training step at a fixed batch shape allocates nothing
import type { DType } from '../kernels/types.js';
import { Tensor } from '../tensor.js';

export class Workspace {
  private readonly buffers = new Map<string, Tensor>();
  private readonly ints = new Map<string, Int32Array>();

  // a (rows, cols) tensor of dtype; its contents are whatever the last user left
  get(name: string, rows: number, cols: number, dtype: DType): Tensor {
    const t = this.buffers.get(name);
    if (t !== undefined && t.dtype === dtype && t.shape[0] === rows && t.shape[1] === cols) return t;
    const fresh = Tensor.zeros([rows, cols], { dtype });
    this.buffers.set(name, fresh);
    return fresh;
  }

  // an Int32Array of length n (class indices)
  int(name: string, n: number): Int32Array {
    const a = this.ints.get(name);
    if (a !== undefined && a.length === n) return a;
    const fresh = new Int32Array(n);
    this.ints.set(name, fresh);
    return fresh;
  }

  clear(): void {
    this.buffers.clear();
    this.ints.clear();
  }
}
