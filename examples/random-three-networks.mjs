// the assignment's exercise 4d: networks of different sizes trained on the same RandomDataset, and
// the same network on random datasets of different input sizes; one loss curve per run, plotted.
// random labels can only be memorized, so what differs is how fast each network fits them.
//   npm install && node examples/random-three-networks.mjs [--device js]
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FFNN, RandomDataset, SGD, plotLosses, trainFFNN } from '../dist/index.js';

const device = process.argv.includes('--device') ? process.argv[process.argv.indexOf('--device') + 1] : 'native';
const out = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(out, { recursive: true });

const N = 1000;
const C = 10;
const EPOCHS = 20;
const BATCH = 8;
const LR = 0.001;

function run(name, F, hidden, acts, dataset) {
  const net = new FFNN(F, hidden, acts, C, { device, seed: 1 });
  // the assignment's optimizer: SGD(red.parameters(), 0.001)
  const optimizer = new SGD(net.parameters(), { lr: LR, device });
  const t0 = performance.now();
  const losses = trainFFNN(net, dataset, optimizer, { epochs: EPOCHS, batchSize: BATCH, device, seed: 1 });
  const per = Math.ceil(N / BATCH);
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  const params = net.parameters().reduce((s, p) => s + p.size, 0);
  console.log(
    `${name.padEnd(34)} ${String(params).padStart(9)} params  loss epoch 1 ${mean(losses.slice(0, per)).toFixed(3)}  ` +
      `epoch ${EPOCHS} ${mean(losses.slice(-per)).toFixed(3)}  ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return losses;
}

// 1. three networks, one dataset
const F = 300;
const dataset = new RandomDataset(N, F, C, { seed: 42 });
console.log(`RandomDataset(${N}, ${F}, ${C}); SGD lr ${LR}, ${EPOCHS} epochs, batch ${BATCH}, device ${device}`);
const bySize = {};
for (const [name, hidden, act] of [
  ['32 relu', [32], 'relu'],
  ['256-128 relu', [256, 128], 'relu'],
  ['1024 relu', [1024], 'relu'],
  ['128x4 tanh', [128, 128, 128, 128], 'tanh'],
]) {
  bySize[name] = run(`${F}-${hidden.join('-')}-${C} ${act}`, F, hidden, act, dataset);
}
await plotLosses(bySize, `${out}random-network-sizes.png`, { title: `RandomDataset(${N}, ${F}, ${C}), SGD lr ${LR}: hidden layers of each network` });

// 2. one network shape, datasets with more or fewer input features
console.log(`\nthe F-256-128-${C} relu network on RandomDataset(${N}, F, ${C})`);
const byInput = {};
for (const f of [10, 100, 1000]) {
  const name = `F = ${f}`;
  byInput[name] = run(name, f, [256, 128], 'relu', new RandomDataset(N, f, C, { seed: 42 }));
}
await plotLosses(byInput, `${out}random-input-sizes.png`, { title: `F-256-128-${C} relu on RandomDataset(${N}, F, ${C}), SGD lr ${LR}: input sizes` });
console.log(`\nplots: ${out}random-network-sizes.png, ${out}random-input-sizes.png`);
