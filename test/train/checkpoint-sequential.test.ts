// saveModel / loadModel of a Sequential of the built-in modules (Linear with and without bias, every
// activation with learnable beta / alpha, Dropout, Softmax, a nested Sequential): the same weights bit
// for bit, the same outputs, the schema and standardizer back, on every device; a user's module is a
// TypeError naming its place. then three inputs that used to fail without naming anything (a detached
// parameter buffer, a BigInt in the metadata) and one that already did (activations: [null]), each in a
// child process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Standardizer } from '../../src/data/standardize.js';
import { TableDataset } from '../../src/data/table.js';
import { FormatError } from '../../src/errors.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.js';
import { CELU, ReLU, Sigmoid, Swish, Tanh } from '../../src/nn/activation.js';
import { Dropout } from '../../src/nn/dropout.js';
import { Linear } from '../../src/nn/linear.js';
import { Module } from '../../src/nn/module.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Softmax } from '../../src/nn/softmax.js';
import { CrossEntropyLoss } from '../../src/nn/loss.js';
import { Adam } from '../../src/optim/adam.js';
import { Tensor } from '../../src/tensor.js';
import { loadModel, modelConfig, saveModel, SEQUENTIAL_FORMAT } from '../../src/train/checkpoint.js';
import { trainFFNN } from '../../src/train/train.js';
import { runSnippet } from '../helpers/child.js';
import { ensureDist } from '../reliability/fixtures/dist.js';
import { argmaxTask, DEVICES, sameBits } from './common.js';

const dir = mkdtempSync(join(tmpdir(), 'ffnn-ckpt-seq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const tmp = () => join(dir, `seq-${n++}.safetensors`);

function expectSameParams(a: Module, b: Module): void {
  const na = a.namedParameters();
  const nb = b.namedParameters();
  expect(nb.map(([k]) => k)).toEqual(na.map(([k]) => k));
  na.forEach(([k, p], i) => {
    expect(nb[i][1].shape, k).toEqual(p.shape);
    expect(nb[i][1].dtype, k).toBe(p.dtype);
    expect(sameBits(nb[i][1].data, p.data), k).toBe(true);
  });
}

describe.each(DEVICES)('Sequential checkpoint on %s', (device) => {
  test.each(['float32', 'float64'] as const)('every built-in module, trained, round trip (%s)', (dtype) => {
    const o = { device, dtype };
    const net = new Sequential(
      new Linear(6, 8, { ...o, seed: 1 }),
      new Swish({ ...o, beta: 1.5, learnable: true }),
      new Dropout(0.1, { ...o, seed: 4 }),
      new Sequential(new Linear(8, 7, { ...o, seed: 2, bias: false }), new CELU({ ...o, alpha: 0.7, learnable: true }), new Linear(7, 5, { ...o, seed: 5 }), new Tanh(o)),
      new Linear(5, 5, { ...o, seed: 6 }),
      new ReLU(o),
      new Linear(5, 4, { ...o, seed: 7 }),
      new Sigmoid(o),
      new Linear(4, 3, { ...o, seed: 3 }),
    );
    const data = argmaxTask(48, 6, 3, 2, dtype);
    trainFFNN(net, data, new Adam(net.parameters(), { lr: 0.01, device }), { epochs: 2, batchSize: 16, seed: 1, verbose: 0, loss: new CrossEntropyLoss({ device }) });
    const file = tmp();
    saveModel(file, net);
    const { metadata, tensors } = loadSafetensors(file);
    expect(metadata['ffnn.format']).toBe(SEQUENTIAL_FORMAT);
    expect(Object.keys(tensors).filter((k) => !k.startsWith('ffnn'))).toEqual(net.namedParameters().map(([k]) => k));
    const m = loadModel(file, { device });
    expect(m.net).toBeInstanceOf(Sequential);
    expect(m.net.device).toBe(device);
    expect(m.net.dtype).toBe(dtype);
    expect(m.config).toEqual(modelConfig(net));
    expect(m.net.toString()).toBe(net.toString());
    expectSameParams(net, m.net);
    net.eval();
    m.net.eval();
    const x = Tensor.randn([9, 6], { seed: 8, dtype });
    expect(sameBits(m.net.forward(x).data, net.forward(x).data)).toBe(true);
  });

  test('a classifier ending in Softmax with the schema and standardizer of its table', () => {
    const records = Array.from({ length: 30 }, (_, i) => ({ a: i % 7, b: ['x', 'y', 'z'][i % 3], label: i % 2 === 0 ? 'even' : 'odd' }));
    const ds = TableDataset.fromRecords(records, { target: 'label' });
    const st = new Standardizer().fit(ds);
    const net = new Sequential(new Linear(ds.schema.featureNames.length, 4, { device, seed: 1 }), 'relu', new Linear(4, 2, { device, seed: 2 }), new Softmax());
    const file = tmp();
    saveModel(file, net, { schema: ds.schema, standardizer: st, progress: { epochs: 3 } });
    const m = loadModel(file, { device });
    expect(m.schema).toEqual(ds.schema);
    expect([...(m.standardizer?.mean ?? [])]).toEqual([...(st.mean ?? [])]);
    expect([...(m.standardizer?.std ?? [])]).toEqual([...(st.std ?? [])]);
    expect(m.progress).toEqual({ epochs: 3 });
    expectSameParams(net, m.net);
    expect((m.net as Sequential).modules.at(-1)).toBeInstanceOf(Softmax);
  });
});

describe('Sequential checkpoint: what cannot be saved or loaded', () => {
  test("a user's module is a TypeError naming its place", () => {
    class Double extends Module {
      forward(x: Tensor): Tensor {
        return new Tensor(x.data.map((v) => 2 * v), x.shape);
      }
      backward(g: Tensor): Tensor {
        return new Tensor(g.data.map((v) => 2 * v), g.shape);
      }
    }
    const net = new Sequential(new Linear(3, 3, { device: 'js' }), new Sequential(new ReLU(), new Double()));
    expect(() => saveModel(tmp(), net)).toThrow(TypeError);
    expect(() => saveModel(tmp(), net)).toThrow(/^net\.modules\[1\]\.modules\[1\]: expected a built-in module \(Linear, .*\) to save, received a Double/);
  });

  test('a Linear whose weight is missing from the file is named before anything is built', () => {
    const net = new Sequential(new Linear(3, 4, { device: 'js' }), 'tanh', new Linear(4, 2, { device: 'js' }));
    const file = tmp();
    saveModel(file, net);
    const config = JSON.parse(loadSafetensors(file).metadata['ffnn.config']);
    config.modules[2].inFeatures = 40000;
    config.modules[2].outFeatures = 40000;
    const bad = tmp();
    // the same tensors, a config that claims a 40000 x 40000 layer
    saveModelRaw(bad, file, { 'ffnn.config': JSON.stringify(config) });
    const t0 = performance.now();
    expect(() => loadModel(bad, { device: 'js' })).toThrow(FormatError);
    expect(() => loadModel(bad, { device: 'js' })).toThrow(/tensor "2\.weight": expected float32 of shape \[40000, 40000\], found float32 of shape \[4, 2\]/);
    expect(performance.now() - t0).toBeLessThan(500);
    config.modules[1] = null;
    saveModelRaw(bad, file, { 'ffnn.config': JSON.stringify(config) });
    expect(() => loadModel(bad, { device: 'js' })).toThrow(/does not describe a valid Sequential: modules\[1\]: expected an object \{ kind, \.\.\. \}, received null/);
    config.modules[1] = { kind: 'gelu' };
    config.modules[2] = { kind: 'linear', inFeatures: 4, outFeatures: 2, bias: true };
    saveModelRaw(bad, file, { 'ffnn.config': JSON.stringify(config) });
    expect(() => loadModel(bad, { device: 'js' })).toThrow(/modules\[1\]\.kind: expected one of linear, .*received "gelu"/);
  });
});

// the file's tensors with some metadata replaced
function saveModelRaw(to: string, from: string, meta: Record<string, string>): void {
  const { tensors, metadata } = loadSafetensors(from);
  const m: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) if (!k.startsWith('ffnn.sha256') && !k.startsWith('ffnn.header_sha256')) m[k] = v;
  Object.assign(m, meta);
  const t: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(tensors)) t[k] = v as Tensor;
  saveSafetensors(to, t, m);
}

describe('saveModel / loadModel: clear errors (each in a child process)', () => {
  beforeAll(async () => {
    await ensureDist();
  }, 180_000);
  const SETUP = `
import { mkdtempSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
const dir = mkdtempSync(join(tmpdir(), 'ffnn-ckpt-child-'));
const file = join(dir, 'm.safetensors');
const report = (e) => { console.log(JSON.stringify({ name: e?.constructor?.name, message: String(e?.message) })); };
`;
  const cases: Array<[string, string, string, RegExp]> = [
    [
      'a parameter whose buffer was transferred',
      `const net = new ffnn.FFNN(3, [4], 'relu', 2, { device: 'js' });
       const w = net.parameters()[0]; structuredClone(w.data.buffer, { transfer: [w.data.buffer] });
       try { ffnn.saveModel(file, net); console.log('no error'); } catch (e) { report(e); }`,
      'RangeError',
      /^net parameter W1: expected a Tensor whose data holds its 12 elements, received a float32 tensor of shape \[3, 4\] over 0 elements \(a detached or transferred buffer\?\)$/,
    ],
    [
      'a Sequential parameter whose buffer was transferred',
      `const net = new ffnn.Sequential(new ffnn.Linear(3, 4, { device: 'native' }), 'relu');
       const b = net.parameters()[1]; structuredClone(b.data.buffer, { transfer: [b.data.buffer] });
       try { ffnn.saveModel(file, net); console.log('no error'); } catch (e) { report(e); }`,
      'RangeError',
      /^net parameter 0\.bias: expected a Tensor whose data holds its 4 elements, .*detached or transferred buffer/,
    ],
    [
      'a BigInt in options.progress',
      `const net = new ffnn.FFNN(3, [4], 'relu', 2, { device: 'js' });
       try { ffnn.saveModel(file, net, { progress: { epochs: 2, seen: 10n } }); console.log('no error'); } catch (e) { report(e); }`,
      'TypeError',
      /^options\.progress\.seen: expected a JSON value \(string, finite number, boolean, null, array or plain object\), received 10n$/,
    ],
    [
      'a NaN and a function in options.schema',
      `const net = new ffnn.FFNN(3, [4], 'relu', 2, { device: 'js' });
       try { ffnn.saveModel(file, net, { schema: { target: 'y', columns: [{ name: 'a', scale: NaN }] } }); console.log('no error'); } catch (e) { report(e); }
       try { ffnn.saveModel(file, net, { schema: { target: () => 1 } }); console.log('no error'); } catch (e) { report(e); }`,
      'TypeError',
      /^options\.schema\.columns\[0\]\.scale: expected a JSON value \(a finite number\), received NaN$/,
    ],
    [
      'activations: [null] in the config',
      `ffnn.saveSafetensors(file, { W1: ffnn.Tensor.zeros([3, 4]), b1: ffnn.Tensor.zeros([4]), U: ffnn.Tensor.zeros([4, 2]), c: ffnn.Tensor.zeros([2]) },
         { 'ffnn.format': 'ffnn.FFNN/1', 'ffnn.config': JSON.stringify({ F: 3, hidden: [4], activations: [null], C: 2, dtype: 'float32' }) });
       try { ffnn.loadModel(file, { device: 'js' }); console.log('no error'); } catch (e) { report(e); }`,
      'FormatError',
      /m\.safetensors: ffnn\.config does not describe a valid FFNN: activations\[0\]: expected an object \{ kind, param\?, learnable\? \}, received null$/,
    ],
  ];
  test.each(cases)('%s', async (_name, code, cls, message) => {
    const r = await runSnippet(`${SETUP}\n${code}`);
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const first = JSON.parse(lines[0]) as { name: string; message: string };
    expect(first.name).toBe(cls);
    expect(first.message).toMatch(message);
    for (const l of lines.slice(1)) expect(l).not.toBe('no error');
  }, 30_000);
});

// tied weights: namedParameters names a shared parameter once, the config rebuilds each Linear with
// its own, so the file saved (it was) could not be loaded back ("missing float tensor 2.weight"):
// refused before anything is written, naming both places
test('a model with tied weights is refused by saveModel, no file written', async () => {
  const { existsSync } = await import('node:fs');
  const { FFNN } = await import('../../src/nn/ffnn.js');
  const a = new Linear(5, 5, { seed: 1 });
  const b = new Linear(5, 5, { seed: 2 });
  (b as { weight: Linear['weight'] }).weight = a.weight;
  const file = tmp();
  expect(() => saveModel(file, new Sequential(a, new ReLU(), b))).toThrow(
    'net: expected Linear layers with parameters of their own (a saved model rebuilds each layer with its own), received net.modules[2].weight the same Parameter as net.modules[0].weight (tied); untie them first',
  );
  expect(existsSync(file)).toBe(false);
  const f = new FFNN(4, [4, 4], 'relu', 2, { seed: 3 });
  (f.layers[1] as { bias: Linear['bias'] }).bias = f.layers[0].bias;
  expect(() => saveModel(tmp(), f)).toThrow(/^net: expected Linear layers with parameters of their own .*received net\.children\(\)\[1\]\.bias the same Parameter as net\.children\(\)\[0\]\.bias/);
  // untied, the same network saves and loads back bit for bit
  const c = new Sequential(new Linear(5, 5, { seed: 1 }), new ReLU(), new Linear(5, 5, { seed: 2 }));
  const ok = tmp();
  saveModel(ok, c);
  expectSameParams(c, loadModel(ok).net);
});

// a file whose parts disagree loaded before: an extra tensor (or one a config without the bias no
// longer takes) was dropped silently, a standardizer of another width failed only in predict, a
// schema with fewer classes made predict fall back to indices (red-team pass)
test('loadModel refuses tensors the network does not take, and a standardizer or schema of another width', () => {
  const net = new Sequential(new Linear(3, 4, { seed: 1 }), new ReLU(), new Linear(4, 2, { seed: 2 }));
  const file = tmp();
  const st = new Standardizer({ mean: [0, 1, 2], std: [1, 2, 3] });
  const schema = { target: 'y', task: 'classification', taskReason: 'given', columns: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], featureNames: ['a', 'b', 'c'], classes: ['n', 'y'] };
  saveModel(file, net, { standardizer: st, schema: schema as never });
  expect(loadModel(file).schema?.classes).toEqual(['n', 'y']);
  const edit = (tensors: (t: Record<string, Tensor>) => void, meta: Record<string, string> = {}): string => {
    const { tensors: t0, metadata } = loadSafetensors(file);
    const m: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) if (!k.startsWith('ffnn.sha256') && !k.startsWith('ffnn.header_sha256')) m[k] = v;
    Object.assign(m, meta);
    const t: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(t0)) t[k] = v as Tensor;
    tensors(t);
    const to = tmp();
    saveSafetensors(to, t, m);
    return to;
  };
  expect(() => loadModel(edit((t) => { t.extra = Tensor.zeros([2]); }))).toThrow(/tensor "extra" is not a parameter of the network ffnn\.config describes \(0\.weight, 0\.bias, 2\.weight, 2\.bias\)/);
  expect(() => loadModel(edit((t) => { t['optim.0.momentumBuffer'] = Tensor.zeros([3, 4]); }))).toThrow(/tensor "optim\.0\.momentumBuffer" is an optimizer buffer, but the file has no ffnn\.optimizer metadata/);
  const noBias = modelConfig(net) as { modules: Array<Record<string, unknown>> };
  noBias.modules[2].bias = false;
  expect(() => loadModel(edit(() => {}, { 'ffnn.config': JSON.stringify(noBias) }))).toThrow(/tensor "2\.bias" is not a parameter/);
  expect(() => loadModel(edit(() => {}, { 'ffnn.standardizer': JSON.stringify({ mode: 'feature', mean: [0, 1], std: [1, 1] }) }))).toThrow(/ffnn\.standardizer has statistics for 2 features, the network takes 3/);
  expect(() => loadModel(edit(() => {}, { 'ffnn.schema': JSON.stringify({ ...schema, classes: ['n'] }) }))).toThrow(/ffnn\.schema names 1 classes, the network has 2 outputs/);
  for (const f of [edit((t) => { t.extra = Tensor.zeros([2]); })]) expect(() => loadModel(f)).toThrow(FormatError);
});
