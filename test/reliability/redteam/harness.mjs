// runs one red-team case in a child process and gives its verdict (see cases.mjs). the verdict
// applies the error-quality rule: an error a user caused is an Error subclass whose message names
// the function, option or file ("name: ..."), says what was expected and what came (TypeError and
// RangeError: "expected ..., received ..."), and is never an incidental error from inside ffnn
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const INDEX = fileURLToPath(new URL('../../../dist/index.js', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/ffnn.js', import.meta.url));
const MARK = '__REDTEAM__';

// what V8 or Node says when ffnn itself tripped over a value it did not check
export const INCIDENTAL = new RegExp([
  'Cannot read propert', 'Cannot set propert', 'is not a function', 'is not a constructor', 'is not iterable',
  'private member', 'incompatible receiver', 'Cannot perform', 'Cannot convert', 'Cannot destructure',
  'Cannot mix BigInt', 'undefined is not', 'null is not', 'Maximum call stack', 'Invalid array length',
  'Invalid typed array length', 'Array buffer allocation failed', 'Attempt to access memory', 'ERR_OUT_OF_RANGE',
].join('|'));
// "<function, option, argument or file>: <what is wrong>"
const NAMED = /^[^\s:][^\n]{0,300}?: \S/;

// the rule, for an error of class `name` with `message`; null when it holds
export function errorQuality(name, isError, message) {
  if (!isError) return 'not an Error';
  if (INCIDENTAL.test(message)) return 'an incidental error from inside ffnn';
  if (!NAMED.test(message)) return 'names no function, option or file';
  if ((name === 'TypeError' || name === 'RangeError') && !/expected .+, received /.test(message)) return 'does not say what was expected and what came';
  return null;
}

function wrap(code) {
  return `import * as ffnn from ${JSON.stringify(INDEX)};
import * as fs from 'node:fs'; import * as os from 'node:os'; import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
class Silent extends Error {} class DataLoss extends Error {} class Unclear extends Error {}
const BIN = ${JSON.stringify(BIN)};
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rt-'));
const mkfifo = (p) => { execFileSync('mkfifo', [p]); return p; };
const detach = (a) => { structuredClone(a.buffer, { transfer: [a.buffer] }); return a; };
// the CLI in a child: its exit code and stderr; a refusal must exit non-zero with "ffnn: <what>" and no stack
const cli = (args, { timeout = 15000 } = {}) => { const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, env: { ...process.env, FFNN_QUIET: '1' } }); return { code: r.status, signal: r.signal, err: r.stderr ?? '', out: r.stdout ?? '' }; };
const cliRefuses = (args, re) => { const r = cli(args); if (r.signal) throw new Error('cli killed by ' + r.signal); if (r.code === 0) throw new Silent('exit 0 for ' + args.join(' ')); if (/\\n\\s+at /.test(r.err) || !/^ffnn: /m.test(r.err) || !re.test(r.err)) throw new Unclear(r.err.trim().slice(0, 300)); return r; };
const same = (a, b, what) => { if (a.length !== b.length || a.some((v, i) => !Object.is(v, b[i]))) throw new Silent(what + ' differ'); };
try {
  await (async () => { ${code}\n })();
  console.log('${MARK}' + JSON.stringify({ ok: true }));
} catch (e) {
  const kind = e instanceof Silent ? 'silent wrong' : e instanceof DataLoss ? 'data loss' : e instanceof Unclear ? 'unclear error' : null;
  console.log('${MARK}' + JSON.stringify({ ok: false, kind, isError: e instanceof Error, name: e?.constructor?.name, message: String(e?.message ?? e) }));
}
`;
}

export function runCase(c, timeoutMs = c.timeout ?? 20_000) {
  const dir = mkdtempSync(join(tmpdir(), 'ffnn-rt-'));
  const file = join(dir, 'case.mjs');
  writeFileSync(file, wrap(c.code));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FFNN_QUIET: '1' } });
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
  // the user's own error thrown from a callback comes back as it was: the rule is for ffnn's errors
  const bad = c.own === true ? (res.isError ? null : 'not an Error') : errorQuality(res.name, res.isError, res.message);
  if (!classOk || !re.test(res.message) || bad !== null) {
    return { verdict: 'unclear error', detail: `${bad ?? 'not the expected error'}: ${res.name}: ${res.message}` };
  }
  return { verdict: 'OK' };
}
