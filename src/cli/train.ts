// `ffnn train`: builds the data, network, optimizer and schedule from flags, trains with a progress
// bar, reports test accuracy after every epoch, writes the loss plot and optionally the model
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, extname, resolve, sep } from 'node:path';
import { Standardizer } from '../data/standardize.js';
import { RandomDataset, TensorDataset, gatherRows, type Dataset } from '../data/dataset.js';
import { randomSplit } from '../data/split.js';
import type { Tensor } from '../tensor.js';
import { loadMNIST } from '../data/mnist.js';
import { backend, defaultDevice, type Device } from '../kernels/index.js';
import { FFNN } from '../nn/ffnn.js';
import type { Module } from '../nn/module.js';
import type { ActivationName } from '../nn/activation.js';
import { SGD } from '../optim/sgd.js';
import { Adam, AdamW } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { CosineAnnealingLR, ExponentialLR, LinearLR, OneCycleLR, ReduceLROnPlateau, StepLR, type LRScheduler } from '../optim/lr-scheduler.js';
import { FormatError } from '../errors.js';
import { loadModel, saveModel, type LoadedFFNN } from '../train/checkpoint.js';
import { trainFFNN } from '../train/train.js';
import { evaluate, type Evaluation } from '../train/evaluate.js';

export interface TrainCommandOptions {
  dataset: 'mnist' | 'random';
  dataDir?: string;
  samples?: number;
  features: number;
  classes: number;
  hidden: number[];
  act: string[];
  init: 'auto' | 'kaiming' | 'xavier' | 'torch';
  optimizer: 'sgd' | 'adam' | 'adamw';
  lr?: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  l1: number;
  regularizeFrom: number;
  schedule: 'cosine' | 'step' | 'exponential' | 'onecycle' | 'plateau' | 'none';
  // --schedule plateau: epochs without a better validation loss before the lr is cut by --gamma
  plateauPatience?: number;
  // optimizer steps of a LinearLR warmup before the schedule
  warmup?: number;
  clipGradNorm?: number;
  maxNorm: number;
  gamma: number;
  stepSize: number;
  // undefined: TRAIN_DEFAULTS.epochs, or on --resume the saved run's planned total
  epochs?: number;
  batchSize: number;
  standardize: boolean;
  shuffle: boolean;
  stratified: boolean;
  // left out: the default device (native, or wasm where the addon cannot load)
  device?: Device;
  dtype: 'float32' | 'float64';
  // the products' operands (FFNN's precision option); with --resume the file's, which a typed flag must match
  precision?: 'float32' | 'bf16';
  threads?: number;
  // undefined: TRAIN_DEFAULTS.seed, or on --resume the saved run's seed
  seed?: number;
  plot: string | false;
  save?: string;
  resume?: string;
  verbose: 0 | 1 | 2;
  // a table (CSV or JSON) instead of --dataset: see table.ts
  data?: string;
  target?: string;
  task?: 'auto' | 'classification' | 'regression';
  // feature columns of the table (default: every column but the target)
  columns?: string[];
  // the fraction of the training data held out for the per-epoch validation figures
  valSplit?: number;
  // patience (epochs) of early stopping on the validation loss; the best epoch's weights are restored
  earlyStop?: number;
}

// the default run: 784-256-128-10 ReLU, SGD momentum 0.9, batch 64, lr 0.05 annealed to 0 by a
// cosine over 10 epochs, standardized pixels. measured with the native kernels (float32, avx-512):
// seeds 1..5 end at 98.26, 98.45, 98.26, 98.27, 98.28% test accuracy and pass 98.0% from epoch 6 on.
// 8 epochs ended at 98.14-98.36%: enough, but with a margin that kernel changes had already moved.
// since 6000 of the 60000 images are held out for validation (DEFAULT_VAL_SPLIT): 98.12, 98.27,
// 98.12, 98.27, 98.18% test accuracy (validation 97.88, 98.22, 98.08, 98.47, 98.17%)
export const TRAIN_DEFAULTS = {
  dataset: 'mnist' as const,
  features: 20,
  classes: 4,
  hidden: [256, 128],
  act: ['relu'],
  optimizer: 'sgd' as const,
  momentum: 0.9,
  schedule: 'cosine' as const,
  epochs: 10,
  batchSize: 64,
  seed: 1,
  plot: 'ffnn-loss.png',
};

// --dataset random without --samples
const RANDOM_SAMPLES = 1000;
// MNIST and random data without --val-split: 6000 of the 60000 MNIST training images
export const DEFAULT_VAL_SPLIT = 0.1;

// a seeded, stratified split of the training data into a training part and a validation part, each
// a TensorDataset (contiguous rows, so the loader and the standardizer read them fast)
function holdOut(ds: TensorDataset, fraction: number, seed: number): [TensorDataset, TensorDataset] {
  const parts = randomSplit(ds, [1 - fraction, fraction], { seed, stratified: true });
  if (parts.some((p) => p.length === 0)) throw new RangeError(`--val-split: expected a fraction leaving samples on both sides of ${ds.length}, received ${fraction}`);
  return parts.map((p) => {
    const { x, y } = gatherRows('data', p, true);
    return new TensorDataset(x, y as Int32Array | Tensor);
  }) as [TensorDataset, TensorDataset];
}

// given: the options typed on the command line (the others hold defaults)
export async function runTrain(typed: TrainCommandOptions, given: ReadonlySet<string> = new Set()): Promise<void> {
  if (typed.data !== undefined) {
    checkTableConflicts(typed, given);
    checkConflicts({ ...typed, device: typed.device ?? defaultDevice().device }, given, new Set());
    if (typed.threads !== undefined && (typed.device ?? defaultDevice().device) === 'native') backend('native').setNumThreads(typed.threads);
    const { runTrainTable } = await import('./table.js');
    return runTrainTable(typed, given);
  }
  for (const k of ['target', 'task', 'columns'] as const) {
    if (given.has(k)) throw new RangeError(`${flagOf(k)}: expected --data FILE (a table) beside it, received ${flagOf(k)} without --data`);
  }
  const opts = { ...typed, device: typed.device ?? defaultDevice().device };
  checkOutputs(opts);
  const resumed = opts.resume === undefined ? null : loadRun(opts.resume, opts.device);
  // with --resume the file decides what it holds: a typed flag must agree with it, a default gives way
  const saved = resumed === null ? {} : savedOptions(resumed, opts.resume as string);
  const o = resumed === null ? opts : resumeOptions(opts, given, saved, opts.resume as string);
  checkConflicts(o, given, new Set(Object.keys(saved)), opts.resume);
  if (o.threads !== undefined && o.device === 'native') backend('native').setNumThreads(o.threads);
  const out = process.stdout;
  const seed = o.seed ?? TRAIN_DEFAULTS.seed;
  const done = savedNumber(resumed, 'epochs') ?? 0;
  const total = o.epochs ?? savedNumber(resumed, 'plannedEpochs') ?? TRAIN_DEFAULTS.epochs;
  const tMax = resumed?.scheduleState?.scheduler === 'CosineAnnealingLR' ? (resumed.scheduleState.options?.tMax as number | undefined) : undefined;
  if (resumed !== null && done >= total) {
    // a cosine schedule's span is the run's length: once trained, there is nothing to continue
    if (tMax !== undefined && done >= tMax) {
      throw new RangeError(
        `--resume: ${o.resume} has trained all ${done} ${done === 1 ? 'epoch' : 'epochs'} of its cosine schedule, which ` +
          'cannot be extended; start a new run (--save a new file) to train longer',
      );
    }
    throw new RangeError(`--epochs: ${o.resume} has trained ${done} ${done === 1 ? 'epoch' : 'epochs'} of ${total} already; pass --epochs greater than ${done} to train on`);
  }
  if (tMax !== undefined && tMax !== total) {
    throw new RangeError(`--epochs: expected ${tMax} (the span of the cosine schedule saved in ${o.resume}, which --resume continues), received ${total}`);
  }
  const { train: all, test } = loadData(o, seed);
  // validation figures from a seeded, stratified hold-out of the training data; the test set is
  // evaluated once, at the end
  const valSplit = o.valSplit ?? DEFAULT_VAL_SPLIT;
  const [train, val] = valSplit > 0 ? holdOut(all, valSplit, seed) : [all, null];
  if (o.earlyStop !== undefined && val === null) throw new RangeError(`--early-stop: expected a validation set (--val-split above 0), received --val-split 0`);
  if (o.schedule === 'plateau' && val === null) throw new RangeError('--schedule plateau: expected a validation set (--val-split above 0), received --val-split 0');
  let standardizer: Standardizer | null = null;
  let net: FFNN;
  if (resumed !== null) {
    net = resumed.net;
    standardizer = resumed.standardizer;
    if (net.F !== featureCount(train) || net.C !== classCount(o)) {
      throw new RangeError(`--resume: the model takes ${net.F} features and gives ${net.C} classes, the data has ${featureCount(train)} and ${classCount(o)}`);
    }
  } else {
    const acts = (o.act.length === 1 ? new Array(o.hidden.length).fill(o.act[0]) : o.act) as ActivationName[];
    if (acts.length !== o.hidden.length) {
      throw new RangeError(`--act: expected one activation or ${o.hidden.length} (one per hidden layer), received ${o.act.length}`);
    }
    net = new FFNN(featureCount(train), o.hidden, acts, classCount(o), { device: o.device, dtype: o.dtype, seed, init: o.init, precision: o.precision });
    if (o.standardize) standardizer = o.dataset === 'mnist' ? Standardizer.mnist() : new Standardizer().fit(train);
  }
  const trainSet: Dataset = standardizer ? standardizer.transform(train) : train;
  const testSet: Dataset = standardizer ? standardizer.transform(test) : test;
  const valSet: Dataset | null = val === null ? null : standardizer ? standardizer.transform(val) : val;
  const optimizer = makeOptimizer(o, net);
  const { schedule, schedules, plateau } = runSchedules(o, optimizer, total, Math.ceil(trainSet.length / o.batchSize));
  if (resumed !== null) {
    // the options agree with the file by now: what still fails to load is a damaged file
    const { optimizerState, scheduleState } = resumed;
    if (optimizerState !== null) restore(o.resume as string, 'ffnn.optimizer', () => optimizer.loadStateDict(optimizerState));
    if (scheduleState !== null && schedule !== null) restore(o.resume as string, 'ffnn.schedule', () => schedule.loadStateDict(scheduleState));
  }
  const epochs = total - done;
  const lr0 = optimizer.lr;
  out.write(
    `ffnn train: ${o.dataset} (${trainSet.length} train, ${valSet === null ? '' : `${valSet.length} validation, `}${testSet.length} test), ${net.toString()}, ` +
      `${o.optimizer} lr ${optimizer.lr}${optimizer instanceof SGD ? ` momentum ${optimizer.momentum}` : ''}, schedule ${o.schedule}, ` +
      `batch ${o.batchSize}, ${resumed !== null ? `epochs ${done + 1}..${total} (resumed from ${o.resume})` : `${total} epochs`}, ` +
      `device ${o.device} (${net.dtype}${net.precision === 'bf16' ? ', bf16 products' : ''}), seed ${seed}\n`,
  );
  // stdout fails with EPIPE once its reader is gone (`ffnn train | head`): stop, bin/ffnn.js exits quietly
  if (out.errored !== null) return;
  const readerGone = new AbortController();
  const save = (epochsDone: number): void => {
    if (o.save === undefined) return;
    saveModel(o.save, net, {
      optimizer,
      schedule: schedule ?? undefined,
      standardizer: standardizer ?? undefined,
      progress: { epochs: epochsDone, plannedEpochs: total, ...runOptions(o, seed) },
    });
  };
  const t0 = performance.now();
  // the validation loss of every epoch, drawn beside the training loss
  const valLosses: number[] = [];
  let bestLoss = Infinity;
  const losses = trainFFNN(net, trainSet, optimizer, {
    epochs,
    initialEpoch: done,
    batchSize: o.batchSize,
    verbose: o.verbose,
    shuffle: o.shuffle,
    seed,
    stratified: o.stratified,
    schedule: schedules,
    clipGradNorm: o.clipGradNorm,
    regularizeFrom: o.regularizeFrom,
    // printed at --verbose 2, drawn in the plot, watched by --early-stop
    validation: valSet !== null && (o.verbose >= 2 || o.earlyStop !== undefined || o.plot !== false || plateau !== null) ? valSet : undefined,
    earlyStopping: o.earlyStop === undefined ? undefined : { monitor: 'loss', patience: o.earlyStop, restoreBest: true },
    signal: readerGone.signal,
    // a checkpoint after every epoch: an interrupted run resumes from its last finished epoch
    onEpoch: (info) => {
      if (info.validation !== undefined) valLosses.push(info.validation.loss);
      // with --early-stop the run ends on the best epoch's weights (restored), so the checkpoint is the
      // best epoch's: a lower validation loss than every epoch before, trainFFNN's own rule (saving every
      // epoch left the last epoch's weights in the file, not the ones the run reported)
      const best = info.validation !== undefined && info.validation.loss < bestLoss;
      if (best) bestLoss = (info.validation as Evaluation).loss;
      if (o.earlyStop === undefined || best) save(info.epoch);
      if (out.errored !== null) readerGone.abort();
    },
  });
  if (out.errored !== null) return;
  const seconds = (performance.now() - t0) / 1000;
  // the held-out part once more: after early stopping the weights are the best epoch's, not the last's
  if (valSet !== null) {
    const v = evaluate(net, valSet);
    out.write(`validation accuracy ${(100 * v.accuracy).toFixed(2)}%  validation loss ${v.loss.toFixed(4)}  (${valSet.length} held-out training samples)\n`);
  }
  const result = evaluate(net, testSet);
  out.write(`test accuracy ${(100 * result.accuracy).toFixed(2)}%  test loss ${result.loss.toFixed(4)}  (${seconds.toFixed(1)} s)\n`);
  if (o.plot !== false) {
    // vega is loaded only when a plot is drawn: --help, a bad flag, eval and bench start faster
    const { plotLosses } = await import('../report/plot.js');
    const kinds = [...new Set(net.activations.map((a) => a.kind))].join(',');
    const shape = `${[net.F, ...net.hidden, net.C].join('-')} ${kinds}`;
    const runs: Record<string, number[]> = { [`${shape} training`]: losses };
    if (valLosses.length > 0) runs[`${shape} validation`] = valLosses;
    // iteration losses at their fraction of an epoch, validation losses at the end of each epoch
    const perEpoch = Math.max(1, Math.round(losses.length / Math.max(1, valLosses.length || epochs)));
    await plotLosses(runs, o.plot, {
      title: `ffnn train: ${o.dataset} ${shape}, ${o.optimizer} lr ${lr0}, ${o.schedule} schedule, batch ${o.batchSize}, epochs ${done + 1}..${total}`,
      // the loss falls by orders of magnitude; a log axis keeps the late epochs visible (needs every loss > 0)
      logScale: [...losses, ...valLosses].every((l) => l > 0),
      xAxis: 'epoch',
      pointsPerEpoch: { [`${shape} training`]: perEpoch },
      firstEpoch: done + 1,
    });
    out.write(`loss plot written to ${o.plot}\n`);
  }
  if (o.save !== undefined) out.write(`model written to ${o.save}\n`);
}

// a table run takes its data, features and classes from the file
function checkTableConflicts(o: TrainCommandOptions, given: ReadonlySet<string>): void {
  for (const k of ['dataset', 'dataDir', 'samples', 'features', 'classes', 'resume'] as const) {
    if (given.has(k)) throw new RangeError(`${flagOf(k)}: expected no ${flagOf(k)} with --data (the table ${o.data} is the data), received ${flagOf(k)} ${String(o[k])}`);
  }
}

// the plot is written after training and the model after every epoch: a path that cannot be written
// is refused before any work, not after it
function checkOutputs(o: TrainCommandOptions): void {
  if (o.plot !== false) checkOutputPath('--plot', o.plot, ['.svg', '.png']);
  if (o.save !== undefined) checkOutputPath('--save', o.save);
  for (const [flag, model] of [['--save', o.save], ['--resume', o.resume]] as const) {
    if (o.plot !== false && model !== undefined && resolve(o.plot) === resolve(model)) {
      throw new RangeError(`--plot: expected a file other than ${flag}'s (the plot would replace the model), received ${JSON.stringify(o.plot)} (${flag} ${JSON.stringify(model)})`);
    }
  }
}

export function checkOutputPath(flag: string, file: string, exts?: readonly string[]): void {
  const got = JSON.stringify(file);
  if (file === '' || file.endsWith('/') || file.endsWith(sep)) throw new RangeError(`${flag}: expected a file path, received ${got}`);
  if (exts !== undefined && !exts.includes(extname(file).toLowerCase())) {
    throw new RangeError(`${flag}: expected a path ending in ${exts.join(' or ')}, received ${got}`);
  }
  const parent = dirname(file);
  const dir = statSync(parent, { throwIfNoEntry: false });
  if (dir === undefined) throw new RangeError(`${flag}: expected a path in an existing directory, received ${got} (${parent} does not exist)`);
  if (!dir.isDirectory()) throw new RangeError(`${flag}: expected a path in a directory, received ${got} (${parent} is not a directory)`);
  try {
    accessSync(parent, constants.W_OK);
  } catch {
    throw new RangeError(`${flag}: expected a path in a writable directory, received ${got} (${parent} is not writable)`);
  }
  // the write renames a new file over the path: a fifo or a device there would be destroyed
  const st = statSync(file, { throwIfNoEntry: false });
  if (st?.isDirectory() === true) throw new RangeError(`${flag}: expected a file path, received ${got} (a directory)`);
  if (st !== undefined && !st.isFile()) {
    throw new RangeError(`${flag}: expected a path to a regular file or to nothing, received ${got} (not a regular file: it would be replaced)`);
  }
}

// a flag that another flag (or the file of --resume) makes meaningless is refused when typed, not
// silently ignored
function checkConflicts(o: TrainCommandOptions, given: ReadonlySet<string>, saved: ReadonlySet<string>, file?: string): void {
  const value = (key: keyof TrainCommandOptions): string => {
    const shown = `${flagOf(key)} ${String(o[key])}`;
    return given.has(key) ? shown : saved.has(key) ? `${shown} (saved in ${file})` : `${shown} (the default)`;
  };
  const refuse = (key: keyof TrainCommandOptions, expected: string, received: string): void => {
    if (given.has(key)) throw new RangeError(`${typeof o[key] === 'boolean' ? flagOf(key) : `${flagOf(key)} ${String(o[key])}`}: expected ${expected}, received ${received}`);
  };
  if (o.optimizer !== 'sgd') {
    refuse('momentum', '--optimizer sgd (the only one with momentum)', value('optimizer'));
    refuse('nesterov', '--optimizer sgd (the only one with momentum)', value('optimizer'));
  } else if (o.nesterov && o.momentum === 0) {
    refuse('nesterov', '--momentum above 0', value('momentum'));
  }
  if (o.schedule !== 'step' && o.schedule !== 'exponential' && o.schedule !== 'plateau') {
    refuse('gamma', '--schedule step, exponential or plateau (the ones that decay by gamma)', value('schedule'));
  }
  if (o.schedule !== 'plateau') refuse('plateauPatience', '--schedule plateau', value('schedule'));
  if (o.schedule === 'plateau') {
    if (!(o.gamma < 1)) throw new RangeError(`--gamma ${o.gamma}: expected a number below 1 with --schedule plateau (the factor the lr is cut by), received ${o.gamma}`);
    refuse('save', '--schedule other than plateau (its state is not saved with the run)', value('schedule'));
    refuse('resume', '--schedule other than plateau (its state is not saved with the run)', value('schedule'));
  }
  if (o.schedule !== 'step') refuse('stepSize', '--schedule step', value('schedule'));
  if (o.schedule === 'onecycle') refuse('warmup', 'a --schedule other than onecycle (it warms up itself)', value('schedule'));
  // not saved with a run: a resumed run could not continue them
  if (saved.size > 0) {
    refuse('warmup', 'no --resume (a warmup is not saved with the run)', `--resume ${file}`);
    refuse('clipGradNorm', 'no --resume (the clipping is not saved with the run)', `--resume ${file}`);
    if (o.schedule === 'onecycle') throw new RangeError(`--schedule onecycle: expected no --resume (its peak lr is not saved as --lr), received --resume ${file}`);
  }
  if (o.weightDecay === 0 && o.l1 === 0) {
    refuse('regularizeFrom', '--weight-decay or --l1 above 0 (the penalties it delays)', `${value('weightDecay')} and ${value('l1')}`);
  }
  if (o.dataset === 'mnist') {
    refuse('features', '--dataset random (MNIST has 784 features)', value('dataset'));
    refuse('classes', '--dataset random (MNIST has 10 classes)', value('dataset'));
  } else {
    refuse('dataDir', '--dataset mnist (random data is generated)', value('dataset'));
  }
  if (o.device !== 'native') refuse('threads', '--device native (the only one with threads)', value('device'));
}

function flagOf(key: keyof TrainCommandOptions): string {
  return key === 'standardize' || key === 'shuffle' ? `--no-${key}` : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

// the data and batching of a run, saved with its progress so that --resume continues on the same
// samples in the same batches (a file saved before these were kept holds only dataset and seed)
type RunOptions = Pick<TrainCommandOptions, 'dataset' | 'batchSize' | 'shuffle' | 'stratified' | 'regularizeFrom' | 'seed' | 'valSplit'> &
  Partial<Pick<TrainCommandOptions, 'samples' | 'features' | 'classes'>>;

// --samples as the flag decides it (random data: 1000 by default; MNIST: every image when not given),
// not as many as the data held, so that the run's own command line with --resume agrees with the file
function runOptions(o: TrainCommandOptions, seed: number): RunOptions {
  const r: RunOptions = { dataset: o.dataset, batchSize: o.batchSize, shuffle: o.shuffle, stratified: o.stratified, regularizeFrom: o.regularizeFrom, seed, valSplit: o.valSplit ?? DEFAULT_VAL_SPLIT };
  const samples = o.samples ?? (o.dataset === 'random' ? RANDOM_SAMPLES : undefined);
  if (samples !== undefined) r.samples = samples;
  if (o.dataset === 'random') Object.assign(r, { features: o.features, classes: o.classes });
  return r;
}

// what a file given to --resume decides, as the flags that would have made it (only what it holds)
type Saved = Partial<Pick<TrainCommandOptions,
  'hidden' | 'act' | 'dtype' | 'precision' | 'standardize' | 'optimizer' | 'lr' | 'weightDecay' | 'l1' | 'maxNorm' | 'momentum' | 'nesterov' | 'schedule' | 'gamma' | 'stepSize'> & RunOptions>;

function savedOptions(m: LoadedFFNN, file: string): Saved {
  const s: Saved = { hidden: [...m.config.hidden], act: m.net.activations.map((a) => a.kind), dtype: m.config.dtype, precision: m.config.precision ?? 'float32', standardize: m.standardizer !== null };
  const opt = m.optimizerState;
  const sch = m.scheduleState;
  // a value of the wrong type is left to loadStateDict, which names it
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  // progress: a value of the wrong type is not used (the flag or its default decides)
  const p = m.progress ?? {};
  const count = (k: keyof RunOptions, min: number): void => {
    const v = p[k];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) Object.assign(s, { [k]: v });
  };
  if (p.dataset === 'mnist' || p.dataset === 'random') s.dataset = p.dataset;
  count('samples', 1);
  count('batchSize', 1);
  count('regularizeFrom', 1);
  count('seed', 0);
  if (s.dataset === 'random') {
    count('features', 1);
    count('classes', 2);
  }
  for (const k of ['shuffle', 'stratified'] as const) if (typeof p[k] === 'boolean') s[k] = p[k] as boolean;
  // a run saved before the hold-out existed trained on every sample
  s.valSplit = typeof p.valSplit === 'number' && p.valSplit >= 0 && p.valSplit < 1 ? p.valSplit : 0;
  if (opt !== null) {
    if (opt.optimizer !== 'SGD' && opt.optimizer !== 'Adam') {
      throw new FormatError(`metadata ffnn.optimizer: expected optimizer "SGD" or "Adam", found ${JSON.stringify(opt.optimizer)}`, file);
    }
    const h = opt.hyper ?? {};
    s.optimizer = opt.optimizer === 'SGD' ? 'sgd' : h.decoupled === true ? 'adamw' : 'adam';
    // --lr is the run's initial lr; the lr a schedule has reached is restored with the optimizer
    s.lr = num(sch?.baseLr ?? h.lr);
    s.weightDecay = num(h.weightDecay);
    s.l1 = num(h.l1);
    s.maxNorm = num(h.maxNorm);
    if (s.optimizer === 'sgd') {
      s.momentum = num(h.momentum);
      s.nesterov = typeof h.nesterov === 'boolean' ? h.nesterov : undefined;
    }
  }
  if (opt !== null || sch !== null) {
    s.schedule = sch === null ? 'none' : scheduleFlag(sch.scheduler, file);
    s.gamma = num(sch?.options?.gamma);
    s.stepSize = num(sch?.options?.stepSize);
  }
  for (const k of Object.keys(s) as (keyof Saved)[]) if (s[k] === undefined) delete s[k];
  return s;
}

function scheduleFlag(kind: unknown, file: string): TrainCommandOptions['schedule'] {
  switch (kind) {
    case 'StepLR':
      return 'step';
    case 'ExponentialLR':
      return 'exponential';
    case 'CosineAnnealingLR':
      return 'cosine';
    default:
      throw new FormatError(`metadata ffnn.schedule: expected scheduler "StepLR", "ExponentialLR" or "CosineAnnealingLR", found ${JSON.stringify(kind)}`, file);
  }
}

// the options of a resumed run: the file's values, each typed flag checked against them. a flag that
// agrees is accepted, so a run's own command line with --resume added continues it.
function resumeOptions(o: TrainCommandOptions, given: ReadonlySet<string>, saved: Saved, file: string): TrainCommandOptions {
  if (given.has('init')) throw new RangeError(`--init: expected no --init with --resume (the weights come from ${file}), received ${o.init}`);
  const r: Record<string, unknown> = { ...o };
  const show = (v: unknown): string => (Array.isArray(v) ? (new Set(v).size === 1 ? String(v[0]) : v.join(',')) : String(v));
  for (const [key, v] of Object.entries(saved) as [keyof Saved, Saved[keyof Saved]][]) {
    let typed: unknown = o[key];
    // --act: one name for every layer, 'sig' for sigmoid
    if (key === 'act') typed = (o.act.length === 1 ? saved.hidden?.map(() => o.act[0]) ?? o.act : o.act).map((a) => (a === 'sig' ? 'sigmoid' : a));
    if (given.has(key) && JSON.stringify(typed) !== JSON.stringify(v)) {
      const at = `saved in ${file}, which --resume continues`;
      // a boolean flag is typed only one way: --no-standardize and --no-shuffle off, --nesterov and --stratified on
      if (key === 'standardize') throw new RangeError(`--no-standardize: expected standardized inputs (${at}), received --no-standardize`);
      if (key === 'shuffle') throw new RangeError(`--no-shuffle: expected shuffled batches (${at}), received --no-shuffle`);
      if (key === 'nesterov' || key === 'stratified') throw new RangeError(`${flagOf(key)}: expected no ${flagOf(key)} (${file} was saved without it), received ${flagOf(key)}`);
      throw new RangeError(`${flagOf(key)}: expected ${show(v)} (${key === 'lr' ? 'the initial lr ' : ''}${at}), received ${show(o[key])}`);
    }
    r[key] = v;
  }
  return r as unknown as TrainCommandOptions;
}

function restore(file: string, key: string, load: () => void): void {
  try {
    load();
  } catch (e) {
    throw new FormatError(`metadata ${key} does not load: ${(e as Error).message}`, file);
  }
}

// the model of a run saved by --save: an FFNN
function loadRun(file: string, device: Device): LoadedFFNN {
  const m = loadModel(file, { device });
  if (!(m.net instanceof FFNN)) throw new RangeError(`--resume: expected a model saved by ffnn train (an FFNN), received ${file} holding ${m.net.toString()}`);
  return m as LoadedFFNN;
}

function savedNumber(m: LoadedFFNN | null, key: string): number | undefined {
  const v = m?.progress?.[key];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

function loadData(o: TrainCommandOptions, seed: number): { train: TensorDataset; test: TensorDataset } {
  if (o.dataset === 'random') {
    const N = o.samples ?? RANDOM_SAMPLES;
    return {
      train: new RandomDataset(N, o.features, o.classes, { seed, dtype: o.dtype }),
      test: new RandomDataset(Math.max(1, Math.floor(N / 5)), o.features, o.classes, { seed: seed + 1, dtype: o.dtype }),
    };
  }
  return {
    train: loadMNIST({ split: 'train', dir: o.dataDir, dtype: o.dtype, limit: o.samples }),
    test: loadMNIST({ split: 'test', dir: o.dataDir, dtype: o.dtype }),
  };
}

function featureCount(ds: TensorDataset): number {
  return ds.x.shape[1];
}

function classCount(o: TrainCommandOptions): number {
  return o.dataset === 'random' ? o.classes : 10;
}

export function makeOptimizer(o: TrainCommandOptions, net: Module): Optimizer {
  const params = net.parameters();
  if (o.optimizer === 'sgd') {
    return new SGD(params, {
      lr: o.lr ?? 0.05,
      momentum: o.momentum,
      nesterov: o.nesterov,
      weightDecay: o.weightDecay,
      l1: o.l1,
      maxNorm: o.maxNorm,
      device: o.device,
    });
  }
  const Ctor = o.optimizer === 'adamw' ? AdamW : Adam;
  return new Ctor(params, { lr: o.lr ?? 0.001, weightDecay: o.weightDecay, l1: o.l1, maxNorm: o.maxNorm, device: o.device });
}

// the run's schedules in the order trainFFNN steps them: --schedule (saved with --save), the --warmup
// (created after it: it scales the lr the schedule starts from), and --schedule plateau on the
// validation loss after every epoch (its state is not saved: --save and --resume refuse it); the
// MNIST runs and the table runs alike
export function runSchedules(
  o: TrainCommandOptions, optimizer: Optimizer, epochs: number, stepsPerEpoch: number,
): { schedule: LRScheduler | null; schedules: LRScheduler[]; plateau: ReduceLROnPlateau | null } {
  const schedule = o.schedule === 'plateau' ? null : makeSchedule(o, optimizer, epochs, stepsPerEpoch);
  const warmup = o.warmup === undefined ? null : new LinearLR(optimizer, { startFactor: 0.01, totalIters: o.warmup });
  const plateau = o.schedule === 'plateau' ? new ReduceLROnPlateau(optimizer, { factor: o.gamma, patience: o.plateauPatience ?? 3 }) : null;
  const schedules = [schedule, warmup, plateau].filter((x): x is LRScheduler => x !== null);
  return { schedule, schedules, plateau };
}

// the --schedule other than plateau (runSchedules makes that one), or null for none
function makeSchedule(o: TrainCommandOptions, opt: Optimizer, epochs: number, stepsPerEpoch: number): LRScheduler | null {
  switch (o.schedule) {
    case 'onecycle':
      return new OneCycleLR(opt, { maxLr: opt.lr, epochs, stepsPerEpoch });
    case 'cosine':
      return new CosineAnnealingLR(opt, { tMax: epochs });
    case 'step':
      return new StepLR(opt, { stepSize: o.stepSize, gamma: o.gamma });
    case 'exponential':
      return new ExponentialLR(opt, { gamma: o.gamma });
    default:
      return null;
  }
}
