// FFNN: parameters and names, stored vs accumulated gradients, intermediate gradients, x recomputed
// when backward sees another input, init, seeds; CELoss against CategoricalCELoss
import { describe, expect, test } from 'vitest';
import { CELoss, CategoricalCELoss, CrossEntropyLoss, FFNN, Swish } from '../../src/nn/index.js';
import { SGD } from '../../src/optim/index.js';
import { Tensor } from '../../src/tensor.js';
import { DEVICES, DTYPES, maxRelDiff } from './common.js';

const TOL = { float64: 1e-12, float32: 2e-5 };

describe.each(DEVICES)('FFNN on %s', (device) => {
  describe.each(DTYPES)('%s', (dtype) => {
    const o = { device, dtype };
    const tol = TOL[dtype];

    test('parameters in order W1, b1, ..., U, c, then learnable beta/alpha, with their shapes', () => {
      const net = new FFNN(7, [5, 4, 3], ['relu', new Swish({ ...o, learnable: true }), 'celu'], 2, { ...o, seed: 1, learnable: true, alpha: 0.5 });
      expect(net.namedParameters().map(([n, p]) => [n, p.name, [...p.shape]])).toEqual([
        ['W1', 'W1', [7, 5]], ['b1', 'b1', [5]], ['W2', 'W2', [5, 4]], ['b2', 'b2', [4]], ['W3', 'W3', [4, 3]], ['b3', 'b3', [3]],
        ['U', 'U', [3, 2]], ['c', 'c', [2]], ['beta2', 'beta2', [1]], ['alpha3', 'alpha3', [1]],
      ]);
      expect(net.parameters().every((p) => p.dtype === dtype)).toBe(true);
      expect(net.activations[2].param?.data[0]).toBe(0.5);
    });

    test('forward gives probabilities; backward stores (twice gives the same) and matches the Module form', () => {
      const net = new FFNN(6, [5, 4], ['tanh', 'swish'], 3, { ...o, seed: 2, learnable: true, beta: 1.2 });
      const x = Tensor.randn([8, 6], { dtype, seed: 3 });
      const labels = [0, 1, 2, 2, 1, 0, 0, 1];
      const yHat = net.forward(x);
      for (let i = 0; i < 8; i++) {
        const row = yHat.data.subarray(i * 3, i * 3 + 3);
        expect(row.every((p) => p > 0 && p < 1)).toBe(true);
        expect(Math.abs(row[0] + row[1] + row[2] - 1)).toBeLessThan(1e-6);
      }
      net.backward(x, labels, yHat);
      const first = net.parameters().map((p) => Float64Array.from((p.grad as Tensor).data));
      net.backward(x, labels, yHat);
      net.parameters().forEach((p, i) => expect(Array.from((p.grad as Tensor).data)).toEqual(Array.from(first[i])));
      // the Module form with gradOut = d CELoss / d yHat = -y / (B yHat) adds the same gradient
      const gradOut = Tensor.zeros([8, 3], { dtype });
      labels.forEach((k, i) => (gradOut.data[i * 3 + k] = -1 / (8 * yHat.data[i * 3 + k])));
      net.zeroGrad();
      net.forward(x);
      const dx = net.backward(gradOut);
      expect(dx.shape).toEqual([8, 6]);
      net.parameters().forEach((p, i) => expect(maxRelDiff((p.grad as Tensor).data, first[i], 1e-3)).toBeLessThan(tol * 10));
      net.backward(gradOut);
      net.parameters().forEach((p, i) => expect(maxRelDiff((p.grad as Tensor).data, first[i].map((v) => 2 * v), 1e-3)).toBeLessThan(tol * 10));
    });

    test('intermediate gradients: dL/du(L+1) = (yHat - y) / B, dL/dh(l) and dL/du(l) with their shapes', () => {
      const net = new FFNN(4, [6, 3], ['relu', 'sigmoid'], 5, { ...o, seed: 4 });
      const x = Tensor.randn([3, 4], { dtype, seed: 5 });
      const y = Tensor.oneHot([4, 0, 2], 5, { dtype });
      const yHat = net.forward(x);
      expect(() => net.gradients()).toThrow(/before backward/);
      net.backward(x, y, yHat);
      const g = net.gradients();
      expect(maxRelDiff(g.dL_duOut.data, Array.from(yHat.data, (p, i) => (p - y.data[i]) / 3), 1e-3)).toBeLessThan(tol);
      expect(g.dL_dh.map((t) => [...t.shape])).toEqual([[3, 6], [3, 3]]);
      expect(g.dL_du.map((t) => [...t.shape])).toEqual([[3, 6], [3, 3]]);
      // dL/dc = column sums of dL/du(L+1); dL/du(2) = dL/dh(2) * s (1 - s)
      const dc = [0, 1, 2, 3, 4].map((j) => [0, 1, 2].reduce((s, i) => s + g.dL_duOut.data[i * 5 + j], 0));
      expect(maxRelDiff((net.c.grad as Tensor).data, dc, 1e-3)).toBeLessThan(tol);
      const h2 = net.layers[1].lastPreActivation as Tensor;
      const sig = (v: number) => 1 / (1 + Math.exp(-v));
      const du2 = Array.from(g.dL_dh[1].data, (v, i) => v * sig(h2.data[i]) * (1 - sig(h2.data[i])));
      expect(maxRelDiff(g.dL_du[1].data, du2, 1e-3)).toBeLessThan(tol * 10);
    });

    test('backward with another x than the last forward recomputes the hidden layers', () => {
      const net = new FFNN(3, [4], ['celu'], 2, { ...o, seed: 6 });
      const x1 = Tensor.randn([5, 3], { dtype, seed: 7 });
      const x2 = Tensor.randn([5, 3], { dtype, seed: 8 });
      const y = [0, 1, 1, 0, 1];
      const p1 = net.forward(x1).clone();
      net.backward(x1, y, p1);
      const want = net.parameters().map((p) => Float64Array.from((p.grad as Tensor).data));
      net.forward(x2);
      net.backward(x1, y, p1);
      net.parameters().forEach((p, i) => expect(Array.from((p.grad as Tensor).data)).toEqual(Array.from(want[i])));
    });

    test('the assignment loop: forward, CELoss, backward, step lowers the loss on a fixed batch', () => {
      const net = new FFNN(10, [16, 8], ['relu', 'sig'], 4, { ...o, seed: 9 });
      const opt = new SGD(net.parameters(), 0.5);
      const x = Tensor.randn([12, 10], { dtype, seed: 10 });
      const y = Tensor.oneHot([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 4, { dtype });
      const losses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const yPred = net.forward(x);
        losses.push(CELoss(yPred, y, { device }));
        net.backward(x, y, yPred);
        opt.step();
      }
      expect(losses[29]).toBeLessThan(losses[0] * 0.8);
    });

    test('CategoricalCELoss equals CELoss on the one-hot form; CrossEntropyLoss on logits agrees', () => {
      const q = new FFNN(5, [], [], 4, { ...o, seed: 11 }).forward(Tensor.randn([6, 5], { dtype, seed: 12 }));
      const labels = [3, 0, 1, 2, 2, 0];
      const oneHot = Tensor.oneHot(labels, 4, { dtype });
      const a = CELoss(q, oneHot, { device });
      const b = CategoricalCELoss(q, labels, { device });
      const c = CategoricalCELoss(q, Int32Array.from(labels), { device });
      const d = CategoricalCELoss(q, Tensor.from(labels, { dtype }), { device });
      expect(b).toBe(a);
      expect(c).toBe(a);
      expect(d).toBe(a);
      const logits = Tensor.from(Array.from(q.data, Math.log), { dtype, shape: [6, 4] });
      const ce = new CrossEntropyLoss({ device });
      expect(maxRelDiff([ce.forward(logits, labels)], [a], 1)).toBeLessThan(tol);
      expect(maxRelDiff([ce.forward(logits, oneHot)], [a], 1)).toBeLessThan(tol);
      // stable clamps at epsilon: a zero probability gives -log(epsilon), unstable gives Infinity
      const z = Tensor.from([[0, 1]], { dtype });
      const t = Tensor.from([[1, 0]], { dtype });
      expect(CELoss(z, t, { device })).toBeCloseTo(-Math.log(dtype === 'float32' ? Math.fround(1e-8) : 1e-8), 3);
      expect(CELoss(z, t, { device, epsilon: 1e-3 })).toBeCloseTo(-Math.log(1e-3), 3);
      expect(CELoss(z, t, { device, stable: false })).toBe(Infinity);
      expect(CategoricalCELoss(z, [0], { device })).toBe(CELoss(z, t, { device }));
      // class indices make CELoss the categorical form: the problem's loop on a DataLoader's labels
      expect(CELoss(q, labels, { device })).toBe(a);
      expect(CELoss(q, Int32Array.from(labels), { device })).toBe(a);
      expect(CELoss(q, Tensor.from(labels, { dtype }), { device })).toBe(a);
      // the problem's positional form, CELoss(Q, P, estable, epsilon)
      expect(CELoss(z, t, false)).toBe(Infinity);
      expect(CELoss(z, t, true, 1e-3)).toBe(CELoss(z, t, { epsilon: 1e-3 }));
      expect(CELoss(z, t, undefined, 1e-3)).toBe(CELoss(z, t, { epsilon: 1e-3 }));
      expect(CategoricalCELoss(z, [0], true, 1e-3)).toBe(CELoss(z, t, { epsilon: 1e-3 }));
      expect(CELoss(z, [0], false)).toBe(Infinity);
    });
  });
});

describe('FFNN construction', () => {
  test("init 'auto': kaiming for relu-like layers, xavier for sigmoid/tanh and U", () => {
    const net = new FFNN(500, [400, 300], ['relu', 'tanh'], 10, { device: 'js', seed: 1 });
    const std = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0) / a.length);
    expect(Math.abs(std(net.W[0].data) / Math.sqrt(2 / 500) - 1)).toBeLessThan(0.02);
    expect(Math.abs(std(net.W[1].data) / Math.sqrt(2 / 700) - 1)).toBeLessThan(0.02);
    expect(Math.abs(std(net.U.data) / Math.sqrt(2 / 310) - 1)).toBeLessThan(0.05);
    expect(net.b[0].data.every((v) => v === 0)).toBe(true);
    const torchInit = new FFNN(500, [40], ['relu'], 10, { device: 'js', seed: 1, init: 'torch' });
    expect(Math.max(...torchInit.W[0].data)).toBeLessThanOrEqual(1 / Math.sqrt(500));
  });
  test('same seed, same network; one activation for every layer; no hidden layer', () => {
    const a = new FFNN(4, [3, 3], 'sig', 2, { device: 'js', seed: 5 });
    const b = new FFNN(4, [3, 3], 'sig', 2, { device: 'js', seed: 5 });
    a.parameters().forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(b.parameters()[i].data)));
    expect(a.activations.map((x) => x.kind)).toEqual(['sigmoid', 'sigmoid']);
    const lin = new FFNN(4, [], [], 3, { device: 'js', seed: 1 });
    expect(lin.namedParameters().map(([n]) => n)).toEqual(['U', 'c']);
  });
  test('bad construction arguments', () => {
    expect(() => new FFNN(0, [3], ['relu'], 2)).toThrow(RangeError);
    expect(() => new FFNN(3, 3 as never, ['relu'], 2)).toThrow(TypeError);
    expect(() => new FFNN(3, [3, 2], ['relu'], 2)).toThrow(/activations: expected 2 activations/);
    expect(() => new FFNN(3, [3], ['gelu' as never], 2)).toThrow(RangeError);
    expect(() => new FFNN(3, [3], ['relu'], 2, { device: 'gpu' as never })).toThrow(/device/);
    expect(() => new FFNN(3, [3], ['relu'], 2, { dtype: 'float16' as never })).toThrow(/dtype/);
    expect(() => new FFNN(3, [3], ['relu'], 2, { init: 'he' as never })).toThrow(/init/);
    expect(() => new FFNN(3, [3], ['celu'], 2, { alpha: 0 })).toThrow(/alpha/);
    expect(() => new FFNN(3, [3], [new Swish({ learnable: true, device: 'js' })], 2, { device: 'js', dtype: 'float64' })).toThrow(TypeError);
  });
});
