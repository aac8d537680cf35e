// steady state allocates nothing: after the first step, a training step constructs no typed array.
// typed-array constructors are wrapped in counting proxies (library code looks them up on the global
// object at call time) and slice() is counted too.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CrossEntropyLoss, FFNN, Linear, MSELoss, ReLU, SGD, Adam, Sequential, Tanh, Tensor, DataLoader, RandomDataset } from '../../src/index.js';
import type { Device } from '../../src/index.js';
import { DEVICES as devices } from '../nn/common.js';

const CTORS = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array'] as const;

let count = 0;
const saved = new Map<string, unknown>();
const savedSlice = new Map<string, unknown>();

function install(): void {
  for (const name of CTORS) {
    const C = (globalThis as Record<string, unknown>)[name] as new (...a: unknown[]) => unknown;
    saved.set(name, C);
    (globalThis as Record<string, unknown>)[name] = new Proxy(C, {
      construct(target, args, newTarget) {
        count++;
        return Reflect.construct(target, args, newTarget === (globalThis as Record<string, unknown>)[name] ? target : newTarget);
      },
    });
    const proto = C.prototype as { slice: (...a: unknown[]) => unknown };
    const slice = proto.slice;
    savedSlice.set(name, slice);
    proto.slice = function (this: unknown, ...a: unknown[]) {
      count++;
      return slice.apply(this, a);
    };
  }
}

function uninstall(): void {
  for (const name of CTORS) {
    (globalThis as Record<string, unknown>)[name] = saved.get(name);
    ((saved.get(name) as { prototype: { slice: unknown } }).prototype).slice = savedSlice.get(name);
  }
}

// allocations made by `steps` calls of step() after two warm-up calls
function allocationsOf(step: () => void, steps = 5): number {
  step();
  step();
  install();
  count = 0;
  try {
    for (let i = 0; i < steps; i++) step();
  } finally {
    uninstall();
  }
  return count;
}

describe.each(devices)('steady-state allocations (%s)', (device: Device) => {
  beforeEach(() => {
    count = 0;
  });
  afterEach(() => {
    if (saved.size > 0 && (globalThis as Record<string, unknown>).Float32Array !== saved.get('Float32Array')) uninstall();
  });

  it('the counter sees an allocation (the test can fail)', () => {
    expect(allocationsOf(() => void new Float32Array(4), 3)).toBe(3);
    expect(allocationsOf(() => void Tensor.zeros([2, 2]), 2)).toBe(2);
  });

  it('FFNN forward, backward(x, y, yPred), SGD step', () => {
    const net = new FFNN(30, [17, 9], ['relu', 'tanh'], 5, { device, seed: 1 });
    const opt = new SGD(net.parameters(), { lr: 0.01, momentum: 0.9, device });
    const x = Tensor.randn([8, 30], { seed: 2 });
    const y = new Int32Array([0, 1, 2, 3, 4, 0, 1, 2]);
    expect(allocationsOf(() => {
      const p = net.forward(x);
      net.backward(x, y, p);
      opt.step();
    })).toBe(0);
  });

  it('Sequential with CrossEntropyLoss, zeroGrad, Adam step', () => {
    const net = new Sequential(new Linear(12, 7, { device, seed: 1 }), new ReLU(), new Linear(7, 3, { device, seed: 2 }));
    const loss = new CrossEntropyLoss({ device });
    const opt = new Adam(net.parameters(), { lr: 1e-3, device });
    const x = Tensor.randn([4, 12], { seed: 3 });
    const y = new Int32Array([0, 1, 2, 1]);
    expect(allocationsOf(() => {
      const out = net.forward(x);
      loss.forward(out, y);
      net.zeroGrad();
      net.backward(loss.backward());
      opt.step();
    })).toBe(0);
  });

  it('the problem module flow: Linear-ReLU-Linear, summed squared error', () => {
    const net = new Sequential(new Linear(20, 16, { device, seed: 1 }), new Tanh(), new Linear(16, 4, { device, seed: 2 }));
    const loss = new MSELoss({ reduction: 'sum' });
    const opt = new SGD(net.parameters(), { lr: 1e-3, device });
    const x = Tensor.randn([16, 20], { seed: 3 });
    const t = Tensor.randn([16, 4], { seed: 4 });
    expect(allocationsOf(() => {
      const out = net.forward(x);
      loss.forward(out, t);
      net.zeroGrad();
      net.backward(loss.backward());
      opt.step();
    })).toBe(0);
  });

  it('a DataLoader epoch reuses its batch buffers', () => {
    const ds = new RandomDataset(64, 10, 3, { seed: 1 });
    const loader = new DataLoader(ds, { batchSize: 16, shuffle: true, seed: 2, reuseBuffers: true });
    const it0 = loader[Symbol.iterator]();
    it0.next();
    it0.next();
    install();
    count = 0;
    try {
      it0.next();
      it0.next();
    } finally {
      uninstall();
    }
    expect(count).toBe(0);
  });
});
