// the fused step with clipGradNorm, with parameter groups that differ and with max-norm: the same bits
// as the module calls (forward, loss, backward, clipGradNorm, step, renorm) on every device, and fused
// (TrainStep.fallback null), for FFNN (stored gradients) and a Sequential with dropout (accumulated)
import { describe, expect, test } from 'vitest';
import { CrossEntropyLoss } from '../../src/nn/loss.js';
import { Dropout } from '../../src/nn/dropout.js';
import { FFNN } from '../../src/nn/ffnn.js';
import { Linear } from '../../src/nn/linear.js';
import { ReLU, Tanh } from '../../src/nn/activation.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Adam } from '../../src/optim/adam.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { SGD } from '../../src/optim/sgd.js';
import { moduleCallsStep, TrainStep } from '../../src/train/step.js';
import type { Device } from '../../src/kernels/index.js';
import { Tensor } from '../../src/tensor.js';
import { DEVICES, sameBits } from './common.js';

type Net = FFNN | Sequential;

function network(kind: 'ffnn' | 'sequential', device: Device): Net {
  if (kind === 'ffnn') return new FFNN(7, [9, 6], ['relu', 'tanh'], 4, { device, seed: 5 });
  return new Sequential(
    new Dropout(0.2, { device, seed: 11 }),
    new Linear(7, 9, { device, seed: 1 }), new ReLU(), new Dropout(0.5, { device, seed: 12 }),
    new Linear(9, 6, { device, seed: 2 }), new Tanh(),
    new Linear(6, 4, { device, seed: 3 }),
  );
}

// weights and biases apart: other lr and weight decay, max-norm on the weights only
function optimizer(net: Net, rule: 'sgd' | 'adam', grouped: boolean, device: Device, maxNorm: number): Optimizer {
  const weights = net.parameters().filter((p) => p.ndim === 2);
  const biases = net.parameters().filter((p) => p.ndim !== 2);
  const params = grouped
    ? [{ params: weights, weightDecay: 0.01, maxNorm }, { params: biases, weightDecay: 0, lr: 0.03 }]
    : net.parameters();
  return rule === 'sgd'
    ? new SGD(params, { lr: 0.1, momentum: 0.9, nesterov: true, maxNorm: grouped ? 0 : maxNorm, device })
    : new Adam(params, { lr: 0.01, maxNorm: grouped ? 0 : maxNorm, device });
}

function batches(n: number, device: Device): Array<[Tensor, Int32Array]> {
  void device;
  return Array.from({ length: n }, (_, i) => {
    const x = Tensor.randn([12, 7], { seed: 100 + i });
    return [x, Int32Array.from({ length: 12 }, (_, r) => (r * 7 + i) % 4)];
  });
}

const CASES = [
  { name: 'clipGradNorm that scales', clip: 0.05, grouped: false, maxNorm: 0 },
  { name: 'clipGradNorm above the norm (no scale)', clip: 1e6, grouped: false, maxNorm: 0 },
  { name: 'groups that differ (lr, weight decay)', clip: undefined, grouped: true, maxNorm: 0 },
  { name: 'groups, max-norm on the weights and clipGradNorm', clip: 0.2, grouped: true, maxNorm: 0.6 },
  { name: 'max-norm', clip: undefined, grouped: false, maxNorm: 0.6 },
] as const;

describe.each(DEVICES)('the fused step with clipping, groups and max-norm on %s: the module calls\' bits', (device) => {
  for (const kind of ['ffnn', 'sequential'] as const) {
    for (const rule of ['sgd', 'adam'] as const) {
      test.each(CASES)(`${kind} ${rule}: $name`, ({ clip, grouped, maxNorm }) => {
        const a = network(kind, device);
        const oa = optimizer(a, rule, grouped, device, maxNorm);
        const step = new TrainStep(a, oa, { clipGradNorm: clip });
        expect(step.fallback).toBeNull();
        const b = network(kind, device);
        const ob = optimizer(b, rule, grouped, device, maxNorm);
        const params = b.parameters();
        const clipping = { step: () => { if (clip !== undefined) clipGradNorm(params, clip, 2, { device }); ob.step(); } } as unknown as Optimizer;
        const loss = kind === 'ffnn' ? null : new CrossEntropyLoss({ device });
        for (const [x, y] of batches(4, device)) {
          const la = step.run(x, y);
          const lb = moduleCallsStep(b, loss, clipping, x, y);
          expect(Object.is(la, lb)).toBe(true);
        }
        a.parameters().forEach((p, i) => {
          const q = params[i];
          expect(sameBits(p.data, q.data), `${p.name} data`).toBe(true);
          expect(sameBits((p.grad as Tensor).data, (q.grad as Tensor).data), `${p.name} grad`).toBe(true);
        });
        // and it did something: max-norm holds on the weights
        if (maxNorm > 0) {
          for (const w of a.parameters().filter((p) => p.ndim === 2)) {
            const [IN, OUT] = w.shape;
            for (let j = 0; j < OUT; j++) {
              let s = 0;
              for (let i = 0; i < IN; i++) s += w.data[i * OUT + j] ** 2;
              expect(Math.sqrt(s)).toBeLessThanOrEqual(maxNorm + 1e-5);
            }
          }
        }
      });
    }
  }

  test('clipping changes the numbers: a clipped fused run differs from an unclipped one', () => {
    const run = (clip?: number) => {
      const net = network('sequential', device);
      const step = new TrainStep(net, optimizer(net, 'sgd', false, device, 0), { clipGradNorm: clip });
      return batches(3, device).map(([x, y]) => step.run(x, y));
    };
    expect(run(0.05)).not.toEqual(run());
  });
});
