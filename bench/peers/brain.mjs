// brain.js peer: W1's 784-256-10 ReLU network. brain.js trains one sample at a time (online SGD,
// its own squared-error delta; its default momentum 0.1, learning rate 0.01), so its samples/s are per-sample updates whatever the batch size
import brain from 'brain.js';
import { createRequire } from 'node:module';
import { calibrate, rng, serve, timed } from './common.mjs';

function start(task, cfg, seconds) {
  const p = task.p;
  if (p.kind !== 'mlp' || p.sizes.length !== 3) throw new Error(`brain.js peer has no ${task.id}`);
  const [F, H, C] = p.sizes;
  const r = rng(99);
  const data = [];
  for (let i = 0; i < 256; i++) {
    const output = new Array(C).fill(0);
    output[(i * 3) % C] = 1;
    data.push({ input: Array.from({ length: F }, () => r.normal()), output });
  }
  const net = new brain.NeuralNetwork({ hiddenLayers: [H], activation: 'relu', learningRate: 0.01 });
  // one iteration sizes and initializes the network (train() also formats the data)
  net.train(data.slice(0, 1), { iterations: 1, errorThresh: 1e-9, log: false });
  const first = net.calculateTrainingError(data.slice(0, 16));
  for (let i = 0; i < 20; i++) net.trainPatterns(data.slice(0, 16));
  const last = net.calculateTrainingError(data.slice(0, 16));
  if (!Number.isFinite(last) || !(last < first)) throw new Error(`${task.id}: error does not decrease (${first} -> ${last})`);
  let it = 0;
  const run = (n) => {
    for (let s = 0; s < n; s++, it++) net.trainPattern(data[it % data.length]);
  };
  const n = calibrate(run, seconds);
  return {
    note: `per-sample updates (batch 1 inherent); error ${first.toPrecision(3)} -> ${last.toPrecision(3)} over 20 passes of 16 samples`,
    rep: () => n / timed(() => run(n)),
  };
}

const require = createRequire(import.meta.url);
serve(() => ({ 'brain.js': require('brain.js/package.json').version }), start);
