// the red-team table: hostile cases through the public API, the files and the CLI. each case is ESM
// run in a child process (ffnn in scope) with a timeout. `expect`: 'ok' (it must run and any check it
// makes must hold), or an error class and a regex its message must match (an error that names the
// function or option, what was expected, what came). the code throws Silent(...) when a result is
// wrong without an error, and DataLoss(...) when a file was destroyed. verdicts: OK / crash / hang /
// silent wrong / data loss / unclear error. `fast`: part of `npm test`; the rest runs with
// FFNN_REDTEAM=all (or node test/reliability/redteam/run.mjs)

import { MORE } from './cases-more.mjs';

const NET = `const net = new ffnn.FFNN(4, [5], 'relu', 3, { seed: 1, device: D });`;
const DS = `const ds = new ffnn.RandomDataset(16, 4, 3, { seed: 2 });`;
const DEVICES = ['js', 'native', 'wasm'];
const cases = [];
const add = (c) => cases.push(c);

for (const D of DEVICES) {
  const pre = `const D = ${JSON.stringify(D)};`;
  // shapes and lengths through the module API
  add({ id: `${D}: Linear.forward with the wrong width`, cls: 'shape', fast: true, code: `${pre} new ffnn.Linear(4, 2, { device: D }).forward(ffnn.Tensor.zeros([3, 5]));`, expect: ['RangeError', /x|forward/] });
  add({ id: `${D}: Linear.forward of a 1-d tensor`, cls: 'shape', code: `${pre} new ffnn.Linear(4, 2, { device: D }).forward(ffnn.Tensor.zeros([4]));`, expect: ['RangeError', /x/] });
  add({ id: `${D}: Linear.forward of a non-tensor`, cls: 'type', code: `${pre} new ffnn.Linear(4, 2, { device: D }).forward([[1, 2, 3, 4]]);`, expect: ['TypeError', /x/] });
  add({ id: `${D}: Linear.backward before forward`, cls: 'order', code: `${pre} new ffnn.Linear(4, 2, { device: D }).backward(ffnn.Tensor.zeros([3, 2]));`, expect: ['Error', /forward|backward/] });
  add({ id: `${D}: FFNN.forward with a float64 x on a float32 net`, cls: 'dtype', code: `${pre} ${NET} net.forward(ffnn.Tensor.zeros([2, 4], { dtype: 'float64' }));`, expect: ['Error', /dtype|float/] });
  add({ id: `${D}: FFNN.backward with class index out of range`, cls: 'value', fast: true, code: `${pre} ${NET} const x = ffnn.Tensor.zeros([2, 4]); const p = net.forward(x); net.backward(x, Int32Array.from([0, 7]), p);`, expect: ['RangeError', /7|class/] });
  add({ id: `${D}: FFNN.backward with a negative class index`, cls: 'value', code: `${pre} ${NET} const x = ffnn.Tensor.zeros([2, 4]); const p = net.forward(x); net.backward(x, Int32Array.from([0, -1]), p);`, expect: ['RangeError', /-1|class/] });
  add({ id: `${D}: trainFFNN epochs 0.5`, cls: 'option', code: `${pre} ${NET} ${DS} ffnn.trainFFNN(net, ds, new ffnn.SGD(net.parameters(), 0.1), { epochs: 0.5, verbose: 0 });`, expect: ['RangeError', /epochs/] });
  add({ id: `${D}: trainFFNN batchSize -1`, cls: 'option', code: `${pre} ${NET} ${DS} ffnn.trainFFNN(net, ds, new ffnn.SGD(net.parameters(), 0.1), { batchSize: -1, verbose: 0 });`, expect: ['RangeError', /batchSize/] });
  add({ id: `${D}: trainFFNN misspelt option`, cls: 'option', code: `${pre} ${NET} ${DS} ffnn.trainFFNN(net, ds, new ffnn.SGD(net.parameters(), 0.1), { epoch: 1, verbose: 0 });`, expect: ['TypeError', /epoch/] });
  add({ id: `${D}: trainFFNN dataset of the wrong width`, cls: 'shape', fast: true, code: `${pre} ${NET} ffnn.trainFFNN(net, new ffnn.RandomDataset(8, 5, 3), new ffnn.SGD(net.parameters(), 0.1), { verbose: 0 });`, expect: ['RangeError', /dataset|features/] });
  add({ id: `${D}: SGD lr NaN`, cls: 'option', code: `${pre} ${NET} new ffnn.SGD(net.parameters(), NaN);`, expect: ['RangeError', /lr/] });
  add({ id: `${D}: SGD lr -1`, cls: 'option', code: `${pre} ${NET} new ffnn.SGD(net.parameters(), -1);`, expect: ['RangeError', /lr/] });
  add({ id: `${D}: Adam betas [1, 0.9]`, cls: 'option', code: `${pre} ${NET} new ffnn.Adam(net.parameters(), { betas: [1, 0.9] });`, expect: ['RangeError', /betas/] });
  add({ id: `${D}: CELU alpha 0`, cls: 'option', code: `${pre} new ffnn.CELU({ alpha: 0, device: D });`, expect: ['RangeError', /alpha/] });
  add({ id: `${D}: CELU learnable alpha pushed below 0 stays in domain`, cls: 'silent', fast: true, code: `${pre} const a = new ffnn.CELU({ alpha: 1, learnable: true, device: D }); const net = new ffnn.FFNN(4, [5], [a], 3, { seed: 1, device: D }); a.param.data[0] = -3; ${DS} const l = ffnn.trainFFNN(net, ds, new ffnn.SGD(net.parameters(), 0.05), { epochs: 2, batchSize: 4, verbose: 0 }); if (!l.every(Number.isFinite)) throw new Silent('NaN loss');`, expect: 'ok' });
  add({ id: `${D}: Sequential ending in Softmax under CrossEntropyLoss`, cls: 'silent', fast: true, code: `${pre} const s = new ffnn.Sequential(new ffnn.Linear(4, 3, { device: D }), new ffnn.Softmax({ device: D })); ${DS} ffnn.evaluate(s, ds);`, expect: ['RangeError', /^evaluate: .*Softmax/] });
  add({ id: `${D}: gradcheck on a tiny net passes`, cls: 'silent', code: `${pre} const net = new ffnn.FFNN(3, [4], 'tanh', 2, { seed: 1, device: D, dtype: 'float64' }); const x = ffnn.Tensor.randn([3, 3], { seed: 1, dtype: 'float64' }); const r = ffnn.gradcheck(net, x, Int32Array.from([0, 1, 1])); if (!(r.relativeError < 1e-6)) throw new Silent('relative error ' + r.relativeError);`, expect: 'ok' });
  add({ id: `${D}: same seed, same losses`, cls: 'silent', code: `${pre} const run = () => { ${NET} ${DS} return ffnn.trainFFNN(net, ds, new ffnn.SGD(net.parameters(), 0.1), { epochs: 1, batchSize: 4, seed: 3, verbose: 0 }); }; const a = run(), b = run(); if (a.some((v, i) => !Object.is(v, b[i]))) throw new Silent('runs differ');`, expect: 'ok' });
  add({ id: `${D}: Linear.forward of a detached x`, cls: 'silent', code: `${pre} const x = ffnn.Tensor.zeros([2, 4]); structuredClone(x.data.buffer, { transfer: [x.data.buffer] }); new ffnn.Linear(4, 2, { device: D }).forward(x);`, expect: ['RangeError', /^x: .*detached/] });
  add({ id: `${D}: custom module output too wide for the next Linear`, cls: 'silent', code: `${pre} class W extends ffnn.Module { forward(x) { return ffnn.Tensor.zeros([x.shape[0], 6]); } backward(g) { return g; } toString() { return 'W'; } } new ffnn.Sequential(new W({ device: D }), new ffnn.Linear(4, 2, { device: D })).forward(ffnn.Tensor.zeros([3, 4]));`, expect: ['RangeError', /^W\.forward\(x\): expected a tensor of shape \[B, 4\]/] });
  add({ id: `${D}: custom module backward returns undefined`, cls: 'error', code: `${pre} class U extends ffnn.Module { forward(x) { return x; } backward() { return undefined; } toString() { return 'U'; } } const s = new ffnn.Sequential(new ffnn.Linear(4, 4, { device: D }), new U({ device: D })); s.forward(ffnn.Tensor.zeros([2, 4])); s.backward(ffnn.Tensor.zeros([2, 4]));`, expect: ['TypeError', /^U\.backward\(gradOut\): expected a Tensor/] });
  add({ id: `${D}: learnable CELU alpha NaN names alpha`, cls: 'error', code: `${pre} const a = new ffnn.CELU({ alpha: 1, learnable: true, device: D }); a.param.data[0] = NaN; a.forward(ffnn.Tensor.zeros([2, 3]));`, expect: ['RangeError', /^CELU learnable alpha/] });
  add({ id: `${D}: trainFFNN sync with stream {}`, cls: 'type', code: `${pre} ${NET} ${DS} ffnn.trainFFNN(net, ds, new ffnn.SGD(net.parameters(), 0.1), { verbose: 1, stream: {} });`, expect: ['TypeError', /stream/] });
}

// batches kept by the caller
add({ id: 'DataLoader: kept batches are distinct', cls: 'silent', fast: true, code: `const ds = new ffnn.RandomDataset(8, 2, 2, { seed: 1 }); const b = [...new ffnn.DataLoader(ds, { batchSize: 4 })]; if (b[0][0].data[0] === b[1][0].data[0] && b[0][0].data[1] === b[1][0].data[1]) throw new Silent('repeated batch');`, expect: 'ok' });
add({ id: 'DataLoader: batchSize 0', cls: 'option', code: `new ffnn.DataLoader(new ffnn.RandomDataset(8, 2, 2), { batchSize: 0 });`, expect: ['RangeError', /batchSize/] });
add({ id: 'DataLoader: not a dataset', cls: 'type', code: `new ffnn.DataLoader({}, { batchSize: 2 });`, expect: ['TypeError', /dataset/] });
add({ id: 'RandomDataset: N -1', cls: 'option', code: `new ffnn.RandomDataset(-1, 2, 2);`, expect: ['RangeError', /N|-1/] });
add({ id: 'Tensor.zeros negative dim', cls: 'shape', code: `ffnn.Tensor.zeros([-1, 2]);`, expect: ['RangeError', /shape/] });
add({ id: 'Tensor.from ragged rows', cls: 'shape', code: `ffnn.Tensor.from([[1, 2], [3]]);`, expect: ['RangeError', /row|shape|length/] });
add({ id: 'FFNN hidden [0]', cls: 'option', code: `new ffnn.FFNN(4, [0], 'relu', 3);`, expect: ['RangeError', /hidden/] });
add({ id: 'FFNN unknown activation', cls: 'option', code: `new ffnn.FFNN(4, [3], 'gelu', 3);`, expect: ['RangeError', /gelu|activation/] });

// files
const SAVE = `const net = new ffnn.FFNN(4, [3], 'relu', 2, { seed: 1, device: 'js' });`;
const MKFIFO = `const { execFileSync } = await import('node:child_process'); const fs = await import('node:fs'); const os = await import('node:os'); const path = await import('node:path'); const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-')); const fifo = path.join(dir, 'p'); execFileSync('mkfifo', [fifo]);`;
const KEEP = (p, kind) => `finally_ = () => { if (!fs.statSync(${p}).${kind}()) throw new DataLoss(${p} + ' replaced'); };`;
add({ id: 'saveModel onto a FIFO', cls: 'data loss', fast: true, code: `${MKFIFO} ${SAVE} let finally_; ${KEEP('fifo', 'isFIFO')} try { ffnn.saveModel(fifo, net); } finally { finally_(); }`, expect: ['RangeError', /^saveModel: .*a FIFO/] });
add({ id: 'saveModel onto a directory', cls: 'data loss', code: `${MKFIFO} ${SAVE} let finally_; ${KEEP('dir', 'isDirectory')} try { ffnn.saveModel(dir, net); } finally { finally_(); }`, expect: ['RangeError', /^saveModel: .*a directory/] });
add({ id: 'plotLosses onto a FIFO .svg', cls: 'data loss', code: `${MKFIFO} const f = fifo + '.svg'; execFileSync('mkfifo', [f]); let finally_; ${KEEP('f', 'isFIFO')} try { await ffnn.plotLosses({ a: [1, 0.5] }, f); } finally { finally_(); }`, expect: ['RangeError', /^plotLosses: .*a FIFO/] });
add({ id: 'saveModel into a missing folder names the path', cls: 'error', code: `${SAVE} ffnn.saveModel('/nonexistent-rt/m.safetensors', net);`, expect: ['Error', /^saveModel: cannot write "\/nonexistent-rt\/m.safetensors": its folder/] });
add({ id: 'loadModel of a missing file', cls: 'file', code: `ffnn.loadModel('/nonexistent-rt/m.safetensors');`, expect: ['FormatError', /nonexistent-rt/] });
add({ id: 'loadModel of a FIFO does not block', cls: 'file', code: `${MKFIFO} ffnn.loadModel(fifo);`, expect: ['FormatError', /not a file/] });
add({ id: 'loadModel of random bytes', cls: 'file', code: `${MKFIFO} const f = path.join(dir, 'x'); fs.writeFileSync(f, Buffer.alloc(64, 7)); ffnn.loadModel(f);`, expect: ['FormatError', /x/] });
add({ id: 'loadModel of an empty file', cls: 'file', code: `${MKFIFO} const f = path.join(dir, 'e'); fs.writeFileSync(f, ''); ffnn.loadModel(f);`, expect: ['FormatError', /e/] });
add({ id: 'saveModel/loadModel round trip', cls: 'silent', code: `${MKFIFO} ${SAVE} const f = path.join(dir, 'm.safetensors'); ffnn.saveModel(f, net); const m = ffnn.loadModel(f, { device: 'js' }); const a = net.parameters(), b = m.net.parameters(); a.forEach((p, i) => p.data.forEach((v, k) => { if (!Object.is(v, b[i].data[k])) throw new Silent('param ' + i); }));`, expect: 'ok' });

// concurrency and teardown
const ASYNC = `const net = new ffnn.FFNN(8, [8], 'relu', 3, { seed: 1 }); const ds = new ffnn.RandomDataset(64, 8, 3, { seed: 2 }); const opt = new ffnn.SGD(net.parameters(), 0.01);`;
add({ id: 'trainFFNNAsync stream.write throws', cls: 'crash', fast: true, own: true, code: `${ASYNC} await ffnn.trainFFNNAsync(net, ds, opt, { epochs: 2, batchSize: 8, verbose: 1, stream: { write() { throw new Error('x-write'); } } });`, expect: ['Error', /^x-write$/] });
add({ id: 'trainFFNNAsync twice on one net', cls: 'data loss', fast: true, code: `${ASYNC} const a = ffnn.trainFFNNAsync(net, ds, opt, { epochs: 2, verbose: 0 }); try { await ffnn.trainFFNNAsync(net, ds, opt, { epochs: 1, verbose: 0 }); } finally { await a; }`, expect: ['Error', /^trainFFNNAsync: net is already being trained/] });
add({ id: 'process.exit during trainFFNNAsync', cls: 'crash', fast: true, code: `${ASYNC} ffnn.trainFFNNAsync(net, new ffnn.RandomDataset(4000, 8, 3), opt, { epochs: 200, batchSize: 1, verbose: 0 }).catch(() => {}); await new Promise((r) => setTimeout(r, 250)); process.exit(0);`, expect: 'ok' });
add({ id: 'onStep throws in trainFFNNAsync', cls: 'crash', own: true, code: `${ASYNC} await ffnn.trainFFNNAsync(net, ds, opt, { epochs: 1, verbose: 0, onStep() { throw new Error('cb'); } });`, expect: ['Error', /^cb$/] });

export const CASES = [...cases, ...MORE];
