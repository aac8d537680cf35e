// runs one red-team case in a child process and gives its verdict (see cases.mjs)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const INDEX = fileURLToPath(new URL('../../../dist/index.js', import.meta.url));
const MARK = '__REDTEAM__';

function wrap(code) {
  return `import * as ffnn from ${JSON.stringify(INDEX)};
class Silent extends Error {} class DataLoss extends Error {}
try {
  await (async () => { ${code}\n })();
  console.log('${MARK}' + JSON.stringify({ ok: true }));
} catch (e) {
  const kind = e instanceof Silent ? 'silent wrong' : e instanceof DataLoss ? 'data loss' : null;
  console.log('${MARK}' + JSON.stringify({ ok: false, kind, isError: e instanceof Error, name: e?.constructor?.name, message: String(e?.message ?? e) }));
}
`;
}

export function runCase(c, timeoutMs = 20_000) {
  const dir = mkdtempSync(join(tmpdir(), 'ffnn-rt-'));
  const file = join(dir, 'case.mjs');
  writeFileSync(file, wrap(c.code));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let hung = false;
    const timer = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, timeoutMs);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve(verdict(c, { code, signal, out, err, hung }));
    });
  });
}

function verdict(c, r) {
  if (r.hung) return { verdict: 'hang', detail: r.err.slice(-300) };
  const line = r.out.split('\n').find((l) => l.startsWith(MARK));
  // a case may end the process itself (process.exit): a clean exit 0 with nothing on stderr is OK
  if (line === undefined) {
    if (c.expect === 'ok' && r.code === 0 && r.signal === null && r.err === '') return { verdict: 'OK' };
    return { verdict: 'crash', detail: `${r.code ?? r.signal}: ${r.err.slice(-300)}` };
  }
  if (r.code !== 0 || r.signal !== null) return { verdict: 'crash', detail: `${r.code ?? r.signal}: ${r.err.slice(-300)}` };
  const res = JSON.parse(line.slice(MARK.length));
  if (res.ok) return c.expect === 'ok' ? { verdict: 'OK' } : { verdict: 'silent wrong', detail: 'ran without the expected error' };
  if (res.kind !== null) return { verdict: res.kind, detail: res.message };
  if (c.expect === 'ok') return { verdict: 'unclear error', detail: `${res.name}: ${res.message}` };
  const [cls, re] = c.expect;
  const classOk = cls === 'Error' ? res.isError : res.name === cls;
  if (!res.isError || !classOk || !re.test(res.message)) return { verdict: 'unclear error', detail: `${res.name}: ${res.message}` };
  return { verdict: 'OK' };
}
