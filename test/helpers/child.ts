// runs a snippet of ESM in a fresh node process (the compiled library as `ffnn`), with a timeout:
// for cases that may crash or hang the process that runs them; and the CLI's main in this process
// with its output captured (runCli)
import { spawn } from 'node:child_process';
import { vi } from 'vitest';
import { main } from '../../src/cli/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST } from '../reliability/fixtures/dist.js';

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export function runSnippet(code: string, opts: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {}): Promise<ChildResult> {
  const src = `import * as ffnn from ${JSON.stringify(join(DIST, 'index.js'))};\n${code}`;
  // a file, not -e: workers inherit execArgv, and --input-type would break them
  const dir = mkdtempSync(join(tmpdir(), 'ffnn-child-'));
  const file = join(dir, 'case.mjs');
  writeFileSync(file, src);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 20_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (c, signal) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code: c, signal, stdout, stderr, timedOut, ms: Date.now() - t0 });
    });
  });
}

// `ffnn ...args` through main, in this process: the exit code and what it wrote to stdout and stderr
export async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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
