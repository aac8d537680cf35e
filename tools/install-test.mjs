// the packed tarball installed as a user would, with install scripts blocked and no cmake or C/C++
// compiler on PATH: the native device loads from the prebuilt binary and trains; with the binary
// removed, the wasm device trains with exactly one notice line and {device: 'native'} is a clear
// error. run by .ci/run for npm --ignore-scripts, npm 12 and pnpm 10 (from the npm registry).
// usage: node tools/install-test.mjs [npm|npm12|pnpm10 ...]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modes = process.argv.slice(2).length ? process.argv.slice(2) : ['npm', 'npm12', 'pnpm10'];
const work = mkdtempSync(join(tmpdir(), 'ffnn-install-'));

// a PATH with node, npm, npx and sh only: no cmake, no cc, no g++
const bin = join(work, 'bin');
mkdirSync(bin);
const nodeBin = dirname(process.execPath);
for (const t of ['node', 'npm', 'npx']) symlinkSync(join(nodeBin, t), join(bin, t));
// npx runs its command through sh
symlinkSync('/bin/sh', join(bin, 'sh'));
const env = { ...process.env, PATH: bin, FFNN_QUIET: '', FFNN_ADDON: '', npm_config_update_notifier: 'false' };
delete env.FFNN_QUIET;
delete env.FFNN_ADDON;

execFileSync('npm', ['pack', '--pack-destination', work], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const tgz = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')));

const probe = `
import { backendInfo, FFNN, SGD, RandomDataset, trainFFNN } from 'ffnn';
const info = backendInfo();
const net = new FFNN(8, [16], 'relu', 3, { seed: 1 });
const losses = trainFFNN(net, new RandomDataset(64, 8, 3, { seed: 2 }), new SGD(net.parameters(), 0.1), { epochs: 2, batchSize: 16, verbose: 0 });
let explicit = 'ok';
try { new FFNN(8, [16], 'relu', 3, { device: 'native' }); } catch (e) { explicit = e.message; }
console.log(JSON.stringify({ backend: info.backend, source: info.source, steps: losses.length, finite: losses.every(Number.isFinite), explicit }));
`;

const installs = {
  npm: ['npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', tgz]],
  npm12: ['npx', ['--yes', 'npm@12', 'install', '--no-audit', '--no-fund', tgz]],
  pnpm10: ['npx', ['--yes', 'pnpm@10', 'add', tgz]],
};

let failed = 0;
function check(mode, what, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${mode}: ${what}${ok ? '' : ` (${detail})`}`);
  if (!ok) failed++;
}

for (const mode of modes) {
  const dir = join(work, mode);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `try-${mode}`, version: '1.0.0', type: 'module', private: true }));
  writeFileSync(join(dir, 'probe.mjs'), probe);
  const [cmd, args] = installs[mode];
  const inst = spawnSync(cmd, args, { cwd: dir, env, encoding: 'utf8' });
  check(mode, `install (${cmd} ${args.slice(0, 3).join(' ')} ...)`, inst.status === 0, (inst.stderr || '').slice(-400));
  if (inst.status !== 0) continue;
  const run = () => spawnSync('node', ['probe.mjs'], { cwd: dir, env, encoding: 'utf8' });
  let r = run();
  let out = r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()) : null;
  check(mode, 'native from the prebuilt binary trains, no notice', out?.backend === 'native' && out.source === 'prebuild' && out.finite && out.steps === 8 && r.stderr === '', `${r.stdout} ${r.stderr}`);
  // a corrupt binary (a truncated download, another architecture's file) is reported, not a crash
  const pre = join(dir, 'node_modules', 'ffnn', 'prebuilds', 'linux-x64', 'ffnn.node');
  writeFileSync(pre, 'not an ELF file');
  r = run();
  out = r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()) : null;
  check(mode, 'a corrupt binary: wasm trains, the notice names the failure', out?.backend === 'wasm' && out.finite && /prebuild .*ffnn\.node failed to load/.test(r.stderr), `${r.stdout} ${r.stderr}`);
  rmSync(join(dir, 'node_modules', 'ffnn', 'prebuilds'), { recursive: true, force: true });
  r = run();
  out = r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()) : null;
  const lines = r.stderr.split('\n').filter(Boolean);
  check(mode, 'without the binary: wasm trains with one notice', out?.backend === 'wasm' && out.source === 'wasm fallback' && out.finite && lines.length === 1 && /native addon unavailable.*no prebuilt binary.*npx ffnn build-native/.test(lines[0]), `${r.stdout} ${r.stderr}`);
  check(mode, "{device: 'native'} is a clear error", /native addon could not be loaded[\s\S]*npx ffnn build-native/.test(out?.explicit ?? ''), out?.explicit);
}
rmSync(work, { recursive: true, force: true });
console.log(failed === 0 ? 'install test: every check passed' : `install test: ${failed} checks failed`);
process.exit(failed === 0 ? 0 : 1);
