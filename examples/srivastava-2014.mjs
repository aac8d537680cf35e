// reproduces the dropout network of Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov (JMLR
// 2014, table 2): ReLU, 3 hidden layers of 1024, dropout 0.2 on the input and 0.5 on the hidden layers
// (1.25% test error), and with a max-norm constraint on each unit's incoming weights (1.06%). model
// selection (the epoch kept) on a seeded validation split of the training set; the test set is used
// once, at the end. SGD lr 0.05 with nesterov momentum 0.95 (lr 0.1 diverged on seed 1), a cosine lr, batch 100.
//   npm run build && node examples/srivastava-2014.mjs [--seed 1] [--epochs 50] [--max-norm 3.5] [--lr 0.05] [--device native]
//   (--max-norm 0: the row without max-norm)
import { CosineAnnealingLR, Dropout, Linear, ReLU, SGD, Sequential, Standardizer, evaluate, loadMNIST, trainFFNN } from '../dist/index.js';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const device = arg('--device', 'native');
const seed = Number(arg('--seed', '1'));
const epochs = Number(arg('--epochs', '50'));
const maxNorm = Number(arg('--max-norm', '3.5'));
const lr = Number(arg('--lr', '0.05'));

const st = Standardizer.mnist();
const train = st.transform(loadMNIST({ split: 'train' }));
const test = st.transform(loadMNIST({ split: 'test' }));

const o = { device, seed };
const net = new Sequential(
  new Dropout(0.2, { device, seed }),
  new Linear(784, 1024, o), new ReLU(), new Dropout(0.5, { device, seed: seed + 1 }),
  new Linear(1024, 1024, { device, seed: seed + 2 }), new ReLU(), new Dropout(0.5, { device, seed: seed + 3 }),
  new Linear(1024, 1024, { device, seed: seed + 4 }), new ReLU(), new Dropout(0.5, { device, seed: seed + 5 }),
  new Linear(1024, 10, { device, seed: seed + 6 }),
);
// max-norm on the weight matrices (2-D parameters); the biases are not constrained
const optimizer = new SGD(net.parameters(), { lr, momentum: 0.95, nesterov: true, maxNorm, device });
let best = { epoch: 0, accuracy: -1 };
const t0 = performance.now();
trainFFNN(net, train, optimizer, {
  epochs,
  batchSize: 100,
  seed,
  verbose: 0,
  schedule: new CosineAnnealingLR(optimizer, { tMax: epochs }),
  validationSplit: 1 / 12,
  earlyStopping: { monitor: 'accuracy', patience: epochs, restoreBest: true },
  onEpoch: ({ epoch, loss, seconds, validation }) => {
    if (validation.accuracy > best.accuracy) best = { epoch, accuracy: validation.accuracy };
    console.log(`epoch ${epoch}: train loss ${loss.toFixed(4)}, validation error ${(100 * (1 - validation.accuracy)).toFixed(2)}%, ${seconds.toFixed(1)} s`);
  },
});
const seconds = (performance.now() - t0) / 1000;
net.eval();
const r = evaluate(net, test);
console.log(
  `srivastava-2014 seed ${seed} max-norm ${maxNorm}: test error ${(100 * (1 - r.accuracy)).toFixed(2)}% ` +
    `(paper ${maxNorm > 0 ? '1.06' : '1.25'}%), epoch ${best.epoch} kept (validation error ${(100 * (1 - best.accuracy)).toFixed(2)}%), ` +
    `training ${seconds.toFixed(1)} s on device ${device}`,
);
