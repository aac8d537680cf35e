// TrainStep (one kernel call per training step) against the module calls it replaces: the same losses,
// weights, gradients and optimizer state bit for bit on each device, native within float tolerance of
// js, batch-size changes, the plan's safety (detached or shrunk arrays, class indices out of range)
// and no allocation in steady state (native scratch count and typed-array constructors).
import { describe, expect, test, vi } from 'vitest';
import {
  Adam, AdamW, CELU, CategoricalCELoss, CELoss, CrossEntropyLoss, Dropout, FFNN, Linear, MSELoss, ReLU, SGD, Sequential, Sigmoid, Swish,
  Tanh, Tensor, TensorDataset, DataLoader, getNumThreads, setNumThreads, trainFFNN,
} from '../../src/index.js';
import type { Device } from '../../src/index.js';
import { nativeAddon } from '../../src/kernels/native.js';
import { backend } from '../../src/kernels/index.js';
import { checked } from '../../src/kernels/checked.js';
import { STEP_STATE, type DType, type FloatArray, type StepPlanSpec } from '../../src/kernels/types.js';
import type { LossModule } from '../../src/nn/loss.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import type { Parameter } from '../../src/tensor.js';
import { TrainStep } from '../../src/train/step.js';
import { wasmMemory } from '../../src/kernels/wasm/memory.js';
import { DEVICES } from '../nn/common.js';

const hasNative = DEVICES.includes('native');

type OptKind = 'sgd' | 'momentum' | 'nesterov' | 'wd' | 'l1' | 'adam' | 'adamw';
const OPTS: readonly OptKind[] = ['sgd', 'momentum', 'nesterov', 'wd', 'l1', 'adam', 'adamw'];

function makeOpt(kind: OptKind, params: Parameter[], device: Device): SGD | Adam {
  switch (kind) {
    case 'sgd': return new SGD(params, { lr: 0.1, device });
    case 'momentum': return new SGD(params, { lr: 0.05, momentum: 0.9, dampening: 0.1, device });
    case 'nesterov': return new SGD(params, { lr: 0.05, momentum: 0.8, nesterov: true, device });
    case 'wd': return new SGD(params, { lr: 0.1, momentum: 0.5, weightDecay: 0.01, device });
    case 'l1': return new SGD(params, { lr: 0.1, l1: 0.001, weightDecay: 0.001, device });
    case 'adam': return new Adam(params, { lr: 0.01, weightDecay: 0.01, l1: 0.0005, device });
    case 'adamw': return new AdamW(params, { lr: 0.01, device });
  }
}

// the first differing element, or null
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `[${i}] ${a[i]} vs ${b[i]}`;
  return null;
}

function expectSameState(a: { parameters(): Parameter[] }, oa: Optimizer, b: { parameters(): Parameter[] }, ob: Optimizer, what: string): void {
  const pa = a.parameters();
  const pb = b.parameters();
  pa.forEach((p, i) => {
    expect(firstDiff(p.data, pb[i].data), `${what}: ${p.name || i} data`).toBeNull();
    expect(firstDiff(p.grad?.data ?? [], pb[i].grad?.data ?? []), `${what}: ${p.name || i} grad`).toBeNull();
  });
  const sa = oa.stateDict();
  const sb = ob.stateDict();
  expect(sb.hyper).toEqual(sa.hyper);
  expect(Object.keys(sb.state)).toEqual(Object.keys(sa.state));
  for (const [k, s] of Object.entries(sa.state)) {
    const t = sb.state[k];
    expect(t.step, `${what}: state ${k} step`).toBe(s.step);
    for (const f of ['momentumBuffer', 'expAvg', 'expAvgSq'] as const) {
      expect(t[f] === undefined, `${what}: state ${k} ${f}`).toBe(s[f] === undefined);
      if (s[f] !== undefined) expect(firstDiff(s[f].data, t[f]!.data), `${what}: state ${k} ${f}`).toBeNull();
    }
  }
}

const BATCHES = [7, 7, 1, 64, 7];
const F = 12;
const C = 5;

// targets: class indices, one-hot rows, or multi-hot rows whose sums are not 1 (0.7 and 0.7 + 0.6)
function batch(step: number, B: number, dtype: DType, target: 'index' | 'one-hot' | 'multi-hot'): [Tensor, Int32Array | Tensor] {
  const x = Tensor.randn([B, F], { seed: 100 + step, dtype });
  const labels = new Int32Array(B).map((_, i) => (i * 3 + step) % C);
  if (target === 'index') return [x, labels];
  const y = Tensor.oneHot(labels, C, { dtype });
  if (target === 'multi-hot') {
    for (let i = 0; i < B; i++) {
      y.data[i * C + labels[i]] = 0.7;
      if (i % 2 === 1) y.data[i * C + ((labels[i] + 2) % C)] = 0.6;
    }
  }
  return [x, y];
}

type ActCase = 'relu' | 'sigmoid' | 'tanh' | 'swish' | 'celu' | 'swish-learnable' | 'celu-learnable' | 'shared-swish';

function makeFFNN(act: ActCase, device: Device, dtype: DType): FFNN {
  const o = { seed: 5, device, dtype };
  switch (act) {
    case 'swish-learnable': return new FFNN(F, [9, 7], ['swish', 'relu'], C, { ...o, learnable: true, beta: 1.3 });
    case 'celu-learnable': return new FFNN(F, [9, 7], ['tanh', 'celu'], C, { ...o, learnable: true, alpha: 0.7 });
    // one learnable Swish instance in both layers: one beta, its gradient summed over the layers
    case 'shared-swish': return new FFNN(F, [9, 7], new Swish({ beta: 0.9, learnable: true, device, dtype }), C, o);
    case 'swish': return new FFNN(F, [9, 7], ['swish', 'sigmoid'], C, { ...o, beta: 1.5 });
    case 'celu': return new FFNN(F, [9, 7], ['celu', 'relu'], C, { ...o, alpha: 0.5 });
    default: return new FFNN(F, [9, 7], act, C, o);
  }
}

// trainFFNN's FFNN step with the module API
function ffnnModuleStep(net: FFNN, opt: Optimizer, x: Tensor, y: Int32Array | Tensor): number {
  const q = net.forward(x);
  const loss = y instanceof Int32Array ? CategoricalCELoss(q, y, { device: net.device }) : CELoss(q, y, { device: net.device });
  net.backward(x, y, q);
  opt.step();
  return loss;
}

function seqModuleStep(net: Sequential, loss: LossModule, opt: Optimizer, x: Tensor, y: Int32Array | Tensor): number {
  const out = net.forward(x);
  const l = loss.forward(out, y);
  net.zeroGrad();
  net.backward(loss.backward());
  opt.step();
  return l;
}

describe.each(DEVICES)('TrainStep on %s: bitwise the module calls', (device: Device) => {
  const ACTS: readonly ActCase[] = ['relu', 'sigmoid', 'tanh', 'swish', 'celu', 'swish-learnable', 'celu-learnable', 'shared-swish'];
  for (const dtype of ['float32', 'float64'] as const) {
    test.each(ACTS)(`FFNN %s, ${dtype}, every optimizer, batches ${BATCHES.join(' ')}`, (act) => {
      for (const kind of OPTS) {
        const target = kind === 'nesterov' ? 'one-hot' : kind === 'adam' ? 'multi-hot' : 'index';
        const a = makeFFNN(act, device, dtype);
        const b = makeFFNN(act, device, dtype);
        const oa = makeOpt(kind, a.parameters(), device);
        const ob = makeOpt(kind, b.parameters(), device);
        const ts = new TrainStep(b, ob);
        expect(ts.fallback).toBeNull();
        BATCHES.forEach((B, s) => {
          if (s === 3) {
            // a schedule and late regularization between steps
            for (const o of [oa, ob]) {
              o.lr *= 0.5;
              o.l1 = kind === 'sgd' ? 0.002 : o.l1;
            }
          }
          const [x, y] = batch(s, B, dtype, target);
          const la = ffnnModuleStep(a, oa, x, y);
          const lb = ts.run(x, y);
          expect(Object.is(lb, la), `${act} ${kind} step ${s}: loss ${lb} vs ${la}`).toBe(true);
          expectSameState(a, oa, b, ob, `${act} ${kind} step ${s}`);
        });
      }
    });

    test.each([
      ['MSE sum', () => new MSELoss({ reduction: 'sum', device }), true],
      ['MSE mean', () => new MSELoss({ reduction: 'mean', device }), true],
      ['CrossEntropy mean', () => new CrossEntropyLoss({ device }), false],
      ['CrossEntropy sum, one-hot', () => new CrossEntropyLoss({ reduction: 'sum', device }), true],
    ] as const)(`Sequential with %s, ${dtype}, every optimizer`, (_name, makeLoss, dense) => {
      for (const kind of OPTS) {
        const make = (): Sequential =>
          new Sequential(
            new Linear(F, 9, { seed: 1, device, dtype }), new ReLU(), new Linear(9, 7, { seed: 2, device, dtype, bias: kind !== 'adam' }),
            new CELU({ alpha: 0.8, learnable: kind === 'momentum', device, dtype }), new Linear(7, 6, { seed: 3, device, dtype }), new Tanh(),
            new Linear(6, C, { seed: 4, device, dtype }),
          );
        const a = make();
        const b = make();
        const oa = makeOpt(kind, a.parameters(), device);
        const ob = makeOpt(kind, b.parameters(), device);
        const lossA = makeLoss();
        const ts = new TrainStep(b, ob, { loss: makeLoss() });
        expect(ts.fallback).toBeNull();
        BATCHES.forEach((B, s) => {
          const [x, labels] = batch(s, B, dtype, 'index');
          const y = dense ? Tensor.randn([B, C], { seed: 7 + s, dtype }) : labels;
          const la = seqModuleStep(a, lossA, oa, x, y);
          const lb = ts.run(x, y);
          expect(Object.is(lb, la), `${kind} step ${s}: loss ${lb} vs ${la}`).toBe(true);
          expectSameState(a, oa, b, ob, `${kind} step ${s}`);
        });
      }
    });
  }

  test('bigger layers (the gemm tiles, threads and the fused update): FFNN 784-256-10 and a Sequential, float32', () => {
    const a = new FFNN(784, [256], 'relu', 10, { seed: 2, device, init: 'torch' });
    const b = new FFNN(784, [256], 'relu', 10, { seed: 2, device, init: 'torch' });
    const oa = new SGD(a.parameters(), { lr: 0.05, momentum: 0.9, device });
    const ob = new SGD(b.parameters(), { lr: 0.05, momentum: 0.9, device });
    const ts = new TrainStep(b, ob);
    for (const [s, B] of [64, 16, 1].entries()) {
      const x = Tensor.randn([B, 784], { seed: s });
      const y = new Int32Array(B).map((_, i) => (i + s) % 10);
      expect(Object.is(ts.run(x, y), ffnnModuleStep(a, oa, x, y))).toBe(true);
      expectSameState(a, oa, b, ob, `784-256-10 step ${s}`);
    }
    const make = (): Sequential => new Sequential(new Linear(300, 130, { seed: 1, device }), new Sigmoid(), new Linear(130, 33, { seed: 2, device }));
    const c = make();
    const d = make();
    const oc = new Adam(c.parameters(), { lr: 1e-3, device });
    const od = new Adam(d.parameters(), { lr: 1e-3, device });
    const lc = new MSELoss({ reduction: 'sum', device });
    const td = new TrainStep(d, od, { loss: new MSELoss({ reduction: 'sum', device }) });
    for (let s = 0; s < 3; s++) {
      const x = Tensor.randn([40, 300], { seed: s });
      const y = Tensor.randn([40, 33], { seed: 50 + s });
      expect(Object.is(td.run(x, y), seqModuleStep(c, lc, oc, x, y))).toBe(true);
      expectSameState(c, oc, d, od, `300-130-33 step ${s}`);
    }
  });

  test('a non-finite output returns NaN and changes nothing, as trainFFNN; no optimizer state is created', () => {
    const net = new FFNN(F, [9], 'relu', C, { seed: 1, device });
    const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, device });
    const ts = new TrainStep(net, opt);
    net.W[0].data[0] = 3e38;
    net.W[0].data[1] = 3e38;
    const x = Tensor.full([2, F], 10);
    const before = net.parameters().map((p) => p.data.slice());
    expect(ts.run(x, new Int32Array([0, 1]))).toBeNaN();
    net.parameters().forEach((p, i) => expect(firstDiff(p.data, before[i])).toBeNull());
    expect(opt.stateDict().state).toEqual({});
    const adam = new Adam(net.parameters(), { device });
    expect(new TrainStep(net, adam).run(x, new Int32Array([0, 1]))).toBeNaN();
    expect(adam.stateDict().state).toEqual({});
  });

  test('a step that fails leaves the gradients it created null, as the module calls do', () => {
    for (const bad of ['nan-x', 'overflow'] as const) {
      const net = new FFNN(F, [9], 'relu', C, { seed: 1, device });
      const ts = new TrainStep(net, new Adam(net.parameters(), { device }));
      const x = Tensor.full([2, F], 10);
      if (bad === 'nan-x') x.data[3] = NaN;
      else net.W[0].data.fill(3e38);
      if (bad === 'nan-x') expect(() => ts.run(x, new Int32Array([0, 1]))).toThrow(RangeError);
      else expect(ts.run(x, new Int32Array([0, 1]))).toBeNaN();
      for (const p of net.parameters()) expect(p.grad, `${bad} ${String(p)}`).toBeNull();
    }
  });

  test('x or y sharing memory with a parameter or its gradient is a RangeError (the step writes them while it reads x)', () => {
    const net = new Sequential(new Linear(8, 4, { seed: 1, device }), new ReLU(), new Linear(4, 2, { seed: 2, device }));
    const ts = new TrainStep(net, new SGD(net.parameters(), { lr: 0.1, device }), { loss: new MSELoss({ device }) });
    const w = net.parameters()[0];
    const y = Tensor.randn([4, 2], { seed: 3 });
    expect(Number.isFinite(ts.run(Tensor.randn([4, 8], { seed: 2 }), y))).toBe(true);
    // x as a view of the first weight matrix (4 x 8 = its 32 elements) and of its gradient
    expect(() => ts.run(new Tensor(w.data, [4, 8]), y)).toThrow(/x: expected an array that does not overlap params\[0\]/);
    const g = w.grad as Tensor;
    expect(() => ts.run(new Tensor(g.data, [4, 8]), y)).toThrow(/x: expected an array that does not overlap params\[0\]\.grad/);
    const last = net.parameters()[2];
    expect(() => ts.run(Tensor.randn([4, 8], { seed: 2 }), new Tensor(last.data.subarray(0, 8), [4, 2]))).toThrow(/y: expected an array that does not overlap params\[2\]/);
  });

  test('a parameter whose data array was replaced trains the new array, as the module calls do', () => {
    const make = (): FFNN => new FFNN(F, [9], 'tanh', C, { seed: 2, device });
    const a = make();
    const b = make();
    const oa = new SGD(a.parameters(), { lr: 0.1, momentum: 0.5, device });
    const ob = new SGD(b.parameters(), { lr: 0.1, momentum: 0.5, device });
    const ts = new TrainStep(b, ob);
    for (let s = 0; s < 3; s++) {
      if (s === 1) {
        for (const net of [a, b]) (net.W[0] as unknown as { data: FloatArray }).data = Tensor.randn(net.W[0].shape, { seed: 9 }).data;
      }
      const [x, y] = batch(s, 5, 'float32', 'index');
      expect(Object.is(ts.run(x, y), ffnnModuleStep(a, oa, x, y)), `step ${s}`).toBe(true);
      expectSameState(a, oa, b, ob, `step ${s}`);
    }
  });

  test('a batch whose activations exceed a tensor\'s size is a RangeError before any allocation', () => {
    const net = new Sequential(new Linear(1, 2 ** 20, { seed: 1, device }), new ReLU(), new Linear(2 ** 20, 1, { seed: 2, device }));
    const ts = new TrainStep(net, new SGD(net.parameters(), { lr: 0.1, device }), { loss: new MSELoss({ device }) });
    expect(() => ts.run(Tensor.zeros([2048, 1]), Tensor.zeros([2048, 1]))).toThrow(/x: expected at most 2047 rows/);
  });

  test('validation: x shape and dtype, class indices (RangeError), non-finite x', () => {
    const net = new FFNN(F, [9], 'relu', C, { seed: 1, device });
    const ts = new TrainStep(net, new SGD(net.parameters(), { lr: 0.1, device }));
    const x = Tensor.randn([3, F], { seed: 1 });
    expect(() => ts.run(x, new Int32Array([0, 5, 1]))).toThrow(RangeError);
    expect(() => ts.run(x, new Int32Array([0, -1, 1]))).toThrow(/y\[1\]/);
    expect(() => ts.run(x, new Int32Array([0, 1]))).toThrow(RangeError);
    expect(() => ts.run(Tensor.randn([3, F + 1], { seed: 1 }), new Int32Array(3))).toThrow(RangeError);
    expect(() => ts.run(Tensor.randn([3, F], { seed: 1, dtype: 'float64' }), new Int32Array(3))).toThrow(TypeError);
    const bad = Tensor.randn([3, F], { seed: 1 });
    bad.data[F + 2] = NaN;
    expect(() => ts.run(bad, new Int32Array(3))).toThrow(/x: expected finite values, received NaN at \[1, 2\]/);
    // a plain array and a 1-D tensor of class indices are read as the module path reads them
    expect(Number.isFinite(ts.run(x, Tensor.from([0, 1, 2])))).toBe(true);
  });
});

// a Sequential with Dropout on the input, after an activation, two in a row between layers, after a
// Linear without activation and on the output; the masks drawn inside the step from each Dropout's
// own generator
function dropNet(device: Device, dtype: DType, ps: readonly number[] = [0.2, 0.5, 0.3, 0.1, 0.25]): Sequential {
  const o = { device, dtype };
  return new Sequential(
    new Dropout(ps[0], { seed: 11, ...o }), new Linear(F, 9, { seed: 1, ...o }), new ReLU(), new Dropout(ps[1], { seed: 12, ...o }),
    new Linear(9, 7, { seed: 2, ...o }), new Dropout(ps[2], { seed: 13, ...o }), new Dropout(ps[3], { seed: 14, ...o }),
    new Linear(7, 6, { seed: 3, ...o }), new Tanh(), new Linear(6, C, { seed: 4, ...o }), new Dropout(ps[4], { seed: 15, ...o }),
  );
}

function dropouts(net: Sequential): Dropout[] {
  return net.modules.filter((m): m is Dropout => m instanceof Dropout);
}

describe.each(DEVICES)('TrainStep on %s with Dropout: bitwise the module calls', (device: Device) => {
  const threadCounts = device === 'native' ? [1, 2] : [1];
  for (const dtype of ['float32', 'float64'] as const) {
    test.each(['momentum', 'adam'] as const)(`%s, ${dtype}, CrossEntropyLoss and MSELoss, train and eval steps, threads ${threadCounts.join(' ')}`, (kind) => {
      const saved = getNumThreads();
      try {
        for (const threads of threadCounts) {
          setNumThreads(threads);
          for (const lossKind of ['ce', 'mse'] as const) {
            const a = dropNet(device, dtype);
            const b = dropNet(device, dtype);
            const oa = makeOpt(kind, a.parameters(), device);
            const ob = makeOpt(kind, b.parameters(), device);
            const makeLoss = (): LossModule => (lossKind === 'ce' ? new CrossEntropyLoss({ device }) : new MSELoss({ reduction: 'sum', device }));
            const lossA = makeLoss();
            const ts = new TrainStep(b, ob, { loss: makeLoss() });
            expect(ts.fallback).toBeNull();
            BATCHES.forEach((B, s) => {
              // one dropout in eval mode for a step, then the whole network, then training again
              if (s === 2) for (const n of [a, b]) dropouts(n)[1].eval();
              if (s === 3) for (const n of [a, b]) n.eval();
              if (s === 4) for (const n of [a, b]) n.train();
              const [x, labels] = batch(s, B, dtype, 'index');
              const y = lossKind === 'mse' ? Tensor.randn([B, C], { seed: 7 + s, dtype }) : labels;
              const la = seqModuleStep(a, lossA, oa, x, y);
              const lb = ts.run(x, y);
              const what = `${kind} ${lossKind} threads ${threads} step ${s}`;
              expect(Object.is(lb, la), `${what}: loss ${lb} vs ${la}`).toBe(true);
              expectSameState(a, oa, b, ob, what);
              // every generator where the module calls left its twin's
              const da = dropouts(a);
              dropouts(b).forEach((d, i) => {
                d.train();
                da[i].train();
                expect(Array.from(d.fusedDrop()!.state), `${what}: dropout ${i} state`).toEqual(Array.from(da[i].fusedDrop()!.state));
              });
              if (s === 2) for (const n of [a, b]) dropouts(n)[1].eval();
            });
          }
        }
      } finally {
        setNumThreads(saved);
      }
    });
  }

  test('p = 1 (all dropped) and p = 0 (the identity, nothing drawn), float32, SGD', () => {
    const a = dropNet(device, 'float32', [1, 0, 0.5, 1, 0]);
    const b = dropNet(device, 'float32', [1, 0, 0.5, 1, 0]);
    const oa = new SGD(a.parameters(), { lr: 0.1, device });
    const ob = new SGD(b.parameters(), { lr: 0.1, device });
    const lossA = new CrossEntropyLoss({ device });
    const ts = new TrainStep(b, ob, { loss: new CrossEntropyLoss({ device }) });
    expect(ts.fallback).toBeNull();
    for (let s = 0; s < 3; s++) {
      const [x, y] = batch(s, 5, 'float32', 'index');
      expect(Object.is(ts.run(x, y), seqModuleStep(a, lossA, oa, x, y)), `step ${s}`).toBe(true);
      expectSameState(a, oa, b, ob, `step ${s}`);
    }
  });

  test('the dropout paper\'s shape at width 256, batch 100 and 200 (the gemm tiles and threads; masks of 2^15 elements and more drawn in lanes), float32, SGD momentum', () => {
    const make = (): Sequential => {
      const o = { device };
      return new Sequential(
        new Dropout(0.2, { seed: 1, ...o }), new Linear(100, 256, { seed: 2, ...o }), new ReLU(), new Dropout(0.5, { seed: 3, ...o }),
        new Linear(256, 256, { seed: 4, ...o }), new ReLU(), new Dropout(0.5, { seed: 5, ...o }), new Linear(256, 10, { seed: 6, ...o }),
      );
    };
    const a = make();
    const b = make();
    const oa = new SGD(a.parameters(), { lr: 0.05, momentum: 0.9, device });
    const ob = new SGD(b.parameters(), { lr: 0.05, momentum: 0.9, device });
    const lossA = new CrossEntropyLoss({ device });
    const ts = new TrainStep(b, ob);
    expect(ts.fallback).toBeNull();
    for (let s = 0; s < 3; s++) {
      const B = s === 1 ? 200 : 100;
      const x = Tensor.randn([B, 100], { seed: s });
      const y = new Int32Array(B).map((_, i) => (i + s) % 10);
      expect(Object.is(ts.run(x, y), seqModuleStep(a, lossA, oa, x, y)), `step ${s}`).toBe(true);
      expectSameState(a, oa, b, ob, `step ${s}`);
    }
  });
});

describe.each(DEVICES)('trainFFNN on %s with a Dropout network', (device: Device) => {
  test('runs the fused step (no module call) and gives the module calls\' losses and weights', () => {
    const a = dropNet(device, 'float32');
    const b = dropNet(device, 'float32');
    const N = 23;
    const ds = new TensorDataset(Tensor.randn([N, F], { seed: 3 }), new Int32Array(N).map((_, i) => (i * 7) % C));
    const oa = new SGD(a.parameters(), { lr: 0.05, momentum: 0.9, device });
    const ob = new SGD(b.parameters(), { lr: 0.05, momentum: 0.9, device });
    expect(new TrainStep(b, ob).fallback).toBeNull();
    const lossA = new CrossEntropyLoss({ device });
    const want: number[] = [];
    for (let e = 0; e < 2; e++) {
      for (const [x, y] of new DataLoader(ds, { batchSize: 8, shuffle: false })) want.push(seqModuleStep(a, lossA, oa, x, y));
    }
    // the module path runs each Linear's forwardAct; the fused step none
    const spy = vi.spyOn(Linear.prototype, 'forwardAct');
    try {
      const got = trainFFNN(b, ds, ob, { epochs: 2, batchSize: 8, shuffle: false, device });
      expect(spy).not.toHaveBeenCalled();
      expect(got).toEqual(want);
    } finally {
      spy.mockRestore();
    }
    expectSameState(a, oa, b, ob, 'after trainFFNN');
  });
});

describe('each network describes its own fused step', () => {
  test('Sequential: its Linear + activation pairs, the Dropouts by place; FFNN: its layers, then the output', () => {
    const plan = dropNet('js', 'float64').fusedPlan();
    if ('fallback' in plan) throw new Error(plan.fallback);
    expect(plan.loss).toBe('module');
    expect(plan.layers.map((l) => [l.IN, l.OUT, l.act])).toEqual([[F, 9, 1], [9, 7, 0], [7, 6, 3], [6, C, 0]]);
    expect(plan.drops.map((d) => d.at)).toEqual([0, 1, 2, 2, 4]);
    const ffnn = makeFFNN('shared-swish', 'js', 'float64');
    const fp = ffnn.fusedPlan();
    if ('fallback' in fp) throw new Error(fp.fallback);
    expect(fp.loss).toBe('ffnn');
    expect(fp.layers.map((l) => [l.IN, l.OUT, l.weight === ffnn.parameters()[0], l.scalar !== null])).toEqual([[F, 9, true, true], [9, 7, false, true], [7, C, false, false]]);
    expect(fp.layers[0].scalar).toBe(fp.layers[1].scalar);
  });

  test('or says why it cannot', () => {
    const o = { device: 'js' as const };
    const why = (net: Sequential): string | null => {
      const p = net.fusedPlan();
      return 'fallback' in p ? p.fallback : null;
    };
    expect(why(new Sequential(new Linear(3, 2, o), new Sigmoid(), new Linear(2, 2, o)))).toBeNull();
    expect(why(new Sequential(new ReLU(), new Linear(3, 2, o)))).toBe('modules[0] (ReLU()) is not a Linear, the activation after one or a Dropout');
    expect(why(new Sequential(new Dropout(0.5, o)))).toBe('no Linear layer');
    expect(why(new Sequential(new Linear(3, 2, o), new MyDropout(0.5, o)))).toBe('modules[1] is a subclass of Dropout with its own forward or backward');
    class MyLinear extends Linear {
      override forward(x: Tensor): Tensor {
        return super.forward(x);
      }
    }
    expect(why(new Sequential(new Dropout(0.1, o), new MyLinear(3, 2, o)))).toBe('modules[1] is a subclass of Linear with its own forward or backward');
  });
});

describe.skipIf(!hasNative)('Dropout nets: a seed gives the same run at every thread count', () => {
  test('native 1 and 2 threads, the same masks, losses and weights (masks over and under 2^15 elements)', () => {
    const saved = getNumThreads();
    const runs = [1, 2].map((threads) => {
      setNumThreads(threads);
      try {
        const o = { device: 'native' as const };
        const net = new Sequential(
          new Dropout(0.2, { seed: 1, ...o }), new Linear(300, 256, { seed: 2, ...o }), new ReLU(), new Dropout(0.5, { seed: 3, ...o }),
          new Linear(256, 10, { seed: 4, ...o }),
        );
        const ts = new TrainStep(net, new SGD(net.parameters(), { lr: 0.05, momentum: 0.9, ...o }));
        const losses = [64, 200, 7].map((B, s) => ts.run(Tensor.randn([B, 300], { seed: s }), new Int32Array(B).map((_, i) => (i + s) % 10)));
        return { losses, params: net.parameters().map((p) => Array.from(p.data)) };
      } finally {
        setNumThreads(saved);
      }
    });
    expect(runs[1].losses).toEqual(runs[0].losses);
    runs[0].params.forEach((p, i) => expect(firstDiff(runs[1].params[i], p), `param ${i}`).toBeNull());
  });
});

class MyDropout extends Dropout {
  override forward(x: Tensor): Tensor {
    return super.forward(x);
  }
}

describe('TrainStep falls back to the module calls (same numbers) for what one call cannot express', () => {
  test.each([
    ['a subclass of Dropout', () => new Sequential(new Linear(F, 9, { seed: 1 }), new ReLU(), new MyDropout(0.5, { seed: 3 }), new Linear(9, C, { seed: 2 })), undefined],
    ['label smoothing', () => new Sequential(new Linear(F, 9, { seed: 1 }), new ReLU(), new Linear(9, C, { seed: 2 })), () => new CrossEntropyLoss({ labelSmoothing: 0.1 })],
  ] as const)('%s', (_name, make, loss) => {
    const a = make();
    const b = make();
    const oa = new SGD(a.parameters(), 0.1);
    const ob = new SGD(b.parameters(), 0.1);
    const la = loss ? loss() : new CrossEntropyLoss();
    const ts = new TrainStep(b, ob, loss ? { loss: loss() } : undefined);
    expect(ts.fallback).not.toBeNull();
    for (let s = 0; s < 3; s++) {
      const [x, y] = batch(s, 4, 'float32', 'index');
      expect(Object.is(ts.run(x, y), seqModuleStep(a, la, oa, x, y))).toBe(true);
      expectSameState(a, oa, b, ob, `step ${s}`);
    }
  });

  test('an optimizer subclass with its own step runs that step (the optimizer says it cannot hand over)', () => {
    let calls = 0;
    class CountedSGD extends SGD {
      override step(): void {
        calls++;
        super.step();
      }
    }
    class CountedAdam extends Adam {
      override step(): void {
        calls++;
        super.step();
      }
    }
    const net = new FFNN(F, [9], 'relu', C, { seed: 1 });
    const ts = new TrainStep(net, new CountedSGD(net.parameters(), 0.1));
    expect(ts.fallback).toBe('a subclass of SGD with its own step');
    const [x, y] = batch(0, 4, 'float32', 'index');
    ts.run(x, y);
    expect(calls).toBe(1);
    expect(new TrainStep(net, new CountedAdam(net.parameters())).fallback).toBe('a subclass of Adam with its own step');
    expect(() => new TrainStep(net, {} as SGD)).toThrow(/optimizer: expected an optimizer/);
  });

  test('a loss describes itself (fusedLoss) or runs as module calls', () => {
    const net = new Sequential(new Linear(F, C, { seed: 1 }));
    const opt = new SGD(net.parameters(), 0.1);
    const plain = { forward: (p: Tensor) => p.data[0], backward: () => Tensor.zeros([1, C]) };
    expect(new TrainStep(net, opt, { loss: plain }).fallback).toBe('a loss module with no fused form (CrossEntropyLoss and MSELoss have one)');
    expect(new TrainStep(net, opt, { loss: new CrossEntropyLoss({ weight: [1, 1, 1, 1, 2] }) }).fallback).toBe('CrossEntropyLoss with class weights or label smoothing');
    if (net.device !== 'js') expect(new TrainStep(net, opt, { loss: new MSELoss({ device: 'js' }) }).fallback).toBe(`the loss runs on device 'js', the network on '${net.device}'`);
    expect(new MSELoss({ reduction: 'sum', device: 'js' }).fusedLoss()).toEqual({ loss: 'mse', reduction: 'sum', device: 'js', dtype: undefined });
  });

  test('an optimizer over part of the network, or on another device', () => {
    const net = new FFNN(F, [9], 'relu', C, { seed: 1 });
    expect(new TrainStep(net, new SGD([net.U], 0.1)).fallback).toMatch(/parameters/);
    expect(new TrainStep(net, new SGD(net.parameters(), { lr: 0.1, device: 'js' })).fallback).toMatch(/device/);
  });
});

// each compiled build of the C++ step (the addon, the wasm module) against the reference's step
describe.each(DEVICES.filter((d) => d !== 'js'))('%s vs js', (compiled: Device) => {
  test('FFNN and Sequential, float32 and float64: 5 steps agree to float tolerance', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const tol = dtype === 'float32' ? 2e-4 : 1e-10;
      const nets = ([compiled, 'js'] as const).map((device) => {
        const net = makeFFNN('swish-learnable', device, dtype);
        return { net, ts: new TrainStep(net, makeOpt('momentum', net.parameters(), device)) };
      });
      BATCHES.forEach((B, s) => {
        const [x, y] = batch(s, B, dtype, s % 2 === 1 ? 'multi-hot' : 'index');
        const [ln, lj] = nets.map(({ ts }) => ts.run(x, y));
        expect(Math.abs(ln - lj)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(lj)));
      });
      const [pn, pj] = nets.map(({ net }) => net.parameters());
      pn.forEach((p, i) => {
        for (let k = 0; k < p.data.length; k++) expect(Math.abs(p.data[k] - pj[i].data[k])).toBeLessThanOrEqual(tol * 10);
      });
    }
  });
});

describe.skipIf(!hasNative)('native plan safety', () => {
  const k = backend('native');
  function spec(dtype: DType = 'float32'): StepPlanSpec {
    const A = dtype === 'float64' ? Float64Array : Float32Array;
    return {
      dtype,
      loss: 'cross-entropy',
      reduction: 'mean',
      optimizer: 'sgd',
      layers: [{ IN: 4, OUT: 3, act: 0, param: 0, scalar: -1, w: 0, b: 1 }],
      params: [
        { data: new A(12).fill(0.1), grad: new A(12), buf: null, m: null, v: null },
        { data: new A(3), grad: new A(3), buf: null, m: null, v: null },
      ],
      state: new Float64Array(STEP_STATE.stride * 2).fill(0),
    };
  }
  const x = new Float32Array(8).fill(1);
  // the same layer with Adam at its first step
  function adamSpec(): StepPlanSpec {
    const s = spec();
    s.optimizer = 'adam';
    s.params = s.params.map((q) => ({ ...q, m: new Float32Array(q.data.length), v: new Float32Array(q.data.length) }));
    // each parameter's block
    for (const o of [0, STEP_STATE.stride]) {
      s.state[o + STEP_STATE.beta1] = 0.9;
      s.state[o + STEP_STATE.beta2] = 0.999;
      s.state[o + STEP_STATE.eps] = 1e-8;
      s.state[o + STEP_STATE.count] = 1;
    }
    return s;
  }

  test('dropouts: a bad place, a short, untyped or detached state throws in the binding and at the checked door', () => {
    const c = checked(k);
    const state = () => new Uint32Array([1, 2, 3, 4]);
    for (const [kk, name] of [[k, 'binding'], [c, 'checked']] as const) {
      const bad = (d: unknown) => ({ ...spec(), drops: [d] }) as StepPlanSpec;
      expect(() => kk.createStepPlan(bad({ at: 2, p: 0.5, state: state() })), name).toThrow(RangeError);
      expect(() => kk.createStepPlan(bad({ at: -1, p: 0.5, state: state() })), name).toThrow(RangeError);
      expect(() => kk.createStepPlan(bad({ at: 0, p: 0.5, state: new Uint32Array(3) })), name).toThrow(/state: expected at least 4 elements/);
      expect(() => kk.createStepPlan(bad({ at: 0, p: 0.5, state: new Int32Array(4) })), name).toThrow(TypeError);
      expect(() => kk.createStepPlan({ ...spec(), drops: [{ at: 1, p: 0.5, state: state() }, { at: 0, p: 0.5, state: state() }] }), name).toThrow(RangeError);
    }
    expect(() => c.createStepPlan({ ...spec(), drops: [{ at: 0, p: 1.5, state: state() }] })).toThrow(/p: expected a probability in \[0, 1\]/);
    const st = state();
    const plan = k.createStepPlan({ ...spec(), drops: [{ at: 0, p: 0.5, state: st }, { at: 1, p: 0.2, state: state() }] });
    expect(Number.isFinite(k.trainStep(plan, 2, x, new Int32Array([0, 2])))).toBe(true);
    expect(Array.from(st)).not.toEqual([1, 2, 3, 4]);
    structuredClone(st.buffer, { transfer: [st.buffer as ArrayBuffer] });
    expect(() => k.trainStep(plan, 2, x, new Int32Array([0, 2]))).toThrow(/drops\[0\]\.state: expected at least 4 elements/);
    // the checked door of every device says the same (js ran on with no generator, wasm threw
    // from inside its copy-in)
    for (const device of DEVICES) {
      const door = checked(backend(device));
      const words = state();
      const p = door.createStepPlan({ ...spec(), drops: [{ at: 0, p: 0.5, state: words }] });
      structuredClone(words.buffer, { transfer: [words.buffer as ArrayBuffer] });
      expect(() => door.trainStep(p, 2, x, new Int32Array([0, 2])), device).toThrow(
        'trainStep: spec.drops[0].state: expected at least 4 elements, received a Uint32Array of length 0',
      );
    }
  });

  test('a detached parameter array throws, never crashes', () => {
    const s = spec();
    const plan = k.createStepPlan(s);
    expect(Number.isFinite(k.trainStep(plan, 2, x, new Int32Array([0, 2])))).toBe(true);
    structuredClone(s.params[0].grad.buffer, { transfer: [s.params[0].grad.buffer as ArrayBuffer] });
    expect(() => k.trainStep(plan, 2, x, new Int32Array([0, 2]))).toThrow(/params\[0\]\.grad: expected at least 12 elements/);
    const t = spec();
    const plan2 = k.createStepPlan(t);
    structuredClone(t.state.buffer, { transfer: [t.state.buffer as ArrayBuffer] });
    expect(() => k.trainStep(plan2, 2, x, new Int32Array([0, 2]))).toThrow(RangeError);
  });

  test('a shrunk (resizable-buffer) parameter array throws', () => {
    const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void };
    const buf = new Resizable(12 * 4, { maxByteLength: 64 });
    const s = spec();
    s.params[0].data = new Float32Array(buf).fill(0.1);
    const plan = k.createStepPlan(s);
    expect(Number.isFinite(k.trainStep(plan, 2, x, new Int32Array([0, 2])))).toBe(true);
    buf.resize(4);
    expect(() => k.trainStep(plan, 2, x, new Int32Array([0, 2]))).toThrow(/params\[0\]\.data/);
  });

  test('x or y sharing memory with a slot\'s arrays is a RangeError in the binding and at the checked door', () => {
    const s = adamSpec();
    const plan = k.createStepPlan(s);
    const door = checked(k);
    const plan2 = door.createStepPlan(s);
    for (const key of ['data', 'grad', 'm', 'v'] as const) {
      const view = (s.params[0][key] as Float32Array).subarray(2, 10);
      const re = new RegExp(`x: expected an array that does not overlap params\\[0\\]\\.${key}`);
      expect(() => k.trainStep(plan, 2, view, new Int32Array([0, 2]))).toThrow(re);
      expect(() => door.trainStep(plan2, 2, view, new Int32Array([0, 2]))).toThrow(RangeError);
    }
    const dense = (s.params[0].grad).subarray(0, 6);
    expect(() => k.trainStep(plan, 2, x, dense)).toThrow(/y: expected an array that does not overlap params\[0\]\.grad/);
  });

  test('the checked door refuses the hyper-parameters the optimizers refuse', () => {
    const door = checked(k);
    for (const [field, value, re] of [
      ['lr', -1, /\(lr\): expected a number >= 0/],
      ['momentum', -0.5, /\(momentum\): expected a number >= 0/],
      ['weightDecay', -1, /\(weightDecay\)/],
      ['nesterov', 1, /\(nesterov\)/],
    ] as const) {
      const s = spec();
      s.state[STEP_STATE[field]] = value;
      expect(() => door.trainStep(door.createStepPlan(s), 2, x, new Int32Array([0, 2])), field).toThrow(re);
    }
    for (const [field, value] of [['beta1', 1], ['beta2', 1], ['eps', 0]] as const) {
      const s = adamSpec();
      s.state[STEP_STATE[field]] = value;
      expect(() => door.trainStep(door.createStepPlan(s), 2, x, new Int32Array([0, 2])), field).toThrow(new RegExp(`\\(${field}\\)`));
    }
    // the second parameter's block (its own group) is checked too, and named by its place
    const s = spec();
    s.state[STEP_STATE.stride + STEP_STATE.lr] = -1;
    expect(() => door.trainStep(door.createStepPlan(s), 2, x, new Int32Array([0, 2]))).toThrow(`state[${STEP_STATE.stride}] (lr): expected a number >= 0`);
    s.state[STEP_STATE.stride + STEP_STATE.lr] = Number.NaN;
    expect(() => k.trainStep(k.createStepPlan(s), 2, x, new Int32Array([0, 2]))).toThrow(/plan state: expected finite hyper-parameters/);
  });

  test('a bad clipGradNorm or a short state (one block per parameter) is refused in the binding and at the checked door', () => {
    const door = checked(k);
    for (const kk of [k, door]) {
      expect(() => kk.createStepPlan({ ...spec(), clipGradNorm: -1 })).toThrow(/clipGradNorm: expected a number >= 0/);
      expect(() => kk.createStepPlan({ ...spec(), clipGradNorm: Number.NaN })).toThrow(RangeError);
      expect(() => kk.createStepPlan({ ...spec(), state: new Float64Array(STEP_STATE.stride * 2 - 1) })).toThrow(RangeError);
    }
  });

  test('class indices out of range are a RangeError in the binding itself', () => {
    const plan = k.createStepPlan(spec());
    expect(() => k.trainStep(plan, 2, x, new Int32Array([0, 3]))).toThrow(/y: expected class indices in \[0, 3\), received 3 at index 1/);
    expect(() => k.trainStep(plan, 2, x, new Int32Array([-7, 0]))).toThrow(RangeError);
  });

  test('a foreign object, a js plan or a bad spec is refused', () => {
    expect(() => k.trainStep({} as never, 1, x, new Int32Array(1))).toThrow(TypeError);
    expect(() => k.trainStep(backend('js').createStepPlan(spec()), 1, x, new Int32Array(1))).toThrow(TypeError);
    const s = spec();
    s.layers[0].w = 1;
    expect(() => k.createStepPlan(s)).toThrow(RangeError);
    const t = spec('float64');
    expect(() => checked(k).createStepPlan({ ...t, dtype: 'float32' })).toThrow(TypeError);
    expect(() => k.createStepPlan({ ...t, dtype: 'float32' })).toThrow(TypeError);
  });
});

describe.skipIf(!hasNative)('steady state allocates nothing', () => {
  test.each([
    ['Linear, ReLU, Linear', () => new Sequential(new Linear(64, 48, { seed: 1 }), new ReLU(), new Linear(48, 10, { seed: 2 }))],
    // masks of 32 x 64 = 2^11 and 32 x 1100 > 2^15 elements: the element loop and the lanes
    ['with Dropouts', () => new Sequential(
      new Dropout(0.2, { seed: 3 }), new Linear(64, 1100, { seed: 1 }), new ReLU(), new Dropout(0.5, { seed: 4 }), new Linear(1100, 10, { seed: 2 }),
    )],
  ] as const)('%s: native scratch count and typed-array constructors unchanged after the first steps at a fixed batch shape', (_name, make) => {
    const net = make();
    const opt = new SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
    const ts = new TrainStep(net, opt, { loss: new MSELoss({ reduction: 'sum' }) });
    const x = Tensor.randn([32, 64], { seed: 1 });
    const y = Tensor.randn([32, 10], { seed: 2 });
    expect(ts.fallback).toBeNull();
    ts.run(x, y);
    ts.run(x, y);
    const addon = nativeAddon();
    const before = addon.nativeAllocations();
    const ctors = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array', 'Uint32Array'] as const;
    const g = globalThis as Record<string, unknown>;
    const saved = ctors.map((n) => g[n]);
    let made = 0;
    ctors.forEach((n, i) => {
      g[n] = new Proxy(saved[i] as object, {
        construct(t, args) {
          made++;
          return Reflect.construct(t as new (...a: unknown[]) => object, args);
        },
      });
    });
    try {
      for (let i = 0; i < 20; i++) ts.run(x, y);
    } finally {
      ctors.forEach((n, i) => (g[n] = saved[i]));
    }
    expect(addon.nativeAllocations() - before).toBe(0);
    expect(made).toBe(0);
    // a smaller batch reuses the workspaces; a larger one grows them once
    ts.run(Tensor.randn([8, 64], { seed: 3 }), Tensor.randn([8, 10], { seed: 4 }));
    expect(addon.nativeAllocations() - before).toBe(0);
  });
});

describe.skipIf(!DEVICES.includes('wasm'))('wasm steady state allocates nothing', () => {
  test('the module\'s scratch count, its memory and typed-array constructors unchanged after the first steps', () => {
    const o = { device: 'wasm' as const };
    const net = new Sequential(new Linear(64, 48, { ...o, seed: 1 }), new ReLU(), new Linear(48, 10, { ...o, seed: 2 }));
    const opt = new SGD(net.parameters(), { lr: 0.01, momentum: 0.9, ...o });
    const ts = new TrainStep(net, opt, { loss: new MSELoss({ reduction: 'sum', ...o }) });
    expect(ts.fallback).toBeNull();
    const x = Tensor.randn([32, 64], { seed: 1 });
    const y = Tensor.randn([32, 10], { seed: 2 });
    ts.run(x, y);
    ts.run(x, y);
    const m = wasmMemory();
    const allocations = m.fn('ffnn_allocations');
    const before = allocations();
    const buffer = m.x.memory.buffer;
    const ctors = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array'] as const;
    const g = globalThis as Record<string, unknown>;
    const saved = ctors.map((n) => g[n]);
    let made = 0;
    ctors.forEach((n, i) => {
      g[n] = new Proxy(saved[i] as object, {
        construct(t, args) {
          made++;
          return Reflect.construct(t as new (...a: unknown[]) => object, args);
        },
      });
    });
    try {
      for (let i = 0; i < 20; i++) ts.run(x, y);
    } finally {
      ctors.forEach((n, i) => (g[n] = saved[i]));
    }
    expect(allocations() - before).toBe(0);
    expect(m.x.memory.buffer).toBe(buffer);
    expect(made).toBe(0);
  });
});
