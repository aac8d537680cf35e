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

// a Softmax then a Dropout outputs probabilities (the Dropout is the identity in eval mode): predict
// must not apply a second softmax (it did: [0.176, 0.702, 0.121] came back as [0.275, 0.465, 0.260]);
// and each module keeps its own train / eval mode afterwards (only the top one was put back)
describe('predict: the network\'s own output and modes', () => {
  const o = { device: 'js' as const, dtype: 'float64' as const };
  it('Sequential(..., Softmax, Dropout): the probabilities of the eval forward, not softmaxed again', async () => {
    const { Sequential } = await import('../../src/nn/sequential.js');
    const { Linear } = await import('../../src/nn/linear.js');
    const { Softmax } = await import('../../src/nn/softmax.js');
    const { Dropout } = await import('../../src/nn/dropout.js');
    const { Tensor } = await import('../../src/tensor.js');
    const net = new Sequential(new Linear(4, 3, { ...o, seed: 1 }), new Softmax(o), new Dropout(0.5, { ...o, seed: 2 }));
    const x = Tensor.randn([5, 4], { dtype: 'float64', seed: 3 });
    const got = predict(net, x).probabilities!;
    net.eval();
    const want = net.forward(x);
    expect(got.flat()).toEqual(Array.from(want.data));
  });
  it('every module\'s mode is put back', async () => {
    const { Sequential } = await import('../../src/nn/sequential.js');
    const { Linear } = await import('../../src/nn/linear.js');
    const { Dropout } = await import('../../src/nn/dropout.js');
    const { Tensor } = await import('../../src/tensor.js');
    const drop = new Dropout(0.5, { ...o, seed: 2 });
    const net = new Sequential(new Linear(4, 3, { ...o, seed: 1 }), drop);
    drop.eval();
    predict(net, Tensor.randn([2, 4], { dtype: 'float64', seed: 3 }));
    expect([net.training, drop.training]).toEqual([true, false]);
    net.eval();
    drop.train();
    predict(net, Tensor.randn([2, 4], { dtype: 'float64', seed: 3 }));
    expect([net.training, drop.training]).toEqual([false, true]);
  });
});
