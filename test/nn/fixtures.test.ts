// the modules against PyTorch 1.13 autograd (tools/fixtures_backprop.py, float64): FFNN forward,
// loss, stored gradients and intermediate gradients; Sequential flows with MSELoss; CrossEntropyLoss
// with label smoothing and class weights. float64 must agree to 1e-10 relative, float32 to its
// rounding. the largest difference per fixture, device and dtype is printed at the end.
import { afterAll, describe, expect, test } from 'vitest';
import {
  CELU, CELoss, CategoricalCELoss, CrossEntropyLoss, FFNN, Linear, MSELoss, ReLU, Sequential, Sigmoid, Softmax, Swish, Tanh,
  type Activation, type Module,
} from '../../src/nn/index.js';
import type { Device } from '../../src/kernels/index.js';
import type { DType } from '../../src/kernels/types.js';
import { Tensor } from '../../src/tensor.js';
import { DEVICES, DTYPES, fixtureNames, flat, loadFixture, maxRelDiff, tensor } from './common.js';

// float64: PyTorch's own rounding differs from ours in the last bits; 1e-10 leaves room for the
// condition of a few layers. float32: inputs and weights rounded to float32 (2^-24 relative), then
// a few layers of dot products: 2e-5 (about 300 units of float32 roundoff) relative to each element,
// or to the array's scale for elements that cancel to nearly zero (the floor below)
const TOL: Record<DType, number> = { float64: 1e-10, float32: 2e-5 };
// elements under this fraction of the array's largest are measured against that fraction of it
// (float32: a gradient entry at 1% of its neighbours carries their absolute rounding error)
const FLOOR: Record<DType, number> = { float64: 1e-6, float32: 1e-2 };

const table = new Map<string, number>();

function record(key: string, label: string, actual: ArrayLike<number>, expected: unknown, dtype: DType): void {
  const e = flat(expected);
  const d = maxRelDiff(actual, e, FLOOR[dtype]);
  table.set(key, Math.max(table.get(key) ?? 0, d));
  if (!(d <= TOL[dtype])) {
    throw new Error(`${key} ${label}: max relative difference ${d.toExponential(3)} over ${TOL[dtype]}`);
  }
}

afterAll(() => {
  const rows = [...table.entries()].sort(([a], [b]) => a.localeCompare(b));
  console.log(['largest relative difference against the PyTorch fixtures:', ...rows.map(([k, v]) => `  ${k.padEnd(52)} ${v.toExponential(2)}`)].join('\n'));
});

interface ActSpec {
  kind: 'relu' | 'sigmoid' | 'tanh' | 'swish' | 'celu';
  param: number | null;
  learnable: boolean;
}

interface FFNNFixture {
  name: string;
  F: number;
  hidden: number[];
  C: number;
  B: number;
  activations: ActSpec[];
  x: number[][];
  labels: number[];
  y: number[][];
  soft: boolean;
  W: number[][][];
  b: number[][];
  U: number[][];
  c: number[];
  loss: number;
  probs: number[][];
  grads: Record<string, unknown>;
  dL_duOut: number[][];
  dL_dh: number[][][];
  dL_du: number[][][];
}

function makeAct(a: ActSpec, device: Device, dtype: DType): Activation {
  const o = { device, dtype };
  switch (a.kind) {
    case 'relu':
      return new ReLU(o);
    case 'sigmoid':
      return new Sigmoid(o);
    case 'tanh':
      return new Tanh(o);
    case 'swish':
      return new Swish({ ...o, beta: a.param as number, learnable: a.learnable });
    case 'celu':
      return new CELU({ ...o, alpha: a.param as number, learnable: a.learnable });
  }
}

function load(t: Tensor, v: unknown): void {
  const d = flat(v);
  expect(d.length).toBe(t.size);
  t.data.set(d);
}

describe.each(DEVICES)('FFNN against PyTorch on %s', (device) => {
  describe.each(DTYPES)('%s', (dtype) => {
    test.each(fixtureNames('ffnn_'))('%s', (name) => {
      const f = loadFixture<FFNNFixture>(name);
      const key = `${name} ${device} ${dtype}`;
      const acts = f.activations.map((a) => makeAct(a, device, dtype));
      const net = new FFNN(f.F, f.hidden, acts, f.C, { device, dtype, seed: 0 });
      f.W.forEach((w, l) => load(net.W[l], w));
      f.b.forEach((b, l) => load(net.b[l], b));
      load(net.U, f.U);
      load(net.c, f.c);
      const x = tensor(f.x, dtype);
      const y = tensor(f.y, dtype);
      const probs = net.forward(x);
      record(key, 'probs', probs.data, f.probs, dtype);
      record(key, 'CELoss', [CELoss(probs, y, { device })], [f.loss], dtype);
      if (!f.soft) record(key, 'CategoricalCELoss', [CategoricalCELoss(probs, f.labels, { device })], [f.loss], dtype);
      const targets: Array<Tensor | number[]> = f.soft ? [y] : [y, f.labels];
      for (const target of targets) {
        net.backward(x, target, probs);
        const named = net.namedParameters();
        expect(named.map(([n]) => n)).toEqual(Object.keys(f.grads));
        for (const [n, p] of named) record(key, `grad ${n}`, (p.grad as Tensor).data, f.grads[n], dtype);
        const g = net.gradients();
        record(key, 'dL/du(L+1)', g.dL_duOut.data, f.dL_duOut, dtype);
        g.dL_dh.forEach((t, l) => record(key, `dL/dh(${l + 1})`, t.data, f.dL_dh[l], dtype));
        g.dL_du.forEach((t, l) => record(key, `dL/du(${l + 1})`, t.data, f.dL_du[l], dtype));
      }
    });
  });
});

interface SeqFixture {
  name: string;
  loss_kind: 'mse_sum' | 'mse_mean';
  B: number;
  layers: Array<{ kind: string; in?: number; out?: number; weight?: number[][]; bias?: number[]; param?: number; learnable?: boolean }>;
  x: number[][];
  target: number[][];
  output: number[][];
  loss: number;
  grads: unknown[];
}

describe.each(DEVICES)('Sequential against PyTorch on %s', (device) => {
  describe.each(DTYPES)('%s', (dtype) => {
    test.each(fixtureNames('sequential_'))('%s', (name) => {
      const f = loadFixture<SeqFixture>(name);
      const key = `${name} ${device} ${dtype}`;
      const o = { device, dtype };
      const modules: Module[] = f.layers.map((l) => {
        if (l.kind === 'linear') {
          const lin = new Linear(l.in as number, l.out as number, { ...o, seed: 0 });
          load(lin.weight, l.weight);
          load(lin.bias as Tensor, l.bias);
          return lin;
        }
        if (l.kind === 'softmax') return new Softmax();
        return makeAct({ kind: l.kind as ActSpec['kind'], param: l.param ?? null, learnable: l.learnable ?? false }, device, dtype);
      });
      const net = new Sequential(...modules);
      const mse = new MSELoss({ device, reduction: f.loss_kind === 'mse_sum' ? 'sum' : 'mean' });
      const out = net.forward(tensor(f.x, dtype));
      record(key, 'output', out.data, f.output, dtype);
      record(key, 'loss', [mse.forward(out, tensor(f.target, dtype))], [f.loss], dtype);
      net.zeroGrad();
      net.backward(mse.backward());
      const params = net.parameters();
      expect(params.length).toBe(f.grads.length);
      params.forEach((p, i) => record(key, `grad ${i} (${p.name})`, (p.grad as Tensor).data, f.grads[i], dtype));
    });
  });
});

interface CECase {
  target_kind: 'indices' | 'probs' | 'weights';
  weight: number[] | null;
  label_smoothing: number;
  reduction: 'mean' | 'sum';
  logits: number[][];
  target: number[] | number[][];
  loss: number;
  grad: number[][];
}

describe.each(DEVICES)('CrossEntropyLoss against torch.nn.functional.cross_entropy on %s', (device) => {
  test.each(DTYPES)('%s', (dtype) => {
    const { cases } = loadFixture<{ cases: CECase[] }>('cross_entropy');
    expect(cases.length).toBe(24);
    for (const c of cases) {
      const key = `cross_entropy ${device} ${dtype}`;
      const label = `${c.target_kind} weight=${c.weight !== null} smoothing=${c.label_smoothing} ${c.reduction}`;
      const ce = new CrossEntropyLoss({
        device, reduction: c.reduction, labelSmoothing: c.label_smoothing, ...(c.weight === null ? {} : { weight: c.weight }),
      });
      const target = c.target_kind === 'indices' ? (c.target as number[]) : tensor(c.target, dtype);
      record(key, `${label} loss`, [ce.forward(tensor(c.logits, dtype), target)], [c.loss], dtype);
      record(key, `${label} grad`, ce.backward().data, c.grad, dtype);
    }
  });
});
