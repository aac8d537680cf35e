// the training recipes on the command line: --schedule onecycle, --warmup, --clip-grad-norm,
// --max-norm (random data, in-process, nothing written)
import { afterEach, describe, expect, test, vi } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/child.js';

const run = runCli;

afterEach(() => {
  vi.restoreAllMocks();
});

const Q = ['train', '--dataset', 'random', '--samples', '50', '--epochs', '2', '--verbose', '0', '--no-plot', '--device', 'js'];

describe('ffnn train recipes', () => {
  test.each([
    [['--schedule', 'onecycle']],
    [['--warmup', '3', '--clip-grad-norm', '0.5']],
    [['--max-norm', '2', '--optimizer', 'adam']],
    [['--schedule', 'plateau', '--plateau-patience', '0', '--gamma', '0.5']],
  ])('%j trains', async (flags) => {
    const r = await run(...Q, ...flags);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test('--schedule plateau: refusals name the flag', async () => {
    const a = await run(...Q, '--plateau-patience', '2');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--plateau-patience 2: expected --schedule plateau/);
    const b = await run(...Q, '--schedule', 'plateau', '--val-split', '0');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--schedule plateau: expected a validation set/);
    const c = await run(...Q, '--schedule', 'plateau', '--gamma', '2');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--gamma 2: expected a number below 1 with --schedule plateau/);
    const d = await run(...Q, '--schedule', 'plateau', '--save', join(tmpdir(), `ffnn-plateau-${process.pid}.safetensors`));
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/--save .*: expected --schedule other than plateau/);
  });

  test('refusals name the flag', async () => {
    const a = await run(...Q, '--schedule', 'onecycle', '--warmup', '3');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--warmup 3: expected a --schedule other than onecycle \(it warms up itself\)/);
    const b = await run(...Q, '--max-norm', '-1');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--max-norm/);
  });
});
