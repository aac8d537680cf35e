// the per-call wasm kernels: each copies its arguments into the arena of linear memory, runs the wasm
// code and copies its outputs back (a copy is a memcpy; the work it feeds is O(M N K) or a pass over
// the same data). biasAct / actBackward of the transcendental activations run the reference loops on
// the caller's arrays, as do the small kernels (softmax, losses, adam) that no profile shows.
// shapes as in ../types.ts: x is (B, IN), w is (IN, OUT), bias is (OUT), y, pre, z are (B, OUT)
import type { FloatArray, SgdOptions } from '../types.js';
import { biasAct as refBiasAct } from '../reference/bias-act.js';
import { actBackward as refActBackward } from '../reference/act-backward.js';
import { align, wasmMemory, type WasmMemory } from './memory.js';
import { actBackwardAt, biasActAt, gemmAt, sgdAt, wasmAct } from './ops.js';

// a bump allocator over the arena, restarted by every call
class Layout {
  top: number;
  constructor(readonly m: WasmMemory, readonly es: number) {
    this.top = m.arena;
  }
  // n elements; returns the byte offset
  take(n: number): number {
    const o = this.top;
    this.top = align(o + n * this.es);
    return o;
  }
  // an array of n elements, or -1 when it is null
  maybe(a: FloatArray | null, n: number): number {
    return a === null ? -1 : this.take(n);
  }
  done(): WasmMemory {
    this.m.reserve(this.top);
    return this.m;
  }
}

function layout(a: FloatArray): Layout {
  return new Layout(wasmMemory(), a.BYTES_PER_ELEMENT);
}

// the first n elements of src into memory at byte offset off. a shorter src is an error, never a
// silent clamp: the rest of the region would hold whatever an earlier call (another model's) left
export function put(m: WasmMemory, off: number, src: FloatArray, n: number): void {
  if (n === 0 || off < 0) return;
  if (src.length < n) throw new RangeError(`wasm kernels: an argument of ${src.length} elements where the call reads ${n}`);
  const s = src.length === n ? src : src.subarray(0, n);
  if (src instanceof Float64Array) m.f64.set(s, off / 8);
  else m.f32.set(s, off / 4);
}

// n elements at byte offset off into the start of dst
export function get(m: WasmMemory, off: number, dst: FloatArray, n: number): void {
  if (n === 0 || off < 0) return;
  if (dst instanceof Float64Array) dst.set(m.f64.subarray(off / 8, off / 8 + n));
  else dst.set(m.f32.subarray(off / 4, off / 4 + n));
}

// c is (M, N); a is (M, K), or (K, M) when transA; b is (K, N), or (N, K) when transB
export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, a: FloatArray, b: FloatArray, beta: number, c: FloatArray,
): void {
  if (M === 0 || N === 0) return;
  const l = layout(c);
  const oa = l.take(M * K);
  const ob = l.take(K * N);
  const oc = l.take(M * N);
  const m = l.done();
  put(m, oa, a, M * K);
  put(m, ob, b, K * N);
  // beta 0: c is written, never read
  if (beta !== 0) put(m, oc, c, M * N);
  gemmAt(m, l.es, transA, transB, M, N, K, alpha, oa, ob, beta, oc);
  get(m, oc, c, M * N);
}

// x is (B, N), bias is (N) or null, y is (B, N), pre is (B, N) or null; y may alias x
export function biasAct(
  B: number, N: number, x: FloatArray, bias: FloatArray | null,
  act: number, param: number, y: FloatArray, pre: FloatArray | null,
): void {
  if (!wasmAct(act)) {
    refBiasAct(B, N, x, bias, act, param, y, pre);
    return;
  }
  const l = layout(x);
  const ox = l.take(B * N);
  const ob = l.maybe(bias, N);
  const op = l.maybe(pre, B * N);
  const m = l.done();
  put(m, ox, x, B * N);
  if (bias !== null) put(m, ob, bias, N);
  biasActAt(m, l.es, B, N, ox, ob, act, ox, op);
  get(m, ox, y, B * N);
  if (pre !== null) get(m, op, pre, B * N);
}

// z, gradOut, gradIn are (B, N), gradBias is (N) or null; gradIn may alias gradOut
export function actBackward(
  B: number, N: number, z: FloatArray, gradOut: FloatArray,
  act: number, param: number, gradIn: FloatArray, gradBias: FloatArray | null,
): number {
  if (!wasmAct(act)) return refActBackward(B, N, z, gradOut, act, param, gradIn, gradBias);
  const l = layout(z);
  const oz = l.take(B * N);
  const og = l.take(B * N);
  const ob = l.maybe(gradBias, N);
  const sums = l.take(N * (8 / l.es));
  const m = l.done();
  put(m, oz, z, B * N);
  put(m, og, gradOut, B * N);
  if (gradBias !== null) put(m, ob, gradBias, N);
  const dParam = actBackwardAt(m, l.es, B, N, oz, og, act, og, ob, sums);
  get(m, og, gradIn, B * N);
  if (gradBias !== null) get(m, ob, gradBias, N);
  return dParam;
}

// x is (B, IN), w is (IN, OUT), bias is (OUT) or null, y and pre are (B, OUT): gemm, then biasAct
export function linearForward(
  B: number, IN: number, OUT: number, x: FloatArray, w: FloatArray, bias: FloatArray | null,
  act: number, param: number, y: FloatArray, pre: FloatArray | null,
): void {
  if (B === 0 || OUT === 0) return;
  const l = layout(x);
  const ox = l.take(B * IN);
  const ow = l.take(IN * OUT);
  const ob = l.maybe(bias, OUT);
  const oy = l.take(B * OUT);
  const op = l.maybe(pre, B * OUT);
  const m = l.done();
  put(m, ox, x, B * IN);
  put(m, ow, w, IN * OUT);
  gemmAt(m, l.es, false, false, B, OUT, IN, 1, ox, ow, 0, oy);
  if (wasmAct(act)) {
    if (bias !== null) put(m, ob, bias, OUT);
    biasActAt(m, l.es, B, OUT, oy, ob, act, oy, op);
    get(m, oy, y, B * OUT);
    if (pre !== null) get(m, op, pre, B * OUT);
  } else {
    get(m, oy, y, B * OUT);
    refBiasAct(B, OUT, y, bias, act, param, y, pre);
  }
}

// gradZ := gradOut * act'(z); gradW := x^T gradZ (+= when accumulate); gradBias := column sums
// (+= when accumulate); gradX := gradZ w^T when not null. gradZ may alias gradOut
export function linearBackward(
  B: number, IN: number, OUT: number, x: FloatArray, w: FloatArray, z: FloatArray,
  gradOut: FloatArray, act: number, param: number, gradZ: FloatArray,
  gradW: FloatArray, gradBias: FloatArray | null, gradX: FloatArray | null, accumulate: boolean,
): number {
  if (gradBias !== null && !accumulate) gradBias.fill(0, 0, OUT);
  const inWasm = wasmAct(act);
  // the transcendental derivatives first, on the caller's arrays; gradZ then goes in like an input
  const dRef = inWasm ? 0 : refActBackward(B, OUT, z, gradOut, act, param, gradZ, gradBias);
  const l = layout(x);
  const ox = l.take(B * IN);
  const ow = gradX !== null ? l.take(IN * OUT) : -1;
  const oz = inWasm ? l.take(B * OUT) : -1;
  const og = l.take(B * OUT);
  const ob = inWasm ? l.maybe(gradBias, OUT) : -1;
  const sums = l.take(OUT * (8 / l.es));
  const ogw = l.take(IN * OUT);
  const ogx = l.maybe(gradX, B * IN);
  const m = l.done();
  let dParam = dRef;
  if (inWasm) {
    put(m, oz, z, B * OUT);
    put(m, og, gradOut, B * OUT);
    if (gradBias !== null) put(m, ob, gradBias, OUT);
    dParam = actBackwardAt(m, l.es, B, OUT, oz, og, act, og, ob, sums);
    if (gradBias !== null) get(m, ob, gradBias, OUT);
  } else {
    put(m, og, gradZ, B * OUT);
  }
  put(m, ox, x, B * IN);
  if (accumulate) put(m, ogw, gradW, IN * OUT);
  gemmAt(m, l.es, true, false, IN, OUT, B, 1, ox, og, accumulate ? 1 : 0, ogw);
  get(m, ogw, gradW, IN * OUT);
  if (gradX !== null) {
    put(m, ow, w, IN * OUT);
    gemmAt(m, l.es, false, true, B, IN, OUT, 1, og, ow, 0, ogx);
    get(m, ogx, gradX, B * IN);
  }
  if (inWasm) get(m, og, gradZ, B * OUT);
  return dParam;
}

// param, grad, buf are (n); buf may be null when momentum is 0
export function sgdStep(n: number, param: FloatArray, grad: FloatArray, buf: FloatArray | null, o: SgdOptions): void {
  const l = layout(param);
  const op = l.take(n);
  const og = l.take(n);
  const useBuf = o.momentum !== 0 && buf !== null;
  const ob = useBuf ? l.take(n) : -1;
  const m = l.done();
  put(m, op, param, n);
  put(m, og, grad, n);
  if (useBuf) put(m, ob, buf, n);
  sgdAt(m, l.es, n, op, og, ob, o.lr, o.weightDecay, o.momentum, o.dampening, o.nesterov, o.firstStep);
  get(m, op, param, n);
  if (useBuf) get(m, ob, buf, n);
}
