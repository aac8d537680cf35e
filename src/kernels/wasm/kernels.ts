// the per-call wasm kernels: each lays its arguments out in wasm memory (call.ts), runs the C++
// kernel of native/kernels through the C ABI of native/wasm/ffnn_wasm.cpp and copies its outputs
// back. the C++ trusts its caller: these check what would make it read or write past an argument.
// shapes as in ../types.ts
import type { AdamOptions, FloatArray, Precision, Reduction, SgdOptions } from '../types.js';
import { Call } from './call.js';
import { wasmMemory } from './memory.js';

const sfx = (a: FloatArray): string => (a instanceof Float64Array ? 'f64' : 'f32');
const call = (kernel: string): Call => new Call(wasmMemory(), kernel);
const fn = (name: string, like: FloatArray) => wasmMemory().fn(`ffnn_${name}_${sfx(like)}`);
// a kernel with products: its float32 export, or its bf16 one (float32 arrays with bf16 operands)
const fnp = (name: string, like: FloatArray, precision: Precision | undefined) =>
  precision === 'bf16' ? wasmMemory().fn(`ffnn_${name}_bf16`) : fn(name, like);
const b = (v: boolean): number => (v ? 1 : 0);

// c is (M, N); a is (M, K), or (K, M) when transA; b is (K, N), or (N, K) when transB
export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, a: FloatArray, bm: FloatArray, beta: number, c: FloatArray, precision?: Precision,
): void {
  if (M === 0 || N === 0) return;
  const k = call('gemm');
  const pa = k.in('a', a, M * K, 'M*K');
  const pb = k.in('b', bm, K * N, 'K*N');
  // beta 0: c is written, never read
  const pc = beta !== 0 ? k.inout('c', c, M * N, 'M*N') : k.out('c', c, M * N, 'M*N');
  const f = fnp('gemm', c, precision);
  k.run(() => f(b(transA), b(transB), M, N, K, alpha, pa.off, pb.off, beta, pc.off));
}

// x is (B, N), bias is (N) or null, y is (B, N), pre is (B, N) or null; y may alias x
export function biasAct(
  B: number, N: number, x: FloatArray, bias: FloatArray | null,
  act: number, param: number, y: FloatArray, pre: FloatArray | null,
): void {
  if (B * N === 0) return;
  const k = call('biasAct');
  const px = k.in('x', x, B * N, 'B*N');
  const pb = k.in('bias', bias, N, 'N');
  const py = k.out('y', y, B * N, 'B*N');
  const pp = k.out('pre', pre, B * N, 'B*N');
  const f = fn('bias_act', x);
  k.run(() => f(B, N, px.off, pb.off, act, param, py.off, pp.off));
}

// z, gradOut, gradIn are (B, N), gradBias is (N) or null; gradIn may alias gradOut
export function actBackward(
  B: number, N: number, z: FloatArray, gradOut: FloatArray,
  act: number, param: number, gradIn: FloatArray, gradBias: FloatArray | null,
): number {
  const k = call('actBackward');
  const pz = k.in('z', z, B * N, 'B*N');
  const pg = k.in('gradOut', gradOut, B * N, 'B*N');
  const pi = k.out('gradIn', gradIn, B * N, 'B*N');
  const pb = k.inout('gradBias', gradBias, N, 'N');
  const f = fn('act_backward', z);
  return k.run(() => f(B, N, pz.off, pg.off, act, param, pi.off, pb.off));
}

// x is (B, IN), w is (IN, OUT), bias is (OUT) or null, y and pre are (B, OUT) or null
export function linearForward(
  B: number, IN: number, OUT: number, x: FloatArray, w: FloatArray, bias: FloatArray | null,
  act: number, param: number, y: FloatArray, pre: FloatArray | null, precision?: Precision,
): void {
  if (B === 0 || OUT === 0) return;
  const k = call('linearForward');
  const px = k.in('x', x, B * IN, 'B*IN');
  const pw = k.in('w', w, IN * OUT, 'IN*OUT');
  const pb = k.in('bias', bias, OUT, 'OUT');
  const py = k.out('y', y, B * OUT, 'B*OUT');
  const pp = k.out('pre', pre, B * OUT, 'B*OUT');
  const f = fnp('linear_forward', x, precision);
  k.run(() => f(B, IN, OUT, px.off, pw.off, pb.off, act, param, py.off, pp.off));
}

// x is (B, IN), w is (IN, OUT), z, gradOut, gradZ are (B, OUT), gradW is (IN, OUT), gradBias is (OUT)
// or null, gradX is (B, IN) or null; gradW and gradBias += when accumulate; gradZ may alias gradOut
export function linearBackward(
  B: number, IN: number, OUT: number, x: FloatArray, w: FloatArray, z: FloatArray,
  gradOut: FloatArray, act: number, param: number, gradZ: FloatArray,
  gradW: FloatArray | null, gradBias: FloatArray | null, gradX: FloatArray | null, accumulate: boolean,
  precision?: Precision,
): number {
  const k = call('linearBackward');
  const px = k.in('x', x, B * IN, 'B*IN');
  const pw = k.in('w', gradX === null ? null : w, IN * OUT, 'IN*OUT');
  const pz = k.in('z', z, B * OUT, 'B*OUT');
  const pg = k.in('gradOut', gradOut, B * OUT, 'B*OUT');
  const pgz = k.out('gradZ', gradZ, B * OUT, 'B*OUT');
  const acc = accumulate ? k.inout.bind(k) : k.out.bind(k);
  const pgw = acc('gradW', gradW, IN * OUT, 'IN*OUT');
  const pgb = acc('gradBias', gradBias, OUT, 'OUT');
  const pgx = k.out('gradX', gradX, B * IN, 'B*IN');
  const f = fnp('linear_backward', x, precision);
  return k.run(() => f(B, IN, OUT, px.off, pw.off, pz.off, pg.off, act, param, pgz.off, pgw.off, pgb.off, pgx.off, b(accumulate)));
}

// x, y are (B, C); y may alias x
export function softmax(B: number, C: number, x: FloatArray, y: FloatArray): void {
  if (B * C === 0) return;
  const k = call('softmax');
  const px = k.in('x', x, B * C, 'B*C');
  const py = k.out('y', y, B * C, 'B*C');
  const f = fn('softmax', x);
  k.run(() => f(B, C, px.off, py.off));
}

// logits, probs, grad are (B, C); target is (B, C) floats or (B) class indices
export function softmaxCrossEntropy(
  B: number, C: number, logits: FloatArray, target: FloatArray | Int32Array,
  probs: FloatArray | null, grad: FloatArray | null,
): number {
  const k = call('softmaxCrossEntropy');
  const pl = k.in('logits', logits, B * C, 'B*C');
  const idx = target instanceof Int32Array;
  const pt = idx ? k.in('target', target, B, 'B') : k.in('target', target, B * C, 'B*C');
  const pp = k.out('probs', probs, B * C, 'B*C');
  const pg = k.out('grad', grad, B * C, 'B*C');
  const f = fn(idx ? 'softmax_ce_index' : 'softmax_ce', logits);
  return k.run(() => f(B, C, pl.off, pt.off, pp.off, pg.off));
}

// q, p are (B, C)
export function ceLoss(B: number, C: number, q: FloatArray, p: FloatArray, stable: boolean, epsilon: number): number {
  const k = call('ceLoss');
  const pq = k.in('q', q, B * C, 'B*C');
  const pp = k.in('p', p, B * C, 'B*C');
  const f = fn('ce_loss', q);
  return k.run(() => f(B, C, pq.off, pp.off, b(stable), epsilon));
}

// q is (B, C), target is (B) class indices
export function categoricalCELoss(
  B: number, C: number, q: FloatArray, target: Int32Array, stable: boolean, epsilon: number,
): number {
  const k = call('categoricalCELoss');
  const pq = k.in('q', q, B * C, 'B*C');
  const pt = k.in('target', target, B, 'B');
  const f = fn('categorical_ce_loss', q);
  return k.run(() => f(B, C, pq.off, pt.off, b(stable), epsilon));
}

// pred, target, grad are (n)
export function mseLoss(n: number, pred: FloatArray, target: FloatArray, reduction: Reduction, grad: FloatArray | null): number {
  const k = call('mseLoss');
  const pp = k.in('pred', pred, n, 'n');
  const pt = k.in('target', target, n, 'n');
  const pg = k.out('grad', grad, n, 'n');
  const f = fn('mse_loss', pred);
  return k.run(() => f(n, pp.off, pt.off, b(reduction === 'mean'), pg.off));
}

// param, grad, buf are (n); buf may be null when momentum is 0
export function sgdStep(n: number, param: FloatArray, grad: FloatArray, buf: FloatArray | null, o: SgdOptions): void {
  if (n === 0) return;
  const k = call('sgdStep');
  const pp = k.inout('param', param, n, 'n');
  const pg = k.in('grad', grad, n, 'n');
  const pb = k.inout('buf', buf, n, 'n');
  const f = fn('sgd_step', param);
  k.run(() => f(n, pp.off, pg.off, pb.off, o.lr, o.momentum, o.dampening, b(o.nesterov), o.weightDecay, b(o.firstStep)));
}

// param, grad, m, v are (n)
export function adamStep(n: number, param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, o: AdamOptions): void {
  if (n === 0) return;
  const k = call('adamStep');
  const pp = k.inout('param', param, n, 'n');
  const pg = k.in('grad', grad, n, 'n');
  const pm = k.inout('m', m, n, 'n');
  const pv = k.inout('v', v, n, 'n');
  const f = fn('adam_step', param);
  k.run(() => f(n, pp.off, pg.off, pm.off, pv.off, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, b(o.decoupled), o.step));
}

// x is (n)
export function vectorNorm(n: number, x: FloatArray, p: number): number {
  if (n === 0) return 0;
  const k = call('vectorNorm');
  const px = k.in('x', x, n, 'n');
  const f = fn('vector_norm', x);
  return k.run(() => f(n, px.off, p));
}

// x is (n)
export function scale(n: number, x: FloatArray, alpha: number): void {
  if (n === 0) return;
  const k = call('scale');
  const px = k.inout('x', x, n, 'n');
  const f = fn('scale', x);
  k.run(() => f(n, px.off, alpha));
}

// x is (n)
export function clampAbs(n: number, x: FloatArray, c: number): void {
  if (n === 0) return;
  const k = call('clampAbs');
  const px = k.inout('x', x, n, 'n');
  const f = fn('clamp_abs', x);
  k.run(() => f(n, px.off, c));
}

// w is (IN, OUT)
export function maxNormColumns(IN: number, OUT: number, w: FloatArray, maxNorm: number): void {
  if (IN * OUT === 0) return;
  const k = call('maxNormColumns');
  const pw = k.inout('w', w, IN * OUT, 'IN * OUT');
  const f = fn('max_norm_columns', w);
  k.run(() => f(IN, OUT, pw.off, maxNorm));
}

// x, mask, y are (n); state is 4 words, advanced in place; y may alias x
export function dropoutForward(n: number, x: FloatArray, p: number, state: Uint32Array, mask: FloatArray, y: FloatArray): void {
  if (n === 0) return;
  const k = call('dropoutForward');
  const px = k.in('x', x, n, 'n');
  const ps = k.inout('state', state, 4, '4');
  const pm = k.out('mask', mask, n, 'n');
  const py = k.out('y', y, n, 'n');
  const f = fn('dropout_forward', x);
  k.run(() => f(n, px.off, p, ps.off, pm.off, py.off));
}

// g, mask, gradIn are (n); gradIn may alias g
export function dropoutBackward(n: number, g: FloatArray, mask: FloatArray, gradIn: FloatArray): void {
  if (n === 0) return;
  const k = call('dropoutBackward');
  const pg = k.in('g', g, n, 'n');
  const pm = k.in('mask', mask, n, 'n');
  const pi = k.out('gradIn', gradIn, n, 'n');
  const f = fn('dropout_backward', g);
  k.run(() => f(n, pg.off, pm.off, pi.off));
}
