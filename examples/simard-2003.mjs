// reproduces the plain two-layer MLP of Simard, Steinkraus and Platt (ICDAR 2003, table 2: 784-800-10,
// cross-entropy, no distortions, 1.6% test error). model selection (the epoch kept) on a seeded
// validation split of the training set; the test set is used once, at the end.
//   npm run build && node examples/simard-2003.mjs [--seed 1] [--epochs 20] [--weight-decay 5e-4] [--device native]
import { CosineAnnealingLR, FFNN, SGD, Standardizer, evaluate, loadMNIST, trainFFNN } from '../dist/index.js';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const device = arg('--device', 'native');
const seed = Number(arg('--seed', '1'));
const epochs = Number(arg('--epochs', '20'));
const weightDecay = Number(arg('--weight-decay', '5e-4'));

const st = Standardizer.mnist();
const train = st.transform(loadMNIST({ split: 'train' }));
const test = st.transform(loadMNIST({ split: 'test' }));

const net = new FFNN(784, [800], 'relu', 10, { device, seed });
// L2 on the weight matrices only (a parameter group each): the biases are left free, as is usual
const optimizer = new SGD(
  [{ params: net.weights(), weightDecay }, { params: net.biases(), weightDecay: 0 }],
  { lr: 0.1, momentum: 0.9, device },
);
let best = { epoch: 0, accuracy: -1 };
const t0 = performance.now();
trainFFNN(net, train, optimizer, {
  epochs,
  batchSize: 100,
  seed,
  verbose: 0,
  schedule: new CosineAnnealingLR(optimizer, { tMax: epochs }),
  // 5,000 of the 60,000 training images, never trained on: they choose the epoch kept
  validationSplit: 1 / 12,
  earlyStopping: { monitor: 'accuracy', patience: epochs, restoreBest: true },
  onEpoch: ({ epoch, loss, seconds, validation }) => {
    if (validation.accuracy > best.accuracy) best = { epoch, accuracy: validation.accuracy };
    console.log(`epoch ${epoch}: train loss ${loss.toFixed(4)}, validation error ${(100 * (1 - validation.accuracy)).toFixed(2)}%, ${seconds.toFixed(1)} s`);
  },
});
const seconds = (performance.now() - t0) / 1000;
const r = evaluate(net, test);
console.log(
  `simard-2003 seed ${seed}: test error ${(100 * (1 - r.accuracy)).toFixed(2)}% (paper 1.6%), ` +
    `epoch ${best.epoch} kept (validation error ${(100 * (1 - best.accuracy)).toFixed(2)}%), ` +
    `training ${seconds.toFixed(1)} s on device ${device}`,
);
