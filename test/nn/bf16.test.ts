// the precision option ({precision: 'bf16'} on Linear, Sequential and FFNN): the modules' products take
// bf16 operands with float32 accumulation on every device.
// - native and wasm modules against the js modules (the reference gemmBf16): the same products summed
//   in another order, so within a few hundred float32 roundings of each element's scale;
// - against PyTorch 1.13's torch.autocast('cpu', dtype=torch.bfloat16) (test/fixtures/bf16/make.py):
//   autocast also rounds every matmul's output and the activations after it to bf16 (2^-9 relative
//   each), which ffnn keeps in float32, so the two differ by about that over a few layers: bounded at
//   2^-5 of each array's largest element; the largest differences are printed (and, for scale, those
//   of ffnn's float32 against torch's float32, and of ffnn's bf16 against torch's float32).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CrossEntropyLoss, FFNN, Linear, ReLU, Sequential } from '../../src/nn/index.js';
import { Adam } from '../../src/optim/adam.js';
import { SGD } from '../../src/optim/sgd.js';
import { TrainStep, moduleCallsStep } from '../../src/train/step.js';
import { loadModel, saveModel, type ModelConfig, type SequentialConfig } from '../../src/train/checkpoint.js';
import type { Device } from '../../src/kernels/index.js';
import type { Precision } from '../../src/kernels/types.js';
import { Tensor } from '../../src/tensor.js';
import { backends, nativeAvailable } from '../helpers/backends.js';
import { getNumThreads, setNumThreads } from '../../src/backend.js';

interface Run { loss: number; probs: number[]; grads: number[][] }
interface Net {
  name: string; F: number; hidden: number[]; activations: ('relu' | 'tanh' | 'sigmoid')[]; C: number; B: number;
  x: number[]; y: number[]; params: number[][]; float32: Run; autocast: Run;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/bf16/autocast.json', import.meta.url), 'utf8')) as { torch: string; nets: Net[] };

const devices = backends.map((b) => b.name);
const table = new Map<string, number>();
afterAll(() => {
  const rows = [...table.entries()].sort(([a], [b]) => a.localeCompare(b));
  console.log([`largest |difference| / max |torch ${fixture.torch}| per array, over the devices ${devices.join(', ')}:`, ...rows.map(([k, v]) => `  ${k.padEnd(64)} ${v.toExponential(2)}`)].join('\n'));
});

// max |a - b| over max |b|
function relToMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? d : d / m;
}

// forward and stored gradients of the fixture's network with its weights
function runFFNN(net: Net, device: Device, precision: Precision): { probs: Float32Array; grads: Float32Array[] } {
  const ffnn = new FFNN(net.F, net.hidden, net.activations, net.C, { device, seed: 0, precision });
  ffnn.parameters().forEach((p, i) => p.data.set(net.params[i]));
  const x = Tensor.from(net.x, { shape: [net.B, net.F] });
  const probs = ffnn.forward(x);
  ffnn.backward(x, new Int32Array(net.y), probs);
  return { probs: probs.data.slice() as Float32Array, grads: ffnn.parameters().map((p) => (p.grad as Tensor).data.slice() as Float32Array) };
}

const names = (net: Net): string[] => [...net.hidden.flatMap((_, l) => [`W${l + 1}`, `b${l + 1}`]), 'U', 'c'];

describe.each(fixture.nets.map((n) => [n.name, n] as const))('%s against torch autocast bf16', (_name, net) => {
  it.each(devices)('on %s: probabilities and every gradient within 2^-5 of each array\'s largest', (device) => {
    const bf = runFFNN(net, device, 'bf16');
    const fp = runFFNN(net, device, 'float32');
    // the largest over the devices
    const put = (key: string, v: number): void => void table.set(key, Math.max(table.get(key) ?? 0, v));
    const rec = (what: string, got: ArrayLike<number>, torchBf16: number[], torchF32: number[], fpGot: ArrayLike<number>): void => {
      const d = relToMax(got, torchBf16);
      put(`${net.name} ${what}: ffnn bf16 vs autocast`, d);
      put(`${net.name} ${what}: ffnn bf16 vs torch float32`, relToMax(got, torchF32));
      put(`${net.name} ${what}: ffnn float32 vs torch float32`, relToMax(fpGot, torchF32));
      expect(d, `${net.name} ${device} ${what}: bf16 vs autocast`).toBeLessThan(2 ** -5);
      // float32 against float32: the fixtures' own tolerance (test/nn/fixtures.test.ts)
      expect(relToMax(fpGot, torchF32), `${net.name} ${device} ${what}: float32`).toBeLessThan(2e-5);
    };
    rec('probs', bf.probs, net.autocast.probs, net.float32.probs, fp.probs);
    names(net).forEach((n, i) => rec(`grad ${n}`, bf.grads[i], net.autocast.grads[i], net.float32.grads[i], fp.grads[i]));
    // bf16 is not float32 run under another name: its products differ by about the bf16 rounding
    expect(relToMax(bf.grads[0], fp.grads[0])).toBeGreaterThan(2 ** -14);
  });
});

describe.each(devices.filter((d) => d !== 'js'))('bf16 modules on %s against the js modules', (device) => {
  it('FFNN forward and stored gradients agree to the float32 summation order (1e-4 of each array\'s largest)', () => {
    for (const net of fixture.nets) {
      const got = runFFNN(net, device, 'bf16');
      const want = runFFNN(net, 'js', 'bf16');
      expect(relToMax(got.probs, want.probs), `${net.name} probs`).toBeLessThan(1e-4);
      got.grads.forEach((g, i) => expect(relToMax(g, want.grads[i]), `${net.name} ${names(net)[i]}`).toBeLessThan(1e-4));
    }
  });

  it('Sequential with {precision: bf16}: forward and accumulated gradients agree', () => {
    const make = (d: Device) => {
      const s = new Sequential(new Linear(33, 40, { device: d, seed: 5 }), new ReLU(), new Linear(40, 7, { device: d, seed: 6 }), { precision: 'bf16' });
      const x = Tensor.randn([9, 33], { seed: 8 });
      const y = s.forward(x);
      s.backward(Tensor.randn([9, 7], { seed: 9 }));
      return { y: y.data.slice(), g: s.parameters().map((p) => (p.grad as Tensor).data.slice()) };
    };
    const got = make(device);
    const want = make('js');
    expect(relToMax(got.y, want.y)).toBeLessThan(1e-4);
    got.g.forEach((g, i) => expect(relToMax(g, want.g[i])).toBeLessThan(1e-4));
  });
});

// the fused step (one kernel call) and the module calls it stands for give the same bits with bf16
describe.each(devices)('bf16 fused step on %s', (device) => {
  const bits = (a: ArrayLike<number>): string => Buffer.from(Float32Array.from(a).buffer).toString('hex');

  it('FFNN with SGD momentum: fused, the same parameters bit for bit as the module calls after 3 steps', () => {
    const make = () => {
      const net = new FFNN(20, [16, 8], 'relu', 5, { device, seed: 4, precision: 'bf16' });
      return { net, opt: new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, device }) };
    };
    const a = make();
    const b = make();
    const ts = new TrainStep(a.net, a.opt);
    expect(ts.fallback).toBeNull();
    const x = Tensor.randn([7, 20], { seed: 5 });
    const y = new Int32Array([0, 1, 2, 3, 4, 0, 1]);
    for (let s = 0; s < 3; s++) {
      const la = ts.run(x, y);
      const lb = moduleCallsStep(b.net, null, b.opt, x, y);
      expect(la).toBe(lb);
    }
    a.net.parameters().forEach((p, i) => expect(bits(p.data), p.name).toBe(bits(b.net.parameters()[i].data)));
    // and not the float32 numbers
    const f = new FFNN(20, [16, 8], 'relu', 5, { device, seed: 4 });
    const fo = new SGD(f.parameters(), { lr: 0.1, momentum: 0.9, device });
    for (let s = 0; s < 3; s++) moduleCallsStep(f, null, fo, x, y);
    expect(bits(f.parameters()[0].data)).not.toBe(bits(a.net.parameters()[0].data));
  });

  it('Sequential with CrossEntropyLoss and Adam: fused, the same bits as the module calls', () => {
    const make = () => {
      const net = new Sequential(new Linear(33, 40, { device, seed: 5 }), new ReLU(), new Linear(40, 7, { device, seed: 6 }), { precision: 'bf16' });
      return { net, loss: new CrossEntropyLoss({ device }), opt: new Adam(net.parameters(), { lr: 0.01, device }) };
    };
    const a = make();
    const b = make();
    const ts = new TrainStep(a.net, a.opt, { loss: a.loss });
    expect(ts.fallback).toBeNull();
    const x = Tensor.randn([9, 33], { seed: 8 });
    const y = new Int32Array([0, 1, 2, 3, 4, 5, 6, 0, 1]);
    for (let s = 0; s < 3; s++) expect(ts.run(x, y)).toBe(moduleCallsStep(b.net, b.loss, b.opt, x, y));
    a.net.parameters().forEach((p, i) => expect(bits(p.data)).toBe(bits(b.net.parameters()[i].data)));
  });
});

// layers past the size that splits the tile paths' products among threads (2^19 multiply-adds):
// the fused step runs the update of w on each thread's rows of grad_w, the module calls the product
// then the optimizer; every element of every product is one sum over all of K whatever the split,
// so 1, 2 and 3 threads and both flows give the same bits
describe.runIf(nativeAvailable)('bf16 fused step on native across thread counts', () => {
  const bits = (a: ArrayLike<number>): string => Buffer.from(Float32Array.from(a).buffer).toString('hex');
  it('300-256-64-10 at batch 64, SGD momentum: 1, 2 and 3 threads and the module calls give the same parameters', () => {
    const before = getNumThreads();
    const x = Tensor.randn([64, 300], { seed: 11 });
    const y = new Int32Array(64).map((_, i) => (i * 7) % 10);
    const make = () => {
      const net = new Sequential(new Linear(300, 256, { seed: 1 }), new ReLU(), new Linear(256, 64, { seed: 2 }), new ReLU(),
        new Linear(64, 10, { seed: 3 }), { precision: 'bf16' });
      return { net, loss: new CrossEntropyLoss(), opt: new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 }) };
    };
    const runs: string[][] = [];
    const losses: number[][] = [];
    try {
      for (const [threads, flow] of [[1, 'fused'], [2, 'fused'], [3, 'fused'], [2, 'module']] as const) {
        setNumThreads(threads);
        const m = make();
        const ts = new TrainStep(m.net, m.opt, { loss: m.loss });
        expect(ts.fallback).toBeNull();
        const l: number[] = [];
        for (let s = 0; s < 3; s++) l.push(flow === 'fused' ? ts.run(x, y) : moduleCallsStep(m.net, m.loss, m.opt, x, y));
        losses.push(l);
        runs.push(m.net.parameters().map((p) => bits(p.data)));
      }
    } finally {
      setNumThreads(before);
    }
    for (let r = 1; r < runs.length; r++) {
      expect(losses[r]).toEqual(losses[0]);
      runs[r].forEach((b, i) => expect(b, `run ${r} parameter ${i}`).toBe(runs[0][i]));
    }
  });
});

describe('the precision option', () => {
  it('is float32 by default, bf16 when asked, and set on every Linear by Sequential and FFNN', () => {
    expect(new Linear(3, 4, { device: 'js' }).precision).toBe('float32');
    expect(new Linear(3, 4, { device: 'js', precision: 'bf16' }).precision).toBe('bf16');
    const net = new FFNN(5, [4, 3], 'relu', 2, { device: 'js', precision: 'bf16' });
    expect([...net.layers, net.output].map((l) => l.precision)).toEqual(['bf16', 'bf16', 'bf16']);
    expect(net.precision).toBe('bf16');
    const a = new Linear(3, 4, { device: 'js' });
    const inner = new Sequential(new Linear(4, 4, { device: 'js' }));
    new Sequential(a, 'relu', inner, { precision: 'bf16' });
    expect(a.precision).toBe('bf16');
    expect((inner.modules[0] as Linear).precision).toBe('bf16');
  });

  it('bf16 with float64 is a RangeError naming the option; an unknown value or key is refused', () => {
    expect(() => new Linear(3, 4, { device: 'js', dtype: 'float64', precision: 'bf16' })).toThrow(RangeError);
    expect(() => new Linear(3, 4, { device: 'js', dtype: 'float64', precision: 'bf16' })).toThrow(/options\.precision.*dtype float64/);
    expect(() => new FFNN(5, [4], 'relu', 2, { device: 'js', dtype: 'float64', precision: 'bf16' })).toThrow(/options\.precision/);
    expect(() => new Linear(3, 4, { device: 'js', precision: 'fp16' as Precision })).toThrow(/options\.precision: expected one of 'float32', 'bf16'/);
    const l64 = new Linear(3, 4, { device: 'js', dtype: 'float64' });
    expect(() => new Sequential(l64, { precision: 'bf16' })).toThrow(/Sequential options\.precision/);
    expect(() => new Sequential(new Linear(3, 4, { device: 'js' }), { precison: 'bf16' } as never)).toThrow(TypeError);
  });

  it('is saved with the model and restored by loadModel', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ffnn-bf16-'));
    try {
      const file = join(dir, 'net.safetensors');
      const net = new FFNN(6, [5], 'tanh', 3, { device: 'js', seed: 2, precision: 'bf16' });
      saveModel(file, net);
      const back = loadModel(file, { device: 'js' });
      expect((back.net as FFNN).precision).toBe('bf16');
      expect((back.config as ModelConfig).precision).toBe('bf16');
      const x = Tensor.randn([4, 6], { seed: 3 });
      expect([...back.net.forward(x).data]).toEqual([...net.forward(x).data]);
      const f32 = join(dir, 'f32.safetensors');
      saveModel(f32, new FFNN(6, [5], 'tanh', 3, { device: 'js', seed: 2 }));
      expect((loadModel(f32, { device: 'js' }).config as ModelConfig).precision).toBeUndefined();
      // a Sequential keeps each Linear's
      const seqFile = join(dir, 'seq.safetensors');
      const seq = new Sequential(new Linear(6, 5, { device: 'js', seed: 1 }), 'relu', new Linear(5, 3, { device: 'js', seed: 2 }), { precision: 'bf16' });
      saveModel(seqFile, seq);
      const seqBack = loadModel(seqFile, { device: 'js' });
      expect(((seqBack.config as SequentialConfig).modules[0] as { precision?: string }).precision).toBe('bf16');
      expect(((seqBack.net as Sequential).modules[2] as Linear).precision).toBe('bf16');
      expect([...(seqBack.net as Sequential).forward(x).data]).toEqual([...seq.forward(x).data]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
