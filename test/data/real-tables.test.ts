// two small public tables with text columns and missing values, trained end to end (native device)
import { describe, expect, it } from 'vitest';
import { FFNN } from '../../src/nn/ffnn.js';
import { Linear } from '../../src/nn/linear.js';
import { Sequential } from '../../src/nn/sequential.js';
import { MSELoss } from '../../src/nn/loss.js';
import { Adam } from '../../src/optim/adam.js';
import { loadTable } from '../../src/data/table.js';
import { randomSplit } from '../../src/data/split.js';
import { Standardizer } from '../../src/data/standardize.js';
import { trainFFNN } from '../../src/train/train.js';
import { evaluate } from '../../src/train/evaluate.js';

describe('real tables', () => {
  it('penguins: species from measurements, island and sex (rows with NA dropped)', () => {
    const ds = loadTable('test/fixtures/tables/penguins.json', { target: 'Species' });
    expect(ds.schema.task).toBe('classification');
    expect(ds.dropped.length).toBeGreaterThan(0);
    const [tr, va] = randomSplit(ds, [0.8, 0.2], { seed: 1, stratified: true });
    const st = new Standardizer().fit(tr);
    const net = new FFNN(ds.features, [16], ['relu'], 3, { seed: 1 });
    trainFFNN(net, st.transform(tr), new Adam(net.parameters(), { lr: 0.01 }), { epochs: 40, batchSize: 16, seed: 1 });
    const ev = evaluate(net, st.transform(va));
    console.log(`penguins: ${ds.length} rows (${ds.dropped.length} dropped), val accuracy ${ev.accuracy.toFixed(3)}`);
    expect(ev.accuracy).toBeGreaterThan(0.95);
  });

  it('cars: miles per gallon from the other columns, Origin one-hot (regression)', () => {
    const ds = loadTable('test/fixtures/tables/cars.json', {
      target: 'Miles_per_Gallon',
      features: ['Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration', 'Origin'],
    });
    expect(ds.schema.task).toBe('regression');
    const [tr, va] = randomSplit(ds, [0.8, 0.2], { seed: 1 });
    const st = new Standardizer().fit(tr);
    const net = new Sequential(new Linear(ds.features, 32, { seed: 1 }), 'relu', new Linear(32, 1, { seed: 2 }));
    const loss = new MSELoss({ reduction: 'mean' });
    trainFFNN(net, st.transform(tr), new Adam(net.parameters(), { lr: 0.01 }), { epochs: 200, batchSize: 16, seed: 1, loss });
    const ev = evaluate(net, st.transform(va), { loss });
    console.log(`cars: ${ds.length} rows (${ds.dropped.length} dropped), val R2 ${ev.r2!.toFixed(3)} RMSE ${ev.rmse!.toFixed(2)} MAE ${ev.mae!.toFixed(2)}`);
    expect(ev.r2!).toBeGreaterThan(0.7);
  });
});
