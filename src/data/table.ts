// loadTable / TableDataset: a CSV (header row) or JSON (array of records) table as a Dataset. numeric
// columns as numbers, text columns one-hot, missing values dropped (or an error naming row and column),
// the target as class indices (classification) or one number (regression); the schema keeps what
// predict and a saved model need to encode new rows the same way.
import { closeSync, readFileSync } from 'node:fs';
import { openRegularFile } from '../io/open.js';
import { parse } from 'csv-parse/sync';
import { FormatError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { checkKeys, checkObject, checkOneOf, rangeError, typeError } from '../util/check.js';
import { TensorDataset } from './dataset.js';

export type TableTask = 'classification' | 'regression';
export type TableValue = string | number | boolean | null | undefined;
export type TableRecord = Record<string, TableValue>;

export interface TableOptions {
  target: string;
  // feature columns (default every column but the target)
  features?: string[];
  // one-hot columns: 'auto' (default: a column with a non-numeric value) or their names
  categorical?: 'auto' | string[];
  // 'drop' (default) a row with a missing value, or 'error'
  missing?: 'drop' | 'error';
  // 'auto' (default): classification when the target has a non-numeric value, else regression
  task?: 'auto' | TableTask;
}

export interface TableSchema {
  target: string;
  task: TableTask;
  // how the task was decided: 'given' or the rule 'auto' applied
  taskReason: string;
  // input columns in order, with the categories of the one-hot ones
  columns: Array<{ name: string; categories?: string[] }>;
  // feature names after encoding: a numeric column's name, `col=category` per category
  featureNames: string[];
  // class names (classification), index = class index
  classes?: string[];
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'n/a', '?']);

function isMissing(v: TableValue): boolean {
  return v === null || v === undefined || (typeof v === 'string' && MISSING.has(v.trim().toLowerCase()));
}

// the largest float32; a larger finite number in a table would become Infinity in its tensor
const F32_MAX = 3.4028234663852886e38;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function asNumber(v: TableValue): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return null;
  const s = String(v).trim();
  // decimal notation only: Number() also reads "0x10" (16), "0b11" (3) and "Infinity"
  if (!DECIMAL.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export class TableDataset extends TensorDataset {
  readonly schema: TableSchema;
  // 1-based data-row numbers of the rows dropped for a missing value
  readonly dropped: number[];

  private constructor(x: Tensor, y: Tensor | Int32Array, schema: TableSchema, dropped: number[]) {
    super(x, y);
    this.schema = schema;
    this.dropped = dropped;
  }

  static fromRecords(records: readonly TableRecord[], opts: TableOptions, file?: string): TableDataset {
    if (!Array.isArray(records)) throw typeError('records', 'an array of records', records);
    const o = checkObject('options', opts);
    checkKeys('options', o, ['target', 'features', 'categorical', 'missing', 'task']);
    if (typeof o.target !== 'string' || o.target === '') throw typeError('options.target', 'a column name', o.target);
    const target = o.target;
    const missing = o.missing === undefined ? 'drop' : checkOneOf('options.missing', o.missing, ['drop', 'error'] as const);
    const task = o.task === undefined ? 'auto' : checkOneOf('options.task', o.task, ['auto', 'classification', 'regression'] as const);
    if (records.length === 0) throw new FormatError('empty table: no data rows', file);
    // every record's columns (a JSON record may have keys the first one lacks: missing there)
    const all: string[] = [];
    const seenKeys = new Set<string>();
    for (const r of records) {
      if (r === null || typeof r !== 'object') continue;
      for (const k of Object.keys(r)) if (!seenKeys.has(k)) seenKeys.add(k), all.push(k);
    }
    if (!all.includes(target)) throw new FormatError(`target column "${target}" not found (columns: ${all.join(', ')})`, file);
    let features: string[];
    if (o.features === undefined) features = all.filter((c) => c !== target);
    else {
      if (!Array.isArray(o.features)) throw typeError('options.features', 'an array of column names', o.features);
      features = o.features as string[];
      for (const f of features) if (!all.includes(f)) throw new FormatError(`feature column "${f}" not found`, file);
      // the label among the inputs trains a network that reads its answer (100% on validation)
      if (features.includes(target)) throw rangeError('options.features', `feature columns other than the target "${target}"`, features);
      const twice = features.find((f, i) => features.indexOf(f) !== i);
      if (twice !== undefined) throw rangeError('options.features', `each column once ("${twice}" is listed twice)`, features);
    }
    if (features.length === 0) throw new FormatError('no feature columns', file);
    const used = [...features, target];
    // complete rows only (or the first missing value as an error)
    const rows: TableRecord[] = [];
    const dropped: number[] = [];
    // the 1-based row of the file (header not counted) of rows[i]: dropped rows come before it
    const kept: number[] = [];
    const rowOf = (i: number): number => kept[i];
    records.forEach((r, i) => {
      if (r === null || typeof r !== 'object') throw new FormatError(`row ${i + 1}: not a record`, file);
      const bad = used.find((c) => isMissing(r[c]));
      if (bad === undefined) {
        rows.push(r);
        kept.push(i + 1);
      }
      else if (missing === 'error') throw new FormatError(`row ${i + 1}, column "${bad}": missing value`, file);
      else dropped.push(i + 1);
    });
    if (rows.length === 0) throw new FormatError('empty table: every row has a missing value', file);
    const auto = o.categorical === undefined || o.categorical === 'auto';
    if (!auto) {
      if (!Array.isArray(o.categorical) || !o.categorical.every((c) => typeof c === 'string')) {
        throw typeError('options.categorical', "'auto' or an array of feature column names", o.categorical);
      }
      const stray = (o.categorical as string[]).find((c) => !features.includes(c));
      if (stray !== undefined) throw rangeError('options.categorical', `names of feature columns ("${stray}" is not one)`, o.categorical);
    }
    // a column of numbers with a few text values is a typo or an unmarked missing value far more
    // often than a category: said, not one-hot encoded (or made a classification target) silently
    const mostlyNumbers = (c: string, what: string): void => {
      const bad = rows.findIndex((r) => asNumber(r[c]) === null);
      if (bad < 0) return;
      const numbers = rows.reduce((n, r) => n + (asNumber(r[c]) === null ? 0 : 1), 0);
      if (numbers < 0.9 * rows.length) return;
      throw new FormatError(
        `column "${c}": ${numbers} of ${rows.length} values are numbers, but row ${rowOf(bad)} holds ${JSON.stringify(rows[bad][c])}: ` +
          `correct it, mark it missing (empty, NA or ?), or ${what}`,
        file,
      );
    };
    const categorical = auto ? features.filter((c) => rows.some((r) => asNumber(r[c]) === null)) : (o.categorical as string[]);
    if (auto) for (const c of categorical) mostlyNumbers(c, `list it in options.categorical`);
    if (task === 'auto') mostlyNumbers(target, `pass task: 'classification'`);
    const columns: TableSchema['columns'] = features.map((name) =>
      categorical.includes(name) ? { name, categories: [...new Set(rows.map((r) => String(r[name]).trim()))].sort() } : { name },
    );
    const featureNames = columns.flatMap((c) => (c.categories ? c.categories.map((k) => `${c.name}=${k}`) : [c.name]));
    const targetNumeric = rows.every((r) => asNumber(r[target]) !== null);
    const chosen: TableTask = task !== 'auto' ? task : targetNumeric ? 'regression' : 'classification';
    const taskReason =
      task !== 'auto' ? 'given' : targetNumeric ? `auto: every value of "${target}" is a number` : `auto: "${target}" has non-numeric values`;
    const schema: TableSchema = { target, task: chosen, taskReason, columns, featureNames };
    let y: Tensor | Int32Array;
    if (chosen === 'classification') {
      const classes = [...new Set(rows.map((r) => String(r[target]).trim()))].sort(
        targetNumeric ? (a, b) => Number(a) - Number(b) : undefined,
      );
      if (classes.length < 2) throw new RangeError(`${file ?? 'table'}: column "${target}": the target has one class (${classes[0]}); classification needs two or more`);
      schema.classes = classes;
      y = Int32Array.from(rows, (r) => classes.indexOf(String(r[target]).trim()));
    } else {
      const t = new Float32Array(rows.length);
      rows.forEach((r, i) => {
        const v = asNumber(r[target]);
        if (v === null) throw new FormatError(`row ${rowOf(i)}, column "${target}": regression target ${JSON.stringify(r[target])} is not a number`, file);
        if (Math.abs(v) > F32_MAX) throw new FormatError(`row ${rowOf(i)}, column "${target}": regression target ${JSON.stringify(r[target])} is beyond float32's range`, file);
        t[i] = v;
      });
      y = new Tensor(t, [rows.length, 1]);
    }
    const x = encodeRows(schema, rows, file);
    return new TableDataset(x, y, schema, dropped);
  }
}

// the first input column of a record that cannot be encoded (a missing value, or text in a numeric
// column), or null: predict leaves such a row without a prediction
export function unencodableColumn(schema: TableSchema, r: TableRecord): string | null {
  for (const c of schema.columns) {
    const v = r?.[c.name];
    if (isMissing(v) || (c.categories === undefined && asNumber(v) === null)) return c.name;
  }
  return null;
}

// rows (records with the schema's input columns) to the encoded features (N, F); an unseen category
// encodes as all zeros
export function encodeRows(schema: TableSchema, rows: readonly TableRecord[], file?: string): Tensor {
  const F = schema.featureNames.length;
  const x = new Float32Array(rows.length * F);
  rows.forEach((r, i) => {
    let j = 0;
    for (const c of schema.columns) {
      const v = r[c.name];
      if (c.categories) {
        const k = c.categories.indexOf(String(v).trim());
        if (k >= 0) x[i * F + j + k] = 1;
        j += c.categories.length;
      } else {
        const n = asNumber(v);
        if (n === null) throw new FormatError(`row ${i + 1}, column "${c.name}": ${JSON.stringify(v)} is not a number`, file);
        if (Math.abs(n) > F32_MAX) throw new FormatError(`row ${i + 1}, column "${c.name}": ${JSON.stringify(v)} is beyond float32's range (the features are float32)`, file);
        x[i * F + j++] = n;
      }
    }
  });
  return new Tensor(x, [rows.length, F]);
}

// the records of a CSV file (header row, quoted fields) or a JSON file (an array of records)
export function readTable(file: string): TableRecord[] {
  if (typeof file !== 'string' || file === '') throw typeError('file', 'a file path', file);
  let text: string;
  const fd = openRegularFile(file);
  try {
    text = readFileSync(fd, 'utf8');
  } catch (e) {
    throw new FormatError(`cannot read: ${(e as Error).message}`, file);
  } finally {
    closeSync(fd);
  }
  if (file.toLowerCase().endsWith('.json')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new FormatError(`not valid JSON: ${(e as Error).message}`, file);
    }
    if (!Array.isArray(v)) throw new FormatError('expected a JSON array of records', file);
    return v as TableRecord[];
  }
  try {
    // a header with a name twice would keep the last column of that name and drop the other silently
    const header = (names: string[]): string[] => {
      const twice = names.findIndex((n, i) => names.indexOf(n) !== i);
      if (twice >= 0) throw new FormatError(`header: column name "${names[twice]}" appears twice (columns ${names.indexOf(names[twice]) + 1} and ${twice + 1})`, file);
      return names;
    };
    return parse(text, { columns: header, skip_empty_lines: true, bom: true, trim: true }) as TableRecord[];
  } catch (e) {
    if (e instanceof FormatError) throw e;
    // csv-parse names the line (record) and, for ragged rows, the field count
    throw new FormatError(`malformed CSV: ${(e as Error).message}`, file);
  }
}

export function loadTable(file: string, opts: TableOptions): TableDataset {
  return TableDataset.fromRecords(readTable(file), opts, file);
}
