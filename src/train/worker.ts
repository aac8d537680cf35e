// the training worker of trainFFNNAsync: rebuilds the network, optimizer, schedule and datasets from
// workerData, runs trainFFNN, and posts progress, then the losses and the final state
import { parentPort, workerData } from 'node:worker_threads';
import { TensorDataset } from '../data/dataset.js';
import { activation } from '../nn/activation.js';
import { FFNN } from '../nn/ffnn.js';
import { Adam } from '../optim/adam.js';
import { CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR, type SchedulerStateDict } from '../optim/lr-scheduler.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import type { ProgressStream } from '../report/progress.js';
import { Tensor } from '../tensor.js';
import {
  buffersOf, optimizerStateDict, plainOptimizerState, type ErrorInfo, type PlainRows, type WorkerInput, type WorkerMessage,
} from './async.js';
import { trainFFNN, type StepInfo, type TrainOptions } from './train.js';

const port = parentPort;
if (port === null) throw new Error('ffnn: src/train/worker is the trainFFNNAsync worker; it runs only as a worker thread');
const input = workerData as WorkerInput;
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

// the same FFNN as loadModel builds it, then the caller's weights
function rebuildNet(): FFNN {
  const { config, device } = input;
  const acts = config.activations.map((a) =>
    activation(a.kind, {
      device,
      dtype: config.dtype,
      ...(a.kind === 'swish' ? { beta: a.param } : a.kind === 'celu' ? { alpha: a.param } : {}),
      ...(a.learnable ? { learnable: true } : {}),
    }),
  );
  const net = new FFNN(config.F, config.hidden, acts, config.C, { device, dtype: config.dtype, seed: 0 });
  const named = net.namedParameters();
  const names = named.map(([n]) => n).join(', ');
  if (names !== input.paramNames.join(', ')) {
    throw new RangeError(
      `trainFFNNAsync: the network's parameters [${input.paramNames.join(', ')}] cannot be rebuilt from its configuration ` +
        `(rebuilt: [${names}]; an activation parameter shared between layers is not supported)`,
    );
  }
  named.forEach(([, p], i) => p.data.set(input.params[i]));
  return net;
}

function rebuildOptimizer(net: FFNN): Optimizer {
  const all = net.parameters();
  const params = input.optimizer.paramIndex.map((i) => all[i]);
  const dict = optimizerStateDict(input.optimizer.state);
  const device = input.optimizer.device;
  const opt = dict.optimizer === 'SGD' ? new SGD(params, { lr: 0, device }) : new Adam(params, { device });
  opt.loadStateDict(dict);
  return opt;
}

function rebuildSchedule(opt: Optimizer, s: SchedulerStateDict): LRScheduler {
  const o = s.options as Record<string, number>;
  let sched: LRScheduler;
  if (s.scheduler === 'StepLR') sched = new StepLR(opt, { stepSize: o.stepSize, gamma: o.gamma });
  else if (s.scheduler === 'ExponentialLR') sched = new ExponentialLR(opt, { gamma: o.gamma });
  else sched = new CosineAnnealingLR(opt, { tMax: o.tMax, etaMin: o.etaMin });
  sched.loadStateDict(s);
  return sched;
}

function rebuildDataset(r: PlainRows): TensorDataset {
  const x = new Tensor(r.x.data, r.x.shape);
  return new TensorDataset(x, r.y instanceof Int32Array ? r.y : new Tensor(r.y.data, r.y.shape));
}

function errorInfo(e: unknown): ErrorInfo {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const info: ErrorInfo = { name: e.name, message: e.message, stack: e.stack };
  const extra = e as { step?: unknown; layer?: unknown; file?: unknown };
  if (typeof extra.step === 'number') info.step = extra.step;
  if (typeof extra.layer === 'string') info.layer = extra.layer;
  if (typeof extra.file === 'string') info.file = extra.file;
  return info;
}

function run(): void {
  const net = rebuildNet();
  const optimizer = rebuildOptimizer(net);
  const schedule = input.schedule === null ? undefined : rebuildSchedule(optimizer, input.schedule);
  const dataset = rebuildDataset(input.dataset);
  const validation = input.validation === null ? undefined : rebuildDataset(input.validation);
  const flag = new Int32Array(input.abort);
  const controller = new AbortController();
  let pending: StepInfo[] = [];
  let lastFlush = performance.now();
  const flush = (): void => {
    if (pending.length === 0) return;
    post({ type: 'steps', steps: pending });
    pending = [];
    lastFlush = performance.now();
  };
  const losses: number[] = [];
  const stream: ProgressStream | undefined =
    input.stream === null ? undefined : { write: (text: string) => post({ type: 'write', text }), isTTY: input.stream.isTTY };
  if (stream !== undefined && input.stream?.columns !== undefined) (stream as { columns?: number }).columns = input.stream.columns;
  const opts: TrainOptions = {
    ...(input.options as TrainOptions),
    schedule,
    validation,
    stream,
    signal: controller.signal,
    onStep(info) {
      losses.push(info.loss);
      if (input.onStep) {
        pending.push(info);
        if (performance.now() - lastFlush >= input.progressInterval) flush();
      }
      // trainFFNN checks the signal before its next step
      if (Atomics.load(flag, 0) !== 0) controller.abort();
    },
    onEpoch(info) {
      flush();
      if (input.onEpoch) post({ type: 'epoch', info });
    },
  };
  let error: ErrorInfo | null = null;
  // aborted while the worker started: trainFFNN returns before its first step
  if (Atomics.load(flag, 0) !== 0) controller.abort();
  try {
    trainFFNN(net, dataset, optimizer, opts);
  } catch (e) {
    error = errorInfo(e);
  }
  flush();
  const params = net.parameters().map((p) => p.data);
  const state = plainOptimizerState(optimizer.stateDict());
  const optBuffers = Object.values(state.state).flatMap((s) => Object.values(s).flatMap((v) => (typeof v === 'number' ? [] : [v.data])));
  post(
    { type: 'done', losses: Float64Array.from(losses), params, optimizer: state, schedule: schedule?.stateDict() ?? null, error },
    buffersOf([...params, ...optBuffers]),
  );
}

// a network that cannot be rebuilt throws here: the worker's 'error' rejects, the caller's objects unchanged
run();
