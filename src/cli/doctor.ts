// `ffnn doctor`: what the kernels run on and where they came from, then a quick cross-check of every
// kernel on each instruction-set path of this cpu (and on wasm) against the reference; a mismatch is
// exit code 1. `ffnn build-native`: the addon built from source in the installed package with
// node-gyp (npm ships it; no cmake needed)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { backendInfo } from '../backend.js';
import { nativeAddon, nativeStatus } from '../kernels/native.js';
import { backend } from '../kernels/index.js';
import { referenceKernels as ref } from '../kernels/reference/index.js';
import type { FloatArray, Kernels } from '../kernels/types.js';
import { Rng } from '../random.js';
import { packageRoot } from '../util/package-root.js';

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

function rand(C: Ctor, n: number, rng: Rng): FloatArray {
  const a = new C(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

// the largest |a - b| / (1 + |b|) over two arrays (or two numbers)
function diff(a: ArrayLike<number> | number, b: ArrayLike<number> | number): number {
  if (typeof a === 'number' || typeof b === 'number') return Math.abs(Number(a) - Number(b)) / (1 + Math.abs(Number(b)));
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])), Number.isNaN(a[i]) !== Number.isNaN(b[i]) ? Infinity : 0);
  return m;
}

// every kernel of k against the reference on one small random problem per dtype; the worst
// difference per kernel
export function crossCheck(k: Kernels): { kernel: string; dtype: string; diff: number; ok: boolean }[] {
  const out: { kernel: string; dtype: string; diff: number; ok: boolean }[] = [];
  for (const C of [Float32Array, Float64Array] as Ctor[]) {
    const dtype = C === Float32Array ? 'float32' : 'float64';
    const tol = C === Float32Array ? 1e-4 : 1e-10;
    const rng = new Rng(7);
    const B = 13, IN = 37, OUT = 19;
    const x = rand(C, B * IN, rng), w = rand(C, IN * OUT, rng), b = rand(C, OUT, rng), g = rand(C, B * OUT, rng);
    const both = (f: (k: Kernels) => ArrayLike<number> | number): number => diff(f(k), f(ref));
    const check = (kernel: string, d: number): void => { out.push({ kernel, dtype, diff: d, ok: d <= tol }); };
    check('gemm', both((kk) => { const c = new C(B * OUT); kk.gemm(false, false, B, OUT, IN, 1, x, w, 0, c); return c; }));
    let lf = 0, lb = 0, ba = 0, ab = 0;
    for (let act = 0; act < 6; act++) {
      const param = act === 4 ? 1.3 : act === 5 ? 0.7 : 0;
      lf = Math.max(lf, both((kk) => { const y = new C(B * OUT), p = new C(B * OUT); kk.linearForward(B, IN, OUT, x, w, b, act, param, y, p); return [...y, ...p]; }));
      lb = Math.max(lb, both((kk) => {
        const gz = new C(B * OUT), gw = new C(IN * OUT), gb = new C(OUT), gx = new C(B * IN);
        const s = kk.linearBackward(B, IN, OUT, x, w, g.slice(), g, act, param, gz, gw, gb, gx, false);
        return [...gw, ...gb, ...gx, s];
      }));
      ba = Math.max(ba, both((kk) => { const y = new C(B * OUT); kk.biasAct(B, OUT, g, b, act, param, y, null); return y; }));
      ab = Math.max(ab, both((kk) => { const gi = new C(B * OUT), gb = new C(OUT); const s = kk.actBackward(B, OUT, g, g, act, param, gi, gb); return [...gi, ...gb, s]; }));
    }
    check('linearForward', lf);
    check('linearBackward', lb);
    check('biasAct', ba);
    check('actBackward', ab);
    const idx = Int32Array.from({ length: B }, (_, i) => i % OUT);
    const probs = new C(B * OUT);
    ref.softmax(B, OUT, g, probs);
    check('softmax', both((kk) => { const y = new C(B * OUT); kk.softmax(B, OUT, g, y); return y; }));
    check('softmaxCrossEntropy', both((kk) => { const gr = new C(B * OUT); const l = kk.softmaxCrossEntropy(B, OUT, g, idx, null, gr); return [...gr, l]; }));
    check('ceLoss', both((kk) => kk.ceLoss(B, OUT, probs, probs, true, 1e-8)));
    check('categoricalCELoss', both((kk) => kk.categoricalCELoss(B, OUT, probs, idx, true, 1e-8)));
    check('mseLoss', both((kk) => { const gr = new C(B * OUT); const l = kk.mseLoss(B * OUT, g, probs, 'mean', gr); return [...gr, l]; }));
    check('sgdStep', both((kk) => {
      const p = w.slice(), buf = new C(IN * OUT);
      kk.sgdStep(IN * OUT, p, w, buf, { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 1e-3, firstStep: true });
      return p;
    }));
    check('adamStep', both((kk) => {
      const p = w.slice(), m = new C(IN * OUT), v = new C(IN * OUT);
      kk.adamStep(IN * OUT, p, w, m, v, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 });
      return p;
    }));
  }
  return out;
}

export function runDoctor(o: { json?: boolean }): number {
  const info = backendInfo();
  const paths: { path: string; rows: ReturnType<typeof crossCheck> }[] = [];
  const s = nativeStatus();
  if (s.loaded) {
    const a = nativeAddon();
    const saved = a.getIsa();
    try {
      for (const isa of a.supportedIsas()) {
        a.setIsa(isa);
        paths.push({ path: `native ${isa}`, rows: crossCheck(backend('native')) });
      }
    } finally {
      a.setIsa(saved);
    }
  }
  try {
    paths.push({ path: 'wasm', rows: crossCheck(backend('wasm')) });
  } catch (e) {
    paths.push({ path: `wasm (failed to load: ${(e as Error).message.split('\n')[0]})`, rows: [{ kernel: 'load', dtype: '-', diff: Infinity, ok: false }] });
  }
  const ok = paths.every((p) => p.rows.every((r) => r.ok));
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ info, paths, ok }, null, 2)}\n`);
  } else {
    const w = process.stdout;
    w.write(`device: ${info.backend} (${info.source ?? ''}${info.path ? ` ${info.path}` : ''})\n`);
    w.write(`isa: ${info.isa}, threads ${info.threads}, compiler ${info.compiler}\n`);
    if (info.reason) w.write(`why not native: ${info.reason}\n`);
    for (const t of info.tried ?? []) w.write(`  tried ${t}\n`);
    for (const p of paths) {
      const bad = p.rows.filter((r) => !r.ok);
      const worst = p.rows.reduce((m, r) => Math.max(m, r.diff), 0);
      w.write(`${p.path}: ${bad.length === 0 ? 'ok' : 'MISMATCH'} (${p.rows.length} checks, largest difference ${worst.toExponential(2)})\n`);
      for (const r of bad) w.write(`  ${r.kernel} ${r.dtype}: ${r.diff}\n`);
    }
    w.write(ok ? 'every kernel agrees with the reference\n' : 'some kernels disagree with the reference: report this with the output above\n');
  }
  return ok ? 0 : 1;
}

// node-gyp: npm's own copy beside this node, else npx fetches it from the registry
function nodeGyp(): string[] {
  const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(bundled) ? [process.execPath, bundled] : ['npx', '--yes', 'node-gyp'];
}

export function runBuildNative(): number {
  const root = packageRoot();
  const [cmd, ...args] = nodeGyp();
  // the headers of the running node where its installation has them (no download)
  const headers = join(dirname(process.execPath), '..');
  const nodedir = existsSync(join(headers, 'include', 'node', 'node_api.h')) ? [`--nodedir=${headers}`] : [];
  process.stderr.write(`ffnn: building the addon in ${root} with ${[cmd, ...args].join(' ')} rebuild\n`);
  const r = spawnSync(cmd, [...args, 'rebuild', ...nodedir], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`ffnn: the build failed (${r.error ? r.error.message : `exit ${r.status}`}); it needs python3, make and a C++17 compiler (Linux: g++, macOS: Xcode command line tools, Windows: Visual Studio Build Tools)\n`);
    return 1;
  }
  process.stderr.write(`ffnn: built ${join(root, 'build', 'Release', 'ffnn.node')}; \`npx ffnn doctor\` checks it\n`);
  return 0;
}
