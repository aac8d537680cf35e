// the JSON-lines loop shared by the Node peers (see bench/lib/peers.mjs): start builds a state with
// rep() (and optionally finish()); every reply carries ok
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function calibrate(fn, seconds) {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    fn(n);
    const dt = (performance.now() - t0) / 1000;
    if (dt >= seconds / 4 || n >= 1 << 20) return Math.max(1, Math.round((n * seconds) / Math.max(dt, 1e-9)));
    n *= dt < seconds / 64 ? 8 : 2;
  }
}

export function timed(fn) {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

// a small deterministic generator for labels and data (the peers need not share ffnn's)
export function rng(seed) {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return { u, normal };
}

function readIdx(path) {
  const b = readFileSync(path);
  const ndim = b[3];
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(b.readUInt32BE(4 + 4 * i));
  return { dims, data: b.subarray(4 + 4 * ndim) };
}

// x (N, 784) standardized as torchvision's Normalize((0.1307,), (0.3081,)), y (N) labels
export function mnist(dir, split) {
  const pre = split === 'train' ? 'train' : 't10k';
  const img = readIdx(join(dir, `${pre}-images-idx3-ubyte`));
  const lab = readIdx(join(dir, `${pre}-labels-idx1-ubyte`));
  const x = new Float32Array(img.data.length);
  for (let i = 0; i < x.length; i++) x[i] = (img.data[i] / 255 - 0.1307) / 0.3081;
  return { x, y: Int32Array.from(lab.data), N: lab.data.length };
}

export function serve(hello, start) {
  const states = new Map();
  const rl = createInterface({ input: process.stdin });
  const reply = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
  // one request at a time, in order
  let chain = Promise.resolve();
  rl.on('line', (line) => {
    chain = chain.then(() => handle(line));
  });
  const handle = async (line) => {
    let out;
    try {
      const msg = JSON.parse(line);
      if (msg.op === 'hello') out = { info: await hello() };
      else if (msg.op === 'start') {
        const st = await start(msg.task, msg.cfg, msg.seconds);
        states.set(msg.key, st);
        out = { note: st.note ?? '' };
      } else if (msg.op === 'rep') out = { value: await states.get(msg.key).rep() };
      else if (msg.op === 'finish') {
        const st = states.get(msg.key);
        states.delete(msg.key);
        out = st.finish ? await st.finish() : {};
        st.dispose?.();
      } else throw new Error(`unknown op ${msg.op}`);
      out.ok = true;
    } catch (e) {
      out = { ok: false, error: String(e?.message ?? e) };
    }
    reply(out);
  };
}
