// the module path leaves work for later where nothing can tell: zeroGrad's zeros, a Linear's weight
// gradient (computed by the optimizer's step together with its update, Kernels.linearGradStep) and
// the first layer's d loss / d x (computed if read). each case runs the same steps twice on twin
// networks: once reading every gradient as soon as backward returns (which runs the deferred
// product through gemm, then the optimizer's own kernel), once not (the fused linearGradStep), and
// the weights, gradients and optimizer state must have the same bits.
import { describe, expect, test } from 'vitest';
import { FFNN, Linear, MSELoss, ReLU, Sequential, Tanh } from '../../src/nn/index.js';
import { Adam, SGD, type Optimizer } from '../../src/optim/index.js';
import { Tensor, type Parameter } from '../../src/tensor.js';
import { STEP_STATE, type FloatArray } from '../../src/kernels/types.js';
import { composeLinearGradStep } from '../../src/kernels/compose.js';
import { backends } from '../helpers/backends.js';
import { referenceKernels } from '../../src/kernels/reference/index.js';
import { getNumThreads, setNumThreads } from '../../src/backend.js';
import { DEVICES, DTYPES } from './common.js';

type Make = (net: { parameters(): Parameter[] }) => Optimizer;

const OPTIMIZERS: Array<[string, (device: string) => Make]> = [
  ['SGD', (device) => (net) => new SGD(net.parameters(), { lr: 0.01, device: device as never })],
  ['SGD momentum, nesterov, decay, l1', (device) => (net) => new SGD(net.parameters(), { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-3, l1: 1e-4, device: device as never })],
  ['Adam', (device) => (net) => new Adam(net.parameters(), { lr: 1e-3, weightDecay: 1e-3, device: device as never })],
];

const bits = (a: FloatArray): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

function snapshot(net: { parameters(): Parameter[] }, opt: Optimizer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of net.parameters()) {
    out.push(bits(p.data));
    if (p.grad !== null) out.push(bits(p.grad.data));
  }
  for (const s of opt.stateDict().state ? Object.values(opt.stateDict().state) : []) {
    for (const v of Object.values(s)) if (v instanceof Tensor) out.push(bits(v.data));
  }
  return out;
}

describe.each(DEVICES)('deferred gradients on %s', (device) => {
  describe.each(DTYPES)('%s', (dtype) => {
    const seq = () => new Sequential(
      new Linear(12, 16, { device, dtype, seed: 1 }), new ReLU(), new Linear(16, 8, { device, dtype, seed: 2 }), new Tanh(),
      new Linear(8, 3, { device, dtype, seed: 3 }),
    );
    const data = (B: number, seed: number) => ({
      x: Tensor.randn([B, 12], { dtype, seed }),
      y: Tensor.randn([B, 3], { dtype, seed: seed + 100 }),
    });

    describe.each(OPTIMIZERS)('%s', (_name, optimizer) => {
      test.each([1, 5])('Sequential, batch %i: reading every gradient at once or never gives the same bits', (B) => {
        const runs = [true, false].map((read) => {
          const net = seq();
          const opt = optimizer(device)(net);
          const loss = new MSELoss({ device, reduction: 'sum' });
          const dxs: Uint8Array[] = [];
          for (let s = 0; s < 4; s++) {
            const { x, y } = data(B, 10 + s);
            loss.forward(net.forward(x), y);
            net.zeroGrad();
            const dx = net.backward(loss.backward());
            if (read) {
              for (const p of net.parameters()) void (p.grad as Tensor).data;
              dxs.push(bits(dx.data));
            }
            opt.step();
            // d loss / d x read after the step is the one of the weights before it
            if (!read) dxs.push(bits(dx.data));
          }
          return { state: snapshot(net, opt), dxs };
        });
        expect(runs[1].state).toEqual(runs[0].state);
        expect(runs[1].dxs).toEqual(runs[0].dxs);
      });

      test('gradient accumulation over two batches, x changed after forward: the same bits as reading at once', () => {
        const runs = [true, false].map((read) => {
          const net = seq();
          const opt = optimizer(device)(net);
          const loss = new MSELoss({ device });
          for (let s = 0; s < 3; s++) {
            net.zeroGrad();
            for (const seed of [20 + s, 40 + s]) {
              const { x, y } = data(4, seed);
              loss.forward(net.forward(x), y);
              // the caller's x is overwritten once forward returns (a reused batch buffer)
              if (!read) x.data.fill(1e3);
              net.backward(loss.backward());
              if (read) for (const p of net.parameters()) void (p.grad as Tensor).data;
            }
            opt.step();
          }
          return snapshot(net, opt);
        });
        expect(runs[1]).toEqual(runs[0]);
      });

      test('FFNN, the problem\'s loop (stored gradients): the same bits as reading at once', () => {
        const runs = [true, false].map((read) => {
          const net = new FFNN(12, [16, 8], ['relu', 'tanh'], 3, { device, dtype, seed: 7 });
          const opt = optimizer(device)(net);
          for (let s = 0; s < 3; s++) {
            const x = Tensor.randn([6, 12], { dtype, seed: 60 + s });
            const y = new Int32Array([0, 1, 2, 2, 1, 0]);
            const yPred = net.forward(x);
            net.backward(x, y, yPred);
            if (read) for (const p of net.parameters()) void (p.grad as Tensor).data;
            opt.step();
          }
          return snapshot(net, opt);
        });
        expect(runs[1]).toEqual(runs[0]);
      });
    });

    test('zeroGrad reads as zeros; a weight replaced before d loss / d x is read leaves it as computed before', () => {
      const net = seq();
      const loss = new MSELoss({ device });
      const { x, y } = data(3, 5);
      loss.forward(net.forward(x), y);
      const dx = net.backward(loss.backward());
      const first = net.at(0) as Linear;
      const grad = (first.weight.grad as Tensor).data.slice();
      expect(grad.some((v) => v !== 0)).toBe(true);
      net.zeroGrad();
      expect(Array.from((first.weight.grad as Tensor).data).every((v) => v === 0)).toBe(true);
      // a twin that reads dx at once
      const twin = seq();
      loss.forward(twin.forward(x), y);
      const dxNow = twin.backward(loss.backward()).data.slice();
      // the weights change in place and by replacement before dx is read
      first.weight.data[0] += 1;
      first.weight.data = first.weight.data.map((v) => v * 2) as FloatArray;
      expect(bits(dx.data)).toEqual(bits(dxNow));
    });

    test('a Linear shared by two networks: the second network\'s forward does not change the first one\'s pending product', () => {
      const runs = [true, false].map((read) => {
        const shared = new Linear(12, 16, { device, dtype, seed: 1 });
        const a = new Sequential(shared, new ReLU(), new Linear(16, 3, { device, dtype, seed: 2 }));
        const b = new Sequential(shared, new Tanh(), new Linear(16, 3, { device, dtype, seed: 3 }));
        const opt = new SGD(a.parameters(), { lr: 0.1, device });
        const loss = new MSELoss({ device });
        const { x, y } = data(4, 1);
        loss.forward(a.forward(x), y);
        a.zeroGrad();
        a.backward(loss.backward());
        if (read) for (const p of a.parameters()) void (p.grad as Tensor).data;
        b.forward(data(4, 2).x);
        opt.step();
        return snapshot(a, opt);
      });
      expect(runs[1]).toEqual(runs[0]);
    });

    // tied weights (a JavaScript caller may assign one Linear's weight to another: `readonly` is
    // TypeScript's), each Linear the first layer of its own network, so each backward leaves its d loss
    // / d x to be computed when read, from w as it was then: the step that updates w must keep w for
    // both (at batch 1 on native the update pass computes a lazy dx itself, for the gradZ it multiplies)
    test.each([1, 3])('tied weights, batch %i: each network\'s d loss / d x read after the step is the one read before it', (B) => {
      const runs = [true, false].map((readNow) => {
        const la = new Linear(12, 16, { device, dtype, seed: 1 });
        const lb = new Linear(12, 16, { device, dtype, seed: 2 });
        (lb as { weight: Parameter }).weight = la.weight;
        const a = new Sequential(la, new ReLU(), new Linear(16, 3, { device, dtype, seed: 3 }));
        const b = new Sequential(lb, new Tanh(), new Linear(16, 3, { device, dtype, seed: 4 }));
        const params = [...new Set([...a.parameters(), ...b.parameters()])];
        const opt = new SGD(params, { lr: 0.1, device });
        const loss = new MSELoss({ device, reduction: 'sum' });
        const out: Uint8Array[] = [];
        for (let s = 0; s < 3; s++) {
          const x = Tensor.randn([B, 12], { dtype, seed: 40 + s });
          const y = Tensor.randn([B, 3], { dtype, seed: 50 + s });
          a.zeroGrad();
          b.zeroGrad();
          loss.forward(a.forward(x), y);
          const dxa = a.backward(loss.backward());
          loss.forward(b.forward(x), y);
          const dxb = b.backward(loss.backward());
          if (readNow) out.push(bits(dxa.data), bits(dxb.data));
          opt.step();
          if (!readNow) out.push(bits(dxa.data), bits(dxb.data));
        }
        return [...out, ...snapshot({ parameters: () => params }, opt)];
      });
      expect(runs[1]).toEqual(runs[0]);
    });
  });
});

// native's fused kernel against the calls it stands for, on the same device: the same bits (js and
// wasm run those calls: composeLinearGradStep is their linearGradStep)
describe.each(backends.filter((b) => b.name === 'native'))('linearGradStep on $name', ({ name, kernels: k }) => {
  test.each(['sgd', 'adam'] as const)('%s: the same bits as gemm, the l1 scratch and the step', (opt) => {
    const composed = composeLinearGradStep(k);
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [B, IN, OUT] of [[1, 37, 19], [7, 64, 33], [40, 130, 70]]) {
        const Ctor = dtype === 'float64' ? Float64Array : Float32Array;
        const rnd = (n: number, seed: number) => Ctor.from(Tensor.randn([n], { seed, dtype: 'float64' }).data);
        const x = rnd(B * IN, 1);
        const gz = rnd(B * OUT, 2);
        // zeros in x and gz make -0 products: plusZero must turn them into +0
        x[0] = 0;
        gz[1] = -0;
        const run = (f: typeof composed) => {
          const w = rnd(IN * OUT, 3);
          const gw = new Ctor(IN * OUT).fill(NaN);
          const m = rnd(IN * OUT, 4).map(Math.abs);
          const v = rnd(IN * OUT, 5).map(Math.abs);
          const keep = new Ctor(IN * OUT);
          const st = new Float64Array(STEP_STATE.count + 1);
          st[STEP_STATE.lr] = 0.01;
          st[STEP_STATE.weightDecay] = 1e-3;
          st[STEP_STATE.l1] = 1e-4;
          st[STEP_STATE.momentum] = 0.9;
          st[STEP_STATE.beta1] = 0.9;
          st[STEP_STATE.beta2] = 0.999;
          st[STEP_STATE.eps] = 1e-8;
          st[STEP_STATE.count] = opt === 'adam' ? 3 : 0;
          f(opt, B, IN, OUT, x, gz, gw, w, opt === 'sgd' ? m : null, opt === 'adam' ? m : null, opt === 'adam' ? v : null, true, keep, st);
          return { w, gw, m, v, keep };
        };
        const fused = run(k.linearGradStep);
        const calls = run(composed);
        for (const key of ['w', 'gw', 'm', 'v', 'keep'] as const) {
          expect(bits(fused[key]), `${name} ${dtype} ${B}x${IN}x${OUT} ${key}`).toEqual(bits(calls[key]));
        }
        expect(Object.is(fused.gw[0] + 0, fused.gw[0])).toBe(true);
      }
    }
  });

  // gradX: d loss / d x from w before the update, in the pass (batch 1, float SGD without l1: each
  // block of w's rows read just before its update) or by a gemm first; against gemm then the
  // composed calls. shapes with a partial vector and with rows split between threads
  test.each(['sgd', 'adam'] as const)('%s with gradX: the same bits as gemm before the update, on 1 and 2 threads', (opt) => {
    const composed = composeLinearGradStep(k);
    const threads = getNumThreads();
    try {
      for (const n of [1, 2]) {
        setNumThreads(n);
        for (const dtype of ['float32', 'float64'] as const) {
          for (const l1 of [0, 1e-4]) {
            for (const [B, IN, OUT] of [[1, 37, 19], [1, 300, 70], [3, 130, 70]]) {
              const Ctor = dtype === 'float64' ? Float64Array : Float32Array;
              const rnd = (len: number, seed: number) => Ctor.from(Tensor.randn([len], { seed, dtype: 'float64' }).data);
              const x = rnd(B * IN, 1);
              const gz = rnd(B * OUT, 2);
              const run = (f: typeof composed) => {
                const w = rnd(IN * OUT, 3);
                const gw = new Ctor(IN * OUT).fill(NaN);
                const m = rnd(IN * OUT, 4).map(Math.abs);
                const v = rnd(IN * OUT, 5).map(Math.abs);
                const gx = new Ctor(B * IN).fill(NaN);
                const st = new Float64Array(STEP_STATE.count + 1);
                st[STEP_STATE.lr] = 0.01;
                st[STEP_STATE.l1] = l1;
                st[STEP_STATE.beta1] = 0.9;
                st[STEP_STATE.beta2] = 0.999;
                st[STEP_STATE.eps] = 1e-8;
                st[STEP_STATE.count] = opt === 'adam' ? 2 : 0;
                f(opt, B, IN, OUT, x, gz, gw, w, null, opt === 'adam' ? m : null, opt === 'adam' ? v : null, false, null, st, gx);
                return { w, gw, m, v, gx };
              };
              const fused = run(k.linearGradStep);
              const calls = run(composed);
              const what = `${name} ${n}T ${dtype} l1 ${l1} ${B}x${IN}x${OUT}`;
              for (const key of ['w', 'gw', 'm', 'v', 'gx'] as const) expect(Buffer.from(bits(fused[key])).equals(bits(calls[key])), `${what} ${key}`).toBe(true);
              // and the value: the js reference's product of the weights before the update
              const ref = new Float64Array(B * IN);
              referenceKernels.gemm(false, true, B, IN, OUT, 1, Float64Array.from(gz), Float64Array.from(rnd(IN * OUT, 3)), 0, ref);
              const tol = dtype === 'float64' ? 1e-12 : 1e-4;
              const worst = Math.max(...Array.from(fused.gx, (g, i) => Math.abs(g - ref[i]) / Math.max(1, Math.abs(ref[i]))));
              expect(worst, `${what} gx`).toBeLessThanOrEqual(tol);
            }
          }
        }
      }
    } finally {
      setNumThreads(threads);
    }
  });
});

// batch 1 on native: the first layer's d loss / d x, read after the step, is computed in the step's
// pass over w; read at once it is a gemm of its own. wide layers split their rows between threads
describe.each(DEVICES)('the first layer\'s d loss / d x at batch 1 on %s', (device) => {
  test.each([1, 2])('read at once, after the step, or after the next forward: the same bits (%i threads)', (n) => {
    const threads = getNumThreads();
    setNumThreads(n);
    try {
      const runs = ['now', 'after step', 'after forward'].map((when) => {
        const net = new Sequential(new Linear(300, 70, { device, seed: 1 }), new ReLU(), new Linear(70, 5, { device, seed: 2 }));
        const opt = new SGD(net.parameters(), { lr: 0.05, device: device as never });
        const loss = new MSELoss({ device, reduction: 'sum' });
        const dxs: Uint8Array[] = [];
        for (let s = 0; s < 3; s++) {
          const x = Tensor.randn([1, 300], { seed: 20 + s });
          const y = Tensor.randn([1, 5], { seed: 40 + s });
          loss.forward(net.forward(x), y);
          net.zeroGrad();
          const dx = net.backward(loss.backward());
          if (when === 'now') dxs.push(bits(dx.data));
          opt.step();
          if (when === 'after step') dxs.push(bits(dx.data));
          if (when === 'after forward') {
            net.forward(x);
            dxs.push(bits(dx.data));
          }
        }
        return { state: snapshot(net, opt), dxs };
      });
      expect(runs[1]).toEqual(runs[0]);
      expect(runs[2].dxs).toEqual(runs[0].dxs);
    } finally {
      setNumThreads(threads);
    }
  });

  test('a d loss / d x replaced before the step is not written by it; the weights still step', () => {
    const make = () => new Sequential(new Linear(300, 70, { device, seed: 1 }), new ReLU(), new Linear(70, 5, { device, seed: 2 }));
    const x = Tensor.randn([1, 300], { seed: 3 });
    const y = Tensor.randn([1, 5], { seed: 4 });
    const states = [true, false].map((replace) => {
      const net = make();
      const opt = new SGD(net.parameters(), { lr: 0.05, device: device as never });
      const loss = new MSELoss({ device, reduction: 'sum' });
      loss.forward(net.forward(x), y);
      const dx = net.backward(loss.backward());
      if (replace) {
        const mine = new Float32Array(300).fill(7);
        dx.data = mine;
        opt.step();
        expect(Array.from(mine).every((v) => v === 7)).toBe(true);
        expect(dx.data).toBe(mine);
      } else {
        opt.step();
      }
      return snapshot(net, opt);
    });
    expect(states[0]).toEqual(states[1]);
  });
});
