import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { loadTable, TableDataset } from '../../src/data/table.js';
import { randomSplit, Subset } from '../../src/data/split.js';
import { TensorDataset } from '../../src/data/dataset.js';
import { Tensor } from '../../src/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'ffnn-table-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('loadTable', () => {
  it('reads CSV with quoted fields, one-hot text columns, drops missing rows, keeps class names', () => {
    const ds = loadTable('test/fixtures/tables/mini.csv', { target: 'label' });
    expect(ds.length).toBe(4);
    expect(ds.dropped).toEqual([3, 4]);
    expect(ds.schema.task).toBe('classification');
    expect(ds.schema.taskReason).toMatch(/auto/);
    expect(ds.schema.classes).toEqual(['no', 'yes']);
    expect(ds.schema.featureNames).toEqual(['age', 'city=Oslo', 'city=Paris', 'city=Paris, FR', 'city=Rome', 'score']);
    const [x, y] = ds.get(0);
    expect(Array.from(x.data)).toEqual([21, 0, 0, 1, 0, 1.5]);
    expect(y).toBe(1);
  });

  it('auto picks regression for a numeric target', () => {
    const ds = loadTable('test/fixtures/tables/mini.csv', { target: 'score' });
    expect(ds.schema.task).toBe('regression');
    const [, y] = ds.get(1);
    expect((y as Tensor).toArray()).toEqual([2.5]);
  });

  it("missing: 'error' names row and column", () => {
    expect(() => loadTable('test/fixtures/tables/mini.csv', { target: 'label', missing: 'error' })).toThrow(/mini\.csv: row 3, column "age"/);
  });

  it('JSON records and fromRecords agree', () => {
    const recs = [
      { a: 1, c: 'x', t: 'u' },
      { a: 2, c: 'y', t: 'v' },
      { a: 3, c: null, t: 'v' },
    ];
    const p = file('r.json', JSON.stringify(recs));
    const a = loadTable(p, { target: 't' });
    const b = TableDataset.fromRecords(recs, { target: 't' });
    expect(a.length).toBe(2);
    expect(Array.from(a.x.data)).toEqual(Array.from(b.x.data));
  });

  it('malformed tables: ragged row, missing target, empty, one class', () => {
    expect(() => loadTable(file('rag.csv', 'a,b\n1,2\n3\n'), { target: 'b' })).toThrow(FormatError);
    expect(() => loadTable(file('rag.csv', 'a,b\n1,2\n3\n'), { target: 'b' })).toThrow(/rag\.csv.*line 3/);
    expect(() => loadTable(file('nt.csv', 'a,b\n1,2\n'), { target: 'z' })).toThrow(/nt\.csv: target column "z" not found/);
    expect(() => loadTable(file('e.csv', 'a,b\n'), { target: 'b' })).toThrow(/empty table/);
    expect(() => loadTable(file('one.csv', 'a,b\n1,x\n2,x\n'), { target: 'b' })).toThrow(RangeError);
  });
});

describe('randomSplit / Subset', () => {
  const N = 100;
  const ds = new TensorDataset(Tensor.randn([N, 2], { seed: 1 }), Int32Array.from({ length: N }, (_, i) => (i < 80 ? 0 : 1)));

  it('fractions and lengths, disjoint, seeded', () => {
    const [a, b] = randomSplit(ds, [0.8, 0.2], { seed: 3 });
    expect([a.length, b.length]).toEqual([80, 20]);
    expect(new Set([...a.indices, ...b.indices]).size).toBe(N);
    expect(randomSplit(ds, [0.8, 0.2], { seed: 3 })[1].indices).toEqual(b.indices);
    expect(randomSplit(ds, [30, 70], { seed: 3 }).map((s) => s.length)).toEqual([30, 70]);
    expect(() => randomSplit(ds, [0.5, 0.2])).toThrow(RangeError);
  });

  it('stratified keeps class shares', () => {
    const [a, b] = randomSplit(ds, [0.8, 0.2], { seed: 5, stratified: true });
    const ones = (s: Subset) => s.indices.filter((i) => i >= 80).length;
    expect([ones(a), ones(b)]).toEqual([16, 4]);
    expect(b.get(0)).toEqual(ds.get(b.indices[0]));
  });
});
