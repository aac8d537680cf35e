#!/usr/bin/env node
// fuzzes the native addon's N-API door: calls every export (enumerated at run time, so new exports are
// fuzzed too) with seeded random arguments, mostly near-valid argument lists with a few mutations:
// wrong types, short / long / empty arrays, the wrong element type, subarrays at an offset, detached
// and SharedArrayBuffer-backed arrays, aliased arrays, huge / negative / fractional / NaN dimensions,
// out-of-range class indices, option objects with missing, NaN or wrongly typed fields, getters that
// throw or that detach an array argument after the binding has taken its pointer.
//
// the calls run in a child process (this file with --child) so that a crash is observed, not
// suffered. the child writes each call's description to a log file before making it; the parent
// prints the calls made and the exceptions by class, and exits 1 when the child died by a signal,
// exited non-zero or hung, printing the seed and the last call (rerun with the same --seed and
// --calls up to that call number to reproduce it).
//
//   node tools/fuzz.mjs [--calls N] [--seed S] [--addon path/to/ffnn.node] [--timeout SECONDS] [--isa NAME]
// (--isa pins the addon's instruction-set path with setIsa, when it has one, and stops fuzzing setIsa;
// --max-rss MiB (default 1536) kills a child that grows past it; --no-getter-detach leaves out the option getters that detach an array, to look past that bug)
//
// valid calls stay cheap: every array the generator builds has at most MAX_ELEMS elements, so a
// call whose dimensions fit its arrays is small, and a call with huge dimensions must be refused.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(HERE), '..');
const MAX_ELEMS = 4096;

function parseArgs(argv) {
  const o = { calls: 20000, seed: null, addon: null, timeout: 600, child: false, log: null, out: null, quiet: false, isa: null, noGetterDetach: false, maxRss: 1536 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--calls') o.calls = Number(next());
    else if (a === '--seed') o.seed = Number(next());
    else if (a === '--addon') o.addon = next();
    else if (a === '--timeout') o.timeout = Number(next());
    else if (a === '--child') o.child = true;
    else if (a === '--log') o.log = next();
    else if (a === '--out') o.out = next();
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--isa') o.isa = next();
    else if (a === '--no-getter-detach') o.noGetterDetach = true;
    else if (a === '--max-rss') o.maxRss = Number(next());
    else usage(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.calls) || o.calls < 0) usage(`--calls: expected an integer >= 0, received ${o.calls}`);
  if (o.seed !== null && (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)) {
    usage(`--seed: expected an integer in [0, 2^32), received ${o.seed}`);
  }
  if (!(o.timeout > 0)) usage(`--timeout: expected seconds > 0, received ${o.timeout}`);
  return o;
}

function usage(msg) {
  process.stderr.write(`fuzz: ${msg}\nusage: node tools/fuzz.mjs [--calls N] [--seed S] [--addon FILE] [--timeout SECONDS] [--isa NAME] [--no-getter-detach] [--max-rss MIB]\n`);
  process.exit(2);
}

function addonPath(explicit) {
  const tried = [explicit, process.env.FFNN_ADDON, join(ROOT, 'build', 'Release', 'ffnn.node'), join(ROOT, 'build', 'Debug', 'ffnn.node')]
    .filter((p) => p)
    .map((p) => resolve(p));
  for (const p of tried) if (existsSync(p)) return p;
  usage(`no addon found; tried ${tried.join(', ')}; build it with \`npx cmake-js compile\``);
}

// ---------------------------------------------------------------- seeded generator (mulberry32)

function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n), // [0, n)
    chance: (p) => next() < p,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
  return r;
}

// ---------------------------------------------------------------- the child: makes the calls

// a value that is never a valid argument of any kind (or valid only by accident)
const BAD_NUMBERS = [NaN, Infinity, -Infinity, -1, -0, 0.5, 1.5, -1.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 32 + 1,
  2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, Number.MIN_VALUE, Number.EPSILON, 65536, 46341];

function runChild(o) {
  const addon = createRequire(import.meta.url)(o.addon);
  let names = Object.keys(addon).filter((k) => typeof addon[k] === 'function').sort();
  const isas = typeof addon.supportedIsas === 'function' ? addon.supportedIsas() : [];
  if (o.isa !== null) {
    // pinned: every call runs on this instruction-set path (for triage)
    addon.setIsa(o.isa);
    names = names.filter((n) => n !== 'setIsa');
  }
  const r = rng(o.seed);
  const logFd = openSync(o.log, 'w');
  const stats = { calls: 0, returned: 0, exports: names, byClass: {}, byExport: {}, unexpected: [] };

  // arrays ------------------------------------------------------------
  const describeValue = (v) => {
    if (v === undefined) return 'undefined';
    if (v === null) return 'null';
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'symbol') return 'Symbol()';
    if (typeof v === 'function') return 'function';
    if (v && v.__desc) return v.__desc;
    if (ArrayBuffer.isView(v)) {
      const shared = typeof SharedArrayBuffer !== 'undefined' && v.buffer instanceof SharedArrayBuffer;
      return `${v.constructor.name}(${v.length}${v.byteOffset ? ` @${v.byteOffset}B` : ''}${shared ? ' shared' : ''})`;
    }
    if (Array.isArray(v)) return `[${v.slice(0, 4).map(describeValue).join(', ')}${v.length > 4 ? ', ...' : ''}]`;
    if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
    try {
      return `{${Object.keys(v).map((k) => `${k}: ${describeValue(v[k])}`).join(', ')}}`;
    } catch {
      return 'object';
    }
  };
  // remembers how a special value was made, for the log
  const tag = (v, desc) => {
    Object.defineProperty(v, '__desc', { value: desc, enumerable: false, configurable: true });
    return v;
  };

  const fill = (a, bad) => {
    for (let i = 0; i < a.length; i++) {
      a[i] = bad && r.chance(0.1) ? r.pick([NaN, Infinity, -Infinity, 1e30, -1e30, 1e-40, 0]) : r.next() * 4 - 2;
    }
    return a;
  };
  // a float array of the call's type with n elements, sometimes at an offset or on shared memory
  const floats = (Ctor, n) => {
    n = Math.max(0, Math.min(n, MAX_ELEMS));
    const roll = r.int(10);
    if (roll === 0) {
      const off = 1 + r.int(5);
      return fill(new Ctor(n + off + r.int(3)).subarray(off, off + n), true);
    }
    if (roll === 1) return fill(new Ctor(new SharedArrayBuffer(n * Ctor.BYTES_PER_ELEMENT)), true);
    return fill(new Ctor(n), r.chance(0.2));
  };
  const detached = (Ctor, n) => {
    const a = new Ctor(Math.min(n, MAX_ELEMS) || 1);
    structuredClone(a.buffer, { transfer: [a.buffer] });
    return tag(a, `${Ctor.name}(detached)`);
  };
  const ints = (n, C) => {
    const a = new Int32Array(Math.max(0, Math.min(n, MAX_ELEMS)));
    for (let i = 0; i < a.length; i++) a[i] = C > 0 ? r.int(C) : 0;
    return a;
  };

  // a mutated version of a float array argument
  const mutateArray = (v, Ctor) => {
    const other = Ctor === Float32Array ? Float64Array : Float32Array;
    const n = ArrayBuffer.isView(v) && !(v instanceof DataView) ? v.length : 4;
    switch (r.int(12)) {
      case 0: return floats(Ctor, Math.max(0, n - 1 - r.int(3)));
      case 1: return new Ctor(0);
      case 2: return floats(Ctor, n + 1 + r.int(MAX_ELEMS));
      case 3: return floats(other, n);
      case 4: return r.pick([new Int32Array(n), new Uint8Array(n), new Int8Array(n), new Uint32Array(n), new Int16Array(n)]);
      case 5: return new BigInt64Array(n);
      case 6: return new DataView(new ArrayBuffer(n * Ctor.BYTES_PER_ELEMENT));
      case 7: return new ArrayBuffer(n * Ctor.BYTES_PER_ELEMENT);
      case 8: return Array.from({ length: Math.min(n, 8) }, () => 0.5);
      case 9: return detached(Ctor, n);
      case 10: {
        // shorter by one, at an offset: the last element is past the view but inside the buffer
        const base = new Ctor(n + 4);
        return base.subarray(2, Math.max(2, 2 + n - 1));
      }
      default: return floats(Ctor, n);
    }
  };

  const badValue = () => {
    switch (r.int(16)) {
      case 0: return undefined;
      case 1: return null;
      case 2: return r.chance(0.5);
      case 3: return r.pick(['', 'sum', 'mean', '3', 'relu', 'x'.repeat(100)]);
      case 4: return {};
      case 5: return [];
      case 6: return [1, 2, 3];
      case 7: return 7n;
      case 8: return Symbol('s');
      case 9: return () => 0;
      case 10: return new Proxy(new Float32Array(4), {});
      case 11: return new Date(0);
      case 12: return Object.create(null);
      case 13: return new Float32Array(0);
      default: return r.pick(BAD_NUMBERS);
    }
  };

  // signatures ---------------------------------------------------------
  // each argument spec: a kind and, for arrays, the element count as a function of the dims
  const D = (name) => ({ k: 'dim', name });
  const F = (need, nullable = false) => ({ k: 'f', need, nullable });
  const SPECS = {
    info: [],
    getNumThreads: [],
    setNumThreads: [{ k: 'threads' }],
    setIsa: [{ k: 'isa' }],
    gemm: [{ k: 'bool' }, { k: 'bool' }, D('M'), D('N'), D('K'), { k: 'num' }, F((d) => d.M * d.K), F((d) => d.K * d.N), { k: 'num' }, F((d) => d.M * d.N)],
    biasAct: [D('B'), D('N'), F((d) => d.B * d.N), F((d) => d.N, true), { k: 'act' }, { k: 'num' }, F((d) => d.B * d.N), F((d) => d.B * d.N, true)],
    actBackward: [D('B'), D('N'), F((d) => d.B * d.N), F((d) => d.B * d.N), { k: 'act' }, { k: 'num' }, F((d) => d.B * d.N), F((d) => d.N, true)],
    linearForward: [D('B'), D('IN'), D('OUT'), F((d) => d.B * d.IN), F((d) => d.IN * d.OUT), F((d) => d.OUT, true), { k: 'act' }, { k: 'num' },
      F((d) => d.B * d.OUT), F((d) => d.B * d.OUT, true)],
    linearBackward: [D('B'), D('IN'), D('OUT'), F((d) => d.B * d.IN), F((d) => d.IN * d.OUT), F((d) => d.B * d.OUT), F((d) => d.B * d.OUT),
      { k: 'act' }, { k: 'num' }, F((d) => d.B * d.OUT), F((d) => d.IN * d.OUT), F((d) => d.OUT, true), F((d) => d.B * d.IN, true), { k: 'bool' }],
    softmax: [D('B'), D('C'), F((d) => d.B * d.C), F((d) => d.B * d.C)],
    softmaxCrossEntropy: [D('B'), D('C'), F((d) => d.B * d.C), { k: 'target' }, F((d) => d.B * d.C, true), F((d) => d.B * d.C, true)],
    ceLoss: [D('B'), D('C'), F((d) => d.B * d.C), F((d) => d.B * d.C), { k: 'bool' }, { k: 'eps' }],
    categoricalCELoss: [D('B'), D('C'), F((d) => d.B * d.C), { k: 'idx' }, { k: 'bool' }, { k: 'eps' }],
    mseLoss: [D('n'), F((d) => d.n), F((d) => d.n), { k: 'red' }, F((d) => d.n, true)],
    sgdStep: [D('n'), F((d) => d.n), F((d) => d.n), F((d) => d.n, true), { k: 'sgd' }],
    adamStep: [D('n'), F((d) => d.n), F((d) => d.n), F((d) => d.n), F((d) => d.n), { k: 'adam' }],
  };

  // small dims around the register-block edges, whose products stay under MAX_ELEMS
  const smallDim = () => r.pick([0, 1, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 48, 64]);
  const dimsFor = (spec) => {
    const names = spec.filter((s) => s.k === 'dim').map((s) => s.name);
    for (;;) {
      const d = {};
      for (const n of names) d[n] = smallDim();
      const ok = spec.every((s) => s.k !== 'f' || s.need(d) <= MAX_ELEMS);
      if (ok) return d;
    }
  };

  const sgdOptions = () => ({
    lr: r.pick([0.1, 0.01, 1]), momentum: r.pick([0, 0, 0.9]), dampening: r.pick([0, 0.1]),
    nesterov: r.chance(0.3), weightDecay: r.pick([0, 1e-4]), firstStep: r.chance(0.5),
  });
  const adamOptions = () => ({
    lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: r.pick([0, 0.01]), decoupled: r.chance(0.5), step: 1 + r.int(100),
  });

  // an options object with one field broken, or with a getter that misbehaves
  const o2 = o;
  const mutateOptions = (opts, arrays) => {
    // copies getters as getters: an earlier mutation's getter must not run here
    const o = Object.defineProperties({}, Object.getOwnPropertyDescriptors(opts));
    const keys = Object.keys(o);
    if (keys.length === 0) return badValue();
    const key = r.pick(keys);
    const roll = r.int(8);
    let how;
    if (roll === 0) {
      delete o[key];
      how = `missing ${key}`;
    } else if (roll === 1) {
      Object.defineProperty(o, key, { enumerable: true, configurable: true, get() { throw new Error(`getter ${key}`); } });
      how = `${key} getter throws`;
    } else if (roll === 2 && arrays.length > 0 && !o2.noGetterDetach) {
      // the binding has taken the arrays' pointers before it reads the options: a getter that
      // detaches one of them (and lets its memory be collected) must not make the kernel write freed memory
      const victim = r.int(arrays.length);
      const d0 = Object.getOwnPropertyDescriptor(o, key);
      const value = 'value' in d0 ? d0.value : 0.1;
      Object.defineProperty(o, key, {
        enumerable: true,
        configurable: true,
        get() {
          const a = arrays[victim];
          if (a && a.buffer instanceof ArrayBuffer && a.buffer.byteLength > 0) {
            structuredClone(a.buffer, { transfer: [a.buffer] });
            if (globalThis.gc) globalThis.gc();
          }
          return value;
        },
      });
      how = `${key} getter detaches array #${victim}`;
    } else if (roll === 3) {
      return tag(new Proxy(o, {}), `Proxy(${describeValue(o)})`);
    } else {
      Object.defineProperty(o, key, { value: badValue(), enumerable: true, writable: true, configurable: true });
      how = `${key} = ${describeValue(o[key])}`;
    }
    return tag(o, `{${how}}`);
  };

  // one near-valid argument list for a known export, then 0..3 mutations
  const argsFor = (name) => {
    const spec = SPECS[name];
    if (!spec) return genericArgs();
    const d = dimsFor(spec);
    const Ctor = r.chance(0.5) ? Float32Array : Float64Array;
    const args = [];
    const arrays = [];
    let B = d.B ?? 0;
    let C = d.C ?? 0;
    for (const s of spec) {
      let v;
      switch (s.k) {
        case 'dim': v = d[s.name]; break;
        case 'bool': v = r.chance(0.5); break;
        case 'num': v = r.pick([1, 0, -1, 0.5, 2, 1, 1]); break;
        case 'eps': v = r.pick([1e-8, 1e-3, 0]); break;
        case 'act': v = r.int(6); break;
        case 'red': v = r.pick(['sum', 'mean']); break;
        case 'threads': v = 1 + r.int(4); break;
        case 'isa': v = r.pick([...isas, 'avx512', 'avx2', 'portable', 'sse2', '', 'AVX2']); break;
        case 'sgd': v = sgdOptions(); break;
        case 'adam': v = adamOptions(); break;
        case 'idx': v = ints(B, C); break;
        case 'target': v = r.chance(0.5) ? ints(B, C) : floats(Ctor, B * C); break;
        case 'f': v = s.nullable && r.chance(0.3) ? null : floats(Ctor, s.need(d)); break;
        default: throw new Error(`unknown spec kind ${s.k}`);
      }
      if (ArrayBuffer.isView(v)) arrays.push(v);
      args.push(v);
    }
    // a celu alpha of 0 divides by zero: legal at the door (the checked layer refuses it), fine here
    if (name === 'sgdStep' && args[4].momentum !== 0 && args[3] === null) args[3] = floats(Ctor, d.n);
    const mutations = r.chance(0.25) ? 0 : 1 + r.int(3);
    for (let m = 0; m < mutations; m++) {
      const i = r.int(Math.max(1, args.length));
      const s = spec[i];
      if (!s) {
        args.push(badValue());
        continue;
      }
      switch (s.k) {
        case 'dim': {
          const roll = r.int(4);
          const cur = typeof args[i] === 'number' ? args[i] : 1;
          if (roll === 0) args[i] = r.pick(BAD_NUMBERS);
          else if (roll === 1) args[i] = cur + 1 + r.int(3);
          else if (roll === 2) args[i] = Math.max(0, cur * 2);
          else args[i] = badValue();
          break;
        }
        case 'f': args[i] = r.chance(0.85) ? mutateArray(args[i], Ctor) : badValue(); break;
        case 'idx':
        case 'target': {
          const roll = r.int(4);
          if (roll === 0 && args[i] instanceof Int32Array && args[i].length > 0) {
            const a = Int32Array.from(args[i]);
            a[r.int(a.length)] = r.pick([C, C + 1, -1, 2 ** 31 - 1, -(2 ** 31)]);
            args[i] = a;
          } else if (roll === 1) args[i] = ints(Math.max(0, B - 1), C);
          else if (roll === 2) args[i] = mutateArray(args[i], Ctor);
          else args[i] = badValue();
          break;
        }
        case 'sgd':
        case 'adam': {
          const isObj = args[i] !== null && typeof args[i] === 'object' && !ArrayBuffer.isView(args[i]) && !Array.isArray(args[i]);
          args[i] = isObj && r.chance(0.8) ? mutateOptions(args[i], arrays) : badValue();
          break;
        }
        default: args[i] = r.chance(0.5) ? r.pick(BAD_NUMBERS) : badValue();
      }
      // an array passed twice (aliasing an input with an output)
      if (r.chance(0.05) && arrays.length >= 2) {
        const slots = args.map((a, j) => (ArrayBuffer.isView(a) ? j : -1)).filter((j) => j >= 0);
        if (slots.length >= 2) args[r.pick(slots)] = args[r.pick(slots)];
      }
    }
    if (r.chance(0.03)) args.length = r.int(args.length + 1);
    if (r.chance(0.03)) args.push(badValue());
    B = C = 0;
    return args;
  };

  // for an export this file does not know: plausible values in random positions
  const genericArgs = () => {
    const n = r.int(16);
    const Ctor = r.chance(0.5) ? Float32Array : Float64Array;
    const args = [];
    for (let i = 0; i < n; i++) {
      const roll = r.int(10);
      if (roll < 3) args.push(smallDim());
      else if (roll < 6) args.push(floats(Ctor, r.int(MAX_ELEMS / 4)));
      else if (roll === 6) args.push(r.chance(0.5) ? null : r.chance(0.5));
      else if (roll === 7) args.push(r.chance(0.5) ? sgdOptions() : adamOptions());
      else if (roll === 8) args.push(ints(r.int(64), 1 + r.int(10)));
      else args.push(badValue());
    }
    return args;
  };

  // calls ----------------------------------------------------------------
  for (let c = 0; c < o.calls; c++) {
    const name = r.pick(names);
    const args = argsFor(name);
    writeSync(logFd, `#${c} ${name}(${args.map(describeValue).join(', ')})\n`);
    stats.calls++;
    const per = (stats.byExport[name] ??= { calls: 0, returned: 0 });
    per.calls++;
    const t0 = performance.now();
    try {
      addon[name](...args);
      stats.returned++;
      per.returned++;
    } catch (e) {
      const cls = e instanceof Error ? e.constructor.name : `non-Error ${typeof e}`;
      stats.byClass[cls] = (stats.byClass[cls] ?? 0) + 1;
      // the binding throws only TypeError and RangeError (and rethrows what a getter threw)
      const fromGetter = e instanceof Error && /^getter /.test(e.message);
      if (!(e instanceof TypeError || e instanceof RangeError || fromGetter) && stats.unexpected.length < 20) {
        stats.unexpected.push(`#${c} ${name}: ${cls}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const ms = performance.now() - t0;
    per.ms = (per.ms ?? 0) + ms;
    if (ms > (stats.slowest?.ms ?? 0)) stats.slowest = { ms, call: `#${c} ${name}` };
  }
  closeSync(logFd);
  writeSync(openSync(o.out, 'w'), JSON.stringify(stats));
}

// ---------------------------------------------------------------- the parent: watches the child

function lastLine(file) {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines[lines.length - 1] ?? '(no call logged)';
  } catch {
    return '(no log)';
  }
}

async function runParent(o) {
  const seed = o.seed ?? (Date.now() ^ (process.pid << 16)) >>> 0;
  const addon = addonPath(o.addon);
  const dir = mkdtempSync(join(tmpdir(), 'ffnn-fuzz-'));
  const log = join(dir, 'calls.log');
  const out = join(dir, 'summary.json');
  const started = Date.now();
  const child = spawn(
    process.execPath,
    ['--expose-gc', HERE, '--child', '--seed', String(seed), '--calls', String(o.calls), '--addon', addon, '--log', log, '--out', out,
      ...(o.isa === null ? [] : ['--isa', o.isa]), ...(o.noGetterDetach ? ['--no-getter-detach'] : [])],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  let hung = false;
  let bloated = 0;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, o.timeout * 1000);
  // every array is small, so a child that grows past maxRss MiB is a call allocating without bound
  // (a valid call with one huge dimension and an empty array); Linux only
  const watch = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m && Number(m[1]) / 1024 > o.maxRss) {
        bloated = Math.round(Number(m[1]) / 1024);
        child.kill('SIGKILL');
      }
    } catch {
      // not Linux, or the child has exited
    }
  }, 100);
  const [code, signal] = await new Promise((res) => child.on('exit', (c, s) => res([c, s])));
  clearTimeout(timer);
  clearInterval(watch);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const repro = `node tools/fuzz.mjs --seed ${seed} --calls ${o.calls} --addon ${addon}${o.isa === null ? '' : ` --isa ${o.isa}`}${o.noGetterDetach ? ' --no-getter-detach' : ''}`;
  if (hung || bloated || signal !== null || code !== 0) {
    const why = hung
      ? `hung for more than ${o.timeout} s (killed)`
      : bloated
        ? `grew to ${bloated} MiB of memory, over --max-rss ${o.maxRss} (killed)`
        : signal !== null ? `died by signal ${signal}` : `exited with code ${code}`;
    process.stderr.write(
      `fuzz: FAILED: the child ${why} after ${seconds} s\n` +
        `fuzz: seed ${seed}; last call (logged before it was made):\n  ${lastLine(log)}\n` +
        `fuzz: reproduce with: ${repro}\nfuzz: call log kept at ${log}\n`,
    );
    process.exitCode = 1;
    return;
  }
  const stats = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  const classes = Object.entries(stats.byClass).map(([k, v]) => `${k} ${v}`).join(', ');
  process.stdout.write(
    `fuzz: ${stats.calls} calls to ${stats.exports.length} exports (${stats.exports.join(', ')}) in ${seconds} s, seed ${seed}\n` +
      `fuzz: returned normally ${stats.returned}; threw: ${classes || 'nothing'}\n`,
  );
  if (!o.quiet) {
    for (const [k, v] of Object.entries(stats.byExport)) process.stdout.write(`fuzz:   ${k}: ${v.calls} calls, ${v.returned} returned, ${v.ms.toFixed(0)} ms\n`);
    if (stats.slowest) process.stdout.write(`fuzz: slowest call ${stats.slowest.call}: ${stats.slowest.ms.toFixed(1)} ms\n`);
  }
  if (stats.unexpected.length > 0) {
    process.stderr.write(`fuzz: FAILED: errors other than TypeError/RangeError:\n  ${stats.unexpected.join('\n  ')}\nfuzz: reproduce with: ${repro}\n`);
    process.exitCode = 1;
  }
  process.stdout.write(`FUZZ-SUMMARY ${JSON.stringify({ seed, calls: stats.calls, returned: stats.returned, byClass: stats.byClass, exports: stats.exports })}\n`);
}

const opts = parseArgs(process.argv.slice(2));
if (opts.child) runChild(opts);
else await runParent(opts);
