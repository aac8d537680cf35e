// evaluate: loss, accuracy and confusion matrix on a hand-made case whose answers are known
import { describe, expect, test } from 'vitest';
import { TensorDataset } from '../../src/data/dataset.js';
import { FFNN } from '../../src/nn/ffnn.js';
import { Linear } from '../../src/nn/linear.js';
import { MSELoss } from '../../src/nn/loss.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Dropout } from '../../src/nn/dropout.js';
import { Tensor } from '../../src/tensor.js';
import { evaluate } from '../../src/train/evaluate.js';
import { DEVICES } from './common.js';

// logits = x U + c with U = [[1, 0, 0], [0, 1, 0]], c = [0, 0, 0.5]
const X = [
  [5, 0], // class 0
  [0, 5], // class 1
  [0, 0], // class 2 (by the bias)
  [-5, -5], // class 2
  [3, 1], // class 0
];
const LABELS = [0, 1, 2, 0, 1];
// predictions 0, 1, 2, 2, 0: three right
const CONFUSION = [
  [1, 0, 1],
  [1, 1, 0],
  [0, 0, 1],
];

function logits(x: number[]): number[] {
  return [x[0], x[1], 0.5];
}

function expectedLoss(): number {
  let s = 0;
  X.forEach((x, i) => {
    const z = logits(x);
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    s += lse - z[LABELS[i]];
  });
  return s / X.length;
}

describe.each(DEVICES)('evaluate on %s', (device) => {
  const data = new TensorDataset(Tensor.from(X, { dtype: 'float64' }), LABELS);

  const ffnn = () => {
    const net = new FFNN(2, [], [], 3, { device, dtype: 'float64', seed: 1 });
    net.U.data.set([1, 0, 0, 0, 1, 0]);
    net.c.data.set([0, 0, 0.5]);
    return net;
  };

  test.each([1, 2, 3, 1000])('an FFNN, batches of %i: accuracy, confusion and the mean CE loss', (batchSize) => {
    const r = evaluate(ffnn(), data, { batchSize });
    expect(r.samples).toBe(5);
    expect(r.accuracy).toBe(3 / 5);
    expect(r.confusion).toEqual(CONFUSION);
    expect(r.loss).toBeCloseTo(expectedLoss(), 10);
  });

  test('one-hot targets give the same numbers as class indices', () => {
    const oneHot = new TensorDataset(Tensor.from(X, { dtype: 'float64' }), Tensor.oneHot(LABELS, 3, { dtype: 'float64' }));
    const r = evaluate(ffnn(), oneHot);
    expect(r.accuracy).toBe(3 / 5);
    expect(r.confusion).toEqual(CONFUSION);
    expect(r.loss).toBeCloseTo(expectedLoss(), 10);
  });

  test('a Sequential on logits with the default CrossEntropyLoss, and with a summed MSELoss', () => {
    const lin = new Linear(2, 3, { device, dtype: 'float64', seed: 1 });
    lin.weight.data.set([1, 0, 0, 0, 1, 0]);
    (lin.bias as Tensor).data.set([0, 0, 0.5]);
    const net = new Sequential(lin);
    const r = evaluate(net, data, { batchSize: 2 });
    expect(r.accuracy).toBe(3 / 5);
    expect(r.confusion).toEqual(CONFUSION);
    expect(r.loss).toBeCloseTo(expectedLoss(), 10);
    const oneHot = new TensorDataset(Tensor.from(X, { dtype: 'float64' }), Tensor.oneHot(LABELS, 3, { dtype: 'float64' }));
    let sse = 0;
    X.forEach((x, i) => logits(x).forEach((z, k) => (sse += (z - (k === LABELS[i] ? 1 : 0)) ** 2)));
    // a summed loss is summed per sample, whatever the batch size
    for (const batchSize of [1, 2, 5]) {
      expect(evaluate(net, oneHot, { batchSize, loss: new MSELoss({ device, reduction: 'sum' }) }).loss).toBeCloseTo(sse / 5, 10);
      expect(evaluate(net, oneHot, { batchSize, loss: new MSELoss({ device }) }).loss).toBeCloseTo(sse / 15, 10);
    }
  });

  test('runs in eval mode (no dropout) and restores the training mode', () => {
    const lin = new Linear(2, 3, { device, dtype: 'float64', seed: 1 });
    lin.weight.data.set([1, 0, 0, 0, 1, 0]);
    (lin.bias as Tensor).data.set([0, 0, 0.5]);
    const net = new Sequential(new Dropout(0.9, { seed: 3 }), lin);
    net.train();
    const r = evaluate(net, data);
    expect(r.accuracy).toBe(3 / 5);
    expect(net.training).toBe(true);
    net.eval();
    evaluate(net, data);
    expect(net.training).toBe(false);
    // a child the caller set apart (the dropout off while the rest trains) keeps its own mode
    net.train();
    net.modules[0].eval();
    evaluate(net, data);
    expect([net.training, net.modules[0].training, net.modules[1].training]).toEqual([true, false, true]);
  });
});

describe('evaluate arguments', () => {
  const net = new FFNN(2, [], [], 3, { device: 'js', seed: 1 });
  const data = new TensorDataset(Tensor.from(X), LABELS);
  test.each([
    ['net', () => evaluate(null as never, data), TypeError, /^net: expected an FFNN or another Module/],
    ['dataset', () => evaluate(net, 3 as never), TypeError, /^dataset: expected a Dataset/],
    ['empty', () => evaluate(net, new TensorDataset(Tensor.zeros([0, 2]), [])), RangeError, /^dataset: expected a dataset with at least one sample/],
    ['batchSize', () => evaluate(net, data, { batchSize: 0 }), RangeError, /^options\.batchSize: expected an integer >= 1/],
    ['unknown option', () => evaluate(net, data, { batch: 2 } as never), TypeError, /^options\.batch: expected no such option/],
  ])('%s', (_n, f, Err, msg) => {
    expect(f).toThrow(Err);
    expect(f).toThrow(msg);
  });
});
