// `ffnn train --precision bf16`: the FFNN's products with bf16 operands, said in the header, saved
// with the model, kept by --resume (a different typed --precision is refused); float64 is refused
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type ModelConfig } from '../../src/train/checkpoint.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'ffnn.js');
const dir = mkdtempSync(join(tmpdir(), 'ffnn-cli-bf16-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  // the spawned command runs dist/: compiled from the sources under test
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
}, 180_000);

function ffnn(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const R = ['train', '--dataset', 'random', '--samples', '50', '--verbose', '0', '--no-plot'];

describe('ffnn train --precision bf16', () => {
  it('trains with bf16 products, says so, saves the precision; --resume keeps it and refuses another', () => {
    const file = join(dir, 'm.safetensors');
    const r = ffnn(...R, '--epochs', '1', '--schedule', 'none', '--precision', 'bf16', '--save', file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/float32, bf16 products/);
    expect((loadModel(file, { device: 'js' }).config as ModelConfig).precision).toBe('bf16');
    const again = ffnn(...R, '--epochs', '2', '--resume', file);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/bf16 products/);
    const other = ffnn(...R, '--epochs', '3', '--resume', file, '--precision', 'float32');
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/--precision: expected bf16/);
  });

  it('refuses bf16 with --dtype float64, naming the option', () => {
    const r = ffnn(...R, '--epochs', '1', '--precision', 'bf16', '--dtype', 'float64');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/precision/);
    expect(r.stderr).toMatch(/float64/);
  });
});
