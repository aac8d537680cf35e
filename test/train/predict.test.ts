import { describe, expect, it } from 'vitest';
import { FFNN } from '../../src/nn/ffnn.js';
import { SGD } from '../../src/optim/sgd.js';
import { loadTable } from '../../src/data/table.js';
import { Standardizer } from '../../src/data/standardize.js';
import { trainFFNN } from '../../src/train/train.js';
import { predict } from '../../src/train/predict.js';
import { readTable } from '../../src/data/table.js';
import { backends } from '../helpers/backends.js';

describe.each(backends.map((b) => [b.name]))('predict on a table (%s)', (device) => {
  it('gives probabilities and class names; records and the encoded tensor agree', () => {
    const ds = loadTable('test/fixtures/tables/mini.csv', { target: 'label' });
    const st = new Standardizer().fit(ds);
    const F = ds.schema.featureNames.length;
    const net = new FFNN(F, [4], ['tanh'], 2, { device, seed: 1 });
    trainFFNN(net, st.transform(ds), new SGD(net.parameters(), { lr: 0.1, device }), { epochs: 3, seed: 1 });
    const recs = readTable('test/fixtures/tables/mini.csv').filter((_, i) => !ds.dropped.includes(i + 1));
    const a = predict(net, recs, { schema: ds.schema, standardizer: st });
    const b = predict(net, ds.x, { standardizer: st });
    expect(a.probabilities).toEqual(b.probabilities);
    expect(a.labels!.every((l) => l === 'yes' || l === 'no')).toBe(true);
    expect(a.probabilities!.every((r) => Math.abs(r[0] + r[1] - 1) < 1e-5)).toBe(true);
  });
});

describe('saveModel with a schema', () => {
  it('round-trips the schema and standardizer; predict on the loaded model gives the same labels', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { saveModel, loadModel } = await import('../../src/train/checkpoint.js');
    const ds = loadTable('test/fixtures/tables/mini.csv', { target: 'label' });
    const st = new Standardizer().fit(ds);
    const net = new FFNN(ds.features, [4], ['tanh'], 2, { device: 'js', seed: 1 });
    const file = join(mkdtempSync(join(tmpdir(), 'ffnn-pred-')), 'm.safetensors');
    saveModel(file, net, { schema: ds.schema, standardizer: st });
    const m = loadModel(file, { device: 'js' });
    expect(m.schema).toEqual(ds.schema);
    const opts = { schema: m.schema!, standardizer: m.standardizer! };
    expect(predict(m.net, ds.x, opts)).toEqual(predict(net, ds.x, { schema: ds.schema, standardizer: st }));
  });
});
