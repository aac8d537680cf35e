// activations on every backend, checked independently of the reference: values against other
// formulas, limits at +-100 and +-800, d/dx and d/dparam against central differences (float64).
import { describe, expect, it } from 'vitest';
import { ACT_CODE, type ActName, type DType, type Kernels } from '../../src/kernels/types.js';
import { backends } from '../helpers/backends.js';
import { DTYPES, allFinite, assertClose, ctorOf } from '../helpers/numeric.js';

const ACTS = Object.keys(ACT_CODE) as ActName[];
const PARAMS = [0.5, 1, 1.7, 3];

function paramsOf(act: ActName): number[] {
  return act === 'swish' || act === 'celu' ? PARAMS : [1];
}

// other formulas than the reference's: sigmoid through tanh, celu without expm1
function oracle(act: ActName, x: number, p: number): number {
  const sig = (t: number): number => 0.5 * (1 + Math.tanh(t / 2));
  switch (act) {
    case 'identity': return x;
    case 'relu': return Math.max(x, 0);
    case 'sigmoid': return sig(x);
    case 'tanh': return (1 - Math.exp(-2 * x)) / (1 + Math.exp(-2 * x));
    case 'swish': return x * sig(p * x);
    case 'celu': return x > 0 ? x : p * (Math.exp(x / p) - 1);
  }
}

function forward(k: Kernels, dtype: DType, act: ActName, p: number, xs: number[]): number[] {
  const F = ctorOf(dtype);
  const y = new F(xs.length);
  k.biasAct(1, xs.length, new F(xs), null, ACT_CODE[act], p, y, null);
  return [...y];
}

// gradIn and the param gradient with gradOut = 1, one call per point
function backward(k: Kernels, dtype: DType, act: ActName, p: number, xs: number[]): { dx: number[]; dp: number[] } {
  const F = ctorOf(dtype);
  const dx: number[] = [];
  const dp: number[] = [];
  for (const x of xs) {
    const g = new F(1);
    dp.push(k.actBackward(1, 1, new F([x]), new F([1]), ACT_CODE[act], p, g, null));
    dx.push(g[0]);
  }
  return { dx, dp };
}

// points away from the kinks of relu and celu at 0 (more than h from them)
const GRID = [-30, -12.5, -6, -3.3, -2, -1.1, -0.7, -0.3, -0.05, 0.05, 0.2, 0.6, 1.3, 2.2, 3.7, 5, 9.5, 14, 31];

describe.each(backends)('activations on $name', ({ kernels: k }) => {
  describe.each(DTYPES)('%s', (dtype) => {
    const tol = dtype === 'float64' ? 1e-12 : 16 * 2 ** -24;

    it.each(ACTS)('%s matches an independent formula for every param', (act) => {
      const xs = [...GRID, -8, -4, -1, 0, 1, 4, 8];
      for (const p of paramsOf(act)) {
        const want = xs.map((x) => oracle(act, dtype === 'float32' ? Math.fround(x) : x, p));
        // oracle rounding near 0 (1 - e^-2x, 1 + tanh) is absolute, hence the max(1, |y|) scale
        assertClose(`${act}(${p}) ${dtype}`, forward(k, dtype, act, p, xs), want, dtype === 'float64' ? 1e-13 * 64 : tol);
      }
    });

    it.each(ACTS)('%s at +-100 and +-800: finite, with the right limits, gradients finite', (act) => {
      const xs = [800, -800, 100, -100];
      for (const p of paramsOf(act)) {
        const y = forward(k, dtype, act, p, xs);
        const { dx, dp } = backward(k, dtype, act, p, xs);
        const label = `${act}(${p}) ${dtype} at ${xs.join(', ')}`;
        expect(allFinite(y), `${label}: values ${y}`).toBe(true);
        expect(allFinite(dx), `${label}: d/dx ${dx}`).toBe(true);
        expect(allFinite(dp), `${label}: d/dparam ${dp}`).toBe(true);
        const lim = {
          identity: { y: [800, -800, 100, -100], dx: [1, 1, 1, 1], dp: [0, 0, 0, 0] },
          relu: { y: [800, 0, 100, 0], dx: [1, 0, 1, 0], dp: [0, 0, 0, 0] },
          sigmoid: { y: [1, 0, 1, 0], dx: [0, 0, 0, 0], dp: [0, 0, 0, 0] },
          tanh: { y: [1, -1, 1, -1], dx: [0, 0, 0, 0], dp: [0, 0, 0, 0] },
          swish: { y: [800, 0, 100, 0], dx: [1, 0, 1, 0], dp: [0, 0, 0, 0] },
          celu: { y: [800, -p, 100, -p], dx: [1, 0, 1, 0], dp: [0, -1, 0, -1] },
        }[act];
        // the true values differ from the limits by at most e^-33 (celu at -100, alpha 3), and by
        // 34 e^-33 for d/dalpha at -100 with alpha 3
        const near = 1e-14;
        assertClose(`${label} values`, y, lim.y, act === 'celu' && dtype === 'float32' ? 2 ** -23 : near);
        assertClose(`${label} d/dx`, dx, lim.dx, near);
        assertClose(`${label} d/dparam`, dp, lim.dp, act === 'celu' ? 1e-12 : near);
        if (act === 'sigmoid') expect(y[1], label).toBe(0);
      }
    });

    it.each(ACTS)('%s in float64 at +-100: relative accuracy where the value is tiny', (act) => {
      if (dtype === 'float32') return;
      for (const p of paramsOf(act)) {
        // 1 / (1 + e^-t) keeps its relative accuracy for t << 0, where 0.5 (1 + tanh) cancels
        const tiny = (x: number): number =>
          act === 'sigmoid' ? 1 / (1 + Math.exp(-x)) : act === 'swish' ? x / (1 + Math.exp(-p * x)) : oracle(act, x, p);
        const want = [100, -100].map(tiny);
        const got = forward(k, dtype, act, p, [100, -100]);
        // tiny values (sigmoid(-100) ~ 3.7e-44) compared relative to themselves, not to 1
        assertClose(`${act}(${p}) at +-100`, got, want, 1e-12, (i) => Math.max(Math.abs(want[i]), 1e-300));
      }
    });
  });

  it.each(ACTS)('%s: d/dx and d/dparam agree with central differences (float64)', (act) => {
    const h = 1e-6;
    for (const p of paramsOf(act)) {
      const xs = GRID;
      const { dx, dp } = backward(k, 'float64', act, p, xs);
      const up = forward(k, 'float64', act, p, xs.map((x) => x + h));
      const down = forward(k, 'float64', act, p, xs.map((x) => x - h));
      const numDx = xs.map((_, i) => (up[i] - down[i]) / (2 * h));
      // truncation h^2 f''' / 6 and rounding u |f| / h: ~1e-9 at |x| <= 31
      assertClose(`${act}(${p}) d/dx`, dx, numDx, 1e-7, (i) => Math.max(1, Math.abs(numDx[i])));
      const pu = forward(k, 'float64', act, p + h, xs);
      const pd = forward(k, 'float64', act, p - h, xs);
      const numDp = xs.map((_, i) => (pu[i] - pd[i]) / (2 * h));
      assertClose(`${act}(${p}) d/dparam`, dp, numDp, 1e-7, (i) => Math.max(1, Math.abs(numDp[i])));
    }
  });

  it('actBackward: gradIn = gradOut * f\'(z), gradBias accumulates column sums, param gradient is the weighted sum', () => {
    const F = Float64Array;
    const B = 3;
    const N = 4;
    const z = new F([-2, -0.5, 0.5, 2, -1, 0.25, 1.5, -3, 0.75, -0.25, 3, -1.5]);
    const g = new F([1, -2, 0.5, 3, -1, 2, 0.25, -0.5, 1.5, -3, 1, 2]);
    for (const act of ['swish', 'celu'] as const) {
      const p = 1.7;
      const { dx, dp } = backward(k, 'float64', act, p, [...z]);
      const gi = new F(B * N);
      const gb = new F([10, 20, 30, 40]);
      const dParam = k.actBackward(B, N, z, g, ACT_CODE[act], p, gi, gb);
      assertClose(`${act} gradIn`, gi, dx.map((d, i) => d * g[i]), 1e-14);
      const cols = [0, 1, 2, 3].map((j) => [10, 20, 30, 40][j] + gi[j] + gi[N + j] + gi[2 * N + j]);
      assertClose(`${act} gradBias`, gb, cols, 1e-14);
      assertClose(`${act} d/dparam`, [dParam], [dp.reduce((s, d, i) => s + d * g[i], 0)], 1e-14);
    }
  });
});
