// the training recipes on the command line: --schedule onecycle, --warmup, --clip-grad-norm,
// --max-norm (random data, in-process, nothing written)
import { afterEach, describe, expect, test, vi } from 'vitest';
import { main } from '../../src/cli/index.js';

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    const code = await main(['node', 'ffnn', ...args]);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

const Q = ['train', '--dataset', 'random', '--samples', '50', '--epochs', '2', '--verbose', '0', '--no-plot', '--device', 'js'];

describe('ffnn train recipes', () => {
  test.each([
    [['--schedule', 'onecycle']],
    [['--warmup', '3', '--clip-grad-norm', '0.5']],
    [['--max-norm', '2', '--optimizer', 'adam']],
  ])('%j trains', async (flags) => {
    const r = await run(...Q, ...flags);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
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
