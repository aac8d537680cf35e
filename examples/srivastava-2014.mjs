// reproduces the dropout network of Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov (JMLR
// 2014, table 2): ReLU, 3 hidden layers of 1024, dropout 0.2 on the input and 0.5 on the hidden layers
// (1.25% test error), and with a max-norm constraint on each unit's incoming weights (1.06%). model
// selection (the epoch kept) on a seeded validation split of the training set; the test set is used
// once, at the end. the paper's recipe: SGD with momentum 0.95, max-norm c in 3-4, a decaying lr, long
// training; here nesterov momentum 0.95, c 3.5, a cosine lr over the run, batch 100, through the fused step.
//   npm run build && node examples/srivastava-2014.mjs [--seed 1] [--epochs 50] [--max-norm 3.5] [--lr 0.02] [--momentum 0.95] [--warmup 0] [--device native]
//   (--warmup E: the lr rises linearly from a tenth over the first E epochs, then the cosine over the rest)
//   (--max-norm 0: the row without max-norm)
//   (--full: all 60,000 training images for --epochs chosen on the validation split by the runs
//   without it, the last epoch tested: the second stage of the paper's protocol)
import { CosineAnnealingLR, Dropout, Linear, LinearLR, ReLU, SGD, Sequential, SequentialLR } from '../dist/index.js';
import { arg, mnist, report, trainSelected } from './mnist-recipe.mjs';

const device = arg('--device', 'native');
const seed = Number(arg('--seed', '1'));
const epochs = Number(arg('--epochs', '50'));
const maxNorm = Number(arg('--max-norm', '3.5'));
const lr = Number(arg('--lr', '0.02'));
const momentum = Number(arg('--momentum', '0.95'));
const warmup = Number(arg('--warmup', '0'));
const full = process.argv.includes('--full');
const { train, test } = mnist();

const net = new Sequential(
  new Dropout(0.2, { device, seed }),
  new Linear(784, 1024, { device, seed }), new ReLU(), new Dropout(0.5, { device, seed: seed + 1 }),
  new Linear(1024, 1024, { device, seed: seed + 2 }), new ReLU(), new Dropout(0.5, { device, seed: seed + 3 }),
  new Linear(1024, 1024, { device, seed: seed + 4 }), new ReLU(), new Dropout(0.5, { device, seed: seed + 5 }),
  new Linear(1024, 10, { device, seed: seed + 6 }),
);
// max-norm on the weight matrices (2-D parameters); the biases are not constrained
const optimizer = new SGD(net.parameters(), { lr, momentum, nesterov: true, maxNorm, device });
const cosine = (tMax) => new CosineAnnealingLR(optimizer, { tMax });
const schedule = warmup > 0
  ? new SequentialLR(optimizer, { schedulers: [new LinearLR(optimizer, { startFactor: 0.1, totalIters: warmup, interval: 'epoch' }), cosine(epochs - warmup)], milestones: [warmup] })
  : cosine(epochs);
const r = trainSelected(net, train, optimizer, { epochs, seed, schedule, full });
report(`srivastava-2014 seed ${seed} epochs ${epochs}${full ? ' full' : ''} lr ${lr} warmup ${warmup} momentum ${momentum} max-norm ${maxNorm}`, net, test, maxNorm > 0 ? '1.06' : '1.25', r, device);
