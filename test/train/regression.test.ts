import { describe, expect, it } from 'vitest';
import { Linear } from '../../src/nn/linear.js';
import { Sequential } from '../../src/nn/sequential.js';
import { MSELoss } from '../../src/nn/loss.js';
import { Adam } from '../../src/optim/adam.js';
import { TableDataset } from '../../src/data/table.js';
import { randomSplit } from '../../src/data/split.js';
import { Rng } from '../../src/random.js';
import { trainFFNN } from '../../src/train/train.js';
import { evaluate } from '../../src/train/evaluate.js';
import { backends } from '../helpers/backends.js';

// y = 2a - b + 3 (kind = 'hi') + noise, from records with a text column
function records(n: number) {
  const rng = new Rng(7);
  return Array.from({ length: n }, () => {
    const a = rng.normal();
    const b = rng.normal();
    const kind = rng.int(2) === 0 ? 'hi' : 'lo';
    return { a, b, kind, y: 2 * a - b + (kind === 'hi' ? 3 : 0) + 0.05 * rng.normal() };
  });
}

describe.each(backends.map((b) => [b.name]))('regression through trainFFNN (%s)', (device) => {
  it('Sequential ending in Linear with MSELoss reaches R² near 1; evaluate gives MAE, RMSE, R²', () => {
    const ds = TableDataset.fromRecords(records(400), { target: 'y' });
    expect(ds.schema.task).toBe('regression');
    const [train, val] = randomSplit(ds, [0.8, 0.2], { seed: 1 });
    const F = ds.schema.featureNames.length;
    const net = new Sequential(new Linear(F, 16, { device, seed: 1 }), 'relu', new Linear(16, 1, { device, seed: 2 }));
    const loss = new MSELoss({ reduction: 'mean', device });
    trainFFNN(net, train, new Adam(net.parameters(), { lr: 0.01, device }), { epochs: 60, batchSize: 32, seed: 2, loss });
    const ev = evaluate(net, val, { loss });
    expect(ev.r2!).toBeGreaterThan(0.97);
    expect(ev.rmse!).toBeCloseTo(Math.sqrt(ev.loss), 3);
    expect(ev.mae!).toBeLessThanOrEqual(ev.rmse!);
  });
});

// one output has no accuracy: its argmax was always 0, so evaluate said 100% and an accuracy
// monitor never saw an improvement (early stopping stopped after `patience` epochs while the loss
// still fell; ReduceLROnPlateau cut the lr every epoch). now NaN, and monitoring it is a RangeError
describe('a one-output network has no accuracy', () => {
  const make = () => {
    const rng = new Rng(5);
    const recs = Array.from({ length: 60 }, () => {
      const a = rng.uniform();
      const b = rng.uniform();
      return { a, b, y: 3 * a - 2 * b };
    });
    return TableDataset.fromRecords(recs, { target: 'y' });
  };
  const net = () => new Sequential(new Linear(2, 4, { seed: 1, device: 'js' }), 'relu', new Linear(4, 1, { seed: 2, device: 'js' }));
  it('evaluate gives NaN, trainFFNN refuses to monitor it', async () => {
    const ds = make();
    const n = net();
    const loss = new MSELoss({ device: 'js' });
    const ev = evaluate(n, ds, { loss });
    expect(ev.accuracy).toBeNaN();
    expect(ev.mae).toBeGreaterThan(0);
    const [train, val] = randomSplit(ds, [0.8, 0.2], { seed: 1 });
    expect(() => trainFFNN(n, train, new Adam(n.parameters(), { lr: 0.01, device: 'js' }), { epochs: 3, loss, validation: val, verbose: 0, earlyStopping: { monitor: 'accuracy' } })).toThrow(
      "options.earlyStopping.monitor: expected 'loss' for a network with one output (a regression: accuracy needs two or more classes), received \"accuracy\"",
    );
    const { ReduceLROnPlateau } = await import('../../src/optim/lr-scheduler.js');
    const opt = new Adam(n.parameters(), { lr: 0.01, device: 'js' });
    expect(() => trainFFNN(n, train, opt, { epochs: 3, loss, validation: val, verbose: 0, schedule: new ReduceLROnPlateau(opt, { monitor: 'accuracy', mode: 'max' }) })).toThrow(/^options\.schedule\.monitor: expected 'loss' for a network with one output/);
    // the loss is monitored as before
    expect(trainFFNN(n, train, opt, { epochs: 2, batchSize: 16, loss, validation: val, verbose: 0, earlyStopping: { monitor: 'loss' } })).toHaveLength(2 * Math.ceil(train.length / 16));
  });
});
