// reproduces the plain two-layer MLP of Simard, Steinkraus and Platt (ICDAR 2003, table 2: 784-800-10,
// cross-entropy, no distortions, 1.6% test error). model selection (the epoch kept) on a seeded
// validation split of the training set; the test set is used once, at the end.
//   npm run build && node examples/simard-2003.mjs [--seed 1] [--epochs 20] [--weight-decay 5e-4] [--device native]
import { CosineAnnealingLR, FFNN, SGD } from '../dist/index.js';
import { arg, mnist, report, trainSelected } from './mnist-recipe.mjs';

const device = arg('--device', 'native');
const seed = Number(arg('--seed', '1'));
const epochs = Number(arg('--epochs', '20'));
const weightDecay = Number(arg('--weight-decay', '5e-4'));
const { train, test } = mnist();

const net = new FFNN(784, [800], 'relu', 10, { device, seed });
// L2 on the weight matrices only (a parameter group each): the biases are left free, as is usual
const optimizer = new SGD(
  [{ params: net.weights(), weightDecay }, { params: net.biases(), weightDecay: 0 }],
  { lr: 0.1, momentum: 0.9, device },
);
const r = trainSelected(net, train, optimizer, { epochs, seed, schedule: new CosineAnnealingLR(optimizer, { tMax: epochs }) });
report(`simard-2003 seed ${seed}`, net, test, '1.6', r, device);
