// writes that rename a temp file over PATH (saveModel, plotLosses, ffnn train --save) refuse a PATH
// that exists and is not a regular file (before: a fifo or a device node was replaced by a regular
// file), and errors name the user's path, not the temp file. each case runs in a child process:
// opening a fifo can block
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, symlinkSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSnippet } from '../helpers/child.js';
import { ensureDist, ROOT } from '../reliability/fixtures/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'ffnn-target-'));
const fifo = join(dir, 'pipe');
beforeAll(async () => {
  await ensureDist();
  execFileSync('mkfifo', [fifo]);
  execFileSync('mkfifo', [join(dir, 'pipe.svg')]);
  mkdirSync(join(dir, 'folder'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAVE = (p: string): string => `
const net = new ffnn.FFNN(4, [3], 'relu', 2, { seed: 1, device: 'js' });
try { ffnn.saveModel(${JSON.stringify(p)}, net); console.log('saved'); } catch (e) { console.log(e.constructor.name + ': ' + e.message); }`;
const PLOT = (p: string): string => `
try { await ffnn.plotLosses({ a: [1, 0.5, 0.25] }, ${JSON.stringify(p)}); console.log('saved'); } catch (e) { console.log(e.constructor.name + ': ' + e.message); }`;

describe('a write target that exists and is not a regular file is refused, named', () => {
  it.each([
    ['saveModel', 'a FIFO', SAVE(join(dir, 'pipe'))],
    ['saveModel', 'a directory', SAVE(join(dir, 'folder'))],
    ['plotLosses', 'a FIFO', PLOT(join(dir, 'pipe.svg'))],
  ])('%s onto %s', async (who, kind, code) => {
    const r = await runSnippet(code, { timeoutMs: 15_000 });
    expect(r.timedOut).toBe(false);
    expect(r.stdout.trim()).toMatch(new RegExp(`^RangeError: ${who}: expected a path to a regular file or to nothing .*, ${kind}; refusing`));
  });

  it('the FIFO is still a FIFO and the folder still a folder', () => {
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(statSync(join(dir, 'folder')).isDirectory()).toBe(true);
  });

  it('ffnn train --save FIFO is refused before training', async () => {
    const r = await runSnippet(`
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(process.execPath, [${JSON.stringify(join(ROOT, 'bin', 'ffnn.js'))}, 'train', '--dataset', 'random', '--samples', '64', '--epochs', '1', '--no-plot', '--save', ${JSON.stringify(fifo)}], { encoding: 'utf8', timeout: 15000 });
      console.log(r.status, r.stderr.trim().split('\\n')[0]);`);
    expect(r.stdout).toMatch(/^[1-9]\d* .*--save: expected a path to a regular file or to nothing/);
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('a missing folder names the path given, not the temp file', async () => {
    const p = join(dir, 'nope', 'm.safetensors');
    const r = await runSnippet(SAVE(p));
    expect(r.stdout.trim()).toBe(`Error: saveModel: cannot write ${JSON.stringify(p)}: its folder ${JSON.stringify(join(dir, 'nope'))} does not exist (ENOENT)`);
    const q = join(dir, 'nope', 'p.svg');
    const r2 = await runSnippet(PLOT(q));
    expect(r2.stdout.trim()).toMatch(/^Error: plotLosses: cannot write .*nope\/p\.svg.*does not exist \(ENOENT\)$/);
  });

  it('a symbolic link to a regular file: the file it points to is replaced, the link stays', async () => {
    const real = join(dir, 'real.safetensors');
    writeFileSync(real, 'old');
    const link = join(dir, 'link.safetensors');
    symlinkSync(real, link);
    const r = await runSnippet(SAVE(link));
    expect(r.stdout.trim()).toBe('saved');
    expect(readFileSync(real).length).toBeGreaterThan(100);
    expect(statSync(link, { bigint: false }).isFile()).toBe(true);
  });
});

// the rename needs only the folder's permission: a read-only file was replaced (and came back 0644),
// a replaced file lost its mode, and "folder/" failed with a message about the temp file (red-team
// pass)
describe('read-only targets, permission bits and folder paths', () => {
  it('a read-only file is refused and left as it was; a writable one keeps its mode; a path ending in / is named', async () => {
    const { chmodSync } = await import('node:fs');
    const ro = join(dir, 'ro.safetensors');
    writeFileSync(ro, 'keep');
    chmodSync(ro, 0o444);
    let r = await runSnippet(SAVE(ro), { timeoutMs: 15_000 });
    expect(r.stdout.trim()).toBe(`RangeError: saveModel: expected a path to a writable file or to nothing, received ${JSON.stringify(ro)}, read-only (mode 444); refusing to replace it`);
    expect(readFileSync(ro, 'utf8')).toBe('keep');
    expect(statSync(ro).mode & 0o777).toBe(0o444);
    const rw = join(dir, 'rw.safetensors');
    writeFileSync(rw, 'old');
    chmodSync(rw, 0o600);
    r = await runSnippet(SAVE(rw), { timeoutMs: 15_000 });
    expect(r.stdout.trim()).toBe('saved');
    expect(statSync(rw).mode & 0o777).toBe(0o600);
    r = await runSnippet(SAVE(join(dir, 'folder') + '/'), { timeoutMs: 15_000 });
    expect(r.stdout.trim()).toBe(`RangeError: saveModel: expected a path to a file, received ${JSON.stringify(join(dir, 'folder') + '/')}, a folder path (it ends with "/")`);
  });
});

// reading: the path is checked on the open file (fstat after a non-blocking open), so a FIFO swapped
// in after a stat cannot block the read. simulated by a statSync that says "a file" for everything
// (the loaders stat-then-opened: this hung until killed)
it('loadModel, loadTable and loadSafetensors refuse a FIFO even when a stat would have said "file"', async () => {
  const code = `
const { createRequire, syncBuiltinESMExports } = await import('node:module');
const fs = createRequire(import.meta.url)('node:fs');
const real = fs.statSync;
fs.statSync = (p, o) => { const s = real(p, o); if (s) s.isFile = () => true; return s; };
syncBuiltinESMExports();
for (const f of [() => ffnn.loadModel(${JSON.stringify(fifo)}), () => ffnn.loadTable(${JSON.stringify(fifo)}, { target: 'y' }), () => ffnn.loadSafetensors(${JSON.stringify(fifo)})]) {
  try { f(); console.log('loaded'); } catch (e) { console.log(e.constructor.name + ': ' + e.message); }
}`;
  const r = await runSnippet(code, { timeoutMs: 15_000 });
  expect(r.timedOut).toBe(false);
  expect(r.stdout.trim().split('\n')).toEqual(new Array(3).fill(`FormatError: ${fifo}: not a file (a directory or a special file)`));
});

// a write that fails (a full disk: ENOSPC) said only "ENOSPC: no space left on device, write", naming
// neither the command nor the file (red-team pass, on a 2 MB tmpfs): now both, and the old file stays
it('a failed write names the caller and the path; the old file and no temp file remain', async () => {
  const { writeAtomic } = await import('../../src/io/atomic.js');
  const { readdirSync } = await import('node:fs');
  const target = join(dir, 'full.safetensors');
  writeFileSync(target, 'old');
  const full = (): never => {
    const e = new Error('ENOSPC: no space left on device, write') as NodeJS.ErrnoException;
    e.code = 'ENOSPC';
    throw e;
  };
  expect(() => writeAtomic(target, full, 'saveModel')).toThrow(`saveModel: cannot write ${JSON.stringify(target)}: the write failed, the file is unchanged (ENOSPC)`);
  expect(readFileSync(target, 'utf8')).toBe('old');
  expect(readdirSync(dir).filter((f) => f.startsWith('.full.safetensors.'))).toEqual([]);
});

// a writer killed mid-write (SIGKILL) left .<file>.<pid>.<hex>.tmp beside the target, 10-15 MB each,
// never removed (red-team pass): the next write of that target removes those whose process is gone
it('temp files of a killed writer are removed by the next write; a live writer\'s are kept', async () => {
  const { writeAtomic } = await import('../../src/io/atomic.js');
  const { readdirSync, writeSync } = await import('node:fs');
  const { spawn } = await import('node:child_process');
  const target = join(dir, 'swept.safetensors');
  let dead = 999_999;
  const isAlive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  while (isAlive(dead)) dead--;
  const live = spawn('sleep', ['30']);
  try {
    const stale = `.swept.safetensors.${dead}.deadbeef.tmp`;
    const busy = `.swept.safetensors.${live.pid}.cafef00d.tmp`;
    writeFileSync(join(dir, stale), 'x');
    writeFileSync(join(dir, busy), 'y');
    writeFileSync(join(dir, '.swept.safetensors.notapid.tmp'), 'z');
    writeAtomic(target, (fd) => void writeSync(fd, 'new'), 'saveModel');
    const left = readdirSync(dir).filter((f) => f.startsWith('.swept.safetensors.'));
    expect(left.sort()).toEqual([busy, '.swept.safetensors.notapid.tmp'].sort());
    expect(readFileSync(target, 'utf8')).toBe('new');
  } finally {
    live.kill();
  }
});
