// one call into the wasm module: its array arguments laid out in the scratch block, the inputs
// copied in, the C function run, the outputs copied back (a copy is a memcpy; the work it feeds is
// O(M N K) or a pass over the same data). the same array passed twice (an output that may alias an
// input) gets one region, as the C++ sees one pointer on native. a shorter array than the call
// reads or writes is an error, never a silent clamp: the rest of the region would hold whatever an
// earlier call (another model's) left
import type { FloatArray } from '../types.js';
import { align, MAX_BYTES, memoryError, type WasmMemory } from './memory.js';

// Int32Array: class indices; Uint32Array: a generator's state words (set converts bit for bit)
type Arr = FloatArray | Int32Array | Uint32Array;

export class Arg {
  off = 0;
  constructor(
    readonly arr: Arr,
    public n: number,
    public copyIn: boolean,
    public copyOut: boolean,
  ) {}
}

// null arrays: the C ABI's 0
const NULL_ARG = new Arg(new Float32Array(0), 0, false, false);

export class Call {
  private readonly args: Arg[] = [];
  constructor(
    readonly m: WasmMemory,
    readonly kernel: string,
  ) {}

  private add(name: string, arr: Arr, n: number, expr: string, copyIn: boolean, copyOut: boolean): Arg {
    if (arr.length < n) {
      const what = expr === String(n) ? `${n}` : `${expr} = ${n}`;
      throw new RangeError(`${this.kernel}: ${name} has ${arr.length} elements where ${what} are ${copyIn ? 'read' : 'written'}`);
    }
    const same = this.args.find((a) => a.arr === arr);
    if (same !== undefined) {
      same.n = Math.max(same.n, n);
      same.copyIn ||= copyIn;
      same.copyOut ||= copyOut;
      return same;
    }
    const a = new Arg(arr, n, copyIn, copyOut);
    this.args.push(a);
    return a;
  }

  // read only; n elements, expr how the call counts them ("M*K")
  in(name: string, arr: Arr | null, n: number, expr: string): Arg {
    return arr === null ? NULL_ARG : this.add(name, arr, n, expr, true, false);
  }

  // written only
  out(name: string, arr: Arr | null, n: number, expr: string): Arg {
    return arr === null ? NULL_ARG : this.add(name, arr, n, expr, false, true);
  }

  // read and written (updated in place, or += )
  inout(name: string, arr: Arr | null, n: number, expr: string): Arg {
    return arr === null ? NULL_ARG : this.add(name, arr, n, expr, true, true);
  }

  // lays the arguments out, copies the inputs in, runs fn (which reads each Arg's off) and copies
  // the outputs back
  run<R>(fn: () => R): R {
    let bytes = 0;
    for (const a of this.args) bytes += align(a.n * a.arr.BYTES_PER_ELEMENT);
    if (bytes > MAX_BYTES) throw memoryError(this.kernel, bytes, 'over the 4 GiB a wasm module can address');
    const base = this.m.scratch(this.kernel, bytes);
    let at = base;
    for (const a of this.args) {
      a.off = at;
      at += align(a.n * a.arr.BYTES_PER_ELEMENT);
    }
    const m = this.m;
    m.refresh();
    for (const a of this.args) if (a.copyIn && a.n > 0) put(m, a.off, a.arr, a.n);
    const r = fn();
    // the kernels may have grown the memory (their pack buffers)
    m.refresh();
    for (const a of this.args) if (a.copyOut && a.n > 0) get(m, a.off, a.arr, a.n);
    return r;
  }
}

// the first n elements of src into memory at byte offset off
export function put(m: WasmMemory, off: number, src: Arr, n: number): void {
  const s = src.length === n ? src : src.subarray(0, n);
  if (src instanceof Float64Array) m.f64.set(s, off / 8);
  else if (src instanceof Float32Array) m.f32.set(s, off / 4);
  else m.i32.set(s, off / 4);
}

// n elements at byte offset off into the start of dst
export function get(m: WasmMemory, off: number, dst: Arr, n: number): void {
  if (dst instanceof Float64Array) dst.set(m.f64.subarray(off / 8, off / 8 + n));
  else if (dst instanceof Float32Array) dst.set(m.f32.subarray(off / 4, off / 4 + n));
  else dst.set(m.i32.subarray(off / 4, off / 4 + n));
}
