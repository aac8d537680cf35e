// saveModel / loadModel: identical weights and outputs after a round trip (both dtypes and devices,
// learnable swish/celu, a shared learnable activation, the standardizer); optimizer and schedule state
// that resume training bit for bit (2 epochs straight == 1, save, load, 1 more); truncated, foreign
// and inconsistent files are FormatErrors; the write is atomic.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Standardizer } from '../../src/data/standardize.js';
import { FormatError } from '../../src/errors.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.js';
import type { Device } from '../../src/kernels/index.js';
import type { DType } from '../../src/kernels/types.js';
import { Swish } from '../../src/nn/activation.js';
import { FFNN } from '../../src/nn/ffnn.js';
import type { Module } from '../../src/nn/module.js';
import { Adam } from '../../src/optim/adam.js';
import { CosineAnnealingLR, StepLR, type LRScheduler } from '../../src/optim/lr-scheduler.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { SGD } from '../../src/optim/sgd.js';
import { Tensor } from '../../src/tensor.js';
import { loadModel, modelConfig, saveModel, MODEL_FORMAT, type ModelConfig } from '../../src/train/checkpoint.js';
import { trainFFNN } from '../../src/train/train.js';
import { argmaxTask, DEVICES, sameBits, snapshot } from './common.js';

const dir = mkdtempSync(join(tmpdir(), 'ffnn-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (name = 'model') => join(dir, `${name}-${n++}.safetensors`);

function expectSameNet(a: Module, b: Module): void {
  const na = a.namedParameters();
  const nb = b.namedParameters();
  expect(nb.map(([k]) => k)).toEqual(na.map(([k]) => k));
  na.forEach(([, p], i) => {
    expect(nb[i][1].dtype).toBe(p.dtype);
    expect(nb[i][1].shape).toEqual(p.shape);
    expect(sameBits(nb[i][1].data, p.data)).toBe(true);
  });
}

describe.each(DEVICES)('checkpoint on %s', (device) => {
  describe.each(['float32', 'float64'] as DType[])('%s', (dtype) => {
    test('round trip: learnable swish and celu, same weights, config and outputs', () => {
      const net = new FFNN(6, [5, 4], ['swish', 'celu'], 3, { device, dtype, seed: 2, learnable: true, beta: 1.5, alpha: 0.7 });
      const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, device });
      trainFFNN(net, argmaxTask(40, 6, 3, 1, dtype), opt, { epochs: 2, batchSize: 8, seed: 1 });
      const names = net.namedParameters().map(([k]) => k);
      expect(names).toEqual(['W1', 'b1', 'W2', 'b2', 'U', 'c', 'beta1', 'alpha2']);
      // training moved the learnable parameters away from their start
      expect(net.activations[0].paramValue()).not.toBe(1.5);
      const file = tmp();
      saveModel(file, net);
      const loaded = loadModel(file, { device });
      expectSameNet(net, loaded.net);
      expect(loaded.net.device).toBe(device);
      expect(loaded.config).toEqual(modelConfig(net));
      expect((loaded.config as ModelConfig).activations).toEqual([
        { kind: 'swish', param: net.activations[0].paramValue(), learnable: true },
        { kind: 'celu', param: net.activations[1].paramValue(), learnable: true },
      ]);
      expect(loaded.optimizerState).toBeNull();
      expect(loaded.scheduleState).toBeNull();
      expect(loaded.standardizer).toBeNull();
      expect(loaded.progress).toBeNull();
      const x = Tensor.randn([7, 6], { seed: 3, dtype });
      expect(sameBits(loaded.net.forward(x).data, net.forward(x).data)).toBe(true);
      // and on the other device
      const other: Device = device === 'js' ? 'native' : 'js';
      if (DEVICES.includes(other)) expectSameNet(net, loadModel(file, { device: other }).net);
    });
  });

  test('a learnable activation shared by every layer stays shared', () => {
    const sw = new Swish({ learnable: true, beta: 1.2, device });
    const net = new FFNN(4, [5, 5], sw, 2, { device, seed: 1 });
    expect(net.namedParameters().map(([k]) => k)).toEqual(['W1', 'b1', 'W2', 'b2', 'U', 'c', 'beta1']);
    const file = tmp();
    saveModel(file, net);
    const loaded = loadModel(file, { device }).net as FFNN;
    expectSameNet(net, loaded);
    expect(loaded.activations[0]).toBe(loaded.activations[1]);
  });

  test('standardizer and progress come back', () => {
    const net = new FFNN(3, [4], 'tanh', 2, { device, seed: 1 });
    const file = tmp();
    const st = new Standardizer().fit(Tensor.from([[1, 2, 3], [3, 2, 0], [0, 2, 1]]));
    saveModel(file, net, { standardizer: st, progress: { epochs: 3, dataset: 'mnist', done: false } });
    const loaded = loadModel(file, { device });
    expect(loaded.standardizer?.mode).toBe('feature');
    expect(Array.from(loaded.standardizer?.mean ?? [])).toEqual(Array.from(st.mean as Float64Array));
    expect(Array.from(loaded.standardizer?.std ?? [])).toEqual(Array.from(st.std as Float64Array));
    expect(loaded.progress).toEqual({ epochs: 3, dataset: 'mnist', done: false });
    const scalar = tmp();
    saveModel(scalar, net, { standardizer: Standardizer.mnist() });
    const s2 = loadModel(scalar).standardizer;
    expect([s2?.mode, s2?.mean?.[0], s2?.std?.[0]]).toEqual(['scalar', 0.1307, 0.3081]);
  });

  const optimizers: [string, (net: FFNN) => Optimizer, (o: Optimizer) => LRScheduler][] = [
    ['SGD momentum + cosine', (net) => new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-3, device }), (o) => new CosineAnnealingLR(o, { tMax: 3 })],
    ['Adam + step', (net) => new Adam(net.parameters(), { lr: 0.01, device }), (o) => new StepLR(o, { stepSize: 1, gamma: 0.5 })],
  ];

  test.each(optimizers)('%s: 3 epochs straight == 1 epoch, save, load (optimizer + schedule), 2 more, bit for bit', (_name, makeOpt, makeSchedule) => {
    const data = argmaxTask(90, 6, 3, 5);
    const make = () => new FFNN(6, [8, 8], ['relu', 'celu'], 3, { device, seed: 7, learnable: true });
    const opts = { batchSize: 16, seed: 3, regularizeFrom: 2 };

    const a = make();
    const aOpt = makeOpt(a);
    const straight = trainFFNN(a, data, aOpt, { ...opts, epochs: 3, schedule: makeSchedule(aOpt) });

    const b = make();
    const bOpt = makeOpt(b);
    const bSched = makeSchedule(bOpt);
    const first = trainFFNN(b, data, bOpt, { ...opts, epochs: 1, schedule: bSched });
    const file = tmp();
    saveModel(file, b, { optimizer: bOpt, schedule: bSched, progress: { epochs: 1 } });

    const loaded = loadModel(file, { device });
    const c = loaded.net as FFNN;
    const cOpt = makeOpt(c);
    cOpt.loadStateDict(loaded.optimizerState as never);
    const cSched = makeSchedule(cOpt);
    cSched.loadStateDict(loaded.scheduleState as never);
    expect(cOpt.lr).toBe(bOpt.lr);
    const rest = trainFFNN(c, data, cOpt, { ...opts, epochs: 2, initialEpoch: Number(loaded.progress?.epochs), schedule: cSched });

    expect(sameBits(straight, [...first, ...rest])).toBe(true);
    snapshot(a).forEach((w, i) => expect(sameBits(w, snapshot(c)[i])).toBe(true));
    expect(cOpt.lr).toBe(aOpt.lr);
  });
});

describe('checkpoint files that are not right', () => {
  const net = new FFNN(4, [3], 'relu', 2, { device: 'js', seed: 1 });
  const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, device: 'js' });
  trainFFNN(net, argmaxTask(10, 4, 2, 1), opt, { epochs: 1, batchSize: 5, seed: 1 });
  const good = tmp('good');
  saveModel(good, net, { optimizer: opt });
  const bytes = readFileSync(good);
  const headerLen = Number(bytes.readBigUInt64LE(0));

  const expectFormatError = (file: string, msg: RegExp) => {
    let err: unknown;
    try {
      loadModel(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(msg);
  };

  test.each([
    ['empty', 0, /shorter than the 8-byte header length/],
    ['inside the length', 5, /shorter than the 8-byte header length/],
    ['inside the header', 8 + Math.floor(headerLen / 2), /truncated/],
    ['after the header', 8 + headerLen, /truncated/],
    ['one byte short', bytes.length - 1, /truncated/],
  ])('truncated %s', (_name, at, msg) => {
    const file = tmp('truncated');
    writeFileSync(file, bytes.subarray(0, at as number));
    expectFormatError(file, msg as RegExp);
  });

  test('a flipped data byte fails the checksum', () => {
    const file = tmp('flipped');
    const b = Buffer.from(bytes);
    b[b.length - 3] ^= 0x40;
    writeFileSync(file, b);
    expectFormatError(file, /checksum mismatch/);
  });

  test('foreign files: not safetensors, a safetensors file that is not an ffnn model, a missing file', () => {
    const png = tmp('png');
    writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'));
    expectFormatError(png, /not a safetensors file/);
    const text = tmp('text');
    writeFileSync(text, 'hello, this is text and not a model at all\n');
    expectFormatError(text, /not a safetensors file/);
    const torchLike = tmp('torch');
    saveSafetensors(torchLike, { 'fc1.weight': Tensor.zeros([3, 4]), 'fc1.bias': Tensor.zeros([3]) }, { format: 'pt' });
    expectFormatError(torchLike, /not an ffnn model: metadata ffnn\.format is undefined, expected "ffnn\.FFNN\/1"/);
    expectFormatError(join(dir, 'no-such-file.safetensors'), /cannot read: ENOENT/);
    expectFormatError(dir, /not a file/);
  });

  const withMeta = (tensors: Record<string, Tensor>, meta: Record<string, string>): string => {
    const file = tmp('bad');
    saveSafetensors(file, tensors, { 'ffnn.format': MODEL_FORMAT, ...meta });
    return file;
  };
  const params = () => Object.fromEntries(net.namedParameters().map(([k, p]) => [k, p as Tensor]));
  const config = JSON.stringify(modelConfig(net));

  test('a tensor of the wrong shape or dtype, or missing', () => {
    expectFormatError(withMeta({ ...params(), W1: Tensor.zeros([3, 4]) }, { 'ffnn.config': config }), /tensor "W1": expected float32 of shape \[4, 3\], found float32 of shape \[3, 4\]/);
    expectFormatError(withMeta({ ...params(), c: Tensor.zeros([2], { dtype: 'float64' }) }, { 'ffnn.config': config }), /tensor "c": expected float32 of shape \[2\], found float64 of shape \[2\]/);
    const { U: _u, ...noU } = params();
    expectFormatError(withMeta(noU, { 'ffnn.config': config }), /missing float tensor "U"/);
  });

  test('a config that is missing, not JSON or not an FFNN', () => {
    expectFormatError(withMeta(params(), {}), /metadata ffnn\.config is missing/);
    expectFormatError(withMeta(params(), { 'ffnn.config': '{"F": 4,' }), /metadata ffnn\.config is not valid JSON/);
    expectFormatError(withMeta(params(), { 'ffnn.config': JSON.stringify({ ...modelConfig(net), hidden: [0] }) }), /ffnn\.config does not describe a valid FFNN: hidden\[0\]/);
    expectFormatError(withMeta(params(), { 'ffnn.config': JSON.stringify({ ...modelConfig(net), activations: [{ kind: 'gelu' }] }) }), /does not describe a valid FFNN/);
    expectFormatError(withMeta(params(), { 'ffnn.config': JSON.stringify({ ...modelConfig(net), dtype: 'float16' }) }), /does not describe a valid FFNN: dtype/);
  });

  test('an optimizer buffer of the wrong shape, or for a parameter that does not exist', () => {
    const { tensors, metadata } = loadSafetensors(good);
    const { 'ffnn.sha256': _a, 'ffnn.header_sha256': _b, ...meta } = metadata;
    expect(Object.keys(tensors)).toContain('optim.0.momentumBuffer');
    const file = tmp('bad-optim');
    saveSafetensors(file, { ...(tensors as Record<string, Tensor>), 'optim.0.momentumBuffer': Tensor.zeros([3, 4]) }, meta);
    expectFormatError(file, /optimizer buffer "optim\.0\.momentumBuffer": expected float32 of shape \[4, 3\] \(parameter W1\)/);
    const extra = tmp('bad-optim');
    saveSafetensors(extra, { ...(tensors as Record<string, Tensor>), 'optim.9.momentumBuffer': Tensor.zeros([1]) }, meta);
    expectFormatError(extra, /optimizer buffer "optim\.9\.momentumBuffer": the model has 4 parameters/);
  });

  test('the write is atomic: no temp file is left, a failed write leaves the old file, bad arguments are refused', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const file = join(sub, 'm.safetensors');
    saveModel(file, net);
    saveModel(file, net, { optimizer: opt });
    expect(readdirSync(sub)).toEqual(['m.safetensors']);
    expect(loadModel(file).optimizerState?.optimizer).toBe('SGD');
    expect(() => saveModel(join(sub, 'missing-dir', 'm.safetensors'), net)).toThrow(/ENOENT/);
    expect(readdirSync(sub)).toEqual(['m.safetensors']);
    expect(() => saveModel('', net)).toThrow(TypeError);
    expect(() => saveModel(file, {} as never)).toThrow(/^net: expected an FFNN/);
    expect(() => saveModel(file, net, { optimizer: {} as never })).toThrow(/^options\.optimizer: expected an optimizer/);
    expect(() => saveModel(file, net, { standardizer: new Standardizer() })).toThrow(/^options\.standardizer: expected a fitted Standardizer/);
    expect(() => loadModel(file, { device: 'gpu' as never })).toThrow(/^options\.device: expected one of/);
  });

  test('a model with NaN or Inf weights is not saved, and a file that holds them is not loaded', () => {
    const bad = new FFNN(4, [3], 'swish', 2, { device: 'js', seed: 1, learnable: true });
    const [W1, , , c, beta1] = bad.parameters();
    const file = tmp('nan');
    W1.data[4] = NaN;
    expect(() => saveModel(file, bad)).toThrow(new RangeError('net parameter W1: expected finite values, received NaN at [1, 1]'));
    W1.data[4] = 0;
    c.data[1] = -Infinity;
    expect(() => saveModel(file, bad)).toThrow(/^net parameter c: expected finite values, received -Infinity at \[1\]/);
    c.data[1] = 0;
    beta1.data[0] = Infinity;
    expect(() => saveModel(file, bad)).toThrow(/^net parameter beta1: expected finite values, received Infinity/);
    expect(existsSync(file)).toBe(false);
    const nan = Tensor.zeros([4, 3]);
    nan.data[5] = NaN;
    expectFormatError(withMeta({ ...params(), W1: nan }, { 'ffnn.config': config }), /tensor "W1": expected finite values, received NaN at \[1, 2\]/);
  });

  test('optimizer buffers may hold Inf: Adam\'s second moment overflows on a huge gradient while the weights stay finite', () => {
    const m = new FFNN(4, [3], 'relu', 2, { device: 'js', seed: 1 });
    const adam = new Adam(m.parameters(), { lr: 0.01, device: 'js' });
    for (const g of [3e38, 1]) {
      for (const p of m.parameters()) p.ensureGrad().data.fill(g);
      adam.step();
    }
    expect(m.parameters().every((p) => p.data.every(Number.isFinite))).toBe(true);
    expect(adam.stateDict().state['0'].expAvgSq?.data[0]).toBe(Infinity);
    const file = tmp('adam-inf');
    saveModel(file, m, { optimizer: adam });
    const loaded = loadModel(file);
    expect([...(loaded.optimizerState?.state['0'].expAvgSq?.data ?? [])].every((v) => v === Infinity)).toBe(true);
    expectSameNet(m, loaded.net);
  });

  test('unknown options are refused, not ignored', () => {
    const file = tmp('options');
    expect(() => saveModel(file, net, { optimiser: opt } as never)).toThrow(TypeError);
    expect(() => saveModel(file, net, { optimiser: opt } as never)).toThrow(
      /^options\.optimiser: expected no such option \(one of optimizer, schedule, standardizer, progress, schema\)/,
    );
    expect(existsSync(file)).toBe(false);
    saveModel(file, net);
    expect(() => loadModel(file, { devise: 'js' } as never)).toThrow(/^options\.devise: expected no such option \(one of device\)/);
  });
});
