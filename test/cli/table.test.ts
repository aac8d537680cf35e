// `ffnn train --data`, `ffnn predict`, `ffnn export` on three real tables (penguins as CSV with NA
// fields, cars as JSON, weather as CSV), as a user runs them (spawns of bin/ffnn.js): per-epoch training and
// validation figures, a saved model, a plot with both curves on an epoch axis; predict writes one row
// per input row that agrees with the library's predict on the loaded model; the ONNX export run in
// onnxruntime-node agrees with those predictions; bad command lines are one line and a non-zero exit.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeRows, readTable, unencodableColumn, type TableRecord } from '../../src/data/table.js';
import { loadModel } from '../../src/train/checkpoint.js';
import { predict } from '../../src/train/predict.js';
import { ensureDist, ROOT } from '../reliability/fixtures/dist.js';

// float32 rounding, not an exact match: the graph standardizes in float32 with float32 statistics (ffnn
// in float64, rounded once), and onnxruntime sums the Gemms in its own order; a bug (a wrong beta, a
// missing standardization or softmax) is off by 1e-3 or more
const ONNX_TOLERANCE = 1e-5;

const BIN = join(ROOT, 'bin', 'ffnn.js');
const TABLES = join(ROOT, 'test', 'fixtures', 'tables');
const dir = mkdtempSync(join(tmpdir(), 'ffnn-cli-table-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await ensureDist();
}, 180_000);

function ffnn(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// penguins.json as a CSV a user would have: a header row, quoted fields, NA for a missing value
function penguinsCsv(): string {
  const rows = JSON.parse(readFileSync(join(TABLES, 'penguins.json'), 'utf8')) as TableRecord[];
  const cols = Object.keys(rows[0]);
  const cell = (v: unknown) => (v === null || v === undefined ? 'NA' : typeof v === 'string' ? `"${v.replace(/"/g, '""')}"` : String(v));
  const file = join(dir, 'penguins.csv');
  writeFileSync(file, [cols.map((c) => `"${c}"`).join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n');
  return file;
}

async function onnxOutputs(file: string, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(file);
  const r = await s.run({ features: new ort.Tensor('float32', x, shape) });
  return r[s.outputNames[0]].data as Float32Array;
}

describe('a classification table (penguins, CSV)', () => {
  let csv = '';
  test('train: per-epoch training and validation figures, validation accuracy, the model and the plot', () => {
    csv = penguinsCsv();
    const r = ffnn('train', '--data', csv, '--target', 'Species', '--epochs', '30', '--save', 'penguins.safetensors', '--plot', 'penguins.svg');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/penguins\.csv: 334 rows \(10 with a missing value dropped\), 10 features after encoding, one-hot: Island \(3 categories\), Sex \(3 categories\); task classification \(auto: "Species" has non-numeric values\), classes Adelie, Chinstrap, Gentoo$/);
    expect(lines[1]).toMatch(/^ffnn train: 268 train, 66 validation rows \(seed 1, stratified\), FFNN\(F=10, hidden=\[32, 16\]/);
    const epochs = lines.filter((l) => l.startsWith('epoch '));
    expect(epochs).toHaveLength(30);
    for (const l of epochs) expect(l).toMatch(/^epoch \d+\/30  train loss \d+\.\d{4}  train acc \d+\.\d\d%  val loss \d+\.\d{4}  val acc \d+\.\d\d%$/);
    const acc = Number(/^validation \(66 rows\): accuracy (\d+\.\d\d)%  loss \d\.\d{4}/m.exec(r.stdout)?.[1]);
    console.log(`penguins (CSV): validation accuracy ${acc}%`);
    expect(acc).toBeGreaterThan(95);
    expect(existsSync(join(dir, 'penguins.safetensors'))).toBe(true);
    const svg = readFileSync(join(dir, 'penguins.svg'), 'utf8');
    expect(svg).toContain('training cross-entropy');
    expect(svg).toContain('validation cross-entropy');
    expect(svg).toContain('>epoch<');
  }, 120_000);

  test('predict: one row per input row, the class and p_<class>, as predict on the loaded model', () => {
    const r = ffnn('predict', 'penguins.safetensors', '--data', csv, '--out', 'penguins-pred.csv', '--device', 'js');
    expect(r.code, r.stderr).toBe(0);
    const records = readTable(csv);
    expect(r.stdout).toBe(`334 predictions for ${records.length} rows written to penguins-pred.csv\n`);
    // the rows without a prediction are named on stderr
    expect(r.stderr.trim().split('\n')).toHaveLength(records.length - 334);
    expect(r.stderr).toMatch(/^ffnn predict: row 4: no prediction, column "Beak Length \(mm\)" is missing or not a number$/m);
    const out = parse(readFileSync(join(dir, 'penguins-pred.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(out).toHaveLength(records.length);
    expect(Object.keys(out[0])).toEqual(['prediction', 'p_Adelie', 'p_Chinstrap', 'p_Gentoo']);
    const m = loadModel(join(dir, 'penguins.safetensors'), { device: 'js' });
    const schema = m.schema!;
    const ok = records.map((rec) => unencodableColumn(schema, rec) === null);
    const lib = predict(m.net, records.filter((_, i) => ok[i]), { schema, standardizer: m.standardizer! });
    let k = 0;
    let right = 0;
    records.forEach((rec, i) => {
      if (!ok[i]) {
        expect(out[i].prediction).toBe('');
        return;
      }
      expect(out[i].prediction).toBe(lib.labels![k]);
      // the CSV holds the float32 outputs in full
      expect(Number(out[i].p_Adelie)).toBe(lib.probabilities![k][0]);
      expect(Number(out[i].p_Gentoo)).toBe(lib.probabilities![k][2]);
      if (out[i].prediction === rec.Species) right++;
      k++;
    });
    expect(right / k).toBeGreaterThan(0.95);
  });

  test('export: the ONNX file in onnxruntime gives the probabilities of predict, to float32 rounding', async () => {
    const r = ffnn('export', 'penguins.safetensors', '--onnx', 'penguins.onnx');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('penguins.onnx: ONNX opset 13, input "features" float32 [N, 10] (unstandardized: the standardizer is in the graph), output "probabilities" [N, 3] (Adelie, Chinstrap, Gentoo)\n');
    const m = loadModel(join(dir, 'penguins.safetensors'), { device: 'js' });
    const rows = readTable(csv).filter((rec) => unencodableColumn(m.schema!, rec) === null);
    const x = encodeRows(m.schema!, rows);
    const got = await onnxOutputs(join(dir, 'penguins.onnx'), x.data as Float32Array, [...x.shape]);
    const want = predict(m.net, x, { standardizer: m.standardizer! }).probabilities!.flat();
    let max = 0;
    want.forEach((v, i) => (max = Math.max(max, Math.abs(v - got[i]))));
    console.log(`penguins: ONNX vs ffnn max abs difference ${max.toExponential(2)} over ${want.length} probabilities`);
    expect(max).toBeLessThan(ONNX_TOLERANCE);
  });
});

describe('a regression table (cars, JSON)', () => {
  const cols = 'Cylinders,Displacement,Horsepower,Weight_in_lbs,Acceleration,Year,Origin';
  test('train with early stopping: MSE and MAE per epoch, the validation MAE, RMSE and R²', () => {
    const r = ffnn('train', '--data', join(TABLES, 'cars.json'), '--target', 'Miles_per_Gallon', '--columns', cols, '--early-stop', '10', '--epochs', '150', '--save', 'cars.safetensors', '--plot', 'cars.png');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cars\.json: 392 rows \(14 with a missing value dropped\), 20 features after encoding, one-hot: Year \(12 categories\), Origin \(3 categories\); task regression \(auto: every value of "Miles_per_Gallon" is a number\)\n/);
    const epochs = r.stdout.split('\n').filter((l) => l.startsWith('epoch '));
    for (const l of epochs) expect(l).toMatch(/^epoch \d+\/150  train loss \d+\.\d{4}  train MAE [\d.]+  val loss \d+\.\d{4}  val MAE [\d.]+$/);
    const m = /^validation \(78 rows\): MAE ([\d.]+)  RMSE ([\d.]+)  R² (-?[\d.]+)/m.exec(r.stdout);
    expect(m).not.toBeNull();
    console.log(`cars: ${epochs.length} epochs, validation MAE ${m![1]} RMSE ${m![2]} R² ${m![3]}`);
    expect(Number(m![3])).toBeGreaterThan(0.8);
    if (epochs.length < 150) expect(r.stdout).toMatch(new RegExp(`early stop after epoch ${epochs.length}: the weights of the best validation epoch are restored`));
    expect(readFileSync(join(dir, 'cars.png')).subarray(1, 4).toString()).toBe('PNG');
  }, 120_000);

  test('predict without the target column, and the ONNX export, agree with the library', async () => {
    const rows = (JSON.parse(readFileSync(join(TABLES, 'cars.json'), 'utf8')) as TableRecord[]).map((r) => {
      const { Miles_per_Gallon: _, ...rest } = r;
      return rest;
    });
    writeFileSync(join(dir, 'cars-features.json'), JSON.stringify(rows));
    const r = ffnn('predict', 'cars.safetensors', '--data', 'cars-features.json', '--device', 'js');
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.trim().split('\n');
    expect(out[0]).toBe('prediction');
    expect(out).toHaveLength(rows.length + 1);
    const m = loadModel(join(dir, 'cars.safetensors'), { device: 'js' });
    const ok = rows.filter((rec) => unencodableColumn(m.schema!, rec) === null);
    const lib = predict(m.net, ok, { schema: m.schema!, standardizer: m.standardizer! }).values!;
    expect(out.slice(1).filter((l) => l !== '').map(Number)).toEqual(lib);
    expect(ffnn('export', 'cars.safetensors', '--onnx', 'cars.onnx').code).toBe(0);
    const x = encodeRows(m.schema!, ok);
    const got = await onnxOutputs(join(dir, 'cars.onnx'), x.data as Float32Array, [...x.shape]);
    let max = 0;
    lib.forEach((v, i) => (max = Math.max(max, Math.abs(v - got[i]) / Math.max(1, Math.abs(v)))));
    console.log(`cars: ONNX vs ffnn max relative difference ${max.toExponential(2)} over ${lib.length} values`);
    expect(max).toBeLessThan(ONNX_TOLERANCE);
  });
});

describe('a second classification table (weather, CSV without missing values, 5 unbalanced classes)', () => {
  test('train, predict and export agree; validation accuracy well above the majority class (50%)', async () => {
    const csv = join(TABLES, 'weather.csv');
    const r = ffnn('train', '--data', csv, '--target', 'weather', '--columns', 'location,precipitation,temp_max,temp_min,wind', '--early-stop', '10', '--save', 'weather.safetensors', '--no-plot', '--verbose', '0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/weather\.csv: 2922 rows, 6 features after encoding, one-hot: location \(2 categories\); task classification .*, classes drizzle, fog, rain, snow, sun\n/);
    const acc = Number(/^validation \(584 rows\): accuracy (\d+\.\d\d)%/m.exec(r.stdout)?.[1]);
    console.log(`weather: validation accuracy ${acc}%`);
    expect(acc).toBeGreaterThan(75);
    const p = ffnn('predict', 'weather.safetensors', '--data', csv, '--device', 'js');
    expect(p.code, p.stderr).toBe(0);
    const out = parse(p.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(out).toHaveLength(2922);
    const m = loadModel(join(dir, 'weather.safetensors'), { device: 'js' });
    const records = readTable(csv);
    const lib = predict(m.net, records, { schema: m.schema!, standardizer: m.standardizer! });
    expect(out.map((o) => o.prediction)).toEqual(lib.labels);
    expect(ffnn('export', 'weather.safetensors', '--onnx', 'weather.onnx').code).toBe(0);
    const x = encodeRows(m.schema!, records);
    const got = await onnxOutputs(join(dir, 'weather.onnx'), x.data as Float32Array, [...x.shape]);
    let max = 0;
    lib.probabilities!.flat().forEach((v, i) => (max = Math.max(max, Math.abs(v - got[i]))));
    console.log(`weather: ONNX vs ffnn max abs difference ${max.toExponential(2)} over ${got.length} probabilities`);
    expect(max).toBeLessThan(ONNX_TOLERANCE);
  }, 120_000);
});

describe('--dtype float64 on a table', () => {
  test('trains, saves, predicts and exports (the float32 table is cast for the network)', () => {
    const t = ffnn('train', '--data', join(TABLES, 'cars.json'), '--target', 'Miles_per_Gallon', '--columns', 'Cylinders,Horsepower,Origin', '--dtype', 'float64', '--epochs', '3', '--no-plot', '--save', 'cars64.safetensors', '--verbose', '0');
    expect(t.code, t.stderr).toBe(0);
    expect(loadModel(join(dir, 'cars64.safetensors'), { device: 'js' }).net.dtype).toBe('float64');
    const p = ffnn('predict', 'cars64.safetensors', '--data', join(TABLES, 'cars.json'));
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout.split('\n')[1]).toMatch(/^-?\d+\.\d+/);
    expect(ffnn('export', 'cars64.safetensors', '--onnx', 'cars64.onnx').code).toBe(0);
  }, 60_000);
});

describe('MNIST and random data: validation from the training data, the test set once', () => {
  test('a seeded, stratified hold-out of --val-split; --val-split 0 trains on everything; --early-stop restores the best epoch', () => {
    let r = ffnn('train', '--dataset', 'random', '--samples', '300', '--epochs', '3', '--plot', 'random-val.svg', '--hidden', '16', '--val-split', '0.2');
    expect(r.code, r.stderr).toBe(0);
    // the iteration losses and the per-epoch validation losses together, on an epoch axis
    const svg = readFileSync(join(dir, 'random-val.svg'), 'utf8');
    for (const text of ['>20-16-4 relu training<', '>20-16-4 relu validation<', '>epoch<']) expect(svg).toContain(text);
    let lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ffnn train: random \(240 train, 60 validation, 60 test\)/);
    expect(lines.filter((l) => l.startsWith('epoch ')).every((l) => / val loss \d\.\d{4}  val acc \d+\.\d\d%$/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith('validation accuracy'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('test accuracy'))).toHaveLength(1);
    r = ffnn('train', '--dataset', 'random', '--samples', '300', '--epochs', '2', '--no-plot', '--hidden', '16', '--val-split', '0');
    lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ffnn train: random \(300 train, 60 test\)/);
    expect(lines.some((l) => l.startsWith('validation accuracy') || l.includes('val loss'))).toBe(false);
    // random labels: the validation loss rises soon, and training stops
    r = ffnn('train', '--dataset', 'random', '--samples', '300', '--epochs', '60', '--no-plot', '--hidden', '64', '--schedule', 'none', '--early-stop', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('epoch ')).length).toBeLessThan(60);
  }, 60_000);
});

describe('bad command lines', () => {
  test.each([
    [['train', '--data', 'x.csv'], 2, /^ffnn: --target: expected the column to predict with --data x\.csv, received none$/],
    [['train', '--target', 'y'], 2, /^ffnn: --target: expected --data FILE \(a table\) beside it, received --target without --data$/],
    [['train', '--data', 'x.csv', '--target', 'y', '--dataset', 'random'], 2, /^ffnn: --dataset: expected no --dataset with --data/],
    [['train', '--data', 'missing.csv', '--target', 'y'], 1, /^ffnn: missing\.csv: cannot read: /],
    [['train', '--data', 'x.csv', '--target', 'y', '--val-split', '1'], 2, /--val-split must be a fraction in \[0, 1\)/],
    [['predict', 'm.safetensors'], 2, /required option '--data <file>' not specified/],
    [['train', '--data', 'x.csv', '--target', 'y', '--resume', 'm.safetensors'], 2, /^ffnn: --resume: expected no --resume with --data/],
    [['export', 'm.safetensors', '--onnx', 'm.txt'], 2, /^ffnn: --onnx: expected a path ending in \.onnx, received "m\.txt"$/],
  ])('%j exits %i with one line', (args, code, message) => {
    const r = ffnn(...(args as string[]));
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });

  test('a table without its target column, --early-stop without validation, predict of a model without a schema', () => {
    writeFileSync(join(dir, 'small.csv'), 'a,b,label\n1,x,yes\n2,y,no\n3,x,yes\n4,y,no\n5,x,yes\n');
    let r = ffnn('train', '--data', 'small.csv', '--target', 'Label');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('ffnn: small.csv: target column "Label" not found (columns: a, b, label)\n');
    r = ffnn('train', '--data', 'small.csv', '--target', 'label', '--val-split', '0', '--early-stop', '3', '--no-plot');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ffnn: --early-stop: expected a validation set \(--val-split above 0\), received --val-split 0\n$/);
    r = ffnn('train', '--dataset', 'random', '--samples', '40', '--epochs', '1', '--save', 'random.safetensors', '--no-plot', '--verbose', '0');
    expect(r.code, r.stderr).toBe(0);
    r = ffnn('predict', 'random.safetensors', '--data', 'small.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ffnn: model: expected a model trained on a table (ffnn train --data ... --save), received random.safetensors without a table schema\n');
  }, 60_000);
});

// the table runs took --clip-grad-norm and --warmup and ignored them, and refused --schedule onecycle
// and plateau as if they were another command (red-team pass): they share the MNIST runs' schedules
describe('a table run takes the schedules and the clipping of ffnn train', () => {
  const epochs = (out: string) => out.split('\n').filter((l) => l.startsWith('epoch '));
  test('--clip-grad-norm and --warmup change the run; --schedule onecycle and plateau run', () => {
    const cars = join(TABLES, 'cars.json');
    const base = ['train', '--data', cars, '--target', 'Miles_per_Gallon', '--columns', 'Cylinders,Horsepower,Origin', '--epochs', '3', '--no-plot', '--device', 'js', '--verbose', '1'];
    const plain = ffnn(...base);
    expect(plain.code, plain.stderr).toBe(0);
    for (const extra of [['--clip-grad-norm', '1e-6'], ['--warmup', '50']]) {
      const r = ffnn(...base, ...extra);
      expect(r.code, r.stderr).toBe(0);
      expect(epochs(r.stdout), extra.join(' ')).toHaveLength(3);
      expect(epochs(r.stdout), extra.join(' ')).not.toEqual(epochs(plain.stdout));
    }
    for (const s of ['onecycle', 'plateau']) {
      const r = ffnn(...base, '--schedule', s);
      expect(r.code, `${s}: ${r.stderr}`).toBe(0);
      expect(epochs(r.stdout), s).toHaveLength(3);
    }
    const r = ffnn(...base, '--schedule', 'plateau', '--val-split', '0');
    expect(r.stderr).toBe('ffnn: --schedule plateau: expected a validation set (--val-split above 0), received --val-split 0\n');
  }, 120_000);
});
