// the wasm kernels on arrays that live in linear memory (byte offsets), shared by the per-call kernels
// (which copy their arguments in and out) and the step plan (whose arrays stay in memory for a whole
// step): both make the same wasm calls, so the module flow and trainStep give the same bits.
// es is the element size: 4 (float32) or 8 (float64). -1 stands for a null array.
import { ACT_CODE } from '../types.js';
import { WS, type WasmMemory } from './memory.js';

// biasAct and actBackward run in wasm for these; the others (transcendental) use the reference loops
export function wasmAct(act: number): boolean {
  return act === ACT_CODE.identity || act === ACT_CODE.relu;
}

// c is (M, N); a is (M, K) or (K, M); b is (K, N) or (N, K): c := alpha op(a) op(b) + beta c
export function gemmAt(
  m: WasmMemory, es: number, transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, a: number, b: number, beta: number, c: number,
): void {
  const f = es === 8 ? m.x.gemm_f64 : m.x.gemm_f32;
  f(transA ? 1 : 0, transB ? 1 : 0, M, N, K, alpha, a, b, beta, c, WS);
}

// x is (B, N), bias is (N) or -1, y is (B, N), pre is (B, N) or -1; act identity or relu
export function biasActAt(m: WasmMemory, es: number, B: number, N: number, x: number, bias: number, act: number, y: number, pre: number): void {
  const f = es === 8 ? m.x.bias_act_f64 : m.x.bias_act_f32;
  f(B, N, x, Math.max(bias, 0), bias >= 0 ? 1 : 0, act === ACT_CODE.relu ? 1 : 0, y, Math.max(pre, 0), pre >= 0 ? 1 : 0);
}

// z, g, gin are (B, N), gbias is (N) or -1, sums is (N) doubles of scratch; act identity or relu
export function actBackwardAt(
  m: WasmMemory, es: number, B: number, N: number, z: number, g: number, act: number, gin: number, gbias: number, sums: number,
): number {
  const f = es === 8 ? m.x.act_backward_f64 : m.x.act_backward_f32;
  return f(B, N, z, g, act === ACT_CODE.relu ? 1 : 0, gin, Math.max(gbias, 0), gbias >= 0 ? 1 : 0, sums);
}

// param, grad, buf are (n); buf -1 when momentum is 0 or there is no buffer
export function sgdAt(
  m: WasmMemory, es: number, n: number, p: number, g: number, buf: number,
  lr: number, weightDecay: number, momentum: number, dampening: number, nesterov: boolean, firstStep: boolean,
): void {
  const f = es === 8 ? m.x.sgd_f64 : m.x.sgd_f32;
  const hasBuf = momentum !== 0 && buf >= 0;
  f(n, p, g, Math.max(buf, 0), hasBuf ? 1 : 0, lr, weightDecay, momentum, dampening, nesterov ? 1 : 0, firstStep ? 1 : 0);
}
