// evaluate: mean loss, accuracy and the confusion matrix of a classifier over a dataset, in eval mode
import type { Dataset } from '../data/dataset.js';
import { checkDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { FFNN } from '../nn/ffnn.js';
import { CategoricalCELoss, CELoss, CrossEntropyLoss, type LossModule } from '../nn/loss.js';
import { Module, restoreModes, trainingModes } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Softmax } from '../nn/softmax.js';
import { finalModule } from './predict.js';
import { NonFiniteError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { allFinite, checkInt, checkKeys, checkObject, rangeError, typeError } from '../util/check.js';

export interface Evaluation {
  // mean loss per sample (CELoss of the probabilities for an FFNN, the loss module's otherwise; a
  // module with reduction 'sum' gives the sum per sample, 'mean' its mean per sample)
  loss: number;
  // the fraction of rows whose argmax is the target's; NaN for a network with one output
  accuracy: number;
  // confusion[t][p]: samples of true class t predicted as p
  confusion: number[][];
  samples: number;
  // a non-FFNN network on tensor targets (regression): over every output value
  mae?: number;
  rmse?: number;
  r2?: number;
}

export interface EvaluateOptions {
  batchSize?: number;
  // for a Module that is not an FFNN (default CrossEntropyLoss on logits)
  loss?: LossModule;
}

// CrossEntropyLoss takes logits and applies its own softmax: a Sequential that ends in Softmax
// would have it applied twice (a wrong loss and a wrong gradient, silently), so it is refused
export function checkLogits(who: string, net: Module, lossFn: LossModule | null): void {
  if (!(lossFn instanceof CrossEntropyLoss) || !(net instanceof Sequential)) return;
  // the module whose output the network returns, inside nested Sequentials and past a Dropout
  if (finalModule(net) instanceof Softmax) {
    throw new RangeError(
      `${who}: expected a network that outputs logits for CrossEntropyLoss (it applies softmax itself), received a Sequential ` +
        `whose last module is Softmax; remove the Softmax (or pass options.loss that takes probabilities)`,
    );
  }
}

export function evaluate(net: Module, dataset: Dataset, opts?: EvaluateOptions): Evaluation {
  if (!(net instanceof Module)) throw typeError('net', 'an FFNN or another Module', net);
  checkDataset('dataset', dataset);
  if (dataset.length === 0) throw rangeError('dataset', 'a dataset with at least one sample', 'an empty dataset');
  const o = checkObject('options', opts);
  checkKeys('options', o, ['batchSize', 'loss']);
  const batchSize = o.batchSize === undefined ? 1000 : checkInt('options.batchSize', o.batchSize, 1);
  const isFFNN = net instanceof FFNN;
  const lossFn = isFFNN ? null : ((o.loss as LossModule | undefined) ?? new CrossEntropyLoss({ device: net.device }));
  checkLogits('evaluate', net, lossFn);
  const summed = (lossFn as { reduction?: unknown } | null)?.reduction === 'sum';
  // every module's own mode, put back afterwards (a child the caller set apart keeps its mode)
  const modes = trainingModes(net);
  net.eval();
  let C = 0;
  let confusion: number[][] = [];
  let lossSum = 0;
  let correct = 0;
  let n = 0;
  // regression sums: |e|, e^2, t, t^2 and the count of values
  const reg = { abs: 0, sq: 0, t: 0, t2: 0, m: 0 };
  try {
    for (const [x, y] of new DataLoader(dataset, { batchSize, reuseBuffers: true })) {
      const B = x.shape[0];
      const out = net.forward(x);
      if (!allFinite(out.data)) {
        // a diverged network, not a bad argument: say so rather than let the loss name its input
        const bad = firstNonFinite(net);
        const why = bad !== null ? `parameter ${bad} holds non-finite values` : 'its weights are finite, but the output overflowed';
        throw new NonFiniteError(`evaluate: the network's output is not finite on samples ${n}..${n + B - 1}: ${why}`, -1, bad ?? 'output');
      }
      if (C === 0) {
        C = out.shape[1];
        confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
      }
      const batchLoss = isFFNN
        ? y instanceof Int32Array
          ? CategoricalCELoss(out, y, { device: net.device })
          : CELoss(out, y, { device: net.device })
        : (lossFn as LossModule).forward(out, y);
      // a summed loss module already adds over the batch
      lossSum += summed ? batchLoss : batchLoss * B;
      if (!isFFNN && y instanceof Tensor && y.size === out.size) {
        for (let k = 0; k < out.size; k++) {
          const e = out.data[k] - y.data[k];
          reg.abs += Math.abs(e);
          reg.sq += e * e;
          reg.t += y.data[k];
          reg.t2 += y.data[k] * y.data[k];
        }
        reg.m += out.size;
      }
      for (let i = 0; i < B; i++) {
        const p = argmaxRow(out, i);
        const t = y instanceof Int32Array ? y[i] : argmaxRow(y, i);
        if (t >= 0 && t < C) confusion[t][p]++;
        if (p === t) correct++;
      }
      n += B;
    }
  } finally {
    restoreModes(modes);
  }
  // one output has no classes to tell apart (its argmax is always 0): no accuracy
  const result: Evaluation = { loss: lossSum / n, accuracy: C === 1 ? NaN : correct / n, confusion, samples: n };
  if (reg.m > 0) {
    const ssTot = reg.t2 - (reg.t * reg.t) / reg.m;
    result.mae = reg.abs / reg.m;
    result.rmse = Math.sqrt(reg.sq / reg.m);
    result.r2 = ssTot > 0 ? 1 - reg.sq / ssTot : NaN;
  }
  return result;
}

// the name of the first parameter holding a non-finite value, or null
export function firstNonFinite(net: Module): string | null {
  for (const [name, p] of net.namedParameters()) if (!allFinite(p.data)) return name;
  return null;
}

function argmaxRow(t: Tensor, i: number): number {
  const C = t.shape[1];
  const d = t.data;
  let best = 0;
  let bv = d[i * C];
  for (let j = 1; j < C; j++) {
    const v = d[i * C + j];
    if (v > bv) {
      bv = v;
      best = j;
    }
  }
  return best;
}
