// trainFFNN: epochs of mini-batches, as the problem's training function: forward, loss, backward,
// step; returns the loss of every iteration. an FFNN trains on CELoss of its probabilities and
// stores fresh gradients; any other Module trains on a loss module with zeroGrad and accumulation.
import type { Dataset } from '../data/dataset.js';
import { checkDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { NonFiniteError } from '../errors.js';
import { DEVICES, type Device } from '../kernels/index.js';
import { FFNN } from '../nn/ffnn.js';
import { CategoricalCELoss, CELoss, CrossEntropyLoss, type LossModule } from '../nn/loss.js';
import { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { EpochProgress, type ProgressStream } from '../report/progress.js';
import { randomSeed } from '../random.js';
import { Tensor } from '../tensor.js';
import { checkBool, checkInt, checkObject, checkOneOf, rangeError, typeError } from '../util/check.js';
import { evaluate, type Evaluation } from './evaluate.js';

export interface StepInfo {
  epoch: number;
  // 0-based index of the batch in its epoch
  batch: number;
  // 0-based index over the whole run
  step: number;
  loss: number;
}

export interface EpochInfo {
  epoch: number;
  // mean of the epoch's iteration losses
  loss: number;
  seconds: number;
  samplesPerSec: number;
  lr: number;
  validation?: Evaluation;
}

export interface Schedule {
  step(): void;
}

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  // must be the network's device when given (the problem's `device` argument)
  device?: Device;
  // 0 silent, 1 a progress bar per epoch, 2 also validation loss and accuracy per epoch
  verbose?: 0 | 1 | 2;
  shuffle?: boolean;
  seed?: number;
  // stepped once after every epoch (StepLR, ExponentialLR, CosineAnnealingLR)
  schedule?: Schedule;
  onStep?: (info: StepInfo) => void;
  onEpoch?: (info: EpochInfo) => void;
  validation?: Dataset;
  // the first epoch (1-based) whose steps apply the optimizer's weightDecay and l1; both are 0 before
  regularizeFrom?: number;
  // for a Module that is not an FFNN: the loss on its output (default CrossEntropyLoss on logits)
  loss?: LossModule;
  // every batch holds several classes (DataLoader's stratified option)
  stratified?: boolean;
  dropLast?: boolean;
  // where progress goes (default process.stdout)
  stream?: ProgressStream;
  // stops after the current step; the losses so far are returned and the model is consistent
  signal?: AbortSignal;
}

interface Regularized {
  weightDecay?: number;
  l1: number;
}

export function trainFFNN(net: Module, dataset: Dataset, optimizer: Optimizer, opts?: TrainOptions): number[] {
  if (!(net instanceof Module)) throw typeError('net', 'an FFNN or another Module', net);
  checkDataset('dataset', dataset);
  if (dataset.length === 0) throw rangeError('dataset', 'a dataset with at least one sample', 'an empty dataset');
  if (optimizer === null || typeof optimizer !== 'object' || typeof (optimizer as Optimizer).step !== 'function') {
    throw typeError('optimizer', 'an optimizer (SGD, Adam)', optimizer);
  }
  const o = checkObject('options', opts);
  const epochs = o.epochs === undefined ? 1 : checkInt('options.epochs', o.epochs, 0);
  const batchSize = o.batchSize === undefined ? 1 : checkInt('options.batchSize', o.batchSize, 1);
  if (o.device !== undefined && checkOneOf('options.device', o.device, DEVICES) !== net.device) {
    throw rangeError('options.device', `the network's device '${net.device}' (create the network with {device: '${o.device}'})`, o.device);
  }
  const verbose = o.verbose === undefined ? 0 : checkInt('options.verbose', o.verbose, 0, 2);
  const shuffle = o.shuffle === undefined ? true : checkBool('options.shuffle', o.shuffle);
  const seed = o.seed === undefined ? randomSeed() : checkInt('options.seed', o.seed, 0);
  const schedule = o.schedule as Schedule | undefined;
  if (schedule !== undefined && (schedule === null || typeof schedule.step !== 'function')) {
    throw typeError('options.schedule', 'a learning-rate schedule with step()', schedule);
  }
  const onStep = optionalFunction('options.onStep', o.onStep) as TrainOptions['onStep'];
  const onEpoch = optionalFunction('options.onEpoch', o.onEpoch) as TrainOptions['onEpoch'];
  const validation = o.validation === undefined ? undefined : checkDataset('options.validation', o.validation);
  const regularizeFrom = o.regularizeFrom === undefined ? 1 : checkInt('options.regularizeFrom', o.regularizeFrom, 1);
  const signal = o.signal as AbortSignal | undefined;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw typeError('options.signal', 'an AbortSignal', signal);
  const isFFNN = net instanceof FFNN;
  let lossFn: LossModule | null = null;
  if (!isFFNN) {
    lossFn = (o.loss as LossModule | undefined) ?? new CrossEntropyLoss({ device: net.device });
    if (typeof lossFn.forward !== 'function' || typeof lossFn.backward !== 'function') {
      throw typeError('options.loss', 'a loss module with forward(pred, target) and backward()', lossFn);
    }
  } else if (o.loss !== undefined) {
    throw rangeError('options.loss', 'no loss for an FFNN (it trains on CELoss of its probabilities)', o.loss);
  }
  const loader = new DataLoader(dataset, {
    batchSize,
    shuffle,
    seed,
    stratified: o.stratified === undefined ? false : checkBool('options.stratified', o.stratified),
    dropLast: o.dropLast === undefined ? false : checkBool('options.dropLast', o.dropLast),
  });
  const progress = verbose > 0 ? new EpochProgress((o.stream as ProgressStream | undefined) ?? process.stdout) : null;
  const reg = optimizer as unknown as Regularized;
  const saved = { weightDecay: reg.weightDecay, l1: reg.l1 };
  const losses: number[] = [];
  let step = 0;
  net.train();
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      setRegularization(reg, saved, epoch >= regularizeFrom);
      const t0 = performance.now();
      let seen = 0;
      let sum = 0;
      let batch = 0;
      progress?.start(epoch, epochs, loader.length);
      try {
        for (const [x, y] of loader) {
          if (signal?.aborted) return losses;
          const loss = isFFNN ? ffnnStep(net as FFNN, x, y, optimizer) : moduleStep(net, lossFn as LossModule, x, y, optimizer);
          if (!Number.isFinite(loss)) throw nonFinite(net, loss, step, epoch, batch);
          losses.push(loss);
          sum += loss;
          seen += x.shape[0];
          onStep?.({ epoch, batch, step, loss });
          step++;
          batch++;
          progress?.update(batch, loss, seen / ((performance.now() - t0) / 1000));
        }
      } catch (e) {
        progress?.abort();
        throw e;
      }
      const seconds = (performance.now() - t0) / 1000;
      const info: EpochInfo = { epoch, loss: sum / Math.max(batch, 1), seconds, samplesPerSec: seen / seconds, lr: optimizer.lr };
      if (validation !== undefined) {
        info.validation = evaluate(net, validation, { loss: lossFn ?? undefined });
        net.train();
      }
      progress?.finish({
        epoch,
        epochs,
        loss: info.loss,
        samplesPerSec: info.samplesPerSec,
        seconds,
        valLoss: verbose >= 2 ? info.validation?.loss : undefined,
        valAccuracy: verbose >= 2 ? info.validation?.accuracy : undefined,
      });
      schedule?.step();
      onEpoch?.(info);
    }
  } finally {
    setRegularization(reg, saved, true);
  }
  return losses;
}

// the problem's loop: forward, loss, backward (stores fresh gradients), step
function ffnnStep(net: FFNN, x: Tensor, y: Int32Array | Tensor, opt: Optimizer): number {
  const yPred = net.forward(x);
  if (!allFinite(yPred.data)) return NaN;
  const loss = y instanceof Int32Array ? CategoricalCELoss(yPred, y, { device: net.device }) : CELoss(yPred, y, { device: net.device });
  if (!Number.isFinite(loss)) return loss;
  net.backward(x, y, yPred);
  opt.step();
  return loss;
}

// the module flow: forward, loss, zeroGrad, backward (accumulates), step
function moduleStep(net: Module, lossFn: LossModule, x: Tensor, y: Int32Array | Tensor, opt: Optimizer): number {
  const out = net.forward(x);
  const loss = lossFn.forward(out, y);
  if (!Number.isFinite(loss)) return loss;
  net.zeroGrad();
  net.backward(lossFn.backward());
  opt.step();
  return loss;
}

function setRegularization(reg: Regularized, saved: { weightDecay?: number; l1: number }, on: boolean): void {
  if (saved.weightDecay !== undefined) reg.weightDecay = on ? saved.weightDecay : 0;
  reg.l1 = on ? saved.l1 : 0;
}

// names the first parameter holding a non-finite value, or the output layer when the weights are
// finite and the forward pass overflowed
function nonFinite(net: Module, loss: number, step: number, epoch: number, batch: number): NonFiniteError {
  let layer = 'output';
  for (const [name, p] of net.namedParameters()) {
    if (!allFinite(p.data)) {
      layer = name;
      break;
    }
  }
  const where = layer === 'output' ? 'the weights are finite; the forward pass overflowed at the output' : `parameter ${layer} holds non-finite values`;
  return new NonFiniteError(
    `trainFFNN: the loss became ${loss} at step ${step} (epoch ${epoch}, batch ${batch}); ${where}. ` +
      'Lower the learning rate or standardize the inputs.',
    step,
    layer,
  );
}

function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

function optionalFunction(name: string, f: unknown): ((...a: never[]) => unknown) | undefined {
  if (f === undefined) return undefined;
  if (typeof f !== 'function') throw typeError(name, 'a function', f);
  return f as (...a: never[]) => unknown;
}
