// the module flow of the problem's autograd notebook: Sequential(Linear(784, 256), ReLU, Linear(256, 10)),
// batch 16, random inputs and targets, summed squared error, SGD lr 0.001. one step changes the
// weights by exactly -lr * grad (float32: as torch's float arithmetic); five backward calls without zeroGrad give five times one call's
// gradient; zeroGrad gives zeros.
import { describe, expect, test } from 'vitest';
import { Linear, MSELoss, ReLU, Sequential } from '../../src/nn/index.js';
import { SGD } from '../../src/optim/index.js';
import { Tensor } from '../../src/tensor.js';
import { fmaf } from '../../src/kernels/reference/fmaf.js';
import { DEVICES, DTYPES, maxRelDiff } from './common.js';

const [BATCH, DIM_IN, HIDDEN, DIM_OUT] = [16, 784, 256, 10];

describe.each(DEVICES)('notebook flow on %s', (device) => {
  describe.each(DTYPES)('%s', (dtype) => {
    const make = () => {
      const o = { device, dtype };
      const model = new Sequential(new Linear(DIM_IN, HIDDEN, { ...o, seed: 1 }), new ReLU(), new Linear(HIDDEN, DIM_OUT, { ...o, seed: 2 }));
      const input = Tensor.randn([BATCH, DIM_IN], { dtype, seed: 3 });
      const ideal = Tensor.randn([BATCH, DIM_OUT], { dtype, seed: 4 });
      const loss = new MSELoss({ device, reduction: 'sum' });
      const step = (): number => {
        const l = loss.forward(model.forward(input), ideal);
        model.backward(loss.backward());
        return l;
      };
      return { model, step, last: model.at(2) as Linear };
    };

    test('before backward no gradient; one step moves the weights by exactly -lr * grad', () => {
      const { model, step, last } = make();
      expect(last.weight.grad).toBeNull();
      const optimizer = new SGD(model.parameters(), 0.001);
      const l = step();
      expect(Number.isFinite(l) && l > 0).toBe(true);
      const before = model.parameters().map((p) => p.data.slice());
      const grads = model.parameters().map((p) => (p.grad as Tensor).data.slice());
      optimizer.step();
      model.parameters().forEach((p, i) => {
        // float64: fl(p - lr g) in doubles; float32: torch's float arithmetic, one fused multiply-add
        // with -lr rounded to float, fmaf(g, fl(-lr), p) (what its vectorized add_ computes)
        const negLr = Math.fround(-0.001);
        let worstUlps = 0;
        for (let j = 0; j < p.size; j++) {
          const want = dtype === 'float32' ? fmaf(grads[i][j], negLr, before[i][j]) : before[i][j] - 0.001 * grads[i][j];
          const got = p.data[j];
          if (got !== want) worstUlps = Math.max(worstUlps, Math.abs(got - want) / ulp(want, dtype));
        }
        // exact on every device: wasm links a correctly rounded fmaf (native/wasm/fmaf.cpp)
        expect(worstUlps).toBe(0);
        // the gradient is left as it was
        expect(Array.from((p.grad as Tensor).data)).toEqual(Array.from(grads[i]));
      });
    });

    test('five backward calls without zeroGrad add up to five times one call; zeroGrad clears', () => {
      const { model, step } = make();
      step();
      const one = model.parameters().map((p) => Float64Array.from((p.grad as Tensor).data));
      model.zeroGrad();
      for (let i = 0; i < 5; i++) step();
      // each call's product is added into the gradient in its dtype (native accumulates inside
      // the gemm), so entries that cancel carry the rounding of their larger neighbours (floor 1%)
      const [tol, floor] = dtype === 'float64' ? [1e-13, 1e-2] : [2e-5, 1e-2];
      model.parameters().forEach((p, i) => {
        const five = one[i].map((v) => 5 * v);
        expect(maxRelDiff((p.grad as Tensor).data, five, floor)).toBeLessThan(tol);
      });
      model.zeroGrad();
      for (const p of model.parameters()) expect((p.grad as Tensor).data.every((v) => v === 0)).toBe(true);
    });
  });
});

function ulp(v: number, dtype: string): number {
  const e = Math.max(Math.floor(Math.log2(Math.abs(v) || Number.MIN_VALUE)), dtype === 'float32' ? -126 : -1022);
  return 2 ** (e - (dtype === 'float32' ? 23 : 52));
}
