// gradcheck: central differences in float64 agree with backward for every activation, mixes of
// them and learnable beta/alpha (the figure per case is printed); a wrong derivative is caught.
import { afterAll, describe, expect, test } from 'vitest';
import {
  CELU, CrossEntropyLoss, Dropout, FFNN, Linear, MSELoss, Module, Sequential, Swish, type ActivationSpec,
} from '../../src/nn/index.js';
import { gradcheck } from '../../src/train/gradcheck.js';
import { Tensor, type Parameter } from '../../src/tensor.js';
import type { Device } from '../../src/kernels/index.js';
import { DEVICES } from './common.js';

const figures: string[] = [];
afterAll(() => console.log(['gradcheck relative error ||g - a||^2 / (||g||^2 + ||a||^2), epsilon 1e-6, float64:', ...figures].join('\n')));

const LIMIT = 1e-7;

type Case = [string, (device: Device) => ActivationSpec[], { learnable?: boolean; beta?: number; alpha?: number }];
const CASES: Case[] = [
  ['relu', () => ['relu', 'relu'], {}],
  ['sigmoid', () => ['sigmoid', 'sig'], {}],
  ['tanh', () => ['tanh', 'tanh'], {}],
  ['swish beta 1', () => ['swish', 'swish'], {}],
  ['swish beta 1.7', () => ['swish', 'swish'], { beta: 1.7 }],
  ['celu alpha 1', () => ['celu', 'celu'], {}],
  ['celu alpha 0.4', () => ['celu', 'celu'], { alpha: 0.4 }],
  ['swish learnable beta', () => ['swish', 'swish'], { learnable: true, beta: 0.8 }],
  ['celu learnable alpha', () => ['celu', 'celu'], { learnable: true, alpha: 1.3 }],
  ['mix relu, sig', () => ['relu', 'sig'], {}],
  ['mix tanh, swish, celu', () => ['tanh', 'swish', 'celu'], { beta: 1.2, alpha: 0.7 }],
  ['mix all five, learnable', (device) => [
    'relu', new Swish({ beta: 0.6, learnable: true, device, dtype: 'float64' }), 'sigmoid',
    new CELU({ alpha: 0.9, learnable: true, device, dtype: 'float64' }), 'tanh',
  ], {}],
];

describe.each(DEVICES)('gradcheck on %s', (device) => {
  test.each(CASES)('%s', (name, specs, opts) => {
    const acts = specs(device);
    const hidden = acts.map((_, i) => [5, 4, 6, 3, 5][i]);
    const net = new FFNN(6, hidden, acts, 3, { device, dtype: 'float64', seed: 11, ...opts });
    const x = Tensor.randn([7, 6], { dtype: 'float64', seed: 12 });
    const labels = [0, 2, 1, 1, 0, 2, 2];
    const r = gradcheck(net, x, labels);
    figures.push(`  ${device.padEnd(7)} ${name.padEnd(28)} ${r.relativeError.toExponential(2)} (${r.checked} coordinates, worst ${r.worst.parameter}[${r.worst.index}])`);
    expect(r.checked).toBe(r.total);
    expect(r.relativeError).toBeLessThan(LIMIT);
    const learnable = net.parameters().filter((p) => p.name.startsWith('beta') || p.name.startsWith('alpha'));
    for (const p of learnable) {
      const pr = r.parameters.find((q) => q.name === p.name);
      expect(pr?.relativeError).toBeLessThan(LIMIT);
    }
    // one-hot targets give the same check
    const oneHot = Tensor.oneHot(labels, 3, { dtype: 'float64' });
    expect(gradcheck(net, x, oneHot).relativeError).toBeLessThan(LIMIT);
  });

  test('FFNN.backward is the gradient of CELoss for target rows that do not sum to 1', () => {
    const net = new FFNN(6, [5], ['tanh'], 3, { device, dtype: 'float64', seed: 11 });
    const x = Tensor.randn([4, 6], { dtype: 'float64', seed: 12 });
    // half a sample's mass, a multi-hot row, a label-smoothed row, an all-zero row
    const y = new Tensor(new Float64Array([0.5, 0, 0, 1, 1, 0, 0.05, 0.9, 0.05, 0, 0, 0]), [4, 3]);
    const r = gradcheck(net, x, y);
    figures.push(`  ${device.padEnd(7)} ${'FFNN, rows summing to 0.5-2'.padEnd(28)} ${r.relativeError.toExponential(2)}`);
    // (yHat - y) / B was off by 0.33 of the gradient's norm here
    expect(r.relativeError).toBeLessThan(LIMIT);
  });

  test('a loss that changes between evaluations (Dropout in training mode) is a RangeError, not noise measured', () => {
    const o = { device, dtype: 'float64' as const };
    const net = new Sequential(new Linear(4, 6, { ...o, seed: 1 }), 'tanh', new Dropout(0.5, { ...o, seed: 2 }), new Linear(6, 3, { ...o, seed: 3 }));
    const x = Tensor.randn([5, 4], { dtype: 'float64', seed: 4 });
    const loss = new CrossEntropyLoss({ device });
    expect(() => gradcheck(net, x, [0, 1, 2, 1, 0], { loss })).toThrow(/^net: expected a deterministic loss .*call net\.eval\(\) first/);
    expect(gradcheck(net.eval(), x, [0, 1, 2, 1, 0], { loss }).relativeError).toBeLessThan(LIMIT);
  });

  test('Module protocol: Sequential with CrossEntropyLoss and with MSELoss', () => {
    const o = { device, dtype: 'float64' as const };
    const net = new Sequential(
      new Linear(4, 6, { ...o, seed: 1 }), new Swish({ ...o, beta: 1.1, learnable: true }),
      new Linear(6, 5, { ...o, seed: 2 }), 'tanh', new Linear(5, 3, { ...o, seed: 3 }),
    );
    const x = Tensor.randn([5, 4], { dtype: 'float64', seed: 4 });
    const ce = gradcheck(net, x, [0, 1, 2, 1, 0], { loss: new CrossEntropyLoss({ device, labelSmoothing: 0.1, weight: [1, 2, 0.5] }) });
    figures.push(`  ${device.padEnd(7)} ${'Sequential + CrossEntropy'.padEnd(28)} ${ce.relativeError.toExponential(2)}`);
    expect(ce.relativeError).toBeLessThan(LIMIT);
    const mse = gradcheck(net, x, Tensor.randn([5, 3], { dtype: 'float64', seed: 5 }), { loss: new MSELoss({ device, reduction: 'sum' }) });
    figures.push(`  ${device.padEnd(7)} ${'Sequential + MSE sum'.padEnd(28)} ${mse.relativeError.toExponential(2)}`);
    expect(mse.relativeError).toBeLessThan(LIMIT);
  });

  test('catches a perturbed backward (a wrapper around FFNN)', () => {
    const net = new FFNN(4, [5], ['tanh'], 3, { device, dtype: 'float64', seed: 3 });
    const wrapped = {
      forward: (x: Tensor) => net.forward(x),
      backward: (x: Tensor, y: number[], yPred: Tensor) => {
        net.backward(x, y, yPred);
        // a wrong derivative for one weight: 10% off
        (net.W[0].grad as Tensor).data[7] *= 1.1;
      },
      parameters: () => net.parameters(),
      namedParameters: () => net.namedParameters(),
    };
    const x = Tensor.randn([6, 4], { dtype: 'float64', seed: 4 });
    const y = [0, 1, 2, 0, 1, 2];
    expect(gradcheck(net, x, y).relativeError).toBeLessThan(LIMIT);
    const r = gradcheck(wrapped, x, y);
    expect(r.relativeError).toBeGreaterThan(1e-5);
    expect(r.worst.parameter).toBe('W1');
    expect(r.worst.index).toBe(7);
  });

  test('catches a user module with a wrong activation derivative', () => {
    // tanh whose backward forgets to square: 1 - y instead of 1 - y^2
    class WrongTanh extends Module {
      protected y: Tensor | null = null;
      forward(x: Tensor): Tensor {
        this.y = new Tensor(x.data.map(Math.tanh), x.shape);
        return this.y;
      }
      backward(g: Tensor): Tensor {
        const y = this.y as Tensor;
        return new Tensor(g.data.map((v, i) => v * (1 - y.data[i])), g.shape);
      }
    }
    class RightTanh extends WrongTanh {
      override backward(g: Tensor): Tensor {
        const y = this.y as Tensor;
        return new Tensor(g.data.map((v, i) => v * (1 - y.data[i] ** 2)), g.shape);
      }
    }
    const o = { device, dtype: 'float64' as const };
    const x = Tensor.randn([5, 3], { dtype: 'float64', seed: 8 });
    const t = Tensor.randn([5, 2], { dtype: 'float64', seed: 9 });
    const make = (m: Module): Sequential => new Sequential(new Linear(3, 4, { ...o, seed: 1 }), m, new Linear(4, 2, { ...o, seed: 2 }));
    const good = gradcheck(make(new RightTanh(o)), x, t, { loss: new MSELoss({ device }) });
    expect(good.relativeError).toBeLessThan(LIMIT);
    const bad = gradcheck(make(new WrongTanh(o)), x, t, { loss: new MSELoss({ device }) });
    expect(bad.relativeError).toBeGreaterThan(1e-3);
    expect(['0.weight', '0.bias']).toContain(bad.worst.parameter);
  });

  test('samples a large network: every parameter keeps its share, seeded', () => {
    const net = new FFNN(60, [40], ['relu'], 10, { device, dtype: 'float64', seed: 5 });
    const x = Tensor.randn([4, 60], { dtype: 'float64', seed: 6 });
    const y = [1, 3, 5, 7];
    const a = gradcheck(net, x, y, { maxCoordinates: 300, seed: 1 });
    expect(a.total).toBe(60 * 40 + 40 + 400 + 10);
    expect(a.checked).toBeLessThan(400);
    for (const p of a.parameters) expect(p.checked).toBeGreaterThanOrEqual(8);
    expect(a.relativeError).toBeLessThan(LIMIT);
    const b = gradcheck(net, x, y, { maxCoordinates: 300, seed: 1 });
    expect(b.relativeError).toBe(a.relativeError);
  });

  test('leaves the parameters as they were', () => {
    const net = new FFNN(3, [4], ['celu'], 2, { device, dtype: 'float64', seed: 2 });
    const before = net.parameters().map((p: Parameter) => Float64Array.from(p.data));
    gradcheck(net, Tensor.randn([3, 3], { dtype: 'float64', seed: 1 }), [0, 1, 1]);
    net.parameters().forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(before[i])));
  });
});

describe('gradcheck arguments', () => {
  const x = Tensor.randn([2, 3], { dtype: 'float64', seed: 1 });
  test('a float32 network is a TypeError naming the parameter', () => {
    const net = new FFNN(3, [2], ['relu'], 2, { device: 'js', seed: 1 });
    expect(() => gradcheck(net, x.to('float32'), [0, 1])).toThrow(/float64 parameters.*float32 'W1'/);
  });
  // a Sequential without options.loss failed deep inside ("gradOut: expected a tensor of shape ..."),
  // and a network without parameters passed with checked: 0 (red-team pass)
  test('a Sequential without options.loss, a network without parameters', () => {
    const seq = new Sequential(new Linear(3, 5, { device: 'js', dtype: 'float64', seed: 1 }));
    expect(() => gradcheck(seq, x, [0, 1])).toThrow(/^options\.loss: expected a loss module for a Sequential/);
    expect(() => gradcheck(seq, x, [0, 1], { loss: new CrossEntropyLoss({ device: 'js' }) })).not.toThrow();
    const empty = { forward: (t: Tensor) => t, backward: () => undefined, parameters: () => [] };
    expect(() => gradcheck(empty, x, [0, 1])).toThrow('net: expected a network with parameters to check, received "none"');
  });
  test('not a net, bad epsilon, bad loss', () => {
    const net = new FFNN(3, [2], ['relu'], 2, { device: 'js', dtype: 'float64', seed: 1 });
    expect(() => gradcheck({} as never, x, [0, 1])).toThrow(TypeError);
    expect(() => gradcheck(net, x, [0, 1], { epsilon: 0 })).toThrow(RangeError);
    expect(() => gradcheck(net, x, [0, 1], { loss: {} as never })).toThrow(TypeError);
    expect(() => gradcheck(net, x, [0, 5])).toThrow(/y\[1\]/);
    expect(() => gradcheck(net, x, [0, 1], { eps: 1e-4 } as never)).toThrow(/^options\.eps: expected no such option/);
  });
  test('a step so large the loss is no longer finite is a RangeError on epsilon, the parameters put back', () => {
    const net = new FFNN(3, [4], ['tanh'], 2, { device: 'js', dtype: 'float64', seed: 1 });
    const before = net.parameters().map((p) => Array.from(p.data));
    expect(() => gradcheck(net, x, [0, 1], { epsilon: 1e300 })).toThrow(/^options\.epsilon: expected a step that keeps the loss finite/);
    // a loss module that refuses the perturbed output: the same error, the coordinate restored
    const seq = new Sequential(new Linear(3, 2, { device: 'js', dtype: 'float64', seed: 2 }));
    const seqBefore = seq.parameters().map((p) => Array.from(p.data));
    expect(() => gradcheck(seq, x, [0, 1], { epsilon: 1e308, loss: new CrossEntropyLoss({ device: 'js' }) })).toThrow(/options\.epsilon/);
    net.parameters().forEach((p, i) => expect(Array.from(p.data)).toEqual(before[i]));
    seq.parameters().forEach((p, i) => expect(Array.from(p.data)).toEqual(seqBefore[i]));
  });
});
