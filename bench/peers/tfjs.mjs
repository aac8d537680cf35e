// TensorFlow.js peer (backend from argv: cpu or wasm): W1/W5 (mlp) and a fraction of a W3 epoch,
// trained the fastest way tfjs offers: tf.variable weights and optimizer.minimize (no model.fit)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { calibrate, mnist, rng, serve, timed } from './common.mjs';

const backendName = process.argv[2] ?? 'wasm';
// tfjs prints its tfjs-node advice on stdout; the protocol owns stdout
console.log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
console.warn = console.log;

function net(sizes, seed) {
  const r = rng(seed);
  const vars = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [a, b] = [sizes[i], sizes[i + 1]];
    const bound = 1 / Math.sqrt(a);
    const w = new Float32Array(a * b).map(() => (2 * r.u() - 1) * bound);
    vars.push(tf.variable(tf.tensor2d(w, [a, b])), tf.variable(tf.zeros([b])));
  }
  const predict = (x) => {
    let h = x;
    for (let i = 0; i < vars.length; i += 2) {
      h = tf.add(tf.matMul(h, vars[i]), vars[i + 1]);
      if (i + 2 < vars.length) h = tf.relu(h);
    }
    return h;
  };
  return { vars, predict };
}

function trainer(sizes, p, loss, seed) {
  const m = net(sizes, seed);
  const opt = p.momentum > 0 ? tf.train.momentum(p.lr, p.momentum) : tf.train.sgd(p.lr);
  const lossOf = (x, y) =>
    loss === 'ce' ? tf.losses.softmaxCrossEntropy(y, m.predict(x)) : tf.sum(tf.squaredDifference(m.predict(x), y));
  const step = (x, y, withCost = false) => opt.minimize(() => lossOf(x, y), withCost, m.vars);
  return { ...m, step };
}

function checkLearns(t, x, y, what) {
  const losses = [];
  for (let i = 0; i < 20; i++) {
    const c = t.step(x, y, true);
    losses.push(c.dataSync()[0]);
    c.dispose();
  }
  if (!losses.every(Number.isFinite) || !(losses[19] < losses[0])) throw new Error(`${what}: loss does not decrease (${losses[0]} -> ${losses[19]})`);
  return `loss ${losses[0].toPrecision(3)} -> ${losses[19].toPrecision(3)} over 20 steps on one batch`;
}

function oneHot(labels, C) {
  const o = new Float32Array(labels.length * C);
  labels.forEach((k, i) => (o[i * C + k] = 1));
  return tf.tensor2d(o, [labels.length, C]);
}

async function start(task, cfg, seconds) {
  const p = task.p;
  if (p.kind === 'mlp') {
    const { sizes, batch: B } = p;
    const C = sizes[sizes.length - 1];
    const t = trainer(sizes, p, p.loss, 1234);
    const r = rng(99);
    const pool = [];
    for (let i = 0; i < Math.min(64, Math.max(2, Math.ceil(4096 / B))); i++) {
      const labels = Array.from({ length: B }, (_, j) => (i * 7 + j * 3) % C);
      const x = tf.tensor2d(new Float32Array(B * sizes[0]).map(() => r.normal()), [B, sizes[0]]);
      pool.push([x, oneHot(labels, C)]);
    }
    const note = checkLearns(t, pool[0][0], pool[0][1], task.id);
    let it = 0;
    const run = (n) => {
      for (let s = 0; s < n; s++, it++) t.step(...pool[it % pool.length]);
      t.vars[0].dataSync();
    };
    const n = calibrate(run, seconds);
    return { note, rep: () => (n * B) / timed(() => run(n)) };
  }
  if (p.kind === 'mnist') {
    const d = mnist(task.mnistDir, 'train');
    const t = trainer(p.sizes, p, 'ce', 1234);
    const B = p.batch;
    const F = 784;
    // one shuffled order; each step copies its rows into a batch tensor (as a data loader does)
    const order = Int32Array.from({ length: d.N }, (_, i) => i);
    const r = rng(11);
    for (let i = d.N - 1; i > 0; i--) {
      const j = Math.floor(r.u() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let pos = 0;
    const xb = new Float32Array(B * F);
    const batch = () => {
      const labels = [];
      for (let k = 0; k < B; k++, pos = (pos + 1) % d.N) {
        const i = order[pos];
        xb.set(d.x.subarray(i * F, (i + 1) * F), k * F);
        labels.push(d.y[i]);
      }
      return [tf.tensor2d(xb, [B, F]), oneHot(labels, 10)];
    };
    const b0 = batch();
    const note = checkLearns(t, b0[0], b0[1], task.id);
    tf.dispose(b0);
    const run = (n) => {
      for (let s = 0; s < n; s++) {
        const [x, y] = batch();
        t.step(x, y);
        tf.dispose([x, y]);
      }
      t.vars[0].dataSync();
    };
    const n = calibrate(run, seconds);
    return { note: `${note}; ${n} steps per repeat, extrapolated to an epoch of ${d.N}`, rep: () => (timed(() => run(n)) * d.N) / (n * B) };
  }
  throw new Error(`tfjs peer has no ${task.id}`);
}

await tf.setBackend(backendName);
await tf.ready();
if (tf.getBackend() !== backendName) throw new Error(`tfjs backend ${backendName} unavailable`);
const require = createRequire(import.meta.url);
serve(
  () => ({
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    wasm: require('@tensorflow/tfjs-backend-wasm/package.json').version,
    threads: backendName === 'wasm' ? 'single (no SharedArrayBuffer workers under Node)' : 1,
  }),
  start,
);
