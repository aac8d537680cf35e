// examples/module-flow.mjs runs against dist/ as a user would run it (the slower examples, random data
// and MNIST comparisons, are run by hand: `node examples/<name>.mjs`)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test.runIf(existsSync(join(ROOT, 'dist', 'index.js')))('module-flow.mjs: gradients accumulate exactly and the loop trains', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'examples', 'module-flow.mjs'), '--device', 'js'], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/grad \/ one grad\s+\[(\s+5\.00){10} \]/);
  expect(r.stdout).toMatch(/after optimizer\.zeroGrad\(\)\ngrad\s+\[(\s+0\.0000){10} \]/);
  const losses = [...r.stdout.matchAll(/step\s+\d+\s+loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
  expect(losses.length).toBeGreaterThan(3);
  expect(losses.at(-1)).toBeLessThan(losses[0] / 100);
});
