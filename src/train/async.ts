// trainFFNNAsync: trainFFNN on a worker thread, so the event loop stays free while batches run.
// the worker rebuilds the network (modelConfig), the optimizer (stateDict), the schedule and the
// dataset (a copy of its rows), runs trainFFNN there and sends back the losses, the weights and the
// optimizer and schedule state, which are copied into the caller's objects: once the promise
// settles they are exactly as trainFFNN on the main thread would have left them (same seed, same
// bits). until it settles the caller's net, optimizer and schedule are not touched (and must not be
// changed: the result overwrites them).
// abort (options.signal): the worker stops after the step it is running, as trainFFNN does, and
// the promise resolves with the losses of the completed steps; the weights and the optimizer state
// are those after the last of them. errors (a non-finite loss, a bad option) reject with the error
// trainFFNN throws, after the state at that point has been copied back. if the worker itself dies
// (out of memory), the promise rejects and the caller's objects are unchanged. onStep and onEpoch
// run on the caller's thread while the worker goes on (onStep gets the steps in batches, every
// progressInterval ms): an exception they throw stops the worker at a later step than the one it was
// thrown at, so the promise rejects with that exception carrying stepsDone, the steps the returned
// weights hold (not a fixed number: trainFFNN on one thread stops right at the step)
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { checkDataset, gatherRows, isContiguous, type Dataset } from '../data/dataset.js';
import { FormatError, NonFiniteError } from '../errors.js';
import { FFNN } from '../nn/ffnn.js';
import { Adam } from '../optim/adam.js';
import { LRScheduler, type SchedulerStateDict } from '../optim/lr-scheduler.js';
import { Optimizer, type OptimizerStateDict, type ParamState } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import type { ProgressStream } from '../report/progress.js';
import { randomSeed } from '../random.js';
import { Tensor, type FloatArray } from '../tensor.js';
import { checkObject, rangeError, typeError } from '../util/check.js';
import { modelConfig, type ModelConfig } from './checkpoint.js';
import { checkNotTraining, defaultVerbose, markTraining, progressStream, type EpochInfo, type StepInfo, type TrainOptions } from './train.js';

export interface TrainAsyncOptions extends TrainOptions {
  // how often (ms) the worker sends the steps done so far to onStep (default 50)
  progressInterval?: number;
}

// ---- the messages between the two threads (plain data: typed arrays, numbers, strings) ----

export interface PlainTensor {
  data: FloatArray;
  shape: number[];
}

export interface PlainRows {
  x: PlainTensor;
  y: Int32Array | PlainTensor;
}

export interface PlainOptimizerState {
  optimizer: OptimizerStateDict['optimizer'];
  hyper: OptimizerStateDict['hyper'];
  groups?: OptimizerStateDict['groups'];
  params: OptimizerStateDict['params'];
  state: Record<string, Record<string, number | PlainTensor>>;
}

export interface WorkerInput {
  config: ModelConfig;
  device: FFNN['device'];
  // names and shapes of the network's parameters, in namedParameters order, and their values
  paramNames: string[];
  params: FloatArray[];
  // the optimizer's parameters as indices into the network's parameter list
  optimizer: { device: Optimizer['device']; paramIndex: number[]; state: PlainOptimizerState };
  schedule: SchedulerStateDict | null;
  dataset: PlainRows;
  validation: PlainRows | null;
  // the primitive options, passed to trainFFNN unchanged
  options: Record<string, number | string | boolean>;
  onStep: boolean;
  onEpoch: boolean;
  progressInterval: number;
  // isTTY and columns of the progress stream, or null when verbose is 0
  stream: { isTTY: boolean; columns?: number } | null;
  // Int32Array(1) over a SharedArrayBuffer: set to 1 to stop after the current step
  abort: SharedArrayBuffer;
}

export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
  step?: number;
  layer?: string;
  file?: string;
}

export type WorkerMessage =
  | { type: 'write'; text: string }
  | { type: 'steps'; steps: StepInfo[] }
  | { type: 'epoch'; info: EpochInfo }
  | {
      type: 'done';
      losses: Float64Array;
      params: FloatArray[];
      optimizer: PlainOptimizerState;
      schedule: SchedulerStateDict | null;
      error: ErrorInfo | null;
    };

// ---- helpers shared with the worker ----

export function plainOptimizerState(dict: OptimizerStateDict): PlainOptimizerState {
  const state: PlainOptimizerState['state'] = {};
  for (const [i, s] of Object.entries(dict.state)) {
    state[i] = {};
    for (const [k, v] of Object.entries(s) as Array<[keyof ParamState, Tensor | number]>) {
      state[i][k] = v instanceof Tensor ? { data: v.data, shape: [...v.shape] } : v;
    }
  }
  return { optimizer: dict.optimizer, hyper: dict.hyper, groups: dict.groups, params: dict.params, state };
}

export function optimizerStateDict(p: PlainOptimizerState): OptimizerStateDict {
  const state: Record<string, ParamState> = {};
  for (const [i, s] of Object.entries(p.state)) {
    const out: Record<string, number | Tensor> = {};
    for (const [k, v] of Object.entries(s)) out[k] = typeof v === 'number' ? v : new Tensor(v.data, v.shape);
    state[i] = out as ParamState;
  }
  return { optimizer: p.optimizer, hyper: p.hyper, groups: p.groups, params: p.params, state };
}

// the typed arrays of a message, for its transfer list
export function buffersOf(arrays: Iterable<ArrayBufferView>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  return [...out];
}

function optimizerBuffers(p: PlainOptimizerState): FloatArray[] {
  const out: FloatArray[] = [];
  for (const s of Object.values(p.state)) for (const v of Object.values(s)) if (typeof v !== 'number') out.push(v.data);
  return out;
}

// ---- the main-thread side ----

// the compiled worker beside this file; from the TypeScript sources (vitest) the one in dist/
function workerUrl(): URL {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL('../../dist/train/worker.js', here) : new URL('./worker.js', here);
  if (!existsSync(url)) {
    throw new Error(`trainFFNNAsync: the worker ${url.pathname} is missing; build it with \`npm run build\``);
  }
  return url;
}

// options that are objects or functions are handled here; every other option goes to trainFFNN as is
const SPECIAL = new Set(['schedule', 'onStep', 'onEpoch', 'validation', 'loss', 'stream', 'signal', 'progressInterval']);


export function trainFFNNAsync(net: FFNN, dataset: Dataset, optimizer: Optimizer, opts?: TrainAsyncOptions): Promise<number[]> {
  return new Promise<number[]>((resolve, reject) => start(net, dataset, optimizer, opts, resolve, reject));
}

function start(
  net: FFNN,
  dataset: Dataset,
  optimizer: Optimizer,
  opts: TrainAsyncOptions | undefined,
  resolve: (losses: number[]) => void,
  reject: (e: unknown) => void,
): void {
  if (!(net instanceof FFNN)) throw typeError('net', 'an FFNN (trainFFNNAsync rebuilds it on a worker thread)', net);
  checkDataset('dataset', dataset);
  if (!(optimizer instanceof SGD) && !(optimizer instanceof Adam)) throw typeError('optimizer', 'an SGD or Adam optimizer', optimizer);
  const o = checkObject('options', opts);
  const schedule = o.schedule;
  if (schedule !== undefined && !(schedule instanceof LRScheduler)) {
    throw typeError('options.schedule', 'a StepLR, ExponentialLR or CosineAnnealingLR (a schedule the worker can rebuild)', schedule);
  }
  if (schedule !== undefined && schedule.optimizer !== optimizer) {
    throw rangeError('options.schedule', 'a schedule of the optimizer being trained', schedule);
  }
  if (o.loss !== undefined) throw rangeError('options.loss', 'no loss for an FFNN (it trains on CELoss of its probabilities)', o.loss);
  const onStep = optionalFunction('options.onStep', o.onStep) as TrainOptions['onStep'];
  const onEpoch = optionalFunction('options.onEpoch', o.onEpoch) as TrainOptions['onEpoch'];
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw typeError('options.signal', 'an AbortSignal', signal);
  const interval = o.progressInterval === undefined ? 50 : o.progressInterval;
  if (typeof interval !== 'number' || !(interval >= 0)) throw rangeError('options.progressInterval', 'a number of milliseconds >= 0', interval);
  const stream = progressStream(o.stream);
  const options: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(o)) {
    if (SPECIAL.has(k) || v === undefined) continue;
    if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') throw typeError(`options.${k}`, 'a number, string or boolean', v);
    options[k] = v;
  }
  // the shuffling seed is drawn here, so that the worker needs no randomness of its own
  if (options.seed === undefined) options.seed = randomSeed();
  // trainFFNN's default verbosity, decided by the stream here (the worker's stream is a proxy)
  if (options.verbose === undefined) options.verbose = defaultVerbose(stream);

  const named = net.namedParameters();
  const netParams = named.map(([, p]) => p);
  const paramIndex = optimizer.params.map((p, i) => {
    const k = netParams.indexOf(p);
    if (k < 0) throw rangeError(`optimizer.params[${i}]`, "a parameter of the network (trainFFNNAsync trains the network's own parameters)", p);
    return k;
  });
  if (signal?.aborted) {
    // trainFFNN returns before its first step
    net.train();
    resolve([]);
    return;
  }
  // a second run would be overwritten by (or overwrite) the first when they copy back
  checkNotTraining(net, 'trainFFNNAsync');
  const abortFlag = new SharedArrayBuffer(4);
  const input: WorkerInput = {
    config: modelConfig(net),
    device: net.device,
    paramNames: named.map(([name]) => name),
    params: netParams.map((p) => p.data.slice()),
    optimizer: { device: optimizer.device, paramIndex, state: plainOptimizerState(optimizer.stateDict()) },
    schedule: schedule === undefined ? null : schedule.stateDict(),
    dataset: plainRows('dataset', dataset),
    validation: o.validation === undefined ? null : plainRows('options.validation', checkDataset('options.validation', o.validation)),
    options,
    onStep: onStep !== undefined,
    onEpoch: onEpoch !== undefined,
    progressInterval: interval,
    stream: options.verbose === undefined || options.verbose === 0 ? null : { isTTY: stream.isTTY === true, columns: (stream as { columns?: number }).columns },
    abort: abortFlag,
  };
  const transfer = buffersOf([
    ...input.params,
    ...optimizerBuffers(input.optimizer.state),
    ...rowArrays(input.dataset),
    ...(input.validation === null ? [] : rowArrays(input.validation)),
  ]);
  const worker = new Worker(workerUrl(), { workerData: input, transferList: transfer });
  markTraining(net, 'trainFFNNAsync');
  const flag = new Int32Array(abortFlag);
  const stop = (): void => {
    Atomics.store(flag, 0, 1);
  };
  signal?.addEventListener('abort', stop, { once: true });
  // an exception thrown by onStep or onEpoch stops training and rejects, as it would in trainFFNN
  let callbackError: { e: unknown } | null = null;
  const call = (f: () => void): void => {
    if (callbackError !== null) return;
    try {
      f();
    } catch (e) {
      callbackError = { e };
      stop();
    }
  };
  let settled = false;
  const finish = (): void => {
    settled = true;
    markTraining(net, null);
    signal?.removeEventListener('abort', stop);
  };
  worker.on('message', (m: WorkerMessage) => {
    if (settled) return;
    switch (m.type) {
      case 'write':
        // a stream that throws stops training and rejects, as onStep's exceptions do
        call(() => stream.write(m.text));
        return;
      case 'steps':
        for (const s of m.steps) call(() => onStep?.(s));
        return;
      case 'epoch':
        call(() => onEpoch?.(m.info));
        return;
      case 'done': {
        finish();
        try {
          netParams.forEach((p, i) => p.data.set(m.params[i]));
          optimizer.loadStateDict(optimizerStateDict(m.optimizer));
          if (schedule !== undefined && m.schedule !== null) schedule.loadStateDict(m.schedule);
          net.train();
        } catch (e) {
          reject(e);
          return;
        }
        const losses = Array.from(m.losses);
        if (callbackError !== null) {
          // the weights are the state after the worker's last step, later than the callback's
          const e = (callbackError as { e: unknown }).e;
          if (typeof e === 'object' && e !== null && Object.isExtensible(e)) (e as { stepsDone?: number }).stepsDone = losses.length;
          reject(e);
        }
        else if (m.error !== null) reject(rebuildError(m.error));
        else resolve(losses);
        return;
      }
    }
  });
  worker.on('error', (e) => {
    if (settled) return;
    finish();
    reject(e);
  });
  worker.on('exit', (code) => {
    if (settled) return;
    finish();
    reject(new Error(`trainFFNNAsync: the training worker exited with code ${code} before it finished; the model is unchanged`));
  });
}

// the dataset's rows as fresh arrays (copied once, then moved to the worker)
function plainRows(name: string, ds: Dataset): PlainRows {
  if (isContiguous(ds)) {
    const r = ds.rows();
    if (!(r?.x instanceof Tensor) || r.x.ndim !== 2 || r.x.shape[0] !== ds.length) {
      throw rangeError(`${name}.rows()`, `{ x: Tensor [${ds.length}, F], y }`, r);
    }
    const x = { data: r.x.data.slice(), shape: [...r.x.shape] };
    if (r.y instanceof Int32Array) return { x, y: r.y.slice() };
    if (r.y instanceof Tensor) return { x, y: { data: r.y.data.slice(), shape: [...r.y.shape] } };
    throw rangeError(`${name}.rows().y`, 'an Int32Array or a Tensor', r.y);
  }
  const N = ds.length;
  if (N === 0) throw rangeError(name, 'a dataset with at least one sample', 'an empty dataset');
  // gathered into fresh arrays, each item checked (labels within an Int32, as the DataLoader reads them)
  const { x, y } = gatherRows(name, ds);
  const plain = { data: x.data, shape: [...x.shape] };
  if (y instanceof Tensor) return { x: plain, y: { data: y.data, shape: [...y.shape] } };
  return { x: plain, y: y as Int32Array };
}

function rowArrays(r: PlainRows): ArrayBufferView[] {
  return [r.x.data, r.y instanceof Int32Array ? r.y : r.y.data];
}

// the worker's error as the class trainFFNN throws, with the worker's stack
function rebuildError(info: ErrorInfo): Error {
  let e: Error;
  if (info.name === 'NonFiniteError') e = new NonFiniteError(info.message, info.step ?? -1, info.layer ?? '');
  else if (info.name === 'FormatError') e = new FormatError(info.message);
  else if (info.name === 'TypeError') e = new TypeError(info.message);
  else if (info.name === 'RangeError') e = new RangeError(info.message);
  else {
    e = new Error(info.message);
    e.name = info.name;
  }
  if (info.stack !== undefined) e.stack = `${e.stack}\n    -- on the training worker --\n${info.stack}`;
  return e;
}

function optionalFunction(name: string, f: unknown): ((...a: never[]) => unknown) | undefined {
  if (f === undefined) return undefined;
  if (typeof f !== 'function') throw typeError(name, 'a function', f);
  return f as (...a: never[]) => unknown;
}
