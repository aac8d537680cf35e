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

// found by a red-team pass: each of these loaded without a word and trained on something else than
// the user meant
describe('tables: what used to load silently wrong', () => {
  const numbers = (n: number, seed: number) => Array.from({ length: n }, (_, i) => `${((i * 37 + seed) % 100) / 10},${((i * 53 + seed) % 100) / 10},${(i * 7) % 10}.5`);
  it('"?" is a missing value (the row is dropped), as the UCI tables write it', () => {
    const rows = numbers(30, 1);
    rows[4] = '0.5,?,3.5';
    const ds = loadTable(file('q.csv', ['x1,x2,y', ...rows].join('\n')), { target: 'y' });
    expect(ds.dropped).toEqual([5]);
    expect(ds.schema.task).toBe('regression');
    expect(ds.schema.featureNames).toEqual(['x1', 'x2']);
  });
  it('a column of numbers with one text value is an error naming the row, not a one-hot column or a classification target', () => {
    const rows = numbers(30, 2);
    rows[2] = '0.5,?,3.5';
    rows[9] = '0.5,1.5e,3.5';
    const f = file('typo.csv', ['x1,x2,y', ...rows].join('\n'));
    expect(() => loadTable(f, { target: 'y' })).toThrow(FormatError);
    expect(() => loadTable(f, { target: 'y' })).toThrow('column "x2": 28 of 29 values are numbers, but row 10 holds "1.5e": correct it, mark it missing (empty, NA or ?), or list it in options.categorical');
    // asked for, it is a category
    expect(loadTable(f, { target: 'y', categorical: ['x2'] }).schema.columns[1].categories).toContain('1.5e');
    const t = numbers(30, 3);
    t[6] = '0.5,0.2,oops';
    const g = file('target.csv', ['x1,x2,y', ...t].join('\n'));
    expect(() => loadTable(g, { target: 'y' })).toThrow(`column "y": 29 of 30 values are numbers, but row 7 holds "oops": correct it, mark it missing (empty, NA or ?), or pass task: 'classification'`);
    expect(loadTable(g, { target: 'y', task: 'classification' }).schema.classes).toContain('oops');
  });
  it('the target among the features, a feature twice or an unknown categorical column is a RangeError', () => {
    const f = file('plain.csv', ['x1,x2,y', ...numbers(10, 4)].join('\n'));
    expect(() => loadTable(f, { target: 'y', features: ['x1', 'y'] })).toThrow('options.features: expected feature columns other than the target "y"');
    expect(() => loadTable(f, { target: 'y', features: ['x1', 'x1'] })).toThrow('options.features: expected each column once ("x1" is listed twice)');
    expect(() => loadTable(f, { target: 'y', categorical: ['x3'] })).toThrow('options.categorical: expected names of feature columns ("x3" is not one)');
    expect(() => loadTable(f, { target: 'y', categorical: 'x2' as never })).toThrow(TypeError);
  });
  it('a header with a name twice is a FormatError (the last column of that name was kept, the other dropped)', () => {
    const f = file('dup.csv', 'a,a,y\n1,2,0\n3,4,1\n');
    expect(() => loadTable(f, { target: 'y' })).toThrow('header: column name "a" appears twice (columns 1 and 2)');
  });
});

describe('tables: numbers, columns and float32', () => {
  it('only decimal notation is a number: "0x10", "0b11" and "Infinity" are text', () => {
    const rows = Array.from({ length: 12 }, (_, i) => `${i % 2 === 0 ? '0x10' : '0b11'},${i}.5,${i % 3}`);
    const ds = loadTable(file('hex.csv', ['a,b,y', ...rows].join('\n')), { target: 'y', task: 'classification' });
    expect(ds.schema.columns[0].categories).toEqual(['0b11', '0x10']);
    expect(ds.schema.columns[1].categories).toBeUndefined();
  });
  it('a value beyond float32\'s range is an error naming its row and column, not Infinity in the tensor', () => {
    const rows = Array.from({ length: 10 }, (_, i) => `${i}.5,${i % 2}`);
    rows[3] = '1e39,1';
    expect(() => loadTable(file('big.csv', ['a,y', ...rows].join('\n')), { target: 'y', task: 'classification' })).toThrow('row 4, column "a": "1e39" is beyond float32\'s range (the features are float32)');
  });
  it('a JSON record\'s keys that the first record lacks are columns (missing in the records without them)', () => {
    const recs = [{ a: 1, y: 0 }, { a: 2, b: 5, y: 1 }, { a: 3, b: 6, y: 0 }, { a: 4, b: 7, y: 1 }];
    const ds = TableDataset.fromRecords(recs, { target: 'y', task: 'classification' });
    expect(ds.schema.featureNames).toEqual(['a', 'b']);
    expect(ds.dropped).toEqual([1]);
  });
});
