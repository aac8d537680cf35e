// a NaN that reaches a kernel comes out as NaN on every backend: training must see a diverged
// weight in the loss, never have it silently zeroed by an activation
import { describe, expect, it } from 'vitest';
import { ACT_CODE } from '../../src/kernels/types.js';
import { backends } from '../helpers/backends.js';

describe.each(backends)('NaN propagation ($name)', ({ kernels }) => {
  for (const [name, code] of Object.entries(ACT_CODE)) {
    it(`${name}: biasAct of NaN is NaN in both dtypes`, () => {
      for (const Ctor of [Float32Array, Float64Array]) {
        const x = new Ctor([NaN, 1]);
        const y = new Ctor(2);
        kernels.biasAct(1, 2, x, null, code, 1, y, null);
        expect(Number.isNaN(y[0])).toBe(true);
        expect(Number.isNaN(y[1])).toBe(false);
      }
    });
  }

  it('softmaxCrossEntropy of a NaN logit is a NaN loss', () => {
    const loss = kernels.softmaxCrossEntropy(1, 3, new Float32Array([NaN, 0, 1]), new Int32Array([1]), null, null);
    expect(Number.isNaN(loss)).toBe(true);
  });

  it('ceLoss: a q of 0 under a p of 0 adds nothing (0 log 0 = 0), clamped or not, so the one-hot form equals categoricalCELoss; under a p > 0 it is Infinity', () => {
    for (const Ctor of [Float32Array, Float64Array]) {
      const q = new Ctor([0, 0.25, 0.75]);
      const p = new Ctor([0, 0, 1]);
      for (const stable of [false, true]) {
        expect(kernels.ceLoss(1, 3, q, p, stable, 1e-8)).toBeCloseTo(-Math.log(0.75), 6);
        expect(kernels.ceLoss(1, 3, q, p, stable, 1e-8)).toBe(kernels.categoricalCELoss(1, 3, q, new Int32Array([2]), stable, 1e-8));
      }
      expect(kernels.ceLoss(1, 3, q, new Ctor([1, 0, 0]), false, 1e-8)).toBe(Infinity);
      expect(Number.isNaN(kernels.ceLoss(1, 3, new Ctor([NaN, 0.5, 0.5]), new Ctor([1, 0, 0]), false, 1e-8))).toBe(true);
    }
  });
});
