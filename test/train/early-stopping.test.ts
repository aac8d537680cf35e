import { describe, expect, it } from 'vitest';
import { FFNN } from '../../src/nn/ffnn.js';
import { SGD } from '../../src/optim/sgd.js';
import { RandomDataset } from '../../src/data/dataset.js';
import { trainFFNN, type EpochInfo } from '../../src/train/train.js';
import { backends } from '../helpers/backends.js';

describe.each(backends.map((b) => [b.name]))('trainFFNN validationSplit and earlyStopping (%s)', (device) => {
  it('stops after patience epochs and restores the best epoch bit for bit', () => {
    // random labels: the validation loss soon stops improving while a large lr overfits
    const ds = new RandomDataset(200, 4, 3, { seed: 1 });
    const net = new FFNN(4, [32], ['relu'], 3, { device, seed: 2 });
    const snaps: Array<{ loss: number; w: Float32Array[] }> = [];
    const infos: EpochInfo[] = [];
    trainFFNN(net, ds, new SGD(net.parameters(), { lr: 0.5, device }), {
      epochs: 60,
      batchSize: 16,
      seed: 3,
      validationSplit: 0.25,
      earlyStopping: { monitor: 'loss', patience: 3, restoreBest: true },
      onEpoch: (info) => {
        infos.push(info);
        snaps.push({ loss: info.validation!.loss, w: net.parameters().map((p) => p.data.slice() as Float32Array) });
      },
    });
    expect(infos.every((i) => i.validation !== undefined && i.validation.samples === 50)).toBe(true);
    expect(infos.length).toBeLessThan(60);
    let best = 0;
    snaps.forEach((s, i) => {
      if (s.loss < snaps[best].loss) best = i;
    });
    expect(infos.length).toBe(best + 1 + 3);
    net.parameters().forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(snaps[best].w[i])));
  });

  it('refuses earlyStopping without a validation set', () => {
    const ds = new RandomDataset(20, 4, 3, { seed: 1 });
    const net = new FFNN(4, [8], ['relu'], 3, { device, seed: 2 });
    expect(() => trainFFNN(net, ds, new SGD(net.parameters(), { lr: 0.1, device }), { earlyStopping: {} })).toThrow(RangeError);
  });
});
