// a learnable CELU alpha that an update pushes across 0 (the constructor refuses 0) made the loss NaN,
// blamed on a later layer: it is clamped to ALPHA_MIN on the side it started on, before every step
import { describe, expect, it } from 'vitest';
import { RandomDataset } from '../../src/data/dataset.js';
import { ALPHA_MIN, CELU } from '../../src/nn/activation.js';
import { FFNN } from '../../src/nn/ffnn.js';
import { SGD } from '../../src/optim/sgd.js';
import { Tensor } from '../../src/tensor.js';
import { trainFFNN } from '../../src/train/train.js';

describe('learnable CELU alpha stays in its domain', () => {
  for (const device of ['js', 'native'] as const) {
    it(`${device}: alpha set to -0.5 (from 1) is clamped to ALPHA_MIN, training stays finite`, () => {
      const act = new CELU({ alpha: 1, learnable: true, device });
      const net = new FFNN(4, [6], [act], 3, { seed: 1, device });
      act.param!.data[0] = -0.5;
      const losses = trainFFNN(net, new RandomDataset(32, 4, 3, { seed: 2 }), new SGD(net.parameters(), 0.01), { epochs: 1, batchSize: 8, verbose: 0 });
      expect(losses.every(Number.isFinite)).toBe(true);
      // the last update may leave it below; the next forward or step projects it back
      net.forward(Tensor.zeros([2, 4]));
      expect(act.param!.data[0]).toBeGreaterThanOrEqual(ALPHA_MIN * 0.999);
    });
  }
  it('a negative alpha stays negative; a NaN alpha names alpha', () => {
    const act = new CELU({ alpha: -1, learnable: true, device: 'js' });
    act.param!.data[0] = 2;
    act.forward(Tensor.zeros([2, 3]));
    expect(act.param!.data[0]).toBeCloseTo(-ALPHA_MIN, 6);
    act.param!.data[0] = NaN;
    expect(() => act.forward(Tensor.zeros([2, 3]))).toThrow(/^CELU learnable alpha: expected a finite number, received NaN/);
  });
});
