// the assignment's exercise 4e: MNIST with different networks. three comparisons, each a loss plot
// and a table of test accuracy: depth (1, 2, 3 hidden layers), width (32, 128, 512 units), and the
// activation (relu, sigmoid, tanh, swish, celu) of a 784-256-128-10 network. every run: SGD momentum
// 0.9, lr 0.05 annealed by a cosine, batch 64, standardized pixels, the same seed.
//   npm install && node examples/mnist-compare.mjs [--epochs 3] [--samples 60000] [--device js]
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CosineAnnealingLR, FFNN, SGD, Standardizer, evaluate, loadMNIST, plotLosses, trainFFNN } from '../dist/index.js';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const device = arg('--device', 'native');
const EPOCHS = Number(arg('--epochs', '3'));
const SAMPLES = Number(arg('--samples', '60000'));
const out = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(out, { recursive: true });

const st = Standardizer.mnist();
const train = st.transform(loadMNIST({ split: 'train', limit: SAMPLES }));
const test = st.transform(loadMNIST({ split: 'test' }));
console.log(`MNIST: ${train.length} train, ${test.length} test; ${EPOCHS} epochs each, device ${device}\n`);

function run(hidden, act) {
  const net = new FFNN(784, hidden, act, 10, { device, seed: 1 });
  const optimizer = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9, device });
  const t0 = performance.now();
  const losses = trainFFNN(net, train, optimizer, {
    epochs: EPOCHS,
    batchSize: 64,
    device,
    seed: 1,
    schedule: new CosineAnnealingLR(optimizer, { tMax: EPOCHS }),
  });
  const seconds = (performance.now() - t0) / 1000;
  const r = evaluate(net, test);
  const name = `784-${hidden.join('-')}-10 ${act}`;
  console.log(`  ${name.padEnd(26)} test accuracy ${(100 * r.accuracy).toFixed(2)}%  test loss ${r.loss.toFixed(4)}  ${seconds.toFixed(1)} s`);
  return losses;
}

async function compare(title, file, configs) {
  console.log(title);
  const runs = {};
  for (const [label, hidden, act] of configs) runs[label] = run(hidden, act);
  // a log axis separates curves that all end near 0 (it needs every loss > 0)
  const logScale = Object.values(runs).every((l) => l.every((v) => v > 0));
  await plotLosses(runs, `${out}${file}`, { title: `MNIST, ${title}`, logScale });
  console.log(`  plot: ${out}${file}\n`);
}

await compare('depth (ReLU, 128 units per hidden layer)', 'mnist-depth.png', [
  ['1 hidden layer', [128], 'relu'],
  ['2 hidden layers', [128, 128], 'relu'],
  ['3 hidden layers', [128, 128, 128], 'relu'],
]);
await compare('width (one ReLU hidden layer)', 'mnist-width.png', [
  ['32 units', [32], 'relu'],
  ['128 units', [128], 'relu'],
  ['512 units', [512], 'relu'],
]);
await compare('activation (784-256-128-10)', 'mnist-activation.png', [
  ['relu', [256, 128], 'relu'],
  ['sigmoid', [256, 128], 'sigmoid'],
  ['tanh', [256, 128], 'tanh'],
  ['swish', [256, 128], 'swish'],
  ['celu', [256, 128], 'celu'],
]);
