// the native boundary under a seeded fuzzer (tools/fuzz.mjs): every addon export called with random,
// mostly near-valid arguments in a child process, which must never die by a signal, exit non-zero,
// hang or grow without bound. plus the exact reproducers of crashes the fuzzer found, each in its
// own child, so each stays red until the binding or kernel is fixed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const skip = process.env.FFNN_SKIP_NATIVE === '1';
const ADDON = [process.env.FFNN_ADDON, join(ROOT, 'build', 'Release', 'ffnn.node')]
  .filter((p): p is string => !!p)
  .map((p) => resolve(p))
  .find((p) => existsSync(p));
// CI size; FFNN_FUZZ_CALLS / FFNN_FUZZ_SEED for a longer or different run
const CALLS = Number(process.env.FFNN_FUZZ_CALLS ?? 20_000);
const SEED = Number(process.env.FFNN_FUZZ_SEED ?? 1);

interface Child {
  status: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

function node(args: string[], timeoutMs: number): Child {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, env: process.env });
  return { status: r.status, signal: r.signal, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

// runs `body` (with `addon` in scope) in a child node with --expose-gc; prints "ok" when it returns
function inChild(body: string, timeoutMs = 30_000): Child {
  const code =
    `const addon = require(${JSON.stringify(ADDON)});\n${body}\n` +
    `process.stdout.write('ok rss=' + Math.round(process.memoryUsage().rss / 2 ** 20) + 'MiB\\n');`;
  return node(['--expose-gc', '-e', code], timeoutMs);
}

function expectSurvived(c: Child): void {
  expect(c.signal, `the child died by ${c.signal}:\n${c.out}`).toBeNull();
  expect(c.status, `the child exited with ${c.status}:\n${c.out}`).toBe(0);
  expect(c.out).toMatch(/^ok /m);
}

describe.skipIf(skip)('native boundary fuzzing', () => {
  test('the addon is built', () => {
    expect(ADDON, 'no build/Release/ffnn.node: run `npx cmake-js compile`').toBeDefined();
  });

  test(`${CALLS} seeded calls (seed ${SEED}) to every export: the child never dies, hangs or bloats`, () => {
    const c = node(['tools/fuzz.mjs', '--calls', String(CALLS), '--seed', String(SEED), '--timeout', '120', '--quiet', '--addon', ADDON!], 150_000);
    process.stdout.write(c.out.split('\n').filter((l) => l.startsWith('fuzz:')).join('\n') + '\n');
    expect(c.signal, c.out).toBeNull();
    expect(c.status, c.out).toBe(0);
    const summary = /FUZZ-SUMMARY (.*)/.exec(c.out);
    expect(summary, c.out).not.toBeNull();
    const s = JSON.parse(summary![1]) as { calls: number; returned: number; byClass: Record<string, number>; exports: string[] };
    expect(s.calls).toBe(CALLS);
    // the fuzzer reaches the kernels, not only the argument checks
    expect(s.returned).toBeGreaterThan(CALLS / 5);
    expect(s.byClass.TypeError).toBeGreaterThan(0);
    expect(s.byClass.RangeError).toBeGreaterThan(0);
  }, 180_000);

  // found by the fuzzer (seed 1): the binding takes the arrays' data pointers, then reads the options
  // object, whose getter can run user code that detaches an array and lets its memory be freed; the
  // kernel then reads and writes freed memory (heap-use-after-free under ASan, heap corruption or
  // SIGSEGV without). the options must be read (or the arrays re-checked) before any pointer is kept.
  test.each([
    [
      'sgdStep',
      `addon.sgdStep(n, param, grad, null, { lr: 0.1, dampening: 0, nesterov: false, weightDecay: 0, firstStep: true,
         get momentum() { detach(); return 0; } });`,
    ],
    [
      'adamStep',
      `addon.adamStep(n, param, grad, new Float64Array(n), new Float64Array(n), { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8,
         weightDecay: 0, decoupled: false, get step() { detach(); return 1; } });`,
    ],
  ])('%s: an options getter that detaches an array argument is refused, not a use-after-free', (fn, call) => {
    const c = inChild(`
      const n = 4096;
      for (let i = 0; i < 50; i++) {
        const param = new Float64Array(n).fill(1), grad = new Float64Array(n).fill(1);
        const detach = () => { structuredClone(param.buffer, { transfer: [param.buffer] }); globalThis.gc(); };
        try { ${call} } catch (e) { if (!(e instanceof TypeError || e instanceof RangeError)) throw e; }
        new Float64Array(n).fill(2);
      }`);
    expectSurvived(c);
  });

  // found by the fuzzer (seed 1, call 26850 with --no-getter-detach): softmax(0, 2147483647, [], []) is a
  // valid call over zero rows, but the kernel sizes its per-thread row buffer by C before looking at B,
  // allocating and zeroing C doubles (16 GiB at C = 2^31 - 1) and keeping them. here C = 2^26 (512 MiB).
  test.each([
    ['softmax', 'addon.softmax(0, C, new Float32Array(0), new Float32Array(0));'],
    ['softmaxCrossEntropy', 'addon.softmaxCrossEntropy(0, C, new Float32Array(0), new Int32Array(0), null, null);'],
  ])('%s over zero rows with a huge C allocates nothing', (fn, call) => {
    const c = inChild(`
      const C = 2 ** 26;
      const before = process.memoryUsage().rss;
      ${call}
      const grew = (process.memoryUsage().rss - before) / 2 ** 20;
      if (grew > 64) { console.error('${fn}: rss grew by ' + Math.round(grew) + ' MiB'); process.exit(3); }`);
    expectSurvived(c);
  });
});
