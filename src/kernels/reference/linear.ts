// the fused layer kernels written as their parts: gemm, then biasAct; actBackward, then two gemms
// x is (B, IN), w is (IN, OUT), bias is (OUT), y, pre, z, gradOut, gradZ are (B, OUT),
// gradW is (IN, OUT), gradBias is (OUT), gradX is (B, IN)
import type { FloatArray, Precision } from '../types.js';
import { gemm } from './gemm.js';
import { biasAct } from './bias-act.js';
import { actBackward } from './act-backward.js';

export function linearForward(
  B: number, IN: number, OUT: number, x: FloatArray, w: FloatArray, bias: FloatArray | null,
  act: number, param: number, y: FloatArray, pre: FloatArray | null, precision: Precision = 'float32',
): void {
  gemm(false, false, B, OUT, IN, 1, x, w, 0, y, precision);
  biasAct(B, OUT, y, bias, act, param, y, pre);
}

export function linearBackward(
  B: number, IN: number, OUT: number, x: FloatArray, w: FloatArray, z: FloatArray,
  gradOut: FloatArray, act: number, param: number, gradZ: FloatArray,
  gradW: FloatArray | null, gradBias: FloatArray | null, gradX: FloatArray | null, accumulate: boolean,
  precision: Precision = 'float32',
): number {
  if (gradBias !== null && !accumulate) gradBias.fill(0, 0, OUT);
  const dParam = actBackward(B, OUT, z, gradOut, act, param, gradZ, gradBias);
  if (gradW !== null) gemm(true, false, IN, OUT, B, 1, x, gradZ, accumulate ? 1 : 0, gradW, precision);
  if (gradX !== null) gemm(false, true, B, IN, OUT, 1, gradZ, w, 0, gradX, precision);
  return dParam;
}
