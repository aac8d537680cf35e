// bad input is a TypeError or RangeError naming what is wrong, never a crash or a silent NaN
import { describe, expect, test } from 'vitest';
import {
  CELoss, CategoricalCELoss, CrossEntropyLoss, FFNN, Linear, MSELoss, ReLU, Sequential, Softmax, Swish,
} from '../../src/nn/index.js';
import { Tensor } from '../../src/tensor.js';
import { DEVICES } from './common.js';

describe.each(DEVICES)('bad input on %s', (device) => {
  const net = new FFNN(4, [3], ['relu'], 3, { device, dtype: 'float64', seed: 1 });
  const x = Tensor.randn([2, 4], { dtype: 'float64', seed: 2 });

  test('x: wrong width, rank, type, dtype, empty batch, NaN or Inf', () => {
    expect(() => net.forward(Tensor.zeros([2, 5], { dtype: 'float64' }))).toThrow(/x: expected a tensor of shape \[B, 4\].*received a Tensor of shape \[2, 5\]/);
    expect(() => net.forward(Tensor.zeros([4], { dtype: 'float64' }))).toThrow(RangeError);
    expect(() => net.forward([[1, 2, 3, 4]] as never)).toThrow(TypeError);
    expect(() => net.forward(Tensor.zeros([2, 4]))).toThrow(/x: expected a float64 tensor.*received a float32 tensor/);
    expect(() => net.forward(Tensor.zeros([2, 4]))).toThrow(TypeError);
    expect(() => net.forward(Tensor.zeros([0, 4], { dtype: 'float64' }))).toThrow(RangeError);
    const bad = x.clone();
    bad.data[5] = NaN;
    expect(() => net.forward(bad)).toThrow(/x: expected finite values, received NaN at \[1, 1\]/);
    bad.data[5] = -Infinity;
    expect(() => net.forward(bad)).toThrow(RangeError);
  });

  test('y and yPred: wrong shape, indices out of range or not integers, NaN, dtype, argument count', () => {
    const yp = net.forward(x);
    expect(() => net.backward(x, Tensor.zeros([2, 4], { dtype: 'float64' }), yp)).toThrow(/y: expected a tensor of shape \[2, 3\]/);
    expect(() => net.backward(x, [0], yp)).toThrow(/y: expected 2 class indices/);
    expect(() => net.backward(x, [0, 3], yp)).toThrow(/y\[1\]: expected an integer class index in \[0, 2\], received 3/);
    expect(() => net.backward(x, [0, -1], yp)).toThrow(RangeError);
    expect(() => net.backward(x, [0, 1.5], yp)).toThrow(/y\[1\].*received 1.5/);
    expect(() => net.backward(x, ['a', 0] as never, yp)).toThrow(TypeError);
    expect(() => net.backward(x, 'abc' as never, yp)).toThrow(TypeError);
    expect(() => net.backward(x, Tensor.from([0.5, 1]), yp)).toThrow(RangeError);
    expect(() => net.backward(x, [0, 1], Tensor.zeros([2, 4], { dtype: 'float64' }))).toThrow(/yPred: expected a tensor of shape \[2, 3\]/);
    expect(() => net.backward(x, [0, 1], Tensor.zeros([3, 3], { dtype: 'float64' }))).toThrow(RangeError);
    expect(() => net.backward(x, [0, 1], Tensor.zeros([2, 3]))).toThrow(/yPred: expected a float64 tensor/);
    const nan = yp.clone();
    nan.data[0] = NaN;
    expect(() => net.backward(x, [0, 1], nan)).toThrow(/yPred: expected finite values/);
    const yNaN = Tensor.zeros([2, 3], { dtype: 'float64' });
    yNaN.data[1] = NaN;
    expect(() => net.backward(x, yNaN, yp)).toThrow(/y: expected finite values/);
    expect(() => (net.backward as (...a: unknown[]) => unknown)(x, [0, 1])).toThrow(/expected \(x, y, yPred\) or \(gradOut\)/);
    // nothing was written: a valid call still gives finite gradients
    net.backward(x, [0, 1], net.forward(x));
    for (const p of net.parameters()) expect((p.grad as Tensor).data.every(Number.isFinite)).toBe(true);
  });

  test('modules: gradOut shape, backward before forward, explicit dtype, learnable alpha gone bad', () => {
    const l = new Linear(3, 2, { device, seed: 1 });
    expect(() => l.backward(Tensor.zeros([1, 2]))).toThrow(/before forward/);
    l.forward(Tensor.zeros([4, 3]));
    expect(() => l.backward(Tensor.zeros([4, 3]))).toThrow(/gradOut: expected a tensor of shape \[4, 2\]/);
    expect(() => l.backward(Tensor.zeros([4, 2], { dtype: 'float64' }))).toThrow(TypeError);
    const g = Tensor.zeros([4, 2]);
    g.data[3] = Infinity;
    expect(() => l.backward(g)).toThrow(/gradOut: expected finite values/);
    // a parameter-free module follows its input's dtype unless given one
    expect(new ReLU({ device }).forward(Tensor.zeros([1, 2], { dtype: 'float64' })).dtype).toBe('float64');
    expect(() => new ReLU({ device, dtype: 'float32' }).forward(Tensor.zeros([1, 2], { dtype: 'float64' }))).toThrow(TypeError);
    expect(() => new Softmax({ device }).backward(Tensor.zeros([1, 2]))).toThrow(/before forward/);
    const s = new Swish({ device, learnable: true });
    (s.param as Tensor).data[0] = NaN;
    expect(() => s.forward(Tensor.zeros([1, 2]))).toThrow(/beta: expected a finite number/);
    const seq = new Sequential(new Linear(3, 2, { device }), 'relu');
    expect(() => seq.forward(Tensor.zeros([1, 4]))).toThrow(/x: expected a tensor of shape \[B, 3\]/);
    expect(() => seq.backward(Tensor.zeros([1, 2]))).toThrow(/before forward/);
    expect(() => new Linear(0, 2)).toThrow(RangeError);
    expect(() => new Linear(2, 2, { init: 'he' as never })).toThrow(RangeError);
    expect(() => new Linear(2, 2, { bias: 1 as never })).toThrow(TypeError);
  });

  test('losses', () => {
    const q = Tensor.from([[0.2, 0.8], [0.6, 0.4]]);
    expect(() => CELoss(q, Tensor.from([[1, 0, 0], [0, 1, 0]]), { device })).toThrow(/P: expected a tensor of shape \[2, 2\]/);
    expect(() => CELoss(q, Tensor.from([[1, 0], [0, 1]], { dtype: 'float64' }), { device })).toThrow(TypeError);
    expect(() => CELoss(q, Tensor.from([[1, 0], [0, 1]]), { device, epsilon: 0 })).toThrow(/epsilon/);
    expect(() => CELoss(q, Tensor.from([[1, 0], [0, 1]]), { device, stable: 'yes' as never })).toThrow(TypeError);
    expect(() => CategoricalCELoss(q, [0, 2], { device })).toThrow(/target\[1\]/);
    expect(() => CategoricalCELoss(q, [0], { device })).toThrow(RangeError);
    expect(() => new CrossEntropyLoss({ device, weight: [1, 2, 3] }).forward(q, [0, 1])).toThrow(/weight/);
    expect(() => new CrossEntropyLoss({ device, weight: [1, -2] })).toThrow(RangeError);
    expect(() => new CrossEntropyLoss({ device, labelSmoothing: 2 })).toThrow(RangeError);
    expect(() => new CrossEntropyLoss({ device }).backward()).toThrow(/before forward/);
    const mse = new MSELoss({ device });
    expect(() => mse.forward(q, Tensor.zeros([2, 3]))).toThrow(/target: expected a tensor of shape \[2, 2\]/);
    expect(() => mse.forward(q, Tensor.zeros([2, 2], { dtype: 'float64' }))).toThrow(TypeError);
    expect(() => new MSELoss({ reduction: 'none' as never })).toThrow(RangeError);
  });
});

describe.each(DEVICES)('MSELoss on %s', (device) => {
  test('sum and mean (the default, as torch) with their gradients', () => {
    const p = Tensor.from([[1, 2], [3, 5]], { dtype: 'float64' });
    const t = Tensor.from([[0, 2], [4, 1]], { dtype: 'float64' });
    const sum = new MSELoss({ device, reduction: 'sum' });
    expect(sum.forward(p, t)).toBe(1 + 0 + 1 + 16);
    expect(Array.from(sum.backward().data)).toEqual([2, 0, -2, 8]);
    expect(sum.backward().shape).toEqual([2, 2]);
    const mean = new MSELoss({ device });
    expect(mean.forward(p, t)).toBe(18 / 4);
    expect(Array.from(mean.backward().data)).toEqual([0.5, 0, -0.5, 2]);
  });
});

// a long input is screened by the native kernels (checkFinite's vectorNorm) and a short one by the
// scan in JavaScript: on every device the same inputs pass or fail with the same message, including
// the float64 values whose squares overflow a sum of squares (finite, so accepted)
describe('the finite check of long inputs agrees with the scan on every device', () => {
  const big = { float32: 3.4e38, float64: 1e300 };
  test.each(['float32', 'float64'] as const)('%s', (dtype) => {
    const messages = (device: (typeof DEVICES)[number]): string[] => {
      const out: string[] = [];
      for (const B of [1, 2, 64]) {
        const net = new Sequential(new Linear(40, 3, { device, dtype, seed: 1 }), new ReLU());
        const run = (x: Tensor): void => {
          try {
            net.forward(x);
            out.push(`B ${B}: ok`);
          } catch (e) {
            out.push(`B ${B}: ${(e as Error).constructor.name} ${(e as Error).message}`);
          }
        };
        const x = Tensor.randn([B, 40], { dtype, seed: B });
        run(x);
        const huge = x.clone();
        huge.data.fill(big[dtype]);
        run(huge);
        for (const bad of [NaN, Infinity, -Infinity]) {
          for (const at of [0, Math.floor((B * 40) / 2), B * 40 - 1]) {
            const y = x.clone();
            y.data[at] = bad;
            if (at > 0) y.data[at - 1] = big[dtype];
            run(y);
          }
        }
      }
      return out;
    };
    const want = messages('js');
    expect(want.filter((m) => m.endsWith(': ok'))).toHaveLength(6);
    expect(want.filter((m) => m.includes('RangeError x: expected finite values'))).toHaveLength(27);
    for (const device of DEVICES) expect(messages(device)).toEqual(want);
  });
});

// a length-tracking array over a resizable buffer grows with it: the tensor's elements are still the
// first `size` ones, and a NaN past them (not the tensor's) is no error; one inside them is, at its
// place (the check scanned the whole array and named a position outside the shape)
test('the finite check reads the tensor\'s own elements of an array that grew with its buffer', () => {
  const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void };
  for (const device of DEVICES) {
    for (const B of [2, 32]) {
      const n = B * 64;
      const buf = new Resizable(n * 4, { maxByteLength: 2 * n * 4 });
      const a = new Float32Array(buf).fill(0.5);
      const x = new Tensor(a, [B, 64]);
      buf.resize(2 * n * 4);
      a.fill(NaN, n);
      expect(a.length).toBe(2 * n);
      const net = new ReLU({ device });
      expect(() => net.forward(x), `${device} B ${B}`).not.toThrow();
      a[n - 1] = NaN;
      expect(() => net.forward(x), `${device} B ${B}`).toThrow(`x: expected finite values, received NaN at [${B - 1}, 63]`);
    }
  }
});
