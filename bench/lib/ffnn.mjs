// ffnn's side of the benchmark: the workloads built from the public API (dist/index.js), a verification
// of native and wasm against the js reference before anything is timed, and one contender per
// device/threads (ffnnContenders: native 1T and 2T, js, wasm).
// every training step is one TrainStep call (the fused step, dist/train/step.js; trainFFNN uses it for
// W2 and W3); FFNN_BENCH_PATH=module times W1 and W5 with the module calls instead, for comparison
import { performance } from 'node:perf_hooks';
import { TrainStep } from '../../dist/index.js';

const MODULE_PATH = process.env.FFNN_BENCH_PATH === 'module';

const SEED = 1234;

// x (B, F) random normal; y one-hot (B, C) for 'mse-sum', class indices (B) for 'ce'
function batchPool(ffnn, p, dtype, count) {
  const F = p.sizes[0];
  const C = p.sizes[p.sizes.length - 1];
  const pool = [];
  for (let i = 0; i < count; i++) {
    const x = ffnn.Tensor.randn([p.batch, F], { seed: SEED + 17 * i, dtype });
    const labels = new Int32Array(p.batch).map((_, j) => (i * 7 + j * 3) % C);
    const y = p.loss === 'ce' ? labels : ffnn.Tensor.oneHot(labels, C, { dtype });
    pool.push([x, y]);
  }
  return pool;
}

// Linear-ReLU-...-Linear as a Sequential, trained with the module flow (forward, loss, zeroGrad,
// backward, step) that a PyTorch user writes, as one TrainStep call per step (same numbers)
function buildMLP(ffnn, p, device, dtype) {
  const mods = [];
  for (let i = 0; i + 1 < p.sizes.length; i++) {
    mods.push(new ffnn.Linear(p.sizes[i], p.sizes[i + 1], { device, dtype, seed: SEED + i }));
    if (i + 2 < p.sizes.length) mods.push(new ffnn.ReLU());
  }
  const net = new ffnn.Sequential(...mods);
  const loss = p.loss === 'ce' ? new ffnn.CrossEntropyLoss({ device }) : new ffnn.MSELoss({ reduction: 'sum', device });
  const opt = new ffnn.SGD(net.parameters(), { lr: p.lr, momentum: p.momentum, device });
  const moduleStep = (x, y) => {
    const out = net.forward(x);
    const l = loss.forward(out, y);
    net.zeroGrad();
    net.backward(loss.backward());
    opt.step();
    return l;
  };
  const ts = new TrainStep(net, opt, { loss });
  if (ts.fallback !== null) throw new Error(`bench: the MLP step is not fused (${ts.fallback})`);
  const step = MODULE_PATH ? moduleStep : (x, y) => ts.run(x, y);
  return { net, step, predict: (x) => net.forward(x) };
}

// D3: Dropout(pIn), [Linear, ReLU, Dropout(p)] per hidden layer, Linear; trained by trainFFNN (one
// fused TrainStep call per batch, the masks drawn inside it), or with FFNN_BENCH_PATH=module by the
// module flow over the same loader
function buildDropout(ffnn, p, device, dtype) {
  const o = { device, dtype };
  const mods = [new ffnn.Dropout(p.pIn, { seed: SEED, ...o })];
  for (let i = 0; i + 1 < p.sizes.length; i++) {
    mods.push(new ffnn.Linear(p.sizes[i], p.sizes[i + 1], { seed: SEED + i, ...o }));
    if (i + 2 < p.sizes.length) mods.push(new ffnn.ReLU(), new ffnn.Dropout(p.p, { seed: SEED + 100 + i, ...o }));
  }
  const net = new ffnn.Sequential(...mods);
  const loss = new ffnn.CrossEntropyLoss({ device });
  const opt = new ffnn.SGD(net.parameters(), { lr: p.lr, momentum: p.momentum, device });
  const ts = new TrainStep(net, opt, { loss });
  if (ts.fallback !== null) throw new Error(`bench: the dropout step is not fused (${ts.fallback})`);
  const moduleStep = (x, y) => {
    const l = loss.forward(net.forward(x), y);
    net.zeroGrad();
    net.backward(loss.backward());
    opt.step();
    return l;
  };
  const epoch = (ds, seed) => {
    if (!MODULE_PATH) return ffnn.trainFFNN(net, ds, opt, { epochs: 1, batchSize: p.batch, seed, loss, verbose: 0 });
    const losses = [];
    for (const [x, y] of new ffnn.DataLoader(ds, { batchSize: p.batch, shuffle: true, seed })) losses.push(moduleStep(x, y));
    return losses;
  };
  return { net, step: (x, y) => ts.run(x, y), epoch, predict: (x) => net.forward(x) };
}

function dropoutData(ffnn, p, n) {
  const x = ffnn.Tensor.randn([n, p.sizes[0]], { seed: SEED });
  const y = new Int32Array(n).map((_, i) => (i * 7) % p.sizes[p.sizes.length - 1]);
  return new ffnn.TensorDataset(x, y);
}

// the problem's FFNN: forward (softmax probabilities), CELoss, backward (fresh gradients), step, as one
// TrainStep call (trainFFNN makes the same call per batch)
function buildFFNN(ffnn, F, hidden, acts, C, p, device, dtype, init) {
  const net = new ffnn.FFNN(F, hidden, acts, C, { device, dtype, seed: SEED, ...(init ? { init } : {}) });
  const opt = new ffnn.SGD(net.parameters(), { lr: p.lr, momentum: p.momentum, device });
  const ts = new TrainStep(net, opt);
  if (ts.fallback !== null) throw new Error(`bench: the FFNN step is not fused (${ts.fallback})`);
  const step = (x, y) => ts.run(x, y);
  return { net, opt, step, predict: (x) => net.forward(x) };
}

function maxRelDiff(a, b) {
  let scale = 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    d = Math.max(d, Math.abs(a[i] - b[i]));
  }
  return d / Math.max(scale, 1e-30);
}

// float32 on every device, same seed and batch: the losses of three steps and the outputs after them
// must agree with the js reference to float32 accuracy (the summation orders differ)
function verifyDevices(make, batch, what) {
  const [x, y] = batch;
  const run = (m) => {
    const losses = [];
    for (let s = 0; s < 3; s++) losses.push(m.step(x, y));
    return { losses, out: m.predict(x).data };
  };
  const ref = run(make('js')());
  const notes = [];
  for (const dev of ['native', 'wasm']) {
    const got = run(make(dev)());
    let worst = 0;
    got.losses.forEach((l, s) => {
      if (!Number.isFinite(l)) throw new Error(`${what}: ${dev} loss is ${l} at step ${s}`);
      worst = Math.max(worst, Math.abs(l - ref.losses[s]) / Math.max(Math.abs(ref.losses[s]), 1e-30));
    });
    worst = Math.max(worst, maxRelDiff(got.out, ref.out));
    if (!(worst <= 2e-3)) throw new Error(`${what}: ${dev} and js disagree after 3 steps (max relative difference ${worst.toExponential(2)})`);
    notes.push(`${dev} = js over 3 SGD steps (max rel. diff ${worst.toExponential(1)})`);
  }
  return notes.join(', ');
}

// sampled float64 dot products for big squares, the js reference gemm (float64) for MLP shapes
function verifyGemm(ffnn, p, a, b, c, dev = 'native') {
  const { M, N, K } = p;
  const tol = 1e-5 * K + 1e-4;
  let worst = 0;
  if (M * N * K <= 2 ** 28) {
    const ref = new Float64Array(M * N);
    ffnn.getKernels('js').gemm(false, false, M, N, K, 1, Float64Array.from(a), Float64Array.from(b), 0, ref);
    for (let i = 0; i < M * N; i++) worst = Math.max(worst, Math.abs(c[i] - ref[i]));
  } else {
    for (let s = 0; s < 512; s++) {
      const i = (s * 7919) % M;
      const j = (s * 104729 + 13) % N;
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a[i * K + k] * b[k * N + j];
      worst = Math.max(worst, Math.abs(c[i * N + j] - acc));
    }
  }
  if (!(worst <= tol)) throw new Error(`gemm ${M}x${K}x${N}: ${dev} differs from float64 by ${worst} (tolerance ${tol})`);
  return `${dev} = float64 reference (max abs err ${worst.toExponential(1)})`;
}

// runs `fn(n)` with n growing until one call takes 1/4 of the budget, then returns the n that fills it
function calibrate(fn, seconds) {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    fn(n);
    const dt = (performance.now() - t0) / 1000;
    if (dt >= seconds / 4 || n >= 1 << 20) return Math.max(1, Math.round((n * seconds) / Math.max(dt, 1e-9)));
    n *= dt < seconds / 64 ? 8 : 2;
  }
}

let mnistCache = null;
function mnist(ffnn) {
  if (mnistCache === null) {
    const std = ffnn.Standardizer.mnist();
    mnistCache = {
      train: std.transform(ffnn.loadMNIST({ split: 'train' })),
      test: std.transform(ffnn.loadMNIST({ split: 'test' })),
    };
  }
  return mnistCache;
}

// the check that runs once per task, before any contender (ffnn or peer) is timed
export function verifyTask(ffnn, task) {
  const p = task.p;
  if (p.kind === 'gemm') return null;
  if (p.kind === 'mlp') {
    // at most 32 rows: the js twin of a 784-1024-1024-10 step at batch 256 takes seconds
    const pv = { ...p, batch: Math.min(p.batch, 32) };
    const make = (device) => () => buildMLP(ffnn, pv, device, 'float32');
    const note = verifyDevices(make, batchPool(ffnn, pv, 'float32', 1)[0], task.id);
    return pv.batch === p.batch ? note : `${note}, batch ${pv.batch}`;
  }
  if (p.kind === 'dropout') {
    // 8 rows: the js twin of the 784-1024x3 net is slow; the masks are the same on every device
    const pv = { ...p, batch: 8 };
    const make = (device) => () => buildDropout(ffnn, pv, device, 'float32');
    const ds = dropoutData(ffnn, pv, pv.batch);
    const { x, y } = ds.rows();
    return `${verifyDevices(make, [x, y], task.id)}, batch ${pv.batch}`;
  }
  if (p.kind === 'ffnn') {
    const make = (device) => () => buildFFNN(ffnn, p.F, p.hidden, p.acts, p.C, p, device, 'float32');
    const ds = new ffnn.RandomDataset(p.batch, p.F, p.C, { seed: SEED });
    const { x, y } = ds.rows();
    return verifyDevices(make, [x, y], task.id);
  }
  if (p.kind === 'mnist') {
    const { train } = mnist(ffnn);
    const [F, ...rest] = p.sizes;
    const hidden = rest.slice(0, -1);
    const make = (device) => () => buildFFNN(ffnn, F, hidden, 'relu', 10, p, device, 'float32', 'torch');
    const rows = train.rows();
    const x = new ffnn.Tensor(rows.x.data.subarray(0, p.batch * F), [p.batch, F]);
    return verifyDevices(make, [x, rows.y.subarray(0, p.batch)], task.id);
  }
  throw new Error(`unknown task kind ${p.kind}`);
}

// every ffnn contender: the addon on 1 and 2 threads, the js reference and the wasm device (one thread)
export function ffnnContenders(ffnn) {
  return [new FfnnContender(ffnn, 'native', 1), new FfnnContender(ffnn, 'native', 2), new FfnnContender(ffnn, 'js', 1), new FfnnContender(ffnn, 'wasm', 1)];
}

export class FfnnContender {
  constructor(ffnn, device, threads) {
    this.ffnn = ffnn;
    this.device = device;
    this.threads = threads;
    this.name = device === 'native' ? `ffnn native ${threads}T` : `ffnn ${device}`;
    this.family = `ffnn ${device}`;
    this.state = null;
  }

  info() {
    const b = this.ffnn.backendInfo(this.device);
    return `${b.backend} ${b.isa}, ${this.device === 'native' ? this.threads : 1} thread(s), ${b.compiler}`;
  }

  setThreads() {
    if (this.device === 'native') this.ffnn.setNumThreads(this.threads);
  }

  // what this contender runs of a task; null when it is skipped (with the reason in skipWhy)
  skipWhy(task) {
    if (this.device === 'js' && task.p.kind === 'gemm') return 'js gemm not timed (the reference loop is the oracle, not a contender)';
    if (this.device === 'js' && task.workload === 'W4') return 'js not timed on W4 (one step of batch 256 takes about 10 s)';
    if (this.device === 'js' && task.workload === 'D3') return 'js not timed on D3 (one step of batch 100 takes seconds)';
    return null;
  }

  async start(task, seconds) {
    this.setThreads();
    const ffnn = this.ffnn;
    const p = task.p;
    const dev = this.device;
    const note = [];
    if (p.kind === 'gemm') {
      const { M, N, K } = p;
      const a = ffnn.Tensor.randn([M, K], { seed: 1 }).data;
      const b = ffnn.Tensor.randn([K, N], { seed: 2 }).data;
      // operands as a user holds them: tensors (64-byte aligned from 4 KiB on, as torch's and numpy's)
      const c = ffnn.Tensor.zeros([M, N]).data;
      const k = ffnn.getKernels(dev);
      const run = (n) => {
        for (let i = 0; i < n; i++) k.gemm(false, false, M, N, K, 1, a, b, 0, c);
      };
      run(1);
      note.push(verifyGemm(ffnn, p, a, b, c, dev));
      const n = calibrate(run, seconds);
      this.state = { rep: () => timeIt(() => run(n), (t) => (2 * M * N * K * n) / t / 1e9) };
    } else if (p.kind === 'mlp') {
      const m = buildMLP(ffnn, p, dev, 'float32');
      const pool = batchPool(ffnn, p, 'float32', Math.min(64, Math.max(2, Math.ceil(4096 / p.batch))));
      let i = 0;
      const run = (n) => {
        for (let s = 0; s < n; s++, i++) {
          const [x, y] = pool[i % pool.length];
          m.step(x, y);
        }
      };
      run(3);
      const n = calibrate(run, seconds);
      this.state = { rep: () => timeIt(() => run(n), (t) => (n * p.batch) / t) };
    } else if (p.kind === 'dropout') {
      const m = buildDropout(ffnn, p, dev, 'float32');
      // wasm: 6 steps per repeat
      const n = dev === 'wasm' ? 6 * p.batch : p.N;
      if (n !== p.N) note.push(`${dev}: ${n / p.batch} steps per repeat`);
      const ds = dropoutData(ffnn, p, n);
      let seed = 7;
      const run = () => m.epoch(ds, seed++);
      run();
      this.state = { rep: () => timeIt(run, (t) => n / t) };
    } else if (p.kind === 'ffnn') {
      const m = buildFFNN(ffnn, p.F, p.hidden, p.acts, p.C, p, dev, 'float32');
      const ds = new ffnn.RandomDataset(p.N, p.F, p.C, { seed: SEED });
      // js: 2 of the 20 epochs per repeat, reported as samples/s like the rest
      const epochs = dev === 'js' ? 2 : p.epochs;
      if (epochs !== p.epochs) note.push(`js: ${epochs} of the ${p.epochs} epochs per repeat`);
      let done = 0;
      const run = () => {
        ffnn.trainFFNN(m.net, ds, m.opt, { epochs, batchSize: p.batch, seed: 7, initialEpoch: done });
        done += epochs;
      };
      run();
      this.state = { rep: () => timeIt(run, (t) => (epochs * p.N) / t), epochSeconds: [] };
    } else if (p.kind === 'mnist') {
      const { train, test } = mnist(ffnn);
      const [F, ...rest] = p.sizes;
      const m = buildFFNN(ffnn, F, rest.slice(0, -1), 'relu', 10, p, dev, 'float32', 'torch');
      const N = train.length;
      let ds = train;
      if (dev !== 'native') {
        // a fraction of an epoch, extrapolated to 60,000 samples
        const steps = dev === 'js' ? 4 : 60;
        const n = steps * p.batch;
        const rows = train.rows();
        ds = new ffnn.TensorDataset(new ffnn.Tensor(rows.x.data.subarray(0, n * F), [n, F]), rows.y.subarray(0, n));
        note.push(`${dev}: ${steps} steps per repeat, extrapolated to an epoch of ${N.toLocaleString('en-US')}`);
      }
      let done = 0;
      const run = () => {
        ffnn.trainFFNN(m.net, ds, m.opt, { epochs: 1, batchSize: p.batch, seed: 11, initialEpoch: done });
        done++;
      };
      this.state = {
        rep: () => timeIt(run, (t) => (t * N) / ds.length),
        finish: () => {
          if (dev !== 'native') return {};
          const ev = ffnn.evaluate(m.net, test);
          return { accuracy: ev.accuracy, epochs: done };
        },
      };
    } else {
      throw new Error(`unknown task kind ${p.kind}`);
    }
    return { note: note.join('; ') };
  }

  async rep() {
    this.setThreads();
    return this.state.rep();
  }

  async finish() {
    this.setThreads();
    const r = this.state.finish ? this.state.finish() : {};
    this.state = null;
    return r;
  }

  async close() {}
}

function timeIt(fn, toValue) {
  const t0 = performance.now();
  fn();
  return toValue((performance.now() - t0) / 1000);
}
