// predict on a TableDataset: its encoded features and its schema, the same as predict on the records
// it was read from (encoded again through the schema); a regression table gives numbers
import { describe, expect, it } from 'vitest';
import { Standardizer } from '../../src/data/standardize.js';
import { readTable, TableDataset } from '../../src/data/table.js';
import { FFNN } from '../../src/nn/ffnn.js';
import { Linear } from '../../src/nn/linear.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Tensor } from '../../src/tensor.js';
import { predict } from '../../src/train/predict.js';

describe('predict(net, tableDataset)', () => {
  it('classification: the class names of its schema, as for its records', () => {
    const records = readTable('test/fixtures/tables/penguins.json').filter((r) => Object.values(r).every((v) => v !== null));
    const ds = TableDataset.fromRecords(records, { target: 'Species' });
    const st = new Standardizer().fit(ds);
    const net = new FFNN(ds.schema.featureNames.length, [8], 'tanh', 3, { device: 'js', seed: 1 });
    const a = predict(net, ds, { standardizer: st });
    const b = predict(net, records, { schema: ds.schema, standardizer: st });
    expect(a).toEqual(b);
    expect(new Set(a.labels)).toEqual(new Set(ds.schema.classes));
  });

  it('regression: numbers, and a bad argument is named', () => {
    const ds = TableDataset.fromRecords(Array.from({ length: 12 }, (_, i) => ({ a: i, b: i % 3 === 0 ? 'x' : 'y', y: i * 1.5 })), { target: 'y' });
    const net = new Sequential(new Linear(ds.schema.featureNames.length, 1, { device: 'js', seed: 2 }));
    const p = predict(net, ds);
    expect(p.values).toHaveLength(12);
    expect(p.probabilities).toBeUndefined();
    expect(p.values).toEqual(predict(net, ds.x).values);
    expect(() => predict(net, { x: Tensor.zeros([1, 3]) } as never)).toThrow(/^data: expected a Tensor \[N, F\], an array of records or a TableDataset, received an object$/);
  });
});
