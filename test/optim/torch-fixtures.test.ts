// SGD, Adam and AdamW replay torch.optim (1.13) trajectories: 5 steps of fixed gradients on three
// parameters (one without a gradient on step 2), params and state compared after every step.
import { afterAll, describe, expect, it } from 'vitest';
import type { DType } from '../../src/kernels/types.js';
import { backends } from '../helpers/backends.js';
import { DiffStats, DTYPES, assertClose } from '../helpers/numeric.js';
import { makeOptimizer, makeParams, optimFixture, prepareStep } from './fixture.js';

// float64: elementwise, relative to max(|expected|, 1e-3) (moments near 0 compared at that scale).
// float32: against torch's own float32 run, which rounds after each tensor op while the kernels
// round once per element; normwise (relative to the tensor's largest |value|), because momentum
// buffers cancel (m buf + (1 - d) g of size 1e-4 from terms of size 1) and keep only absolute accuracy
const TOL: Record<DType, number> = { float64: 1e-12, float32: 8 * 2 ** -24 };
function scaleOf(dtype: DType, expected: number[]): (i: number) => number {
  if (dtype === 'float64') return (i) => Math.max(Math.abs(expected[i]), 1e-3);
  const norm = Math.max(...expected.map(Math.abs), 1e-30);
  return () => norm;
}

const stats = new DiffStats();

describe.each(backends.map((b) => b.name))('torch.optim fixtures on %s', (device) => {
  describe.each(DTYPES)('%s', (dtype) => {
    it.each(Object.keys(optimFixture.configs))('%s', (name) => {
      const cfg = optimFixture.configs[name];
      const params = makeParams(dtype);
      const opt = makeOptimizer(cfg, params, device);
      const tol = TOL[dtype];
      let worst = 0;
      const check = (label: string, actual: ArrayLike<number>, expected: number[]): void => {
        worst = Math.max(worst, assertClose(label, actual, expected, tol, scaleOf(dtype, expected)));
      };
      cfg[dtype].forEach((rec, step) => {
        prepareStep(opt, params, cfg, step);
        opt.step();
        const state = opt.state;
        for (const p of params) {
          const at = `${name} ${device} ${dtype} step ${step} ${p.name}`;
          check(`${at} param`, p.data, rec.params[p.name]);
          const want = rec.state[p.name];
          const got = state.get(p) ?? {};
          expect(got.momentumBuffer === undefined, `${at} momentum buffer presence`).toBe(want.momentumBuffer === undefined);
          expect(got.expAvg === undefined, `${at} moments presence`).toBe(want.expAvg === undefined);
          if (want.momentumBuffer) check(`${at} momentumBuffer`, got.momentumBuffer!.data, want.momentumBuffer);
          if (want.expAvg) {
            check(`${at} expAvg`, got.expAvg!.data, want.expAvg);
            check(`${at} expAvgSq`, got.expAvgSq!.data, want.expAvgSq!);
            expect(got.step, `${at} step count`).toBe(want.step);
          }
        }
      });
      stats.record(`${cfg.optimizer} ${device}`, dtype, worst, tol);
    });
  });
});

afterAll(() => {
  if (stats.size > 0) console.log(stats.table('optimizers vs torch 1.13 (max rel diff over 5 steps, params and state)'));
});
