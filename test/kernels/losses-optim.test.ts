// softmax, losses and optimizer steps on every backend, against hand-computed values and
// independent transcriptions (not the reference), in both dtypes.
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/types.js';
import { backends } from '../helpers/backends.js';
import { DTYPES, allFinite, assertClose, assertScalarClose, ctorOf, distributionArray, rng } from '../helpers/numeric.js';

describe.each(backends)('losses and optimizers on $name', ({ kernels: k }: { kernels: Kernels }) => {
  describe.each(DTYPES)('%s', (dtype) => {
    const F = ctorOf(dtype);
    const tol = dtype === 'float64' ? 1e-13 : 8 * 2 ** -24;

    it('softmax: known values, extremes without NaN, rows summing to 1', () => {
      const y = new F(12);
      k.softmax(4, 3, new F([1, 2, 3, 800, -800, 0, -800, -800, -800, 100, 100, -100]), y);
      const e = [Math.exp(-2), Math.exp(-1), 1];
      const s = e[0] + e[1] + e[2];
      assertClose('softmax', y, [e[0] / s, e[1] / s, e[2] / s, 1, 0, 0, 1 / 3, 1 / 3, 1 / 3, 0.5, 0.5, 0], tol);
      expect(allFinite(y)).toBe(true);
    });

    it('softmaxCrossEntropy: -mean log softmax, grad (p - t) / B, extremes, index form equals one-hot form', () => {
      const B = 3;
      const C = 3;
      const logits = new F([1, 2, 3, 800, -800, 0, 0.5, 0.5, -100]);
      const idx = new Int32Array([0, 1, 2]);
      const probs = new F(9);
      const grad = new F(9);
      const loss = k.softmaxCrossEntropy(B, C, logits, idx, probs, grad);
      const e = [Math.exp(-2), Math.exp(-1), 1];
      const lse0 = Math.log(e[0] + e[1] + e[2]);
      // row 1: -(z_1 - 800 - log(1 + e^-800 + e^-800)) = 1600; row 2: -(-100.5 - log(2 + e^-100.5))
      const want = (-(1 - 3 - lse0) + 1600 + (100.5 + Math.log(2))) / 3;
      assertScalarClose('loss', loss, want, tol);
      const p = [e[0] / Math.exp(lse0), e[1] / Math.exp(lse0), 1 / Math.exp(lse0), 1, 0, 0, 0.5, 0.5, 0];
      assertClose('probs', probs, p, tol);
      const t = [1, 0, 0, 0, 1, 0, 0, 0, 1];
      assertClose('grad', grad, p.map((v, i) => (v - t[i]) / B), tol);
      const oh = new F(t);
      const [probs2, grad2] = [new F(9), new F(9)];
      assertScalarClose('one-hot loss', k.softmaxCrossEntropy(B, C, logits, oh, probs2, grad2), loss, tol);
      assertClose('one-hot grad', grad2, grad, tol);
    });

    it('softmaxCrossEntropy: the gradient is the derivative of the loss (float64 central differences)', () => {
      if (dtype === 'float32') return;
      const r = rng(3);
      const B = 4;
      const C = 5;
      const logits = new Float64Array(B * C).map(() => 3 * r.normal());
      const target = distributionArray('float64', B, C, r);
      const grad = new Float64Array(B * C);
      k.softmaxCrossEntropy(B, C, logits, target, null, grad);
      const h = 1e-6;
      const num = [...logits].map((_, i) => {
        const up = logits.slice();
        const down = logits.slice();
        up[i] += h;
        down[i] -= h;
        return (k.softmaxCrossEntropy(B, C, up, target, null, null) - k.softmaxCrossEntropy(B, C, down, target, null, null)) / (2 * h);
      });
      assertClose('d loss / d logits', grad, num, 1e-8);
    });

    it('ceLoss and categoricalCELoss: known values, the epsilon clamp, one-hot equivalence', () => {
      const q = new F([0.2, 0.8, 0, 1]);
      const p = new F([0, 1, 1, 0]);
      // mean of -log 0.8 and -log max(0, 1e-8)
      const want = (-Math.log(dtype === 'float32' ? Math.fround(0.8) : 0.8) - Math.log(1e-8)) / 2;
      assertScalarClose('ceLoss', k.ceLoss(2, 2, q, p, true, 1e-8), want, tol);
      assertScalarClose('categoricalCELoss', k.categoricalCELoss(2, 2, q, new Int32Array([1, 0]), true, 1e-8), want, tol);
      assertScalarClose('unstable', k.ceLoss(1, 2, q, p, false, 1e-8), -Math.log(q[1]), tol);
      expect(k.ceLoss(1, 2, new F([0, 1]), new F([1, 0]), false, 1e-8)).toBe(Infinity);
      const r = rng(4);
      const qs = distributionArray(dtype, 6, 7, r);
      const idx = new Int32Array([0, 6, 3, 3, 1, 5]);
      const oh = new F(42);
      idx.forEach((c, i) => (oh[i * 7 + c] = 1));
      assertScalarClose('one-hot', k.categoricalCELoss(6, 7, qs, idx, true, 1e-8), k.ceLoss(6, 7, qs, oh, true, 1e-8), tol);
    });

    it('mseLoss: known values, sum and mean, grad', () => {
      const grad = new F(3);
      expect(k.mseLoss(3, new F([1, 2, 3]), new F([0, 0, 1]), 'sum', grad)).toBe(9);
      expect([...grad]).toEqual([2, 4, 4]);
      assertScalarClose('mean', k.mseLoss(3, new F([1, 2, 3]), new F([0, 0, 1]), 'mean', grad), 3, tol);
      assertClose('mean grad', grad, [2 / 3, 4 / 3, 4 / 3], tol);
    });

    it('sgdStep: torch.optim.SGD by hand (plain, weight decay, momentum, dampening, nesterov)', () => {
      // p = 1, grad 0.5 on every step, lr 0.1
      const run = (o: { momentum: number; dampening: number; nesterov: boolean; weightDecay: number }, steps: number): number => {
        const p = new F([1]);
        const buf = new F([123]);
        for (let s = 0; s < steps; s++) k.sgdStep(1, p, new F([0.5]), buf, { ...o, lr: 0.1, firstStep: s === 0 });
        return p[0];
      };
      const plain = { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 };
      assertScalarClose('plain', run(plain, 1), 0.95, tol);
      assertScalarClose('weight decay', run({ ...plain, weightDecay: 0.1 }, 1), 0.94, tol);
      // buf 0.5, 0.95, 1.355
      assertScalarClose('momentum', run({ ...plain, momentum: 0.9 }, 3), 1 - 0.05 - 0.095 - 0.1355, tol);
      // buf 0.5 (no dampening on the first step), then 0.9 * 0.5 + 0.9 * 0.5
      assertScalarClose('dampening', run({ ...plain, momentum: 0.9, dampening: 0.1 }, 2), 1 - 0.05 - 0.09, tol);
      // g + m buf: 0.95, then 0.5 + 0.9 * 0.95
      assertScalarClose('nesterov', run({ ...plain, momentum: 0.9, nesterov: true }, 2), 1 - 0.095 - 0.1355, tol);
    });

    it.runIf(dtype === 'float32')('sgdStep float32: each add_ with an alpha is one fused multiply-add, also where a double rounding lands on a float midpoint', () => {
      // three elements: two through a vector path's lanes, one through a scalar tail
      type O = { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov?: boolean; firstStep?: boolean };
      const step = (p0: number, g0: number, buf0: number | null, o: O): number[] => {
        const p = new F(3).fill(p0);
        const buf = buf0 === null ? null : new F(3).fill(buf0);
        k.sgdStep(3, p, new F(3).fill(g0), buf, { nesterov: false, firstStep: false, ...o });
        return [...p, ...(buf ?? [])];
      };
      const a = 2 ** -12;
      // p wd = 2^-24 + 2^-60: g + p wd rounds once to 1 + 2^-23 (twice: to 1); then p - g cancels to 2^-12 - 2^-23 (2^-12)
      expect(step(1 + a, 1, null, { lr: 1, momentum: 0, dampening: 0, weightDecay: 2 ** -24 * (1 - a + a * a) })).toEqual(Array(3).fill(a - 2 ** -23));
      // lr g = 2^-25 + 2^-61: 1 - lr g rounds once to 1 - 2^-24 (twice: to 1)
      expect(step(1, 1 + a, null, { lr: 2 ** -25 * (1 - a + a * a), momentum: 0, dampening: 0, weightDecay: 0 })).toEqual(Array(3).fill(1 - 2 ** -24));
      // (1 - dampening) g = 2^-24 + 2^-60, plus m buf = 1: the buffer rounds once to 1 + 2^-23 (twice: to 1), p = 1 - it
      const keep = 2 ** -24 * (1 - a + a * a);
      expect(step(1, 1 + a, 1, { lr: 1, momentum: 1, dampening: 1 - keep, weightDecay: 0 })).toEqual([...Array(3).fill(-(2 ** -23)), ...Array(3).fill(1 + 2 ** -23)]);
      // the largest float plus (2^33 - 1) 2^70 is below the midpoint of it and 2^128: C's fmaf keeps the
      // largest float, a double rounding lands on that midpoint and rounds to infinity
      const FMAX = 3.4028234663852886e38;
      expect(step(FMAX, -(599479 * 2 ** 47), null, { lr: 14329 * 2 ** 23, momentum: 0, dampening: 0, weightDecay: 0 })).toEqual(Array(3).fill(FMAX));
      // nesterov on a first step (buf = g): g + m g = 1 + 2^-12 + 2^-24 + 2^-60 rounds once up to 1 + 2^-12 + 2^-23 (twice: down)
      expect(step(2, 1 + a, 0, { lr: 1, momentum: keep, dampening: 0, weightDecay: 0, nesterov: true, firstStep: true }))
        .toEqual([...Array(3).fill(1 - a - 2 ** -23), ...Array(3).fill(1 + a)]);
    });

    it.runIf(dtype === 'float32')('sgdStep float32: a float-subnormal result is the same in every element (native flushes it to zero)', () => {
      // p - lr g = (2^22 + 1) 2^-149 - 2^-150 (1 - 2^-32): a double rounding lands on a subnormal midpoint
      const p = new F(3).fill((2 ** 22 + 1) * 2 ** -149);
      k.sgdStep(3, p, new F(3).fill(-(1 + 2 ** -16) * 2 ** -126), null, {
        lr: (1 - 2 ** -16) * 2 ** -24, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, firstStep: true,
      });
      // one rounding gives 2^22 + 1 units of 2^-149; the flush-to-zero of the native kernels gives 0
      expect(Array.from(p, (v) => v / 2 ** -149)).toEqual(Array(3).fill(p[0] === 0 ? 0 : 2 ** 22 + 1));
    });

    it('adamStep: torch.optim.Adam and AdamW transcribed, three steps', () => {
      const grads = [0.5, -0.25, 2];
      for (const decoupled of [false, true]) {
        const o = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled };
        const p = new F([1]);
        const m = new F(1);
        const v = new F(1);
        // torch.optim.adam._single_tensor_adam, one element, in doubles
        let tp = 1;
        let tm = 0;
        let tv = 0;
        for (let step = 1; step <= 3; step++) {
          let g = grads[step - 1];
          if (decoupled) tp = tp * (1 - o.lr * o.weightDecay);
          else g = g + o.weightDecay * tp;
          tm = tm * o.beta1 + g * (1 - o.beta1);
          tv = tv * o.beta2 + g * g * (1 - o.beta2);
          const stepSize = o.lr / (1 - o.beta1 ** step);
          const denom = Math.sqrt(tv) / Math.sqrt(1 - o.beta2 ** step) + o.eps;
          tp = tp - stepSize * (tm / denom);
          k.adamStep(1, p, new F([grads[step - 1]]), m, v, { ...o, step });
          assertScalarClose(`decoupled=${decoupled} step ${step} param`, p[0], tp, tol * 4);
          assertScalarClose(`decoupled=${decoupled} step ${step} m`, m[0], tm, tol * 4);
          assertScalarClose(`decoupled=${decoupled} step ${step} v`, v[0], tv, tol * 4);
        }
        // the first step moves by about lr in the gradient's sign
        if (!decoupled) expect(Math.abs(p[0] - 1)).toBeGreaterThan(0.05);
      }
    });
  });
});
