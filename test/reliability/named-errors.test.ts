// issue 16, errors that named nothing (or gave NaN): each case was an incidental TypeError from inside
// ffnn, a RangeError with no file, or a silent NaN on the js device; each is now an error that names
// the function or option, what was expected and what came
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataLoader } from '../../src/data/loader.js';
import { RandomDataset } from '../../src/data/dataset.js';
import { loadMNIST, readIdx } from '../../src/data/mnist.js';
import { FormatError } from '../../src/errors.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.js';
import { FFNN } from '../../src/nn/ffnn.js';
import { Linear } from '../../src/nn/linear.js';
import { Sequential } from '../../src/nn/sequential.js';
import { ReLU } from '../../src/nn/activation.js';
import { Adam } from '../../src/optim/adam.js';
import { SGD } from '../../src/optim/sgd.js';
import { Tensor } from '../../src/tensor.js';
import { trainFFNN } from '../../src/train/train.js';
import { backends } from '../helpers/backends.js';
import { checked } from '../../src/kernels/checked.js';

const detach = (a: ArrayBufferView): void => {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
};
const dir = mkdtempSync(join(tmpdir(), 'ffnn-named-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(backends.map((b) => b.name))('%s: a detached array inside a module or optimizer is an error, never NaN', (device) => {
  it('Linear.forward with its weight detached', () => {
    const l = new Linear(2, 3, { device });
    detach(l.weight.data);
    expect(() => l.forward(Tensor.full([2, 2], 1))).toThrow(RangeError);
    expect(() => l.forward(Tensor.full([2, 2], 1))).toThrow(/^linearForward: w: expected at least 6 elements/);
  });

  it('x detached between forward and backward: the forward kept its own copy, the gradient is the undetached one', () => {
    const [l, twin] = [1, 2].map(() => new Linear(2, 3, { device, seed: 3 }));
    const x = Tensor.full([2, 2], 1);
    l.forward(x);
    twin.forward(Tensor.full([2, 2], 1));
    detach(x.data);
    l.backward(Tensor.full([2, 3], 1));
    twin.backward(Tensor.full([2, 3], 1));
    expect(Array.from((l.weight.grad as Tensor).data)).toEqual(Array.from((twin.weight.grad as Tensor).data));
    expect(Array.from((l.weight.grad as Tensor).data).every(Number.isFinite)).toBe(true);
  });

  it('SGD and Adam steps with a detached gradient', () => {
    for (const make of [(p: Linear) => new SGD(p.parameters(), { lr: 0.1, device }), (p: Linear) => new Adam(p.parameters(), { lr: 0.1, device })]) {
      const l = new Linear(2, 3, { device });
      const opt = make(l);
      l.forward(Tensor.full([2, 2], 1));
      l.backward(Tensor.full([2, 3], 1));
      detach((l.weight.grad as Tensor).data);
      const before = [...(l.bias as Tensor).data];
      expect(() => opt.step()).toThrow(/^(sgdStep|adamStep): grad: expected at least 6 elements/);
      expect([...(l.bias as Tensor).data].every(Number.isFinite)).toBe(true);
      expect(before.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('objects that only look like a Tensor', () => {
  it('a Proxy of a Tensor is named as such, at the argument and at .data', () => {
    const p = new Proxy(Tensor.zeros([2, 2]), {});
    expect(() => new Linear(2, 2, { device: 'js' }).forward(p)).toThrow(TypeError);
    expect(() => new Linear(2, 2, { device: 'js' }).forward(p)).toThrow(/^x: expected a Tensor, received an object that only looks like one \(a Proxy of a Tensor/);
    expect(() => p.toArray()).toThrow(/^data: expected a Tensor, received an object that only looks like one/);
    expect(() => p.size).toThrow(/^size: expected a Tensor/);
  });

  it('a fake on Tensor.prototype whose shape changes between reads', () => {
    let n = 0;
    const fake = Object.create(Tensor.prototype, { shape: { get: () => (n++ === 0 ? [2, 2] : [200, 2]) } }) as Tensor;
    expect(() => new Linear(2, 2, { device: 'js' }).forward(fake)).toThrow(/^x: expected a Tensor, received an object that only looks like one/);
  });
});

describe('errors that name the option, the item or the file', () => {
  it('a DataLoader over an item whose buffer is detached names the item', () => {
    const ds = { length: 4, get: () => { const x = Tensor.zeros([2]); detach(x.data); return [x, 0] as [Tensor, number]; } };
    expect(() => [...new DataLoader(ds, { batchSize: 2 })]).toThrow(/^dataset\.get\(0\)\[0\]: expected a Tensor whose data holds its 2 elements.*detached/);
  });

  it('trainFFNN with stream {} names options.stream before training', () => {
    const net = new FFNN(4, [3], 'relu', 2, { seed: 1, device: 'js' });
    const before = [...net.parameters()[0].data];
    expect(() => trainFFNN(net, new RandomDataset(8, 4, 2), new SGD(net.parameters(), 0.1), { verbose: 0, stream: {} as never }))
      .toThrow(/^options\.stream: expected a stream with write\(s\), received an object/);
    expect([...net.parameters()[0].data]).toEqual(before);
  });

  it('a safetensors float tensor of shape [0, 3e9] is a FormatError naming the file', () => {
    const h = Buffer.from(JSON.stringify({ a: { dtype: 'F32', shape: [0, 3e9], data_offsets: [0, 0] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    const f = join(dir, 'huge.safetensors');
    writeFileSync(f, Buffer.concat([len, h]));
    expect(() => loadSafetensors(f)).toThrow(FormatError);
    expect(() => loadSafetensors(f)).toThrow(`${f}: tensor "a": F32 [0, 3000000000] cannot load as a Tensor`);
  });

  it('saving a tensor whose buffer is detached names the function and the tensor', () => {
    const t = Tensor.zeros([3]);
    detach(t.data);
    expect(() => saveSafetensors(join(dir, 'd.safetensors'), { W1: t })).toThrow(
      /^saveSafetensors: tensors\["W1"\]: expected an array of 3 elements \(its buffer was detached or transferred\)/,
    );
  });

  it('an IDX file of 0 images of 65535 x 65535 is a FormatError naming the file', () => {
    const idx = (dims: number[]): Buffer => {
      const b = Buffer.alloc(4 + 4 * dims.length);
      b.writeUInt32BE(0x800 + dims.length, 0);
      dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
      return b;
    };
    const m = join(dir, 'mnist');
    mkdirSync(m);
    writeFileSync(join(m, 'train-images-idx3-ubyte'), idx([0, 65535, 65535]));
    writeFileSync(join(m, 'train-labels-idx1-ubyte'), idx([0]));
    expect(() => loadMNIST({ dir: m })).toThrow(FormatError);
    expect(() => loadMNIST({ dir: m })).toThrow(`${join(m, 'train-images-idx3-ubyte')}: header says items of 65535 x 65535`);
  });

  it('readIdx names ndim and limit', () => {
    const f = join(dir, 'one');
    writeFileSync(f, Buffer.from([0, 0, 8, 1, 0, 0, 0, 1, 7]));
    expect(() => readIdx(f, 0x801, -1)).toThrow(/^readIdx: ndim: expected an integer in \[1, 255\], received -1$/);
    expect(() => readIdx(f, 0x801, 1, NaN)).toThrow(/^readIdx: limit: expected an integer, received NaN$/);
    expect([...readIdx(f, 0x801, 1).data]).toEqual([7]);
  });
});

describe('a batch too tall for the widest layer says "x: at most R rows" everywhere', () => {
  const x = Tensor.zeros([600000, 1]);
  const want = /^x: expected at most 524287 rows \(Linear\(1, 4096\)'s output of B rows must fit in 2147483647 elements\)/;
  it('Linear, Sequential and FFNN forward', () => {
    expect(() => new Linear(1, 4096, { device: 'js' }).forward(x)).toThrow(want);
    expect(() => new Sequential(new Linear(1, 4096, { device: 'js' }), new ReLU({ device: 'js' })).forward(x)).toThrow(want);
    expect(() => new FFNN(1, [4096], 'relu', 2, { device: 'js' }).forward(x)).toThrow(/^x: expected at most 524287 rows/);
  });
});

describe('refused as torch refuses: state another caller changed between forward and backward', () => {
  it('one Linear in two Sequentials: s1.forward(a); s2.forward(b); s1.backward(g)', () => {
    const l = new Linear(4, 4, { device: 'js' });
    const s1 = new Sequential(l, new ReLU({ device: 'js' }));
    const s2 = new Sequential(l);
    s1.forward(Tensor.full([2, 4], 1));
    s2.forward(Tensor.full([2, 4], 2));
    expect(() => s1.backward(Tensor.full([2, 4], 1))).toThrow(/^Sequential\.backward: Linear\(4, 4\) has run forward for another caller/);
    // forward again, then backward is fine
    s1.forward(Tensor.full([2, 4], 1));
    s1.backward(Tensor.full([2, 4], 1));
  });

  it('x changed in place between FFNN.forward and backward(x, y, yPred)', () => {
    const net = new FFNN(4, [3], 'relu', 2, { seed: 1, device: 'js' });
    const x = Tensor.full([2, 4], 1);
    const p = net.forward(x);
    x.data[5] = 7;
    expect(() => net.backward(x, [0, 1], p)).toThrow(/^backward: x was changed in place since forward\(x\)/);
    const q = net.forward(x);
    net.backward(x, [0, 1], q);
  });

  // backward differentiates CELoss(yPred, y) with yPred = forward(x): one from another input gave the
  // gradient of no loss at all, silently (red-team pass): x.data replaced since forward (the in-place
  // check hashes the same array only), or a forward on another batch since, which reuses the output
  // tensor the first forward returned
  it('FFNN.backward(x, y, yPred) with a yPred that is not forward(x)\'s output is a RangeError', () => {
    for (const device of ['js', 'native', 'wasm'] as const) {
      const net = new FFNN(4, [3], 'tanh', 2, { seed: 1, device, dtype: 'float64' });
      const x = Tensor.randn([2, 4], { dtype: 'float64', seed: 2 });
      const x2 = Tensor.randn([2, 4], { dtype: 'float64', seed: 3 });
      const p = net.forward(x);
      const copy = p.clone();
      net.backward(x, [0, 1], copy);
      net.forward(x2);
      expect(() => net.backward(x, [0, 1], p), device).toThrow(/^yPred: expected forward\(x\)'s output for this x .*received values that differ at \[0, 0\]/);
      net.backward(x, [0, 1], copy);
      const q = net.forward(x);
      x.data = x2.data.slice();
      expect(() => net.backward(x, [0, 1], q), device).toThrow(/x changed since forward\(x\), or yPred came from another input$/);
    }
  });

  it('typed arrays that are Proxies are named on every device', () => {
    for (const b of backends) {
      const k = checked(b.kernels);
      expect(() => k.gemm(false, false, 1, 1, 1, 1, new Proxy(new Float32Array(1), {}), new Float32Array(1), 0, new Float32Array(1)))
        .toThrow(/^gemm: a: expected a Float32Array or Float64Array, received an object that only looks like a Float32Array/);
    }
  });

  it('trainFFNN called again on the same net from its own onStep', () => {
    const net = new FFNN(4, [3], 'relu', 2, { seed: 1, device: 'js' });
    const opt = new SGD(net.parameters(), 0.1);
    const ds = new RandomDataset(8, 4, 2, { seed: 1 });
    expect(() => trainFFNN(net, ds, opt, { verbose: 0, onStep: () => trainFFNN(net, ds, opt, { verbose: 0 }) }))
      .toThrow(/^trainFFNN: net is already being trained/);
    // and it is free again afterwards
    expect(trainFFNN(net, ds, opt, { verbose: 0 }).length).toBe(8);
  });
});
