// the module view of backprop, after the course's autograd notebook: Sequential(Linear(784, 256),
// ReLU, Linear(256, 10)), a batch of 16 random inputs and targets, a summed squared error, SGD lr
// 0.001. shows that backward computes gradients without touching the weights, step() moves the
// weights, backward calls add up until zeroGrad(), and the loop with zeroGrad trains.
//   npm install && node examples/module-flow.mjs [--device js]
import { Linear, MSELoss, ReLU, Sequential, SGD, Tensor } from '../dist/index.js';

const device = process.argv.includes('--device') ? process.argv[process.argv.indexOf('--device') + 1] : 'native';
const [BATCH_SIZE, DIM_IN, HIDDEN_SIZE, DIM_OUT] = [16, 784, 256, 10];

const model = new Sequential(
  new Linear(DIM_IN, HIDDEN_SIZE, { device, seed: 1, init: 'torch' }),
  new ReLU({ device }),
  new Linear(HIDDEN_SIZE, DIM_OUT, { device, seed: 2, init: 'torch' }),
);
const someInput = Tensor.randn([BATCH_SIZE, DIM_IN], { seed: 3 });
const idealOutput = Tensor.randn([BATCH_SIZE, DIM_OUT], { seed: 4 });
const lossFn = new MSELoss({ device, reduction: 'sum' });
const last = model.at(2);

// our weight is [in, out]: torch's weight[0][0:10] (output unit 0, inputs 0..9) is column 0 here
const col0 = (t) => Array.from({ length: 10 }, (_, i) => t.data[i * DIM_OUT]);
const show = (label, t) => console.log(`${label.padEnd(24)} ${t === null ? 'null' : '[' + col0(t).map((v) => v.toFixed(4).padStart(8)).join(' ') + ' ]'}`);

console.log(`${model.toString()} on ${device}\n`);
show('weight[:10, 0]', last.weight);
show('grad', last.weight.grad);

const optimizer = new SGD(model.parameters(), 0.001);
let loss = lossFn.forward(model.forward(someInput), idealOutput);
console.log(`\nloss = sum (ideal - prediction)^2 = ${loss.toFixed(4)}  (no gradient until backward)`);
show('grad', last.weight.grad);

model.backward(lossFn.backward());
console.log('\nafter backward: gradients, weights unchanged');
show('weight[:10, 0]', last.weight);
show('grad', last.weight.grad);

optimizer.step();
console.log('\nafter optimizer.step(): weight -= 0.001 * grad');
show('weight[:10, 0]', last.weight);
show('grad', last.weight.grad);

const backwardTimes = (n) => {
  for (let i = 0; i < n; i++) {
    lossFn.forward(model.forward(someInput), idealOutput);
    model.backward(lossFn.backward());
  }
};
backwardTimes(5);
console.log('\nfive more forward/backward calls without zeroGrad: the gradients add up');
show('grad', last.weight.grad);
optimizer.zeroGrad();
console.log('\nafter optimizer.zeroGrad()');
show('grad', last.weight.grad);

backwardTimes(1);
const one = col0(last.weight.grad);
backwardTimes(4);
console.log('\ngradient accumulation: one backward, then four more on the same batch (no step between)');
console.log(`${'grad / one grad'.padEnd(24)} [${col0(last.weight.grad).map((v, i) => (v / one[i]).toFixed(2).padStart(8)).join(' ')} ]`);
optimizer.zeroGrad();

console.log('\nthe training loop: forward, loss, backward, step, zeroGrad');
for (let i = 1; i <= 30; i++) {
  loss = lossFn.forward(model.forward(someInput), idealOutput);
  model.backward(lossFn.backward());
  optimizer.step();
  optimizer.zeroGrad();
  if (i === 1 || i % 5 === 0) console.log(`  step ${String(i).padStart(3)}  loss ${loss.toFixed(4)}`);
}
