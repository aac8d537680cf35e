// Linear (shape, init, forward), activations as modules, Sequential (fusion, placement, widths),
// Softmax, Dropout, train/eval, zeroGrad
import { describe, expect, test } from 'vitest';
import {
  CELU, CrossEntropyLoss, Dropout, FFNN, Linear, Module, MSELoss, ReLU, Sequential, Sigmoid, Softmax, Swish, Tanh, activation,
} from '../../src/nn/index.js';
import { SGD } from '../../src/optim/index.js';
import { TrainStep } from '../../src/train/step.js';
import { Tensor, type Parameter } from '../../src/tensor.js';
import { DEVICES, DTYPES, maxRelDiff } from './common.js';

const TOL = { float64: 1e-13, float32: 1e-5 };

function stats(a: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    s += a[i];
    min = Math.min(min, a[i]);
    max = Math.max(max, a[i]);
  }
  const mean = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / a.length), min, max };
}

describe('Linear init', () => {
  test("'torch' (the default): weight and bias in U(-1/sqrt(in), 1/sqrt(in))", () => {
    const l = new Linear(400, 300, { device: 'js', seed: 1 });
    const bound = 1 / Math.sqrt(400);
    const w = stats(l.weight.data);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.max).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(w.std - bound / Math.sqrt(3))).toBeLessThan(0.01 * bound);
    const b = stats((l.bias as Tensor).data);
    expect(b.max).toBeLessThanOrEqual(bound);
    expect(b.std).toBeGreaterThan(0);
  });
  test("'kaiming': N(0, 2/in), bias 0", () => {
    const l = new Linear(400, 300, { device: 'js', seed: 2, init: 'kaiming' });
    const w = stats(l.weight.data);
    expect(Math.abs(w.std / Math.sqrt(2 / 400) - 1)).toBeLessThan(0.01);
    expect(Math.abs(w.mean)).toBeLessThan(0.001);
    expect((l.bias as Tensor).data.every((v) => v === 0)).toBe(true);
  });
  test("'xavier': Glorot uniform U(-sqrt(6/(in+out)), sqrt(6/(in+out))), bias 0", () => {
    const l = new Linear(400, 300, { device: 'js', seed: 3, init: 'xavier' });
    const bound = Math.sqrt(6 / 700);
    const w = stats(l.weight.data);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.max).toBeGreaterThan(0.99 * bound);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect((l.bias as Tensor).data.every((v) => v === 0)).toBe(true);
  });
  test('a seed gives the same weights; bias: false has none', () => {
    const a = new Linear(5, 3, { device: 'js', seed: 7 });
    const b = new Linear(5, 3, { device: 'js', seed: 7 });
    const c = new Linear(5, 3, { device: 'js', seed: 8 });
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data));
    expect(Array.from(a.weight.data)).not.toEqual(Array.from(c.weight.data));
    const nb = new Linear(5, 3, { device: 'js', bias: false });
    expect(nb.bias).toBeNull();
    expect(nb.parameters()).toEqual([nb.weight]);
    expect(a.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    expect(a.weight.shape).toEqual([5, 3]);
  });
});

describe.each(DEVICES)('modules on %s', (device) => {
  describe.each(DTYPES)('%s', (dtype) => {
    const o = { device, dtype };
    const tol = TOL[dtype];

    test('Linear forward is x W + b; backward gives x^T g, column sums, g W^T and accumulates', () => {
      const l = new Linear(3, 2, { ...o, seed: 1 });
      const x = Tensor.randn([4, 3], { dtype, seed: 2 });
      const y = l.forward(x);
      const W = l.weight.data;
      const b = (l.bias as Tensor).data;
      const want = new Float64Array(8);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) {
        let s = b[j];
        for (let k = 0; k < 3; k++) s += x.data[i * 3 + k] * W[k * 2 + j];
        want[i * 2 + j] = s;
      }
      expect(maxRelDiff(y.data, want, 1e-3)).toBeLessThan(tol);
      const g = Tensor.randn([4, 2], { dtype, seed: 3 });
      const dx = l.backward(g);
      const dW = new Float64Array(6);
      const db = new Float64Array(2);
      const dxWant = new Float64Array(12);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) {
        db[j] += g.data[i * 2 + j];
        for (let k = 0; k < 3; k++) {
          dW[k * 2 + j] += x.data[i * 3 + k] * g.data[i * 2 + j];
          dxWant[i * 3 + k] += g.data[i * 2 + j] * W[k * 2 + j];
        }
      }
      expect(maxRelDiff((l.weight.grad as Tensor).data, dW, 1e-3)).toBeLessThan(tol);
      expect(maxRelDiff(((l.bias as Tensor & { grad: Tensor }).grad).data, db, 1e-3)).toBeLessThan(tol);
      expect(maxRelDiff(dx.data, dxWant, 1e-3)).toBeLessThan(tol);
      l.forward(x);
      l.backward(g);
      expect(maxRelDiff((l.weight.grad as Tensor).data, dW.map((v) => 2 * v), 1e-3)).toBeLessThan(tol);
      l.zeroGrad();
      expect((l.weight.grad as Tensor).data.every((v) => v === 0)).toBe(true);
    });

    test('activation modules: values, derivatives and learnable beta/alpha gradients', () => {
      const x = Tensor.randn([3, 5], { dtype, seed: 4 });
      const g = Tensor.randn([3, 5], { dtype, seed: 5 });
      const sig = (v: number) => 1 / (1 + Math.exp(-v));
      const cases: Array<[Module & { param?: unknown }, (v: number) => number, (v: number) => number]> = [
        [new ReLU(o), (v) => Math.max(0, v), (v) => (v > 0 ? 1 : 0)],
        [new Sigmoid(o), sig, (v) => sig(v) * (1 - sig(v))],
        [new Tanh(o), Math.tanh, (v) => 1 - Math.tanh(v) ** 2],
        [new Swish({ ...o, beta: 1.5 }), (v) => v * sig(1.5 * v), (v) => sig(1.5 * v) + 1.5 * v * sig(1.5 * v) * (1 - sig(1.5 * v))],
        [new CELU({ ...o, alpha: 0.5 }), (v) => (v > 0 ? v : 0.5 * Math.expm1(v / 0.5)), (v) => (v > 0 ? 1 : Math.exp(v / 0.5))],
      ];
      for (const [m, f, df] of cases) {
        const y = m.forward(x);
        expect(maxRelDiff(y.data, Array.from(x.data, f), 1e-3)).toBeLessThan(tol);
        const gi = m.backward(g);
        expect(maxRelDiff(gi.data, Array.from(x.data, (v, i) => g.data[i] * df(v)), 1e-3)).toBeLessThan(tol);
      }
      const sw = new Swish({ ...o, beta: 0.7, learnable: true });
      const ce = new CELU({ ...o, alpha: 1.2, learnable: true });
      expect(sw.parameters().map((p) => p.name)).toEqual(['beta']);
      expect(ce.parameters().map((p) => p.name)).toEqual(['alpha']);
      const beta = sw.param?.data[0] as number;
      const alpha = ce.param?.data[0] as number;
      sw.forward(x);
      sw.backward(g);
      ce.forward(x);
      ce.backward(g);
      let dBeta = 0;
      let dAlpha = 0;
      x.data.forEach((v, i) => {
        const s = sig(beta * v);
        dBeta += g.data[i] * v * v * s * (1 - s);
        dAlpha += v > 0 ? 0 : g.data[i] * (Math.expm1(v / alpha) - (v / alpha) * Math.exp(v / alpha));
      });
      expect(maxRelDiff(sw.param?.grad?.data ?? [], [dBeta], 1)).toBeLessThan(tol * 10);
      expect(maxRelDiff(ce.param?.grad?.data ?? [], [dAlpha], 1)).toBeLessThan(tol * 10);
    });

    test('Sequential fuses Linear + activation with the same numbers as running them one by one', () => {
      const mk = () => [new Linear(4, 5, { ...o, seed: 1 }), new Swish({ ...o, beta: 0.9, learnable: true }), new Linear(5, 3, { ...o, seed: 2 }), new Tanh()] as const;
      const [l1, a1, l2, a2] = mk();
      const seq = new Sequential(...mk());
      const x = Tensor.randn([6, 4], { dtype, seed: 3 });
      const g = Tensor.randn([6, 3], { dtype, seed: 4 });
      const y1 = a2.forward(l2.forward(a1.forward(l1.forward(x))));
      const dx1 = l1.backward(a1.backward(l2.backward(a2.backward(g))));
      const y2 = seq.forward(x);
      const dx2 = seq.backward(g);
      expect(maxRelDiff(y2.data, y1.data, 1e-3)).toBeLessThan(tol);
      expect(maxRelDiff(dx2.data, dx1.data, 1e-3)).toBeLessThan(tol);
      const p1 = [l1, a1, l2].flatMap((m) => m.parameters());
      const p2 = seq.parameters();
      expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.beta', '2.weight', '2.bias']);
      p2.forEach((p, i) => expect(maxRelDiff((p.grad as Tensor).data, (p1[i].grad as Tensor).data, 1e-3)).toBeLessThan(tol * 10));
    });

    test('Softmax backward is the Jacobian-vector product', () => {
      const s = new Softmax(o);
      const x = Tensor.randn([3, 4], { dtype, seed: 6 });
      const g = Tensor.randn([3, 4], { dtype, seed: 7 });
      const y = s.forward(x).data.slice();
      const gi = s.backward(g);
      const want = Array.from(y, (yi, k) => {
        const row = Math.floor(k / 4);
        let dot = 0;
        for (let j = 0; j < 4; j++) dot += g.data[row * 4 + j] * y[row * 4 + j];
        return yi * (g.data[k] - dot);
      });
      expect(maxRelDiff(gi.data, want, 1e-3)).toBeLessThan(tol);
    });

    test('Dropout: inverted, seeded, identity in eval; train()/eval() reach every module', () => {
      const x = Tensor.full([50, 40], 2, { dtype });
      const d = new Dropout(0.25, { ...o, seed: 9 });
      const y = d.forward(x);
      let zeros = 0;
      for (const v of y.data) {
        if (v === 0) zeros++;
        else expect(v).toBeCloseTo(2 / 0.75, 5);
      }
      expect(zeros / 2000).toBeGreaterThan(0.2);
      expect(zeros / 2000).toBeLessThan(0.3);
      const g = d.backward(Tensor.full([50, 40], 1, { dtype }));
      g.data.forEach((v, i) => expect(v === 0).toBe(y.data[i] === 0));
      const again = new Dropout(0.25, { ...o, seed: 9 }).forward(x);
      expect(Array.from(again.data)).toEqual(Array.from(y.data));
      const seq = new Sequential(new Linear(40, 3, { ...o, seed: 1 }), 'relu', d);
      seq.eval();
      expect(d.training).toBe(false);
      expect(d.forward(x)).toBe(x);
      seq.train();
      expect(d.training).toBe(true);
      expect(Array.from(new Dropout(1, o).forward(x).data).every((v) => v === 0)).toBe(true);
      expect(new Dropout(0, o).forward(x)).toBe(x);
    });
  });
});

describe('options', () => {
  test('a built-in module refuses an option it does not take; a user subclass passes its own through', () => {
    expect(() => new Linear(2, 2, { bias: false, biass: true } as never)).toThrow(/^Linear options\.biass: expected no such option/);
    class Scaled extends Module {
      readonly factor: number;
      constructor(opts: { factor: number; device?: 'js' | 'native' | 'wasm' }) {
        super(opts);
        this.factor = opts.factor;
      }
      forward(x: Tensor): Tensor {
        return new Tensor(x.data.map((v) => v * this.factor), x.shape);
      }
      backward(g: Tensor): Tensor {
        return new Tensor(g.data.map((v) => v * this.factor), g.shape);
      }
    }
    expect(new Scaled({ factor: 3, device: 'js' }).factor).toBe(3);
    // a subclass of a built-in keeps its own options too; the built-in itself still checks
    class Tagged extends Linear {
      readonly tag: string;
      constructor(i: number, o: number, opts: { tag: string; seed?: number }) {
        super(i, o, opts);
        this.tag = opts.tag;
      }
    }
    expect(new Tagged(2, 3, { tag: 'first', seed: 1 }).tag).toBe('first');
    class MyReLU extends ReLU {
      constructor(opts: { note: string }) {
        super(opts as never);
      }
    }
    expect(() => new MyReLU({ note: 'x' })).not.toThrow();
    class MySwish extends Swish {}
    expect(() => new MySwish({ beta: 2, note: 'x' } as never)).not.toThrow();
    expect(() => new ReLU({ note: 'x' } as never)).toThrow(/^ReLU options\.note: expected no such option/);
    expect(() => new Swish({ note: 'x' } as never)).toThrow(/^Swish options\.note/);
  });
});

describe('Sequential placement and shape', () => {
  test('names become activations; unpinned modules adopt the device and dtype', () => {
    const seq = new Sequential(new Linear(3, 4, { device: 'js', dtype: 'float64' }), 'sig', new ReLU(), activation('celu'), new Linear(4, 2, { device: 'js', dtype: 'float64' }));
    expect(seq.modules[1]).toBeInstanceOf(Sigmoid);
    for (const m of seq.modules) {
      expect(m.device).toBe('js');
      expect(m.dtype).toBe('float64');
    }
    expect(seq.device).toBe('js');
    expect(seq.dtype).toBe('float64');
  });
  test('a device or dtype mix is a TypeError naming the module', () => {
    expect(() => new Sequential(new Linear(3, 4, { device: 'js' }), new Linear(4, 2, { device: 'js', dtype: 'float64' }))).toThrow(/modules\[1\].*float32.*float64/);
    expect(() => new Sequential(new Linear(3, 4, { device: 'js' }), new Linear(4, 2, { device: 'native' }))).toThrow(TypeError);
    expect(() => new Sequential(new Linear(3, 4, { device: 'js' }), new ReLU({ device: 'native' }))).toThrow(TypeError);
    expect(() => new Sequential(new Linear(3, 4, { device: 'js' }), new Swish({ learnable: true, dtype: 'float64', device: 'js' }))).toThrow(TypeError);
  });
  test('widths must chain; a module appears once', () => {
    expect(() => new Sequential(new Linear(3, 4, { device: 'js' }), 'relu', new Linear(5, 2, { device: 'js' }))).toThrow(/modules\[2\].*4 input features/);
    const r = new ReLU();
    expect(() => new Sequential(new Linear(3, 3, { device: 'js' }), r, new Linear(3, 3, { device: 'js' }), r)).toThrow(RangeError);
    expect(() => new Sequential(new Linear(3, 3, { device: 'js' }), 42 as never)).toThrow(TypeError);
    expect(() => new Sequential('gelu' as never)).toThrow(RangeError);
  });
});

// a module reached twice in one network, shared between networks, or subclassed by a user: the
// cases where the containers' and TrainStep's shortcuts used to give other numbers than the modules
describe('shared modules and user subclasses', () => {
  const o = { device: 'js' as const, dtype: 'float64' as const };

  test('a module reached twice through nested Sequentials is refused, as at the top level', () => {
    const lin = new Linear(3, 3, { ...o, seed: 1 });
    // torch's lin(tanh(lin(x))): ffnn's Linear keeps one forward, so the first use's gradient was wrong
    expect(() => new Sequential(new Sequential(lin), new Tanh(), new Sequential(lin))).toThrow(
      /^modules\[2\]\.modules\[0\]: expected each module once in a network, nested Sequentials included/,
    );
    expect(() => new Sequential(new Sequential(lin, 'tanh'), lin)).toThrow(RangeError);
    // an FFNN's activations are its own to share
    expect(() => new Sequential(new FFNN(3, [4, 4], new Tanh(o), 2, o))).not.toThrow();
  });

  test('parameters() lists what namedParameters() names, in its order, whoever names them', () => {
    // a user's module that names its own parameters (its child's, bias first), FFNN (which names
    // W1, b1, ..., U, c itself) and a learnable activation, nested in Sequentials
    class Pair extends Module {
      readonly a = new Linear(3, 2, { ...o, seed: 5 });
      override children(): readonly Module[] {
        return [this.a];
      }
      override namedParameters(): Array<[string, Parameter]> {
        return [['b', this.a.bias!], ['w', this.a.weight]];
      }
      forward(x: Tensor): Tensor {
        return this.a.forward(x);
      }
      backward(g: Tensor): Tensor {
        return this.a.backward(g);
      }
    }
    const net = new Sequential(
      new Sequential(new Linear(4, 3, { ...o, seed: 1 }), new Swish({ ...o, learnable: true })),
      new FFNN(3, [3], 'tanh', 3, { ...o, seed: 2 }),
      new Pair(o),
    );
    const named = net.namedParameters().map(([, p]) => p);
    expect(named.length).toBe(9);
    expect(net.parameters()).toEqual(named);
    net.parameters().forEach((p, i) => expect(p).toBe(named[i]));
  });

  test('a module another network placed is not moved under it; one in a network does not follow its input', () => {
    const act = new Tanh();
    const a = new Sequential(new Linear(4, 3, { ...o, seed: 1 }), act);
    const x = Tensor.randn([2, 4], { dtype: 'float64', seed: 2 });
    const before = Array.from(a.forward(x).data);
    expect(() => new Sequential(new Linear(4, 3, { device: 'js', seed: 1 }), act)).toThrow(/Tanh\(\): .*Sequential already runs on device 'js' with dtype 'float64'/);
    // the same placement may be shared (the networks run one after the other)
    expect(() => new Sequential(new Linear(4, 3, { ...o, seed: 3 }), act)).not.toThrow();
    // called alone on float32 input, the placed activation refuses it rather than turning float32
    expect(() => act.forward(Tensor.randn([2, 3], { seed: 4 }))).toThrow(TypeError);
    expect(Array.from(a.forward(x).data)).toEqual(before);
  });

  test("a subclass of a built-in module runs its own forward and backward in a Sequential and in TrainStep's place", () => {
    class Leaky extends ReLU {
      private xs: Tensor | null = null;
      override forward(x: Tensor): Tensor {
        this.xs = x.clone();
        return new Tensor(x.data.map((v) => (v > 0 ? v : 0.1 * v)), x.shape);
      }
      override backward(g: Tensor): Tensor {
        const xs = this.xs as Tensor;
        return new Tensor(g.data.map((v, i) => (xs.data[i] > 0 ? v : 0.1 * v)), g.shape);
      }
    }
    const x = Tensor.from([[-1, 2, -3, 4]], { dtype: 'float64' });
    expect(Array.from(new Sequential(new Leaky(o)).forward(x).data)).toEqual([-0.1, 2, -0.30000000000000004, 4]);
    const lin = new Linear(4, 4, { ...o, seed: 5 });
    const seq = new Sequential(lin, new Leaky(o));
    const y = seq.forward(x);
    expect(Array.from(y.data)).toEqual(Array.from(lin.forward(x).data, (v) => (v > 0 ? v : 0.1 * v)));
    const ts = new TrainStep(seq, new SGD(seq.parameters(), { lr: 0.1, device: 'js' }), { loss: new MSELoss({ device: 'js' }) });
    expect(ts.fallback).toMatch(/modules\[1\] is a subclass of relu with its own forward or backward/);
    class DoubleMSE extends MSELoss {
      override forward(pred: Tensor, target: Tensor): number {
        return 2 * super.forward(pred, target);
      }
    }
    const plain = new Sequential(new Linear(4, 2, { ...o, seed: 6 }));
    expect(new TrainStep(plain, new SGD(plain.parameters(), { lr: 0.1, device: 'js' }), { loss: new DoubleMSE({ device: 'js' }) }).fallback).toMatch(/overrides forward or backward/);
    expect(() => new FFNN(4, [3], new Leaky(o), 2, o)).toThrow(/^activations: expected a built-in activation/);
  });

  test("a user's container may run one activation in several places; only Sequentials are walked", () => {
    class Pair extends Module {
      readonly a = new Linear(3, 3, { ...o, seed: 11 });
      readonly b = new Linear(3, 3, { ...o, seed: 12 });
      readonly act = new Tanh(o);
      forward(x: Tensor): Tensor {
        return this.act.forward(this.b.forward(this.act.forward(this.a.forward(x)).clone()));
      }
      backward(g: Tensor): Tensor {
        return g;
      }
      override children(): readonly Module[] {
        return [this.a, this.act, this.b, this.act];
      }
    }
    expect(() => new Sequential(new Pair(o), new Linear(3, 2, { ...o, seed: 13 }))).not.toThrow();
  });

  test('a network given its own output runs on a copy: the first layer keeps the input it saw', () => {
    const x = Tensor.randn([2, 3], { dtype: 'float64', seed: 14 });
    const grads = (copy: boolean): number[] => {
      const seq = new Sequential(new Linear(3, 3, { ...o, seed: 15 }), 'tanh', new Linear(3, 3, { ...o, seed: 16 }));
      const h = seq.forward(x);
      seq.forward(copy ? h.clone() : h);
      seq.zeroGrad();
      seq.backward(Tensor.full([2, 3], 1, { dtype: 'float64' }));
      return Array.from((seq.parameters()[0].grad as Tensor).data);
    };
    expect(grads(false)).toEqual(grads(true));
    const net = new FFNN(3, [4], 'tanh', 3, { ...o, seed: 17 });
    const fresh = new FFNN(3, [4], 'tanh', 3, { ...o, seed: 17 });
    const q = net.forward(x);
    const q0 = q.clone();
    expect(Array.from(net.forward(q).data)).toEqual(Array.from(fresh.forward(q0).data));
    const ones = Tensor.full([2, 3], 1, { dtype: 'float64' });
    for (const n of [net, fresh]) {
      n.zeroGrad();
      n.backward(ones);
    }
    expect(Array.from((net.W[0].grad as Tensor).data)).toEqual(Array.from((fresh.W[0].grad as Tensor).data));
  });

  test('a subclass of FFNN or Sequential with its own forward or backward is not fused by TrainStep', () => {
    let calls = 0;
    class Counted extends FFNN {
      override forward(x: Tensor): Tensor {
        calls++;
        return super.forward(x);
      }
    }
    const net = new Counted(3, [4], 'relu', 2, { ...o, seed: 18 });
    const ts = new TrainStep(net, new SGD(net.parameters(), { lr: 0.1, device: 'js' }));
    expect(ts.fallback).toBe('a subclass of FFNN with its own forward or backward');
    ts.run(Tensor.randn([2, 3], { dtype: 'float64', seed: 19 }), new Int32Array([0, 1]));
    expect(calls).toBe(1);
    class Logged extends Sequential {
      override backward(g: Tensor): Tensor {
        return super.backward(g);
      }
    }
    const seq = new Logged(new Linear(3, 2, { ...o, seed: 20 }));
    expect(new TrainStep(seq, new SGD(seq.parameters(), { lr: 0.1, device: 'js' })).fallback).toBe('a subclass of Sequential with its own forward or backward');
    // one that only adds a method is still fused
    class Named extends Sequential {
      label(): string {
        return 'named';
      }
    }
    const plain = new Named(new Linear(3, 2, { ...o, seed: 21 }));
    expect(new TrainStep(plain, new SGD(plain.parameters(), { lr: 0.1, device: 'js' })).fallback).toBeNull();
  });

  // tied weights (JavaScript may assign one Linear's weight to another: `readonly` is TypeScript's):
  // the fused step would update the weight after its first use's gradient alone (wasm did, silently:
  // the losses drifted from step 3; native and js refused at run() with a message about the plan's
  // slots), so TrainStep says why and makes the module calls, which add both gradients first
  test('tied weights: TrainStep falls back to the module calls, the same bits on every device', () => {
    for (const device of DEVICES) {
      const make = () => {
        const a = new Linear(6, 6, { device, seed: 30 });
        const b = new Linear(6, 6, { device, seed: 31 });
        (b as { weight: Parameter }).weight = a.weight;
        const net = new Sequential(a, new Tanh(), b, new Tanh(), new Linear(6, 3, { device, seed: 32 }));
        return { net, opt: new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, device }) };
      };
      const fused = make();
      const ts = new TrainStep(fused.net, fused.opt);
      expect(ts.fallback, device).toBe("layer 2's weight is also layer 1's weight (a parameter shared between layers: the module calls add both gradients before the step)");
      const calls = make();
      const loss = new CrossEntropyLoss({ device });
      for (let s = 0; s < 5; s++) {
        const x = Tensor.randn([4, 6], { seed: 33 + s });
        const y = new Int32Array([0, 1, 2, s % 3]);
        const l1 = ts.run(x, y);
        const l2 = loss.forward(calls.net.forward(x), y);
        calls.net.zeroGrad();
        calls.net.backward(loss.backward());
        calls.opt.step();
        expect(l1, `${device} step ${s}`).toBe(l2);
      }
      fused.net.parameters().forEach((p, i) => expect(Array.from(p.data), `${device} parameter ${i}`).toEqual(Array.from(calls.net.parameters()[i].data)));
    }
    // a bias tied to another layer's bias, on an FFNN
    const f = new FFNN(4, [4, 4], 'relu', 2, { device: 'js', seed: 34 });
    (f.layers[1] as { bias: Parameter | null }).bias = f.layers[0].bias;
    expect(new TrainStep(f, new SGD(f.parameters(), { lr: 0.1, device: 'js' })).fallback).toMatch(/^layer 2's bias is also layer 1's bias/);
  });

  test('a Linear given its own output (torch lin(lin(x))) computes it on every device', () => {
    for (const device of DEVICES) {
      const lin = new Linear(3, 3, { device, dtype: 'float64', seed: 7 });
      const x = Tensor.randn([2, 3], { dtype: 'float64', seed: 8 });
      const once = lin.forward(x).clone();
      const twice = Array.from(lin.forward(lin.forward(x)).data);
      expect(twice, device).toEqual(Array.from(lin.forward(once).data));
    }
  });
});

describe('Tensor as a value', () => {
  test('JSON, spread and structuredClone see data, shape and dtype as plain fields; a replacement keeps type and length', () => {
    const t = Tensor.from([[1, 2]], { dtype: 'float64' });
    expect(JSON.parse(JSON.stringify(t))).toEqual({ shape: [1, 2], dtype: 'float64', data: { 0: 1, 1: 2 } });
    expect({ ...t }.data).toBe(t.data);
    expect(Array.from(structuredClone(t).data)).toEqual([1, 2]);
    // deep equality compares the values
    expect(t).not.toEqual(Tensor.from([[1, 3]], { dtype: 'float64' }));
    expect(t).toEqual(Tensor.from([[1, 2]], { dtype: 'float64' }));
    t.data = new Float64Array([5, 6]);
    expect([t.size, ...t.data]).toEqual([2, 5, 6]);
    expect(() => {
      t.data = new Float64Array(3);
    }).toThrow(RangeError);
  });
});
