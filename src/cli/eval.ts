// `ffnn eval MODEL`: loss, accuracy and confusion matrix of a saved model on MNIST
import { loadMNIST } from '../data/mnist.js';
import { FFNN } from '../nn/ffnn.js';
import { loadModel } from '../train/checkpoint.js';
import type { Device } from '../kernels/index.js';
import { evaluate } from '../train/evaluate.js';

export interface EvalCommandOptions {
  split: 'train' | 'test';
  dataDir?: string;
  device?: Device;
  json: boolean;
}

export function runEval(model: string, o: EvalCommandOptions): void {
  const { net, standardizer } = loadModel(model, o.device === undefined ? {} : { device: o.device });
  const raw = loadMNIST({ split: o.split, dir: o.dataDir, dtype: net.dtype });
  if (!(net instanceof FFNN) || net.F !== raw.x.shape[1] || net.C !== 10) {
    throw new RangeError(`model: expected an MNIST model (784 features, 10 classes), received ${net.toString()}`);
  }
  const data = standardizer ? standardizer.transform(raw) : raw;
  const r = evaluate(net, data);
  if (o.json) {
    process.stdout.write(JSON.stringify({ model, split: o.split, samples: r.samples, loss: r.loss, accuracy: r.accuracy, confusion: r.confusion }) + '\n');
    return;
  }
  const lines = [
    `${model}: ${net.toString()}`,
    `MNIST ${o.split}: ${r.samples} samples  accuracy ${(100 * r.accuracy).toFixed(2)}%  loss ${r.loss.toFixed(4)}`,
    'confusion (rows: true class, columns: predicted)',
    '     ' + r.confusion.map((_, j) => String(j).padStart(5)).join(''),
    ...r.confusion.map((row, i) => String(i).padStart(5) + row.map((v) => String(v).padStart(5)).join('')),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
