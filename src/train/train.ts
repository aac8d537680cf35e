// trainFFNN: epochs of mini-batches, as the problem's training function: forward, loss, backward,
// step; returns the loss of every iteration. an FFNN trains on CELoss of its probabilities and
// stores fresh gradients; any other Module trains on a loss module with zeroGrad and accumulation.
import type { Dataset } from '../data/dataset.js';
import { checkDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { NonFiniteError } from '../errors.js';
import { DEVICES, type Device } from '../kernels/index.js';
import { FFNN } from '../nn/ffnn.js';
import { CrossEntropyLoss, type LossModule } from '../nn/loss.js';
import { isUnchecked, Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { clippingOptimizer } from '../optim/clip.js';
import { OneCycleLR } from '../optim/lr-scheduler.js';
import { EpochProgress, type ProgressStream } from '../report/progress.js';
import { randomSeed } from '../random.js';
import { Tensor } from '../tensor.js';
import { allFinite, checkBool, checkInt, checkKeys, checkNonNegative, checkNumber, checkObject, checkOneOf, rangeError, typeError } from '../util/check.js';
import { randomSplit } from '../data/split.js';
import { checkLogits, evaluate, firstNonFinite, type Evaluation } from './evaluate.js';
import { moduleCallsStep, TrainStep } from './step.js';

export interface StepInfo {
  // 1-based, counting the initialEpoch epochs done before this call
  epoch: number;
  // 0-based index of the batch in its epoch
  batch: number;
  // 0-based index over the whole run (initialEpoch epochs of batches come first)
  step: number;
  loss: number;
}

export interface EpochInfo {
  // 1-based, counting the initialEpoch epochs done before this call
  epoch: number;
  // mean of the epoch's iteration losses
  loss: number;
  seconds: number;
  samplesPerSec: number;
  lr: number;
  validation?: Evaluation;
}

// a learning-rate schedule: stepped after every optimizer step (interval 'step': LinearLR warmup,
// OneCycleLR) or after every epoch (otherwise); one that monitors a validation value
// (ReduceLROnPlateau) gets it from step(value)
export interface Schedule {
  step(value?: number): void;
  readonly interval?: 'epoch' | 'step';
  readonly monitor?: 'loss' | 'accuracy';
}

export interface TrainOptions {
  // epochs to run in this call
  epochs?: number;
  // epochs already done (a resumed run): numbering, regularizeFrom and the shuffle stream continue from
  // there, so 1 + 1 epochs with a save and load between are the same run as 2 epochs with the same seed
  initialEpoch?: number;
  batchSize?: number;
  // the problem's `device` argument: 'cpu' (any network) or the network's own device
  device?: Device | 'cpu';
  // 0 silent, 1 a progress bar per epoch, 2 also validation loss and accuracy per epoch; default 1
  // when the progress stream is a terminal, else 0
  verbose?: 0 | 1 | 2;
  shuffle?: boolean;
  seed?: number;
  // one schedule or several on the same optimizer (a warmup before a per-epoch schedule), each stepped
  // on its own interval: after every optimizer step or after every epoch
  schedule?: Schedule | readonly Schedule[];
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
  // checked before every step: once aborted, training stops and the losses so far are returned (the
  // model holds the last completed step; the schedule and onEpoch skip the unfinished epoch). the loop is
  // synchronous, so abort from onStep/onEpoch or run training in a worker.
  signal?: AbortSignal;
  // clip the gradients' total L2 norm to this before every update (clipGradNorm); the steps then run
  // as the module calls
  clipGradNorm?: number;
  // a seeded fraction of the dataset held out as the validation set (not with validation)
  validationSplit?: number;
  // stop after `patience` epochs without a validation improvement of more than minDelta; restoreBest
  // puts back the weights of the best epoch when training ends
  earlyStopping?: EarlyStopping;
}

export interface EarlyStopping {
  monitor?: 'loss' | 'accuracy';
  patience?: number;
  minDelta?: number;
  restoreBest?: boolean;
}

const TRAIN_KEYS = [
  'epochs', 'initialEpoch', 'batchSize', 'device', 'verbose', 'shuffle', 'seed', 'schedule', 'onStep', 'onEpoch', 'validation',
  'regularizeFrom', 'loss', 'stratified', 'dropLast', 'stream', 'signal', 'validationSplit', 'earlyStopping', 'clipGradNorm',
] as const;

interface Regularized {
  weightDecay?: number;
  l1: number;
}

// the default verbosity: a progress bar per epoch on a terminal (the problem statement asks the training
// function to show what it is doing), nothing where the output is a file, a pipe or a test runner's
// options.stream, checked when the options are read (default stdout)
export function progressStream(v: unknown): ProgressStream {
  const stream = (v as ProgressStream | undefined) ?? process.stdout;
  if (typeof stream?.write !== 'function') throw typeError('options.stream', 'a stream with write(s)', stream);
  return stream;
}

export function defaultVerbose(stream: ProgressStream): 0 | 1 {
  return stream.isTTY === true ? 1 : 0;
}

// the networks being trained now, and by which call: a second run on one of them (from onStep, or a
// trainFFNNAsync run copying its weights back later) would interleave with it or be overwritten
type Trainer = 'trainFFNN' | 'trainFFNNAsync';
const training = new WeakMap<object, Trainer>();

export function checkNotTraining(net: object, who: Trainer): void {
  const by = training.get(net);
  if (by === undefined) return;
  throw new Error(
    by === 'trainFFNN'
      ? `${who}: net is already being trained by a trainFFNN call that has not returned (called again from onStep or onEpoch?)`
      : `${who}: net is already being trained by a trainFFNNAsync run that has not settled; ` +
          'await that run (or abort it) before starting another on the same network',
  );
}

export function markTraining(net: object, who: Trainer | null): void {
  if (who === null) training.delete(net);
  else training.set(net, who);
}

export function trainFFNN(net: Module, dataset: Dataset, optimizer: Optimizer, opts?: TrainOptions): number[] {
  if (!(net instanceof Module)) throw typeError('net', 'an FFNN or another Module', net);
  checkNotTraining(net, 'trainFFNN');
  markTraining(net, 'trainFFNN');
  try {
    return trainOnce(net, dataset, optimizer, opts);
  } finally {
    markTraining(net, null);
  }
}

function trainOnce(net: Module, dataset: Dataset, optimizer: Optimizer, opts?: TrainOptions): number[] {
  checkDataset('dataset', dataset);
  if (dataset.length === 0) throw rangeError('dataset', 'a dataset with at least one sample', 'an empty dataset');
  if (optimizer === null || typeof optimizer !== 'object' || typeof (optimizer as Optimizer).step !== 'function') {
    throw typeError('optimizer', 'an optimizer (SGD, Adam)', optimizer);
  }
  // an optimizer made for another network steps that one: this run would train nothing, silently
  const params = (optimizer as { params?: unknown }).params;
  if (Array.isArray(params)) {
    const own = new Set(net.parameters());
    const i = params.findIndex((p) => !own.has(p));
    if (i >= 0) throw new RangeError(`optimizer: expected an optimizer over the network's parameters (a subset is fine), received one whose params[${i}] is not a parameter of net`);
  }
  const o = checkObject('options', opts);
  checkKeys('options', o, TRAIN_KEYS);
  const epochs = o.epochs === undefined ? 1 : checkInt('options.epochs', o.epochs, 0);
  const initialEpoch = o.initialEpoch === undefined ? 0 : checkInt('options.initialEpoch', o.initialEpoch, 0);
  const batchSize = o.batchSize === undefined ? 1 : checkInt('options.batchSize', o.batchSize, 1);
  // 'cpu' (the problem statement's, and torch's, name) is whichever device the network is on: all three
  // run on the CPU. a device is chosen when the network is made; training does not move it
  if (o.device !== undefined && o.device !== 'cpu' && checkOneOf('options.device', o.device, ['cpu', ...DEVICES]) !== net.device) {
    throw rangeError('options.device', `'cpu' or the network's device '${net.device}' (create the network with {device: '${o.device}'})`, o.device);
  }
  const stream = progressStream(o.stream);
  const verbose = o.verbose === undefined ? defaultVerbose(stream) : checkInt('options.verbose', o.verbose, 0, 2);
  const shuffle = o.shuffle === undefined ? true : checkBool('options.shuffle', o.shuffle);
  const seed = o.seed === undefined ? randomSeed() : checkInt('options.seed', o.seed, 0);
  const schedules = schedulesOf(o.schedule);
  const perStep = schedules.filter((s) => s.interval === 'step');
  const perEpoch = schedules.filter((s) => s.interval !== 'step');
  const onStep = optionalFunction('options.onStep', o.onStep) as TrainOptions['onStep'];
  const onEpoch = optionalFunction('options.onEpoch', o.onEpoch) as TrainOptions['onEpoch'];
  let validation = o.validation === undefined ? undefined : checkDataset('options.validation', o.validation);
  if (o.validationSplit !== undefined) {
    const f = checkNumber('options.validationSplit', o.validationSplit);
    if (!(f > 0 && f < 1)) throw rangeError('options.validationSplit', 'a fraction in (0, 1)', f);
    if (validation !== undefined) throw rangeError('options.validationSplit', 'not given with options.validation', f);
    [dataset, validation] = randomSplit(dataset, [1 - f, f], { seed });
    if (dataset.length === 0 || validation.length === 0) throw rangeError('options.validationSplit', 'a fraction leaving samples on both sides', f);
  }
  const stop = earlyStoppingOf(o.earlyStopping, validation !== undefined);
  perEpoch.forEach((s) => {
    if (s.monitor !== undefined && validation === undefined) {
      throw rangeError('options.schedule', `options.validation or options.validationSplit beside a schedule that monitors the validation ${s.monitor}`, s);
    }
  });
  const regularizeFrom = o.regularizeFrom === undefined ? 1 : checkInt('options.regularizeFrom', o.regularizeFrom, 1);
  const signal = o.signal as AbortSignal | undefined;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw typeError('options.signal', 'an AbortSignal', signal);
  const isFFNN = net instanceof FFNN;
  if (isFFNN) {
    const F = (net as FFNN).F;
    const x0 = dataset.get(0)[0];
    if (x0 instanceof Tensor && x0.size !== F) throw rangeError('dataset', `samples of ${F} features (the network's F)`, `samples of ${x0.size} features`);
  }
  let lossFn: LossModule | null = null;
  if (!isFFNN) {
    lossFn = (o.loss as LossModule | undefined) ?? new CrossEntropyLoss({ device: net.device });
    if (typeof lossFn.forward !== 'function' || typeof lossFn.backward !== 'function') {
      throw typeError('options.loss', 'a loss module with forward(pred, target) and backward()', lossFn);
    }
    checkLogits('trainFFNN', net, lossFn);
  } else if (o.loss !== undefined) {
    throw rangeError('options.loss', 'no loss for an FFNN (it trains on CELoss of its probabilities)', o.loss);
  }
  const loader = new DataLoader(dataset, {
    batchSize,
    shuffle,
    seed,
    stratified: o.stratified === undefined ? false : checkBool('options.stratified', o.stratified),
    dropLast: o.dropLast === undefined ? false : checkBool('options.dropLast', o.dropLast),
    // each batch is used once, in its step
    reuseBuffers: true,
  });
  // every batch dropped: the run would report a loss of 0 each epoch and train nothing
  if (loader.length === 0) {
    throw rangeError('options.batchSize', `at most ${dataset.length} (the training samples) with dropLast, which drops a short last batch`, batchSize);
  }
  // a OneCycleLR shorter than the run (stepsPerEpoch not the loader's) failed at the first step past its
  // end, partway through; said before any step
  for (const s of perStep) {
    if (!(s instanceof OneCycleLR)) continue;
    const left = s.totalSteps - s.stateDict().lastEpoch;
    const need = epochs * loader.length;
    if (left < need) {
      throw new RangeError(
        `options.schedule: expected a OneCycleLR with at least ${need} steps left (${epochs} epochs of ${loader.length} batches), received one with ${left} left of its totalSteps ${s.totalSteps}`,
      );
    }
  }
  // an FFNN or Sequential with SGD / Adam: each step one kernel call (TrainStep makes the module calls
  // itself for what it cannot fuse), the same numbers as moduleCallsStep
  // with clipGradNorm, the update is the clipping of the optimizer's parameters then its step
  const clip = o.clipGradNorm === undefined ? undefined : checkNonNegative('options.clipGradNorm', o.clipGradNorm);
  const fused =
    (net instanceof FFNN || net instanceof Sequential) && (optimizer instanceof SGD || optimizer instanceof Adam)
      ? new TrainStep(net, optimizer, { loss: lossFn ?? undefined, clipGradNorm: clip })
      : null;
  const stepper = clip === undefined ? optimizer : clippingOptimizer(optimizer, (optimizer as Optimizer).params ?? net.parameters(), clip, net.device);
  const progress = verbose > 0 ? new EpochProgress(stream) : null;
  // each parameter group's own weightDecay and l1 (an optimizer without groups is its one group)
  const reg = ((optimizer as { paramGroups?: readonly unknown[] }).paramGroups ?? [optimizer]) as unknown as Regularized[];
  const saved = reg.map((g) => ({ weightDecay: g.weightDecay, l1: g.l1 }));
  const losses: number[] = [];
  // the shuffle stream of the epochs done before: one order drawn per epoch, no batch built
  for (let e = 0; e < initialEpoch; e++) loader[Symbol.iterator]();
  let step = initialEpoch * loader.length;
  const lastEpoch = initialEpoch + epochs;
  net.train();
  try {
    for (let epoch = initialEpoch + 1; epoch <= lastEpoch; epoch++) {
      setRegularization(reg, saved, epoch >= regularizeFrom);
      const t0 = performance.now();
      let seen = 0;
      let sum = 0;
      let batch = 0;
      progress?.start(epoch, lastEpoch, loader.length);
      try {
        for (const [x, y] of loader) {
          if (signal?.aborted) {
            progress?.abort();
            return losses;
          }
          // TrainStep makes the module calls itself where it cannot fuse (see its fallback)
          const loss = fused !== null ? fused.run(x, y) : moduleCallsStep(net, lossFn, stepper, x, y);
          if (!Number.isFinite(loss)) throw nonFinite(net, x, loss, step, epoch, batch);
          for (const s of perStep) s.step();
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
      if (signal?.aborted) {
        progress?.abort();
        return losses;
      }
      // the epoch's last update is seen by no later loss: a parameter it made non-finite is an error
      // here, not a NaN handed to validation, a checkpoint or the caller
      const bad = firstNonFinite(net);
      if (bad !== null) {
        progress?.abort();
        throw new NonFiniteError(
          `trainFFNN: parameter ${bad} holds non-finite values after the update of step ${step - 1} ` +
            `(epoch ${epoch}, batch ${batch - 1}). Lower the learning rate or the weight decay, or standardize the inputs.`,
          step - 1,
          bad,
        );
      }
      const seconds = (performance.now() - t0) / 1000;
      const info: EpochInfo = { epoch, loss: sum / Math.max(batch, 1), seconds, samplesPerSec: seen / seconds, lr: optimizer.lr };
      if (validation !== undefined) {
        try {
          info.validation = evaluate(net, validation, { loss: lossFn ?? undefined });
        } catch (e) {
          progress?.abort();
          // the weights are finite (checked above): the validation inputs overflow the network
          if (e instanceof NonFiniteError) {
            throw new NonFiniteError(`trainFFNN: validation after epoch ${epoch} (step ${step - 1}): ${e.message}`, step - 1, e.layer);
          }
          throw e;
        }
        net.train();
      }
      progress?.finish({
        epoch,
        epochs: lastEpoch,
        loss: info.loss,
        samplesPerSec: info.samplesPerSec,
        seconds,
        valLoss: verbose >= 2 ? info.validation?.loss : undefined,
        valAccuracy: verbose >= 2 ? info.validation?.accuracy : undefined,
      });
      for (const s of perEpoch) {
        if (s.monitor === undefined) s.step();
        else s.step(monitored(info.validation as Evaluation, s.monitor, 'options.schedule.monitor'));
      }
      // between epochs the optimizer shows its own weightDecay and l1 (a checkpoint saved here keeps them)
      setRegularization(reg, saved, true);
      onEpoch?.(info);
      if (stop !== null && stop.update(net, info.validation as Evaluation)) break;
    }
    stop?.restore(net);
  } finally {
    setRegularization(reg, saved, true);
  }
  return losses;
}

// the validation value a schedule or early stopping follows: a network with one output has no
// accuracy (evaluate gives NaN; its argmax was always right, 100%, so the accuracy never improved)
function monitored(ev: Evaluation, what: 'loss' | 'accuracy', option: string): number {
  if (what === 'accuracy' && Number.isNaN(ev.accuracy)) {
    throw rangeError(option, "'loss' for a network with one output (a regression: accuracy needs two or more classes)", what);
  }
  return ev[what];
}

interface Stopper {
  update(net: Module, v: Evaluation): boolean;
  restore(net: Module): void;
}

// early stopping on the validation loss (lower is better) or accuracy (higher is better); the best
// epoch's weights are copied so that restoreBest gives them back bit for bit
function earlyStoppingOf(v: unknown, hasValidation: boolean): Stopper | null {
  if (v === undefined) return null;
  const o = checkObject('options.earlyStopping', v);
  checkKeys('options.earlyStopping', o, ['monitor', 'patience', 'minDelta', 'restoreBest']);
  if (!hasValidation) throw rangeError('options.earlyStopping', 'options.validation or options.validationSplit beside it', v);
  const monitor = o.monitor === undefined ? 'loss' : checkOneOf('options.earlyStopping.monitor', o.monitor, ['loss', 'accuracy'] as const);
  const patience = o.patience === undefined ? 5 : checkInt('options.earlyStopping.patience', o.patience, 1);
  const minDelta = o.minDelta === undefined ? 0 : checkNumber('options.earlyStopping.minDelta', o.minDelta);
  const restoreBest = o.restoreBest === undefined ? true : checkBool('options.earlyStopping.restoreBest', o.restoreBest);
  let best = monitor === 'loss' ? Infinity : -Infinity;
  let bad = 0;
  let weights: Float32Array[] | Float64Array[] | null = null;
  return {
    update(net, ev) {
      const value = monitored(ev, monitor, 'options.earlyStopping.monitor');
      const better = monitor === 'loss' ? value < best - minDelta : value > best + minDelta;
      if (better) {
        best = value;
        bad = 0;
        if (restoreBest) weights = net.parameters().map((p) => p.data.slice()) as Float32Array[];
        return false;
      }
      return ++bad >= patience;
    },
    restore(net) {
      if (weights === null) return;
      const w = weights;
      net.parameters().forEach((p, i) => p.data.set(w[i]));
    },
  };
}

function setRegularization(reg: Regularized[], saved: { weightDecay?: number; l1: number }[], on: boolean): void {
  reg.forEach((g, i) => {
    if (saved[i].weightDecay !== undefined) g.weightDecay = on ? saved[i].weightDecay : 0;
    g.l1 = on ? saved[i].l1 : 0;
  });
}

// names the first parameter holding a non-finite value or, when every weight is finite, the first
// layer whose output overflowed on this batch
function nonFinite(net: Module, x: Tensor, loss: number, step: number, epoch: number, batch: number): NonFiniteError {
  let layer = firstNonFinite(net);
  const where =
    layer !== null ? `parameter ${layer} holds non-finite values` : `the weights are finite; the output of layer ${(layer = overflowingLayer(net, x))} overflowed`;
  return new NonFiniteError(
    `trainFFNN: the loss became ${loss} at step ${step} (epoch ${epoch}, batch ${batch}); ${where}. ` +
      'Lower the learning rate or standardize the inputs.',
    step,
    layer,
  );
}

// reruns the batch one layer at a time: an FFNN's layers are named by their weight (W1..WL, U), a
// Sequential's by index (modules[i]); 'output' when no single layer is to blame (the loss itself)
function overflowingLayer(net: Module, x: Tensor): string {
  try {
    if (net instanceof FFNN) {
      let h = x;
      for (let l = 0; l < net.layers.length; l++) {
        h = net.layers[l].uncheckedForward(h);
        if (!allFinite(h.data)) return net.layers[l].weight.name;
        h = net.activations[l].uncheckedForward(h);
        if (!allFinite(h.data)) return net.layers[l].weight.name;
      }
      return allFinite(net.output.uncheckedForward(h).data) ? 'output' : net.U.name;
    }
    if (net instanceof Sequential) {
      let h = x;
      for (let i = 0; i < net.modules.length; i++) {
        const m = net.modules[i];
        h = isUnchecked(m) ? m.uncheckedForward(h) : m.forward(h);
        if (!allFinite(h.data)) return `modules[${i}]`;
      }
    }
  } catch {
    // a module that refuses the rerun leaves the blame on the output
  }
  return 'output';
}

function schedulesOf(v: unknown): Schedule[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  list.forEach((s, i) => {
    const name = Array.isArray(v) ? `options.schedule[${i}]` : 'options.schedule';
    if (s === null || typeof s !== 'object' || typeof (s as Schedule).step !== 'function') {
      throw typeError(name, 'a learning-rate schedule with step()', s);
    }
    const { interval, monitor } = s as Schedule;
    if (interval !== undefined && interval !== 'epoch' && interval !== 'step') throw rangeError(`${name}.interval`, "'epoch' or 'step'", interval);
    if (monitor !== undefined && monitor !== 'loss' && monitor !== 'accuracy') throw rangeError(`${name}.monitor`, "'loss' or 'accuracy'", monitor);
    if (monitor !== undefined && interval === 'step') throw rangeError(`${name}.interval`, "'epoch' for a schedule that monitors validation", interval);
  });
  return list as Schedule[];
}

function optionalFunction(name: string, f: unknown): ((...a: never[]) => unknown) | undefined {
  if (f === undefined) return undefined;
  if (typeof f !== 'function') throw typeError(name, 'a function', f);
  return f as (...a: never[]) => unknown;
}
