// `ffnn train --data FILE --target COL`, `ffnn predict MODEL --data FILE`, `ffnn export MODEL --onnx
// FILE`: a network on the user's own table. the table is split (seeded; stratified for classes) before
// anything is fitted, the standardizer is fitted on the training part only, validation figures come
// from the held-out part every epoch; the saved model keeps the schema and standardizer, so predict
// and the ONNX export encode new rows as in training.
import { basename } from 'node:path';
import { randomSplit } from '../data/split.js';
import { Standardizer } from '../data/standardize.js';
import { loadTable, readTable, unencodableColumn, type TableDataset } from '../data/table.js';
import { gatherRows, TensorDataset, type Dataset } from '../data/dataset.js';
import { Tensor } from '../tensor.js';
import { exportONNX, ONNX_OPSET } from '../io/onnx.js';
import { writeFileAtomic } from '../io/atomic.js';
import { defaultDevice, type Device } from '../kernels/index.js';
import type { ActivationName } from '../nn/activation.js';
import { FFNN } from '../nn/ffnn.js';
import { Linear } from '../nn/linear.js';
import { MSELoss } from '../nn/loss.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import type { Optimizer } from '../optim/optimizer.js';
import { loadModel, saveModel } from '../train/checkpoint.js';
import { evaluate, type Evaluation } from '../train/evaluate.js';
import { outputKind, predict } from '../train/predict.js';
import { trainFFNN } from '../train/train.js';
import { checkOutputPath, makeOptimizer, runSchedules, type TrainCommandOptions } from './train.js';

// defaults of a table run where the flag is not typed (the MNIST ones suit 60000 images, not 300 rows)
export const TABLE_DEFAULTS = {
  hidden: [32, 16],
  optimizer: 'adam' as const,
  lr: 0.01,
  schedule: 'none' as const,
  epochs: 100,
  batchSize: 32,
  valSplit: 0.2,
};

export async function runTrainTable(typed: TrainCommandOptions, given: ReadonlySet<string>): Promise<void> {
  const o: TrainCommandOptions = { ...typed, device: typed.device ?? defaultDevice().device };
  for (const k of ['hidden', 'optimizer', 'lr', 'schedule', 'epochs', 'batchSize'] as const) {
    if (!given.has(k)) Object.assign(o, { [k]: TABLE_DEFAULTS[k] });
  }
  const file = o.data as string;
  if (o.target === undefined) throw new RangeError(`--target: expected the column to predict with --data ${file}, received none`);
  const out = process.stdout;
  const seed = o.seed ?? 1;
  const valSplit = o.valSplit ?? TABLE_DEFAULTS.valSplit;
  if (o.plot !== false) checkOutputPath('--plot', o.plot, ['.svg', '.png']);
  if (o.save !== undefined) checkOutputPath('--save', o.save);
  const ds = loadTable(file, { target: o.target, task: o.task ?? 'auto', ...(o.columns === undefined ? {} : { features: o.columns }) });
  const schema = ds.schema;
  const classification = schema.task === 'classification';
  out.write(describeTable(file, ds));
  if (valSplit === 0 && o.earlyStop !== undefined) throw new RangeError(`--early-stop: expected a validation set (--val-split above 0), received --val-split 0`);
  const [trainPart, valPart] = valSplit > 0 ? randomSplit(ds, [1 - valSplit, valSplit], { seed, stratified: classification }) : [ds, null];
  if (trainPart.length === 0 || valPart?.length === 0) {
    throw new RangeError(`--val-split: expected a fraction leaving rows on both sides of ${ds.length}, received ${valSplit}`);
  }
  // fitted on the training rows only: the validation rows stay unseen
  const standardizer = o.standardize ? new Standardizer().fit(trainPart) : null;
  // contiguous rows in the network's dtype (a table is read as float32)
  const prep = (d: Dataset): TensorDataset => {
    const { x, y } = gatherRows('data', standardizer === null ? d : standardizer.transform(d), true);
    return new TensorDataset(x.to(o.dtype), y instanceof Tensor ? y.to(o.dtype) : (y as Int32Array));
  };
  const trainSet = prep(trainPart);
  const valSet = valPart === null ? undefined : prep(valPart);
  const F = schema.featureNames.length;
  const acts = (o.act.length === 1 ? new Array(o.hidden.length).fill(o.act[0]) : o.act) as ActivationName[];
  if (acts.length !== o.hidden.length) throw new RangeError(`--act: expected one activation or ${o.hidden.length} (one per hidden layer), received ${o.act.length}`);
  const opts = { device: o.device, dtype: o.dtype };
  let net: FFNN | Sequential;
  if (classification) {
    net = new FFNN(F, o.hidden, acts, (schema.classes as string[]).length, { ...opts, seed, init: o.init });
  } else {
    // a linear output for a number; Linear's seeds drawn from the run's seed
    const widths = [F, ...o.hidden];
    const mods: Array<Module | ActivationName> = [];
    const init = o.init === 'auto' ? undefined : o.init;
    widths.slice(1).forEach((w, i) => mods.push(new Linear(widths[i], w, { ...opts, seed: seed + i, ...(init ? { init } : {}) }), acts[i]));
    mods.push(new Linear(widths[widths.length - 1], 1, { ...opts, seed: seed + widths.length, ...(init ? { init } : {}) }));
    net = new Sequential(...mods);
  }
  const loss = classification ? undefined : new MSELoss({ device: o.device });
  const optimizer: Optimizer = makeOptimizer(o, net);
  if (o.schedule === 'plateau' && valSet === undefined) throw new RangeError('--schedule plateau: expected a validation set (--val-split above 0), received --val-split 0');
  const { schedules } = runSchedules(o, optimizer, o.epochs as number, Math.ceil(trainSet.length / o.batchSize));
  out.write(
    `ffnn train: ${trainSet.length} train, ${valSet?.length ?? 0} validation rows (seed ${seed}${classification ? ', stratified' : ''}), ${net.toString()}, ` +
      `${o.optimizer} lr ${optimizer.lr}, batch ${o.batchSize}, up to ${o.epochs} epochs` +
      `${o.earlyStop === undefined ? '' : `, early stopping after ${o.earlyStop} without a better validation loss`}, device ${o.device}\n`,
  );
  const curves: { train: number[]; validation: number[] } = { train: [], validation: [] };
  let stoppedAt = 0;
  const t0 = performance.now();
  trainFFNN(net, trainSet, optimizer, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    verbose: 0,
    shuffle: o.shuffle,
    seed,
    // batches holding several classes need class labels
    stratified: o.stratified && classification,
    schedule: schedules,
    clipGradNorm: o.clipGradNorm,
    regularizeFrom: o.regularizeFrom,
    loss,
    validation: valSet,
    earlyStopping: o.earlyStop === undefined ? undefined : { monitor: 'loss', patience: o.earlyStop, restoreBest: true },
    onEpoch: (info) => {
      stoppedAt = info.epoch;
      // the training figures of the weights at the end of the epoch, as the validation ones
      const tr = evaluate(net, trainSet, { loss });
      curves.train.push(tr.loss);
      if (info.validation !== undefined) curves.validation.push(info.validation.loss);
      if (o.verbose >= 1) out.write(`epoch ${info.epoch}/${o.epochs}  ${figures('train', tr, classification)}${info.validation ? `  ${figures('val', info.validation, classification)}` : ''}\n`);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (stoppedAt < (o.epochs as number)) out.write(`early stop after epoch ${stoppedAt}: the weights of the best validation epoch are restored\n`);
  if (valSet !== undefined) {
    const v = evaluate(net, valSet, { loss });
    out.write(`validation (${v.samples} rows): ${classification ? `accuracy ${pct(v.accuracy)}  loss ${v.loss.toFixed(4)}` : `MAE ${fmt(v.mae)}  RMSE ${fmt(v.rmse)}  R² ${(v.r2 ?? NaN).toFixed(4)}`}  (${seconds.toFixed(1)} s)\n`);
  }
  if (o.save !== undefined) {
    saveModel(o.save, net, { schema, standardizer: standardizer ?? undefined, progress: { epochs: stoppedAt, seed, valSplit, data: file } });
    out.write(`model written to ${o.save}\n`);
  }
  if (o.plot !== false) {
    const { plotLosses } = await import('../report/plot.js');
    const runs: Record<string, number[]> = { [`training ${classification ? 'cross-entropy' : 'MSE'}`]: curves.train };
    if (curves.validation.length > 0) runs[`validation ${classification ? 'cross-entropy' : 'MSE'}`] = curves.validation;
    await plotLosses(runs, o.plot, {
      title: `ffnn train: ${basename(file)}, target ${o.target}, ${[F, ...o.hidden, classification ? (schema.classes as string[]).length : 1].join('-')} ${[...new Set(acts)].join(',')}, ${o.optimizer} lr ${optimizer.lr}`,
      xAxis: 'epoch',
      yLabel: classification ? 'loss (cross-entropy)' : 'loss (MSE)',
      logScale: [...curves.train, ...curves.validation].every((l) => l > 0),
    });
    out.write(`loss plot written to ${o.plot}\n`);
  }
}

function describeTable(file: string, ds: TableDataset): string {
  const s = ds.schema;
  const cats = s.columns.filter((c) => c.categories).map((c) => `${c.name} (${c.categories?.length} categories)`);
  return (
    `${file}: ${ds.length} rows${ds.dropped.length > 0 ? ` (${ds.dropped.length} with a missing value dropped)` : ''}, ` +
    `${s.featureNames.length} features after encoding${cats.length > 0 ? `, one-hot: ${cats.join(', ')}` : ''}; ` +
    `task ${s.task} (${s.taskReason})${s.classes ? `, classes ${s.classes.join(', ')}` : ''}\n`
  );
}

function figures(which: string, e: Evaluation, classification: boolean): string {
  return classification ? `${which} loss ${e.loss.toFixed(4)}  ${which} acc ${pct(e.accuracy)}` : `${which} loss ${e.loss.toFixed(4)}  ${which} MAE ${fmt(e.mae)}`;
}

function pct(a: number): string {
  return `${(100 * a).toFixed(2)}%`;
}

function fmt(v: number | undefined): string {
  return v === undefined ? 'n/a' : v.toPrecision(4);
}

export interface PredictCommandOptions {
  data: string;
  out?: string;
  device?: Device;
}

// one output row per input row: `prediction` (a class name or a number), then p_<class> per class
export function runPredict(model: string, o: PredictCommandOptions): void {
  if (o.out !== undefined) checkOutputPath('--out', o.out, ['.csv']);
  const m = loadModel(model, o.device === undefined ? {} : { device: o.device });
  if (m.schema === null) {
    throw new RangeError(`model: expected a model trained on a table (ffnn train --data ... --save), received ${model} without a table schema`);
  }
  const schema = m.schema;
  const records = readTable(o.data);
  // a row with a missing feature value gets an empty prediction (one output row per input row) and a
  // line on stderr
  const skipped = new Map<number, string>();
  records.forEach((r, i) => {
    const col = unencodableColumn(schema, r);
    if (col !== null) skipped.set(i, col);
  });
  const rows = records.filter((_, i) => !skipped.has(i));
  const p = rows.length === 0 ? null : predict(m.net, rows, { schema, standardizer: m.standardizer ?? undefined });
  const classes = p?.values !== undefined || schema.task === 'regression' ? null : (schema.classes ?? []);
  const lines: string[] = [['prediction', ...(classes ?? []).map((c) => `p_${c}`)].map(csvCell).join(',')];
  let k = 0;
  records.forEach((_, i) => {
    if (skipped.has(i)) {
      lines.push(new Array((classes?.length ?? 0) + 1).fill('').join(','));
      return;
    }
    if (p?.values !== undefined) lines.push(String(p.values[k]));
    else lines.push([String(p?.labels?.[k]), ...(p?.probabilities?.[k] ?? []).map(String)].map(csvCell).join(','));
    k++;
  });
  for (const [i, col] of skipped) process.stderr.write(`ffnn predict: row ${i + 1}: no prediction, column "${col}" is missing or not a number\n`);
  const text = lines.join('\n') + '\n';
  if (o.out === undefined) process.stdout.write(text);
  else {
    writeFileAtomic(o.out, text, 'ffnn predict');
    process.stdout.write(`${records.length - skipped.size} predictions for ${records.length} rows written to ${o.out}\n`);
  }
}

// a CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180)
function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function runExport(model: string, o: { onnx: string }): void {
  checkOutputPath('--onnx', o.onnx, ['.onnx']);
  const m = loadModel(model, { device: 'js' });
  exportONNX(o.onnx, m);
  const C = m.net instanceof FFNN ? m.net.C : lastWidth(m.net);
  const F = m.net instanceof FFNN ? m.net.F : firstWidth(m.net);
  const kind = outputKind(m.net, C, m.schema);
  out(
    `${o.onnx}: ONNX opset ${ONNX_OPSET}, input "features" float32 [N, ${F}]${m.standardizer ? ' (unstandardized: the standardizer is in the graph)' : ''}, ` +
      `output ${kind === 'values' ? `"values" [N, ${C}]` : `"probabilities" [N, ${C}]${m.schema?.classes ? ` (${m.schema.classes.join(', ')})` : ''}`}\n`,
  );
}

function out(s: string): void {
  process.stdout.write(s);
}

function linears(net: Sequential): Linear[] {
  return net.modules.flatMap((m) => (m instanceof Sequential ? linears(m) : m instanceof Linear ? [m] : []));
}

function firstWidth(net: Sequential): number {
  return linears(net)[0]?.inFeatures ?? 0;
}

function lastWidth(net: Sequential): number {
  return linears(net).at(-1)?.outFeatures ?? 0;
}
