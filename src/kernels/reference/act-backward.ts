// z is (B, N) pre-activation, gradOut is (B, N), gradIn is (B, N), gradBias is (N) or null
// gradIn := gradOut * act'(z); gradBias += column sums of gradIn (summed in doubles);
// returns sum(gradOut * d act / d param) (0 for an activation without a parameter, whatever gradOut
// holds: Inf * 0 would be NaN); gradIn may alias gradOut
import { ACT_CODE, type FloatArray } from '../types.js';
import { actDerivative, actParamDerivative } from './activations.js';

// column sums in doubles; kept between calls (grow-only) so a training step allocates nothing
let sums = new Float64Array(0);

export function actBackward(
  B: number, N: number, z: FloatArray, gradOut: FloatArray,
  act: number, param: number, gradIn: FloatArray, gradBias: FloatArray | null,
): number {
  let colSums: Float64Array | null = null;
  if (gradBias !== null) {
    if (sums.length < N) sums = new Float64Array(N);
    colSums = sums;
    colSums.fill(0, 0, N);
  }
  let dParam = 0;
  const hasParam = act === ACT_CODE.swish || act === ACT_CODE.celu;
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < N; j++) {
      const idx = i * N + j;
      const g = gradOut[idx];
      const zij = z[idx];
      const gi = g * actDerivative(act, zij, param);
      if (hasParam) dParam += g * actParamDerivative(act, zij, param);
      gradIn[idx] = gi;
      if (colSums !== null) colSums[j] += gi;
    }
  }
  if (gradBias !== null && colSums !== null) {
    for (let j = 0; j < N; j++) gradBias[j] += colSums[j];
  }
  return dParam;
}
