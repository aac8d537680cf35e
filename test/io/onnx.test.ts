// exportONNX against onnxruntime-node: the exported graph (a second implementation of the forward
// pass, ONNX Runtime's kernels) gives ffnn's own predict outputs to float32 rounding, for every
// activation, FFNN and Sequential, classification (probabilities, a softmax added after logits) and
// regression, with the standardizer in the graph, on every device; a loaded model exports with its
// own standardizer and schema; what cannot be exported is a clear error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, test } from 'vitest';
import { Standardizer } from '../../src/data/standardize.js';
import { loadTable, TableDataset } from '../../src/data/table.js';
import { exportONNX, ONNX_OPSET } from '../../src/io/onnx.js';
import type { Device } from '../../src/kernels/index.js';
import { CELU, ReLU, Sigmoid, Swish, Tanh, type Activation } from '../../src/nn/activation.js';
import { Dropout } from '../../src/nn/dropout.js';
import { FFNN } from '../../src/nn/ffnn.js';
import { Linear } from '../../src/nn/linear.js';
import { Module } from '../../src/nn/module.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Softmax } from '../../src/nn/softmax.js';
import { Tensor } from '../../src/tensor.js';
import { loadModel, saveModel } from '../../src/train/checkpoint.js';
import { predict } from '../../src/train/predict.js';
import { DEVICES } from '../train/common.js';

// float32 rounding, not an exact match: the graph standardizes in float32 with float32 statistics (ffnn
// in float64, rounded once), and onnxruntime sums the Gemms in its own order; a bug (a wrong beta, a
// missing standardization or softmax) is off by 1e-3 or more
const ONNX_TOLERANCE = 1e-5;

const dir = mkdtempSync(join(tmpdir(), 'ffnn-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (ext = 'onnx') => join(dir, `m-${n++}.${ext}`);

// onnxruntime's output for x (float32 [N, F])
async function runOnnx(file: string, x: Tensor): Promise<{ name: string; dims: readonly number[]; data: Float32Array }> {
  const s = await ort.InferenceSession.create(file);
  expect(s.inputNames).toEqual(['features']);
  const r = await s.run({ features: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]) });
  const name = s.outputNames[0];
  return { name, dims: r[name].dims, data: r[name].data as Float32Array };
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const ACTS: Array<[string, (device: Device) => Activation]> = [
  ['relu', (device) => new ReLU({ device })],
  ['sigmoid', (device) => new Sigmoid({ device })],
  ['tanh', (device) => new Tanh({ device })],
  ['swish beta 1.7', (device) => new Swish({ device, beta: 1.7 })],
  ['swish learnable', (device) => new Swish({ device, beta: 0.8, learnable: true })],
  ['celu alpha 0.6', (device) => new CELU({ device, alpha: 0.6 })],
  ['celu alpha 2.5', (device) => new CELU({ device, alpha: 2.5 })],
];

describe.each(DEVICES)('exportONNX vs onnxruntime on %s', (device) => {
  const x = Tensor.randn([33, 6], { seed: 11 });
  // unstandardized inputs far from 0: the graph's Sub / Div must do the standardizing
  for (let i = 0; i < x.data.length; i++) x.data[i] = 3 * x.data[i] + 10 + (i % 6);
  const st = new Standardizer().fit(x);

  test.each(ACTS)('FFNN with %s: the probabilities', async (_name, make) => {
    const net = new FFNN(6, [9, 5], make(device), 4, { device, seed: 2 });
    const file = tmp();
    exportONNX(file, net, { standardizer: st });
    const r = await runOnnx(file, x);
    expect(r.name).toBe('probabilities');
    expect(r.dims).toEqual([33, 4]);
    const p = predict(net, x, { standardizer: st }).probabilities as number[][];
    expect(maxAbs(r.data, p.flat())).toBeLessThan(ONNX_TOLERANCE);
  });

  test.each(ACTS)('Sequential with %s, logits: a softmax is added as predict adds it', async (_name, make) => {
    const net = new Sequential(new Linear(6, 7, { device, seed: 1 }), make(device), new Dropout(0.3), new Linear(7, 3, { device, seed: 2, bias: false }));
    const file = tmp();
    exportONNX(file, net, { standardizer: st });
    const r = await runOnnx(file, x);
    expect(r.dims).toEqual([33, 3]);
    const p = predict(net, x, { standardizer: st }).probabilities as number[][];
    expect(maxAbs(r.data, p.flat())).toBeLessThan(ONNX_TOLERANCE);
  });

  test('Sequential regression (one linear output), nested, scalar standardizer: the values', async () => {
    const net = new Sequential(new Sequential(new Linear(6, 8, { device, seed: 3 }), new Tanh()), new Linear(8, 4, { device, seed: 4 }), new CELU({ alpha: 0.9 }), new Linear(4, 1, { device, seed: 5 }));
    const sc = new Standardizer({ mode: 'scalar' }).fit(x);
    const file = tmp();
    exportONNX(file, net, { standardizer: sc });
    const r = await runOnnx(file, x);
    expect(r.name).toBe('values');
    expect(r.dims).toEqual([33, 1]);
    const v = predict(net, x, { standardizer: sc }).values as number[];
    // values are not bounded by 1: relative to their size
    const scale = Math.max(1, ...v.map(Math.abs));
    expect(maxAbs(r.data, v) / scale).toBeLessThan(ONNX_TOLERANCE);
  });

  test('a Sequential ending in Softmax gets no second softmax; float64 weights are written as float32', async () => {
    const net = new Sequential(new Linear(6, 5, { device, seed: 6, dtype: 'float64' }), new Swish({ beta: 1.1 }), new Linear(5, 3, { device, seed: 7, dtype: 'float64' }), new Softmax());
    const file = tmp();
    exportONNX(file, net);
    const x64 = new Tensor(Float64Array.from(st.transform(x).data), x.shape);
    const r = await runOnnx(file, st.transform(x));
    const p = predict(net, x64).probabilities as number[][];
    expect(maxAbs(r.data, p.flat())).toBeLessThan(ONNX_TOLERANCE);
    // the outputs are probabilities (rows sum to 1), not a softmax of probabilities
    for (let i = 0; i < 33; i++) expect(r.data[3 * i] + r.data[3 * i + 1] + r.data[3 * i + 2]).toBeCloseTo(1, 5);
    expect(Math.max(...r.data)).toBeGreaterThan(0.5);
  });
});

describe('exportONNX of a model trained on a table', () => {
  test('a loaded model exports with its own standardizer and schema; class names in the metadata', async () => {
    const ds = loadTable(join(__dirname, '../fixtures/tables/penguins.json'), { target: 'Species' });
    const st = new Standardizer().fit(ds);
    const F = ds.schema.featureNames.length;
    const net = new Sequential(new Linear(F, 8, { device: 'js', seed: 1 }), 'relu', new Linear(8, 3, { device: 'js', seed: 2 }));
    const model = tmp('safetensors');
    saveModel(model, net, { schema: ds.schema, standardizer: st });
    const loaded = loadModel(model, { device: 'js' });
    const file = tmp();
    exportONNX(file, loaded);
    const r = await runOnnx(file, ds.x);
    const p = predict(loaded.net, ds.x, { standardizer: loaded.standardizer ?? undefined, schema: loaded.schema ?? undefined }).probabilities as number[][];
    expect(maxAbs(r.data, p.flat())).toBeLessThan(ONNX_TOLERANCE);
    // the class names are in the file's metadata, as text
    const bytes = readFileSync(file).toString('latin1');
    expect(bytes).toContain(JSON.stringify(ds.schema.classes));
    expect(bytes).toContain('ffnn.feature_names');
  });

  test('regression on a table (schema task regression, C = 1)', async () => {
    const records = Array.from({ length: 40 }, (_, i) => ({ a: i, b: ['u', 'v'][i % 2], y: 2 * i + (i % 2) }));
    const ds = TableDataset.fromRecords(records, { target: 'y' });
    const st = new Standardizer().fit(ds);
    const net = new Sequential(new Linear(ds.schema.featureNames.length, 5, { device: 'js', seed: 9 }), new Sigmoid(), new Linear(5, 1, { device: 'js', seed: 10 }));
    const file = tmp();
    exportONNX(file, net, { standardizer: st, schema: ds.schema });
    const r = await runOnnx(file, ds.x);
    const v = predict(net, ds.x, { standardizer: st, schema: ds.schema }).values as number[];
    expect(maxAbs(r.data, v)).toBeLessThan(ONNX_TOLERANCE * Math.max(1, ...v.map(Math.abs)));
  });
});

describe('exportONNX: the file and what it refuses', () => {
  test('opset 13, producer ffnn, the ops named in the issue', () => {
    const net = new Sequential(new Linear(2, 3, { device: 'js' }), new Swish(), new Linear(3, 2, { device: 'js' }), new CELU(), new Linear(2, 2, { device: 'js' }), new Softmax());
    const file = tmp();
    exportONNX(file, net);
    const text = readFileSync(file).toString('latin1');
    for (const op of ['Gemm', 'Mul', 'Sigmoid', 'Celu', 'Softmax']) expect(text).toContain(op);
    expect(text).toContain('ffnn');
    expect(ONNX_OPSET).toBeGreaterThanOrEqual(13);
  });

  test("a user's module, a network without a Linear, bad options, a standardizer of another width", () => {
    class Twice extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
      backward(g: Tensor): Tensor {
        return g;
      }
    }
    const f = tmp();
    expect(() => exportONNX(f, new Sequential(new Linear(2, 2, { device: 'js' }), new Twice()))).toThrow(
      /^net\.modules\[1\]: expected a built-in module \(Linear, .*\) to export, received a Twice$/,
    );
    expect(() => exportONNX(f, new Sequential(new ReLU()))).toThrow(RangeError);
    expect(() => exportONNX(f, {} as never)).toThrow(/^net: expected an FFNN, a Sequential of built-in modules or a loaded model, received an object$/);
    expect(() => exportONNX('', new FFNN(2, [], [], 2, { device: 'js' }))).toThrow(/^file: expected a file path/);
    expect(() => exportONNX(f, new FFNN(2, [], [], 2, { device: 'js' }), { standardise: 1 } as never)).toThrow(/^options\.standardise: expected no such option/);
    const st = new Standardizer().fit(Tensor.randn([4, 3], { seed: 1 }));
    expect(() => exportONNX(f, new FFNN(2, [], [], 2, { device: 'js' }), { standardizer: st })).toThrow(/^options\.standardizer: expected statistics for 2 features/);
    expect(() => exportONNX(f, new FFNN(2, [], [], 2, { device: 'js' }), { standardizer: new Standardizer() })).toThrow(/^options\.standardizer: expected a fitted Standardizer/);
  });

  // the graph is float32: a float64 weight past its range was written as Inf and a standardizer's std
  // below it as 0, and onnxruntime gave NaN where ffnn gives numbers (red-team pass); refused, named
  test('values float32 cannot hold are refused, not exported as Inf or a division by 0', () => {
    const f = tmp();
    const net = new Sequential(new Linear(2, 2, { device: 'js', dtype: 'float64', seed: 1 }));
    (net.at(0) as Linear).weight.data[3] = 1e39;
    expect(() => exportONNX(f, net)).toThrow("net.modules[0] weight: expected values within float32's range (the ONNX model is float32), received \"1e+39 at [3]\"");
    const ok = new Sequential(new Linear(2, 2, { device: 'js', seed: 1 }));
    expect(() => exportONNX(f, ok, { standardizer: new Standardizer({ mean: [0, 0], std: [1e-46, 1] }) })).toThrow(
      "options.standardizer.std: expected non-zero values within float32's range (the ONNX model is float32), received \"1e-46 at [0]\"",
    );
    expect(() => exportONNX(f, ok, { standardizer: new Standardizer({ mean: [0, 0], std: [1e-30, 1] }) })).not.toThrow();
  });

  test('a FIFO at the path is refused, not replaced (the write is atomic)', () => {
    const fifo = join(dir, 'fifo.onnx');
    execFileSync('mkfifo', [fifo]);
    expect(() => exportONNX(fifo, new FFNN(2, [3], 'relu', 2, { device: 'js' }))).toThrow(/exportONNX: expected a path to a regular file or to nothing .*a FIFO; refusing to replace it/);
  });
});
