// environment teardown while the addon trains (process.exit with trainFFNNAsync workers running,
// worker.terminate() during trainFFNN): N-API calls fail then, and before
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS a Napi::Error escaped the callback and aborted the process
// (SIGABRT, "terminate called after throwing an instance of 'Napi::Error'") in about 1 run in 3.
// each mode runs RUNS children (FFNN_TEARDOWN_RUNS, default 30) at moments spread over training
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from './fixtures/dist.js';

const CHILD = new URL('./fixtures/teardown-child.mjs', import.meta.url).pathname;
const RUNS = Number(process.env.FFNN_TEARDOWN_RUNS ?? 30);
const skip = process.env.FFNN_SKIP_NATIVE === '1';

beforeAll(ensureDist, 120_000);

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runChild(mode: string, delay: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, mode, String(delay)], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

async function stress(mode: string, expected: number): Promise<Outcome[]> {
  const bad: Outcome[] = [];
  // two at a time; delays spread from 20 ms to 320 ms, so some land in startup and some in steps
  for (let i = 0; i < RUNS; i += 2) {
    const batch = [i, i + 1].filter((k) => k < RUNS).map((k) => runChild(mode, 20 + ((k * 300) / RUNS) | 0));
    for (const o of await Promise.all(batch)) if (o.code !== expected) bad.push(o);
  }
  return bad;
}

describe.skipIf(skip)(`teardown during native training (${RUNS} runs each)`, () => {
  it('process.exit() with three trainFFNNAsync runs in flight exits with its code, never aborts', async () => {
    const bad = await stress('exit', 3);
    expect(bad.map((o) => `${o.code ?? o.signal}: ${o.stderr.slice(-200)}`)).toEqual([]);
  }, 300_000);

  it('worker.terminate() of three workers inside trainFFNN leaves the main process alive', async () => {
    const bad = await stress('terminate', 4);
    expect(bad.map((o) => `${o.code ?? o.signal}: ${o.stderr.slice(-200)}`)).toEqual([]);
  }, 300_000);
});
