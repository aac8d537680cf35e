// saveModel / loadModel: an FFNN's or a Sequential's weights and configuration in one safetensors file
// (loadable by the safetensors package of PyTorch), written atomically; optionally the optimizer's and
// schedule's state, the input standardization and the table schema, so that training resumes where
// it stopped and predict encodes new rows as in training.
// tensors: the network's namedParameters (an FFNN's W1, b1, ..., U, c, beta1; a Sequential's torch-style
// "0.weight", "0.bias", "1.beta"); optimizer buffers as "optim.<param index>.<buffer>". metadata
// (strings): ffnn.format (ffnn.FFNN/1 or ffnn.Sequential/1), ffnn.config (JSON), and when given
// ffnn.optimizer, ffnn.schedule, ffnn.standardizer, ffnn.schema, ffnn.progress (JSON).
// a Dropout keeps its p and seed, not where its generator stands: a loaded one draws its masks anew
import { Standardizer } from '../data/standardize.js';
import type { TableSchema } from '../data/table.js';
import { FormatError } from '../errors.js';
import { loadSafetensors, saveSafetensors, type SaveEntry } from '../io/safetensors.js';
import { deviceOption, type Device } from '../kernels/index.js';
import type { Precision } from '../kernels/types.js';
import { Activation, activation } from '../nn/activation.js';
import { Dropout } from '../nn/dropout.js';
import { FFNN } from '../nn/ffnn.js';
import { Linear } from '../nn/linear.js';
import { parameterPlaces, type Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Softmax } from '../nn/softmax.js';
import { checkFinite, checkTensor } from '../nn/validate.js';
import type { Optimizer, OptimizerStateDict, ParamState } from '../optim/optimizer.js';
import type { LRScheduler, SchedulerStateDict } from '../optim/lr-scheduler.js';
import { DTYPES, Tensor, type DType, type Parameter } from '../tensor.js';
import { checkKeys, checkObject, checkOneOf, describe, typeError } from '../util/check.js';

export const MODEL_FORMAT = 'ffnn.FFNN/1';
export const SEQUENTIAL_FORMAT = 'ffnn.Sequential/1';

export interface ActivationConfig {
  kind: 'relu' | 'sigmoid' | 'tanh' | 'swish' | 'celu';
  // beta (swish) or alpha (celu) at construction; the learned value is in the tensors
  param?: number;
  learnable?: boolean;
  // index of an earlier hidden layer whose activation (and learnable parameter) this layer shares
  sameAs?: number;
}

export interface ModelConfig {
  F: number;
  hidden: number[];
  activations: ActivationConfig[];
  C: number;
  dtype: DType;
  // the products' precision; absent means 'float32' (files written before the option)
  precision?: Precision;
}

// one module of a Sequential: an activation (as in an FFNN, without sameAs), a Linear, Dropout, Softmax
// or a nested Sequential
export type ModuleConfig =
  | Omit<ActivationConfig, 'sameAs'>
  | { kind: 'linear'; inFeatures: number; outFeatures: number; bias: boolean; precision?: Precision }
  | { kind: 'dropout'; p: number; seed: number }
  | { kind: 'softmax' }
  | { kind: 'sequential'; modules: ModuleConfig[] };

export interface SequentialConfig {
  kind: 'sequential';
  modules: ModuleConfig[];
  dtype: DType;
}

// the networks saveModel takes
export type SavableNet = FFNN | Sequential;

export interface SaveModelOptions {
  optimizer?: Optimizer;
  schedule?: LRScheduler;
  standardizer?: Standardizer;
  // where training stands (epochs done, seed, ...): stored as JSON, returned by loadModel
  progress?: Record<string, number | string | boolean>;
  // the table schema the model was trained on (a TableDataset's), for predict on new records
  schema?: TableSchema;
}

const SAVE_KEYS = ['optimizer', 'schedule', 'standardizer', 'progress', 'schema'] as const;
const LOAD_KEYS = ['device'] as const;

export interface LoadedModel {
  net: SavableNet;
  config: ModelConfig | SequentialConfig;
  optimizerState: OptimizerStateDict | null;
  scheduleState: SchedulerStateDict | null;
  standardizer: Standardizer | null;
  progress: Record<string, number | string | boolean> | null;
  schema: TableSchema | null;
}

// the configuration saved beside the weights: an FFNN's shape and activations, or a Sequential's modules
// a loaded FFNN (what `ffnn train` saves)
export type LoadedFFNN = LoadedModel & { net: FFNN; config: ModelConfig };

export function modelConfig(net: FFNN): ModelConfig;
export function modelConfig(net: Sequential): SequentialConfig;
export function modelConfig(net: SavableNet): ModelConfig | SequentialConfig;
export function modelConfig(net: SavableNet): ModelConfig | SequentialConfig {
  if (net instanceof Sequential) return { kind: 'sequential', modules: modulesConfig(net, 'net'), dtype: net.dtype };
  return {
    F: net.F,
    hidden: [...net.hidden],
    activations: net.activations.map((a, i) => {
      const first = net.activations.indexOf(a);
      return first < i && a.param !== null ? { ...activationConfig(a), sameAs: first } : activationConfig(a);
    }),
    C: net.C,
    dtype: net.dtype,
    ...(net.precision === 'float32' ? {} : { precision: net.precision }),
  };
}

function activationConfig(a: Activation): ActivationConfig {
  if (a.kind === 'swish' || a.kind === 'celu') return { kind: a.kind, param: a.paramValue(), learnable: a.param !== null };
  return { kind: a.kind };
}

// what saveModel and exportONNX take inside a Sequential
export const BUILT_IN_MODULES = 'a built-in module (Linear, ReLU, Sigmoid, Tanh, Swish, CELU, Dropout, Softmax or a Sequential of them)';

// a user's module (or a subclass of a built-in one with its own forward or backward) has no config to
// rebuild it from: refused, named by its place in the network
function modulesConfig(seq: Sequential, at: string): ModuleConfig[] {
  return seq.modules.map((m, i) => {
    const where = `${at}.modules[${i}]`;
    if (m instanceof Sequential) return { kind: 'sequential', modules: modulesConfig(m, where) };
    if (!m.isPlainBuiltin()) {
      throw typeError(where, `${BUILT_IN_MODULES} to save`, m);
    }
    if (m instanceof Linear) {
      return { kind: 'linear', inFeatures: m.inFeatures, outFeatures: m.outFeatures, bias: m.bias !== null, ...(m.precision === 'float32' ? {} : { precision: m.precision }) };
    }
    if (m instanceof Activation) return activationConfig(m);
    if (m instanceof Dropout) return { kind: 'dropout', p: m.p, seed: m.seed };
    if (m instanceof Softmax) return { kind: 'softmax' };
    throw typeError(where, `${BUILT_IN_MODULES} to save`, m);
  });
}

// JSON text of a metadata value: only strings, finite numbers, booleans, null, arrays and plain objects,
// so that loadModel reads back what was saved (JSON.stringify throws on a BigInt without naming it,
// turns NaN into null and drops a function or undefined silently)
function jsonOf(name: string, v: unknown): string {
  const visit = (x: unknown, at: string, seen: Set<object>): void => {
    if (x === null || typeof x === 'string' || typeof x === 'boolean') return;
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) throw typeError(at, 'a JSON value (a finite number)', x);
      return;
    }
    if (typeof x !== 'object') throw typeError(at, 'a JSON value (string, finite number, boolean, null, array or plain object)', x);
    if (seen.has(x)) throw typeError(at, 'a JSON value without cycles', x);
    const proto = Object.getPrototypeOf(x);
    if (!Array.isArray(x) && proto !== Object.prototype && proto !== null) {
      throw typeError(at, 'a JSON value (string, finite number, boolean, null, array or plain object)', x);
    }
    seen.add(x);
    if (Array.isArray(x)) x.forEach((e, i) => visit(e, `${at}[${i}]`, seen));
    // an undefined property is left out, as JSON.stringify does
    else for (const [k, e] of Object.entries(x)) if (e !== undefined) visit(e, `${at}.${k}`, seen);
    seen.delete(x);
  };
  visit(v, name, new Set());
  return JSON.stringify(v);
}

// tied weights (a JavaScript caller may assign one Linear's weight or bias to another) have one name
// in namedParameters, and the config rebuilds each Linear with its own: such a file would not load
// back. refused before anything is written, naming both places
function checkUntied(net: SavableNet): void {
  const entries: Array<[string, Parameter | null]> = [];
  const visit = (m: Module, at: string): void => {
    if (m instanceof Linear) entries.push([`${at}.weight`, m.weight], [`${at}.bias`, m.bias]);
    m.children().forEach((c, i) => visit(c, m instanceof Sequential ? `${at}.modules[${i}]` : `${at}.children()[${i}]`));
  };
  visit(net, 'net');
  const { repeat } = parameterPlaces(entries);
  if (repeat !== null) {
    throw new RangeError(`net: expected Linear layers with parameters of their own (a saved model rebuilds each layer with its own), received ${repeat[0]} the same Parameter as ${repeat[1]} (tied); untie them first`);
  }
}

export function saveModel(file: string, net: SavableNet, opts?: SaveModelOptions): void {
  if (typeof file !== 'string' || file === '') throw typeError('file', 'a file path', file);
  if (!(net instanceof FFNN) && !(net instanceof Sequential)) throw typeError('net', 'an FFNN or a Sequential of built-in modules', net);
  const o = checkObject('options', opts);
  checkKeys('options', o, SAVE_KEYS);
  checkUntied(net);
  const tensors: Record<string, SaveEntry> = {};
  // a diverged model is refused, not checkpointed. the optimizer's buffers are saved as they are: Adam's
  // second moment overflows to Inf in float32 on a huge finite gradient while the weights stay finite.
  // a detached (transferred) buffer is named here, not by a typed-array constructor deep in the write
  for (const [name, p] of net.namedParameters()) {
    checkTensor(`net parameter ${name}`, p);
    checkFinite(`net parameter ${name}`, p);
    tensors[name] = p;
  }
  const metadata: Record<string, string> = {
    'ffnn.format': net instanceof FFNN ? MODEL_FORMAT : SEQUENTIAL_FORMAT,
    'ffnn.config': JSON.stringify(modelConfig(net)),
  };
  const optimizer = o.optimizer as Optimizer | undefined;
  if (optimizer !== undefined) {
    if (typeof optimizer?.stateDict !== 'function') throw typeError('options.optimizer', 'an optimizer', optimizer);
    const dict = optimizer.stateDict();
    const state: Record<string, Record<string, number>> = {};
    for (const [i, s] of Object.entries(dict.state)) {
      state[i] = {};
      for (const [k, v] of Object.entries(s) as Array<[keyof ParamState, Tensor | number]>) {
        if (v instanceof Tensor) tensors[`optim.${i}.${k}`] = v;
        else state[i][k] = v;
      }
    }
    metadata['ffnn.optimizer'] = jsonOf('options.optimizer.stateDict()', { optimizer: dict.optimizer, hyper: dict.hyper, groups: dict.groups, params: dict.params, state });
  }
  const schedule = o.schedule as LRScheduler | undefined;
  if (schedule !== undefined) {
    if (typeof schedule?.stateDict !== 'function') throw typeError('options.schedule', 'a learning-rate schedule', schedule);
    metadata['ffnn.schedule'] = jsonOf('options.schedule.stateDict()', schedule.stateDict());
  }
  const st = o.standardizer as Standardizer | undefined;
  if (st !== undefined) {
    if (!(st instanceof Standardizer) || st.mean === null || st.std === null) {
      throw typeError('options.standardizer', 'a fitted Standardizer', st);
    }
    metadata['ffnn.standardizer'] = JSON.stringify({ mode: st.mode, mean: [...st.mean], std: [...st.std] });
  }
  if (o.schema !== undefined) metadata['ffnn.schema'] = jsonOf('options.schema', checkObject('options.schema', o.schema));
  if (o.progress !== undefined) metadata['ffnn.progress'] = jsonOf('options.progress', checkObject('options.progress', o.progress));
  saveSafetensors(file, tensors, metadata, 'saveModel');
}

// the weight matrices the config implies (W1 [F, h1] ... U [hL, C]) against the file's tensors, before
// a network is built: a config that claims huge layers and holds no tensors is refused at once
function checkWeightShapes(file: string, config: ModelConfig, tensors: Record<string, unknown>): void {
  const { F, hidden, C } = config;
  if (!Array.isArray(hidden)) return;
  const widths = [F, ...hidden, C];
  // a bad width is the FFNN constructor's to name
  if (!widths.every((w) => Number.isInteger(w) && w >= 1)) return;
  for (let l = 0; l + 1 < widths.length; l++) {
    const name = l + 1 < widths.length - 1 ? `W${l + 1}` : 'U';
    const t = tensors[name];
    const want = [widths[l], widths[l + 1]];
    if (!(t instanceof Tensor)) throw new FormatError(`missing float tensor "${name}" for parameter ${name} (of shape [${want.join(', ')}] in ffnn.config)`, file);
    if (t.dtype !== config.dtype || t.shape.join(',') !== want.join(',')) {
      throw new FormatError(`tensor "${name}": expected ${config.dtype} of shape [${want.join(', ')}], found ${t.dtype} of shape [${t.shape.join(', ')}]`, file);
    }
  }
}

function buildFFNN(file: string, config: ModelConfig, tensors: Record<string, unknown>, device: Device): FFNN {
  try {
    checkOneOf('dtype', config.dtype, DTYPES);
    if (!Array.isArray(config.activations)) throw new TypeError('activations: expected an array');
    const acts: Activation[] = [];
    config.activations.forEach((a, i) => {
      if (a === null || typeof a !== 'object') throw new TypeError(`activations[${i}]: expected an object { kind, param?, learnable? }, received ${String(a)}`);
      if (a.sameAs !== undefined) {
        if (!Number.isInteger(a.sameAs) || a.sameAs < 0 || a.sameAs >= i) throw new RangeError(`activations[${i}].sameAs: expected an earlier layer, received ${a.sameAs}`);
        acts.push(acts[a.sameAs]);
        return;
      }
      acts.push(activationOf(a, device, config.dtype));
    });
    checkWeightShapes(file, config, tensors);
    return new FFNN(config.F, config.hidden, acts, config.C, { device, dtype: config.dtype, seed: 0, precision: config.precision });
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`ffnn.config does not describe a valid FFNN: ${(e as Error).message}`, file);
  }
}

function activationOf(a: Omit<ActivationConfig, 'sameAs'>, device: Device, dtype: DType): Activation {
  const param = a.kind === 'swish' ? { beta: a.param } : a.kind === 'celu' ? { alpha: a.param } : {};
  return activation(a.kind, { device, dtype, ...param, ...(a.learnable ? { learnable: true } : {}) });
}

// every Linear's weight against the file before anything is allocated (as checkWeightShapes for an
// FFNN), then the modules; a bad entry is named by its path (modules[1].modules[0])
function buildSequential(file: string, config: SequentialConfig, tensors: Record<string, unknown>, device: Device): Sequential {
  try {
    checkOneOf('dtype', config.dtype, DTYPES);
    const dtype = config.dtype;
    const check = (list: unknown, at: string, prefix: string): void => {
      if (!Array.isArray(list)) throw new TypeError(`${at}: expected an array of modules, received ${describe(list)}`);
      list.forEach((m: unknown, i) => {
        const where = `${at}[${i}]`;
        if (m === null || typeof m !== 'object') throw new TypeError(`${where}: expected an object { kind, ... }, received ${describe(m)}`);
        const mc = m as ModuleConfig;
        if (mc.kind === 'sequential') check(mc.modules, `${where}.modules`, `${prefix}${i}.`);
        else if (mc.kind === 'linear') {
          const name = `${prefix}${i}.weight`;
          const t = tensors[name];
          const want = [mc.inFeatures, mc.outFeatures];
          if (!(t instanceof Tensor)) throw new FormatError(`missing float tensor "${name}" for ${where} (a Linear of shape [${want.join(', ')}] in ffnn.config)`, file);
          if (t.dtype !== dtype || t.shape.join(',') !== want.join(',')) {
            throw new FormatError(`tensor "${name}": expected ${dtype} of shape [${want.join(', ')}], found ${t.dtype} of shape [${t.shape.join(', ')}]`, file);
          }
        }
      });
    };
    check(config.modules, 'modules', '');
    const build = (list: ModuleConfig[], at: string): Module[] =>
      list.map((m, i) => {
        const where = `${at}[${i}]`;
        switch (m.kind) {
          case 'sequential':
            return new Sequential(...build(m.modules, `${where}.modules`));
          case 'linear':
            return new Linear(m.inFeatures, m.outFeatures, { device, dtype, bias: m.bias, seed: 0, precision: m.precision });
          case 'dropout':
            return new Dropout(m.p, { device, dtype, seed: m.seed });
          case 'softmax':
            return new Softmax({ device, dtype });
          case 'relu':
          case 'sigmoid':
          case 'tanh':
          case 'swish':
          case 'celu':
            return activationOf(m, device, dtype);
          default:
            throw new RangeError(`${where}.kind: expected one of linear, relu, sigmoid, tanh, swish, celu, dropout, softmax, sequential, received ${describe((m as { kind: unknown }).kind)}`);
        }
      });
    return new Sequential(...build(config.modules, 'modules'));
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`ffnn.config does not describe a valid Sequential: ${(e as Error).message}`, file);
  }
}

// what the rest of a model file says against the network its config built: a tensor no parameter
// or optimizer buffer takes (a config that lost a layer or a bias: its weights were dropped silently),
// a standardizer of another width, a schema with another number of classes (predict fell back to
// indices) are a damaged or edited file
function checkFileAgrees(
  file: string, net: FFNN | Sequential, tensors: Record<string, unknown>, optimizer: boolean,
  standardizer: Standardizer | null, schema: TableSchema | null,
): void {
  const names = new Set(net.namedParameters().map(([n]) => n));
  for (const name of Object.keys(tensors)) {
    if (names.has(name)) continue;
    if (/^optim\.\d+\.\w+$/.test(name)) {
      if (optimizer) continue;
      throw new FormatError(`tensor "${name}" is an optimizer buffer, but the file has no ffnn.optimizer metadata`, file);
    }
    throw new FormatError(`tensor "${name}" is not a parameter of the network ffnn.config describes (${[...names].join(', ') || 'none'})`, file);
  }
  const weights = net.weights();
  const F = net instanceof FFNN ? net.F : weights[0]?.shape[0];
  const C = net instanceof FFNN ? net.C : weights[weights.length - 1]?.shape[1];
  const width = standardizer?.mean?.length;
  if (standardizer !== null && standardizer.mode !== 'scalar' && F !== undefined && width !== F) {
    throw new FormatError(`ffnn.standardizer has statistics for ${width} features, the network takes ${F}`, file);
  }
  const classes = schema?.classes;
  if (schema !== null && schema.task === 'classification' && C !== undefined && (!Array.isArray(classes) || classes.length !== C)) {
    throw new FormatError(`ffnn.schema names ${Array.isArray(classes) ? classes.length : 'no'} classes, the network has ${C} outputs`, file);
  }
}

export function loadModel(file: string, opts?: { device?: Device }): LoadedModel {
  if (typeof file !== 'string' || file === '') throw typeError('file', 'a file path', file);
  const o = checkObject('options', opts);
  checkKeys('options', o, LOAD_KEYS);
  const device = deviceOption('options.device', o.device);
  const { tensors, metadata } = loadSafetensors(file);
  const format = metadata['ffnn.format'];
  if (format !== MODEL_FORMAT && format !== SEQUENTIAL_FORMAT) {
    throw new FormatError(`not an ffnn model: metadata ffnn.format is ${JSON.stringify(format)}, expected "${MODEL_FORMAT}" or "${SEQUENTIAL_FORMAT}"`, file);
  }
  const config = parseJson(file, 'ffnn.config', metadata['ffnn.config']) as ModelConfig | SequentialConfig;
  const net = format === MODEL_FORMAT ? buildFFNN(file, config as ModelConfig, tensors, device) : buildSequential(file, config as SequentialConfig, tensors, device);
  for (const [name, p] of net.namedParameters()) {
    const t = tensors[name];
    if (!(t instanceof Tensor)) throw new FormatError(`missing float tensor "${name}" for parameter ${name}`, file);
    if (t.dtype !== p.dtype || t.shape.join(',') !== p.shape.join(',')) {
      throw new FormatError(
        `tensor "${name}": expected ${p.dtype} of shape [${p.shape.join(', ')}], found ${t.dtype} of shape [${t.shape.join(', ')}]`,
        file,
      );
    }
    // weights only: optimizer buffers may hold Inf legitimately (see saveModel)
    try {
      checkFinite(`tensor "${name}"`, t);
    } catch (e) {
      throw new FormatError((e as Error).message, file);
    }
    p.data.set(t.data);
  }
  let optimizerState: OptimizerStateDict | null = null;
  if (metadata['ffnn.optimizer'] !== undefined) {
    const raw = parseJson(file, 'ffnn.optimizer', metadata['ffnn.optimizer']) as {
      optimizer: OptimizerStateDict['optimizer'];
      hyper: OptimizerStateDict['hyper'];
      groups?: OptimizerStateDict['groups'];
      params: OptimizerStateDict['params'];
      state: Record<string, Record<string, number>>;
    };
    const state: Record<string, ParamState> = {};
    const params = net.parameters();
    for (const [i, s] of Object.entries(raw.state ?? {})) state[i] = { ...s };
    for (const [name, t] of Object.entries(tensors)) {
      const m = /^optim\.(\d+)\.(\w+)$/.exec(name);
      if (m === null) continue;
      if (!(t instanceof Tensor)) throw new FormatError(`optimizer buffer "${name}" is not a float tensor`, file);
      const p = params[Number(m[1])];
      if (p === undefined) throw new FormatError(`optimizer buffer "${name}": the model has ${params.length} parameters`, file);
      if (t.dtype !== p.dtype || t.shape.join(',') !== p.shape.join(',')) {
        throw new FormatError(
          `optimizer buffer "${name}": expected ${p.dtype} of shape [${p.shape.join(', ')}] (parameter ${p.name}), found ${t.dtype} of shape [${t.shape.join(', ')}]`,
          file,
        );
      }
      (state[m[1]] ??= {} as ParamState)[m[2] as 'momentumBuffer'] = t;
    }
    optimizerState = { optimizer: raw.optimizer, hyper: raw.hyper, params: raw.params, state };
    if (raw.groups !== undefined) optimizerState.groups = raw.groups;
  }
  const scheduleState = metadata['ffnn.schedule'] === undefined ? null : (parseJson(file, 'ffnn.schedule', metadata['ffnn.schedule']) as SchedulerStateDict);
  let standardizer: Standardizer | null = null;
  if (metadata['ffnn.standardizer'] !== undefined) {
    const s = parseJson(file, 'ffnn.standardizer', metadata['ffnn.standardizer']) as { mode: 'feature' | 'scalar'; mean: number[]; std: number[] };
    try {
      standardizer = new Standardizer({ mode: s.mode, mean: s.mode === 'scalar' ? s.mean[0] : s.mean, std: s.mode === 'scalar' ? s.std[0] : s.std });
    } catch (e) {
      throw new FormatError(`ffnn.standardizer is not valid: ${(e as Error).message}`, file);
    }
  }
  const progress = metadata['ffnn.progress'] === undefined ? null : (parseJson(file, 'ffnn.progress', metadata['ffnn.progress']) as LoadedModel['progress']);
  const schema = metadata['ffnn.schema'] === undefined ? null : (parseJson(file, 'ffnn.schema', metadata['ffnn.schema']) as TableSchema);
  checkFileAgrees(file, net, tensors, optimizerState !== null, standardizer, schema);
  return { net, config, optimizerState, scheduleState, standardizer, progress, schema };
}

function parseJson(file: string, key: string, s: string | undefined): unknown {
  if (s === undefined) throw new FormatError(`metadata ${key} is missing`, file);
  try {
    const v: unknown = JSON.parse(s);
    if (v === null || typeof v !== 'object') throw new Error('not an object');
    return v;
  } catch (e) {
    throw new FormatError(`metadata ${key} is not valid JSON: ${(e as Error).message}`, file);
  }
}
