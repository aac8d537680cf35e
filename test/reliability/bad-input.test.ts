// the bad-input matrix: every public function and constructor driven with wrong types, wrong shapes
// and lengths, NaN and Inf, negative / zero / fractional sizes, sizes whose product overflows (a
// RangeError before anything is allocated), empty datasets and zero-size batches, labels out of range
// or fractional, mixed dtypes and devices, missing / directory / truncated / foreign files. each row
// is one distinct bad input: the exact error class (TypeError, RangeError, or ffnn's FormatError for a
// file) and a message naming the argument, "<name>: expected <what>, received <what came>".
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  Adam, AdamW, CELoss, CELU, CategoricalCELoss, CosineAnnealingLR, CrossEntropyLoss, DataLoader, Dropout,
  ExponentialLR, FFNN, FormatError, Linear, MSELoss, Parameter, RandomDataset, ReLU, SGD, Sequential, Sigmoid,
  Softmax, Standardizer, StepLR, Swish, Tanh, Tensor, TensorDataset, backendInfo, evaluate, getKernels,
  gradcheck, loadMNIST, loadSafetensors, plotLosses, saveSafetensors, setNumThreads, trainFFNN,
} from '../../src/index.js';
import { loadModel, saveModel } from '../../src/train/checkpoint.js';

type ErrorClass = new (...args: never[]) => Error;

interface Row {
  label: string;
  run: () => unknown;
  cls: ErrorClass;
  // names the argument (and, where it says more, what was expected or received)
  msg: RegExp;
  // a promise-returning function: must reject, not throw synchronously
  async?: boolean;
  // must fail before allocating: well under a second, whatever the sizes say
  fast?: boolean;
}

const rows: Row[] = [];
function bad(label: string, run: () => unknown, cls: ErrorClass, msg: RegExp, extra: Partial<Row> = {}): void {
  rows.push({ label, run, cls, msg, ...extra });
}
// sizes whose product overflows or would exceed memory
function huge(label: string, run: () => unknown, msg: RegExp): void {
  bad(label, run, RangeError, msg, { fast: true });
}

const dir = mkdtempSync(join(tmpdir(), 'ffnn-bad-input-'));
const f32 = (n: number) => new Float32Array(n);
const f64 = (n: number) => new Float64Array(n);
const nanTensor = (shape: number[], at = 0, v = NaN) => {
  const t = Tensor.zeros(shape);
  t.data[at] = v;
  return t;
};

// ---------------------------------------------------------------------------------------- Tensor
bad('Tensor.zeros: shape not an array', () => Tensor.zeros(3 as never), TypeError, /^shape: expected an array/);
bad('Tensor.zeros: shape element a string', () => Tensor.zeros(['2'] as never), TypeError, /^shape\[0\]: expected a non-negative integer, received "2"/);
bad('Tensor.zeros: negative size', () => Tensor.zeros([2, -1]), RangeError, /^shape\[1\]: expected a non-negative integer, received -1/);
bad('Tensor.zeros: fractional size', () => Tensor.zeros([1.5]), RangeError, /^shape\[0\].*received 1\.5/);
bad('Tensor.zeros: NaN size', () => Tensor.zeros([NaN]), RangeError, /^shape\[0\].*received NaN/);
bad('Tensor.zeros: Infinity size', () => Tensor.zeros([Infinity]), RangeError, /^shape\[0\].*received Infinity/);
huge('Tensor.zeros: [2^20, 2^20] overflows', () => Tensor.zeros([2 ** 20, 2 ** 20]), /^shape: expected at most 2147483647 elements/);
huge('Tensor.zeros: [2^31] (one over the limit)', () => Tensor.zeros([2 ** 31]), /^shape\[0\]: expected at most 2147483647, received 2147483648/);
huge('Tensor.zeros: 2^53 size', () => Tensor.zeros([2 ** 53, 2]), /^shape\[0\]: expected at most/);
bad('Tensor.zeros: options.dtype unknown', () => Tensor.zeros([2], { dtype: 'int32' as never }), RangeError, /^options\.dtype: expected one of 'float32', 'float64', received "int32"/);
bad('Tensor.zeros: options not an object', () => Tensor.zeros([2], 'float64' as never), TypeError, /^options: expected an options object, received "float64"/);
bad('Tensor.full: NaN value', () => Tensor.full([2], NaN), RangeError, /^value: expected a finite number, received NaN/);
bad('Tensor.from: a string', () => Tensor.from('abc' as never), TypeError, /^values: expected/);
bad('Tensor.from: ragged nesting', () => Tensor.from([[1, 2], [3]]), RangeError, /^values\[1\]: expected an array of length 2/);
bad('Tensor.from: a non-number element', () => Tensor.from([1, 'x'] as never), TypeError, /^values\[1\]: expected a number, received "x"/);
bad('Tensor.from: BigInt64Array', () => Tensor.from(new BigInt64Array(2) as never), TypeError, /^values: expected a number array/);
bad('Tensor.from: options.shape of another size', () => Tensor.from([1, 2, 3], { shape: [2, 2] }), RangeError, /^options\.shape: expected a shape with 3 elements, received "?\[2, 2\]/);
bad('Tensor.from: options.shape negative', () => Tensor.from([1, 2], { shape: [-2, -1] }), RangeError, /^options\.shape\[0\]/);
bad('Tensor constructor: data a plain array', () => new Tensor([1, 2] as never, [2]), TypeError, /^data: expected a Float32Array or Float64Array, received an array of length 2/);
bad('Tensor constructor: data of another length', () => new Tensor(f32(3), [2, 2]), RangeError, /^data: expected 4 elements for shape \[2, 2\], received a Float32Array of length 3/);
bad('Tensor constructor: Int32Array data', () => new Tensor(new Int32Array(2) as never, [2]), TypeError, /^data: expected a Float32Array or Float64Array, received a Int32Array/);
bad('Tensor.randn: negative std', () => Tensor.randn([2], { std: -1 }), RangeError, /^options\.std: expected a number >= 0, received -1/);
bad('Tensor.randn: fractional seed', () => Tensor.randn([2], { seed: 1.5 }), RangeError, /^options\.seed: expected an integer.*received 1\.5/);
bad('Tensor.randn: NaN mean', () => Tensor.randn([2], { mean: NaN }), RangeError, /^options\.mean: expected a finite number, received NaN/);
huge('Tensor.randn: overflowing shape', () => Tensor.randn([2 ** 16, 2 ** 16]), /^shape: expected at most/);
bad('Tensor.oneHot: label out of range', () => Tensor.oneHot([0, 3], 3), RangeError, /^labels\[1\]: expected an integer class index in \[0, 2\], received 3/);
bad('Tensor.oneHot: negative label', () => Tensor.oneHot([-1], 3), RangeError, /^labels\[0\].*received -1/);
bad('Tensor.oneHot: fractional label', () => Tensor.oneHot([0.5], 3), RangeError, /^labels\[0\].*received 0\.5/);
bad('Tensor.oneHot: NaN label', () => Tensor.oneHot([NaN], 3), RangeError, /^labels\[0\].*received NaN/);
bad('Tensor.oneHot: zero classes', () => Tensor.oneHot([0], 0), RangeError, /^C: expected an integer in \[1, 2147483647\], received 0/);
bad('Tensor.oneHot: labels a number', () => Tensor.oneHot(3 as never, 3), TypeError, /^labels: expected an array/);
huge('Tensor.oneHot: C overflows with the batch', () => Tensor.oneHot(new Int32Array(4), 2 ** 30), /^shape: expected at most/);
bad('Tensor.zeros: a misspelt option', () => Tensor.zeros([2], { dtyp: 'float64' } as never), TypeError, /^options\.dtyp: expected no such option/);
bad('Tensor.randn: a misspelt option', () => Tensor.randn([2], { sed: 1 } as never), TypeError, /^options\.sed: expected no such option/);
bad('Tensor.from: a misspelt option', () => Tensor.from([1, 2], { shap: [2, 1] } as never), TypeError, /^options\.shap: expected no such option/);
bad('Tensor.zeros: a huge dimension beside a zero (no NaN count)', () => Tensor.zeros([1e200, 1e200, 0]), RangeError, /^shape\[0\]: expected at most 2147483647, received 1e\+200/);
bad('Tensor.oneHot: 2^31 classes', () => Tensor.oneHot([0], 2 ** 31), RangeError, /^C: expected an integer in \[1, 2147483647\]/);
bad('Parameter.fromTensor: null', () => Parameter.fromTensor(null as never), TypeError, /^t: expected a Tensor, received null/);
bad('Tensor.data: a shorter array', () => { Tensor.zeros([4, 2]).data = f32(1); }, RangeError, /^data: expected 8 elements for shape \[4, 2\], received a Float32Array of length 1/);
bad('Tensor.data: another dtype', () => { Tensor.zeros([2]).data = new Float64Array(2); }, TypeError, /^data: expected a Float32Array \(the tensor's dtype\), received a Float64Array/);
bad('Tensor.reshape: another size', () => Tensor.zeros([2, 3]).reshape([4, 2]), RangeError, /^shape: expected a shape with 6 elements, received "?\[4, 2\]/);
bad('Tensor.reshape: fractional', () => Tensor.zeros([2, 3]).reshape([1.5, 4]), RangeError, /^shape\[0\]/);
bad('Tensor.to: unknown dtype', () => Tensor.zeros([2]).to('float16' as never), RangeError, /^dtype: expected one of/);
bad('Parameter: name a number', () => new Parameter(f32(2), [2], 5 as never), TypeError, /^name: expected a string, received 5/);
bad('Parameter: shape of another size', () => new Parameter(f32(2), [3]), RangeError, /^data: expected 3 elements/);

// --------------------------------------------------------------------------------- backend settings
bad('setNumThreads: 0', () => setNumThreads(0), RangeError, /^n: expected an integer in \[1, 256\], received 0/);
bad('setNumThreads: 1.5', () => setNumThreads(1.5), RangeError, /^n: expected an integer.*received 1\.5/);
bad('setNumThreads: NaN', () => setNumThreads(NaN), RangeError, /^n: expected an integer.*received NaN/);
bad('setNumThreads: a string', () => setNumThreads('2' as never), TypeError, /^n: expected an integer, received "2"/);
bad('setNumThreads: 2^31', () => setNumThreads(2 ** 31), RangeError, /^n: expected an integer in \[1, 256\]/);
bad('getKernels: unknown device', () => getKernels('gpu' as never), RangeError, /^device: expected one of 'native', 'js', 'wasm', received "gpu"/);
bad('backendInfo: device a number', () => backendInfo(1 as never), TypeError, /^device: expected one of/);

// ------------------------------------------------------------------------- checked kernels, per device
for (const device of ['native', 'js', 'wasm'] as const) {
  const k = getKernels(device);
  const d = `getKernels('${device}')`;
  bad(`${d}.gemm: a too short`, () => k.gemm(false, false, 2, 2, 2, 1, f32(3), f32(4), 0, f32(4)), RangeError, /^gemm: a: expected at least 4 elements, received a Float32Array of length 3/);
  bad(`${d}.gemm: mixed dtypes`, () => k.gemm(false, false, 2, 2, 2, 1, f32(4), f64(4) as never, 0, f32(4)), TypeError, /^gemm: b: expected a Float32Array, received a Float64Array/);
  bad(`${d}.gemm: negative M`, () => k.gemm(false, false, -1, 2, 2, 1, f32(4), f32(4), 0, f32(4)), RangeError, /^gemm: M: expected an integer >= 0, received -1/);
  bad(`${d}.gemm: fractional K`, () => k.gemm(false, false, 2, 2, 1.5, 1, f32(4), f32(4), 0, f32(4)), RangeError, /^gemm: K: .*received 1\.5/);
  huge(`${d}.gemm: M * K overflows`, () => k.gemm(false, false, 2 ** 31, 2 ** 31, 2 ** 31, 1, f32(4), f32(4), 0, f32(4)), /^gemm: /);
  bad(`${d}.gemm: transA not a boolean`, () => k.gemm(0 as never, false, 2, 2, 2, 1, f32(4), f32(4), 0, f32(4)), TypeError, /^gemm: transA: expected a boolean, received 0/);
  bad(`${d}.gemm: NaN alpha`, () => k.gemm(false, false, 1, 1, 1, NaN, f32(1), f32(1), 0, f32(1)), RangeError, /^gemm: alpha: expected a finite number, received NaN/);
  bad(`${d}.gemm: Int32Array c`, () => k.gemm(false, false, 1, 1, 1, 1, f32(1), f32(1), 0, new Int32Array(1) as never), TypeError, /^gemm: c: expected a Float32Array/);
  bad(`${d}.biasAct: unknown act code`, () => k.biasAct(1, 2, f32(2), null, 9, 0, f32(2), null), RangeError, /^biasAct: act: expected an activation code/);
  bad(`${d}.biasAct: celu alpha 0`, () => k.biasAct(1, 2, f32(2), null, 5, 0, f32(2), null), RangeError, /^biasAct: param: expected a non-zero celu alpha, received 0/);
  bad(`${d}.biasAct: bias too short`, () => k.biasAct(1, 2, f32(2), f32(1), 1, 0, f32(2), null), RangeError, /^biasAct: bias: expected at least 2 elements/);
  bad(`${d}.actBackward: gradIn a plain array`, () => k.actBackward(1, 2, f32(2), f32(2), 1, 0, [0, 0] as never, null), TypeError, /^actBackward: gradIn: expected a Float32Array/);
  bad(`${d}.softmax: y too short`, () => k.softmax(2, 3, f32(6), f32(5)), RangeError, /^softmax: y: expected at least 6 elements/);
  bad(`${d}.softmaxCrossEntropy: class index out of range`, () => k.softmaxCrossEntropy(2, 3, f32(6), Int32Array.from([0, 3]), null, null), RangeError, /^softmaxCrossEntropy: target\[1\]: expected a class index in \[0, 3\), received 3/);
  bad(`${d}.categoricalCELoss: negative class index`, () => k.categoricalCELoss(1, 3, f32(3), Int32Array.from([-1]), true, 1e-8), RangeError, /^categoricalCELoss: target\[0\].*received -1/);
  bad(`${d}.categoricalCELoss: Float32Array target`, () => k.categoricalCELoss(1, 3, f32(3), f32(1) as never, true, 1e-8), TypeError, /^categoricalCELoss: target: expected an Int32Array/);
  bad(`${d}.ceLoss: negative epsilon`, () => k.ceLoss(1, 2, f32(2), f32(2), true, -1), RangeError, /^ceLoss: epsilon: /);
  bad(`${d}.mseLoss: unknown reduction`, () => k.mseLoss(2, f32(2), f32(2), 'max' as never, null), RangeError, /^mseLoss: reduction: expected one of 'sum', 'mean', received "max"/);
  bad(`${d}.sgdStep: NaN lr`, () => k.sgdStep(2, f32(2), f32(2), null, { lr: NaN, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, firstStep: true }), RangeError, /^sgdStep: o\.lr: .*received NaN/);
  bad(`${d}.sgdStep: options missing`, () => k.sgdStep(2, f32(2), f32(2), null, undefined as never), TypeError, /^sgdStep: o: expected an options object, received undefined/);
  bad(`${d}.adamStep: step 0`, () => k.adamStep(2, f32(2), f32(2), f32(2), f32(2), { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 0 }), RangeError, /^adamStep: o\.step: .*received 0/);
  bad(`${d}.adamStep: beta1 1`, () => k.adamStep(2, f32(2), f32(2), f32(2), f32(2), { lr: 0.1, beta1: 1, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 }), RangeError, /^adamStep: o\.beta1: .*received 1/);
  bad(`${d}.linearForward: w too short`, () => k.linearForward(2, 3, 4, f32(6), f32(11), null, 1, 0, f32(8), null), RangeError, /^linearForward: w: expected at least 12 elements/);
  bad(`${d}.linearBackward: accumulate not a boolean`, () => k.linearBackward(1, 1, 1, f32(1), f32(1), f32(1), f32(1), 1, 0, f32(1), f32(1), null, null, 1 as never), TypeError, /^linearBackward: accumulate: expected a boolean, received 1/);
  bad(`${d}.setNumThreads: 0`, () => k.setNumThreads(0), RangeError, /setNumThreads: n: expected an integer/);
}

// --------------------------------------------------------------------------------------- modules
for (const device of ['native', 'js', 'wasm'] as const) {
  const D = `[${device}]`;
  const lin = new Linear(3, 2, { device, seed: 1 });
  bad(`${D} Linear: inFeatures 0`, () => new Linear(0, 2, { device }), RangeError, /^inFeatures: expected an integer >= 1, received 0/);
  bad(`${D} Linear: fractional outFeatures`, () => new Linear(2, 2.5, { device }), RangeError, /^outFeatures: .*received 2\.5/);
  bad(`${D} Linear: negative inFeatures`, () => new Linear(-3, 2, { device }), RangeError, /^inFeatures: .*received -3/);
  bad(`${D} Linear: NaN inFeatures`, () => new Linear(NaN, 2, { device }), RangeError, /^inFeatures: .*received NaN/);
  bad(`${D} Linear: string inFeatures`, () => new Linear('3' as never, 2, { device }), TypeError, /^inFeatures: expected an integer, received "3"/);
  huge(`${D} Linear: 1e6 x 1e6 weight`, () => new Linear(1e6, 1e6, { device }), /(inFeatures \* outFeatures|weight|shape).*expected at most/);
  bad(`${D} Linear: unknown init`, () => new Linear(2, 2, { device, init: 'he' as never }), RangeError, /^options\.init: expected one of .*received "he"/);
  bad(`${D} Linear: bias not a boolean`, () => new Linear(2, 2, { device, bias: 1 as never }), TypeError, /^options\.bias: expected a boolean, received 1/);
  bad(`${D} Linear: unknown dtype`, () => new Linear(2, 2, { device, dtype: 'half' as never }), RangeError, /^(Linear )?options\.dtype: expected one of/);
  bad(`${D} Linear: unknown device`, () => new Linear(2, 2, { device: 'cuda' as never }), RangeError, /^(Linear )?options\.device: expected one of 'native', 'js', 'wasm', received "cuda"/);
  bad(`${D} Linear.forward: wrong width`, () => lin.forward(Tensor.zeros([4, 5])), RangeError, /^x: expected a tensor of shape \[B, 3\].*received a Tensor of shape \[4, 5\]/);
  bad(`${D} Linear.forward: zero-size batch`, () => lin.forward(Tensor.zeros([0, 3])), RangeError, /^x: expected .*received a Tensor of shape \[0, 3\]/);
  bad(`${D} Linear.forward: rank 1`, () => lin.forward(Tensor.zeros([3])), RangeError, /^x: expected a tensor of shape \[B, 3\]/);
  bad(`${D} Linear.forward: float64 input to a float32 layer`, () => lin.forward(Tensor.zeros([1, 3], { dtype: 'float64' })), TypeError, /^x: expected a float32 tensor.*received a float64 tensor/);
  bad(`${D} Linear.forward: a plain array`, () => lin.forward([[1, 2, 3]] as never), TypeError, /^x: expected a Tensor/);
  bad(`${D} Linear.forward: NaN input`, () => lin.forward(nanTensor([1, 3], 2)), RangeError, /^x: expected finite values, received NaN at \[0, 2\]/);
  bad(`${D} Linear.forward: Infinity input`, () => lin.forward(nanTensor([1, 3], 0, Infinity)), RangeError, /^x: expected finite values, received Infinity/);
  bad(`${D} Linear.backward: before forward`, () => new Linear(3, 2, { device }).backward(Tensor.zeros([1, 2])), Error, /backward.*forward/i);
  bad(`${D} Linear.backward: wrong gradOut shape`, () => (lin.forward(Tensor.zeros([2, 3])), lin.backward(Tensor.zeros([3, 2]))), RangeError, /^gradOut: expected a tensor of shape \[2, 2\]/);
  bad(`${D} Linear.backward: NaN gradOut`, () => (lin.forward(Tensor.zeros([1, 3])), lin.backward(nanTensor([1, 2]))), RangeError, /^gradOut: expected finite values, received NaN/);
  for (const [name, make] of [['ReLU', () => new ReLU({ device })], ['Sigmoid', () => new Sigmoid({ device })], ['Tanh', () => new Tanh({ device })],
    ['Swish', () => new Swish({ device })], ['CELU', () => new CELU({ device })], ['Softmax', () => new Softmax({ device })], ['Dropout', () => new Dropout(0.5, { device, seed: 1 })]] as const) {
    bad(`${D} ${name}.forward: a number`, () => make().forward(3 as never), TypeError, /^x: expected a Tensor, received 3/);
    bad(`${D} ${name}.forward: NaN`, () => make().forward(nanTensor([1, 2], 1)), RangeError, /^x: expected finite values, received NaN/);
    bad(`${D} ${name}.backward: shape unlike the forward`, () => { const m = make(); m.forward(Tensor.zeros([2, 2])); return m.backward(Tensor.zeros([2, 3])); }, RangeError, /^gradOut: expected a tensor of shape \[2, 2\]/);
  }
  bad(`${D} Swish: NaN beta`, () => new Swish({ device, beta: NaN }), RangeError, /^options\.beta: expected a finite number, received NaN/);
  bad(`${D} Swish: learnable not a boolean`, () => new Swish({ device, learnable: 'yes' as never }), TypeError, /^options\.learnable: expected a boolean/);
  bad(`${D} CELU: alpha 0`, () => new CELU({ device, alpha: 0 }), RangeError, /^options\.alpha: expected .*received 0/);
  bad(`${D} CELU: alpha Infinity`, () => new CELU({ device, alpha: Infinity }), RangeError, /^options\.alpha: expected .*received Infinity/);
  bad(`${D} Dropout: p 1.5`, () => new Dropout(1.5, { device }), RangeError, /^p: expected .*received 1\.5/);
  bad(`${D} Dropout: p -0.1`, () => new Dropout(-0.1, { device }), RangeError, /^p: expected .*received -0\.1/);
  bad(`${D} Dropout: p NaN`, () => new Dropout(NaN, { device }), RangeError, /^p: expected .*received NaN/);
  bad(`${D} Sequential: a number as a module`, () => new Sequential(new Linear(2, 2, { device }), 3 as never), TypeError, /^modules\[1\]: expected a Module or an activation name, received 3/);
  bad(`${D} Sequential: unknown activation name`, () => new Sequential(new Linear(2, 2, { device }), 'gelu' as never), RangeError, /^modules\[1\]: expected .*received "gelu"/);
  bad(`${D} Sequential: mixed devices`, () => new Sequential(new Linear(2, 2, { device: 'native' }), new Linear(2, 2, { device: 'js' })), TypeError, /^modules\[1\]: expected device 'native'.*received a Linear on device 'js'/);
  bad(`${D} Sequential: mixed dtypes`, () => new Sequential(new Linear(2, 2, { device }), new Linear(2, 2, { device, dtype: 'float64' })), TypeError, /^modules\[1\]: expected dtype 'float32'.*float64/);
  bad(`${D} Sequential.forward: widths that do not chain`, () => new Sequential(new Linear(2, 3, { device }), new Linear(4, 1, { device })).forward(Tensor.zeros([1, 2])), RangeError, /^modules\[1\]: expected a Linear with 3 /);

  // FFNN
  const net = new FFNN(4, [3], ['relu'], 3, { device, seed: 1 });
  const x = Tensor.randn([2, 4], { seed: 2 });
  const yp = net.forward(x);
  bad(`${D} FFNN: F 0`, () => new FFNN(0, [3], 'relu', 3, { device }), RangeError, /^F: expected an integer >= 1, received 0/);
  bad(`${D} FFNN: C fractional`, () => new FFNN(4, [3], 'relu', 2.5, { device }), RangeError, /^C: .*received 2\.5/);
  bad(`${D} FFNN: C 0`, () => new FFNN(4, [3], 'relu', 0, { device }), RangeError, /^C: expected an integer >= 1, received 0/);
  bad(`${D} FFNN: hidden not an array`, () => new FFNN(4, 3 as never, 'relu', 3, { device }), TypeError, /^hidden: expected an array/);
  bad(`${D} FFNN: a hidden size 0`, () => new FFNN(4, [3, 0], 'relu', 3, { device }), RangeError, /^hidden\[1\]: expected an integer >= 1, received 0/);
  bad(`${D} FFNN: a hidden size NaN`, () => new FFNN(4, [NaN], 'relu', 3, { device }), RangeError, /^hidden\[0\]: .*received NaN/);
  bad(`${D} FFNN: activations of another length`, () => new FFNN(4, [3, 3], ['relu'], 3, { device }), RangeError, /^activations: expected 2 activations/);
  bad(`${D} FFNN: unknown activation`, () => new FFNN(4, [3], ['gelu' as never], 3, { device }), RangeError, /^activations\[0\]: expected .*received "gelu"/);
  huge(`${D} FFNN: 1e6 x 1e6 layer`, () => new FFNN(1e6, [1e6], 'relu', 2, { device }), /expected at most/);
  bad(`${D} FFNN: unknown init`, () => new FFNN(4, [3], 'relu', 3, { device, init: 'he' as never }), RangeError, /^options\.init: /);
  bad(`${D} FFNN: negative seed`, () => new FFNN(4, [3], 'relu', 3, { device, seed: -1 }), RangeError, /^(FFNN )?options\.seed: expected an integer >= 0, received -1/);
  bad(`${D} FFNN.forward: wrong width`, () => net.forward(Tensor.zeros([2, 5])), RangeError, /^x: expected a tensor of shape \[B, 4\]/);
  bad(`${D} FFNN.forward: zero-size batch`, () => net.forward(Tensor.zeros([0, 4])), RangeError, /^x: /);
  bad(`${D} FFNN.forward: NaN`, () => net.forward(nanTensor([2, 4], 5)), RangeError, /^x: expected finite values, received NaN at \[1, 1\]/);
  bad(`${D} FFNN.backward: label out of range`, () => net.backward(x, [0, 3], yp), RangeError, /^y\[1\]: expected an integer class index in \[0, 2\], received 3/);
  bad(`${D} FFNN.backward: fractional label`, () => net.backward(x, [0, 1.5], yp), RangeError, /^y\[1\].*received 1\.5/);
  bad(`${D} FFNN.backward: too few labels`, () => net.backward(x, [0], yp), RangeError, /^y: expected 2 class indices/);
  bad(`${D} FFNN.backward: Int32Array label out of range`, () => net.backward(x, Int32Array.from([0, -1]), yp), RangeError, /^y\[1\].*received -1/);
  bad(`${D} FFNN.backward: one-hot of the wrong width`, () => net.backward(x, Tensor.zeros([2, 4]), yp), RangeError, /^y: expected a tensor of shape \[2, 3\]/);
  bad(`${D} FFNN.backward: labels a string`, () => net.backward(x, 'ab' as never, yp), TypeError, /^y: expected/);
  bad(`${D} FFNN.backward: yPred of another batch`, () => net.backward(x, [0, 1], Tensor.zeros([3, 3])), RangeError, /^yPred: expected a tensor of shape \[2, 3\]/);
  bad(`${D} FFNN.backward: yPred float64`, () => net.backward(x, [0, 1], Tensor.zeros([2, 3], { dtype: 'float64' })), TypeError, /^yPred: expected a float32 tensor/);
}

// ------------------------------------------------------------------------------------------ losses
const Q = Tensor.from([[0.2, 0.8], [0.5, 0.5]]);
bad('CELoss: shapes differ', () => CELoss(Q, Tensor.zeros([2, 3])), RangeError, /^P: expected a tensor of shape \[2, 2\]/);
bad('CELoss: P neither a tensor nor indices', () => CELoss(Q, null as never), TypeError, /^P: expected a Tensor of shape \[B, C\] or class indices/);
bad('CELoss: class index out of range', () => CELoss(Q, [0, 2]), RangeError, /^P\[1\]: expected an integer class index in \[0, 1\]/);
bad('CELoss: epsilon after an options object', () => CELoss(Q, Q, {} as never, 1e-3), TypeError, /^epsilon: expected no fourth argument/);
bad('CELoss: positional epsilon negative', () => CELoss(Q, Q, true, -1), RangeError, /^epsilon: expected a number > 0, received -1/);
bad('CELoss: Q a plain array', () => CELoss([[1]] as never, Q), TypeError, /^Q: expected a Tensor/);
bad('CELoss: epsilon negative', () => CELoss(Q, Q, { epsilon: -1 }), RangeError, /^options\.epsilon: /);
bad('CELoss: epsilon NaN', () => CELoss(Q, Q, { epsilon: NaN }), RangeError, /^options\.epsilon: .*received NaN/);
bad('CELoss: stable not a boolean', () => CELoss(Q, Q, { stable: 1 as never }), TypeError, /^options\.stable: expected a boolean, received 1/);
bad('CELoss: NaN in Q', () => CELoss(nanTensor([2, 2]), Q), RangeError, /^Q: expected finite values, received NaN/);
bad('CELoss: zero rows', () => CELoss(Tensor.zeros([0, 2]), Tensor.zeros([0, 2])), RangeError, /^Q: /);
bad('CELoss: mixed dtypes', () => CELoss(Q, Q.to('float64')), TypeError, /^P: expected a float32 tensor/);
bad('CategoricalCELoss: index out of range', () => CategoricalCELoss(Q, [0, 2]), RangeError, /^target\[1\]: expected an integer class index in \[0, 1\], received 2/);
bad('CategoricalCELoss: fractional index', () => CategoricalCELoss(Q, [0, 0.5]), RangeError, /^target\[1\].*received 0\.5/);
bad('CategoricalCELoss: too many indices', () => CategoricalCELoss(Q, [0, 1, 1]), RangeError, /^target: expected 2 class indices/);
const ce = new CrossEntropyLoss();
bad('CrossEntropyLoss: labelSmoothing 1.5', () => new CrossEntropyLoss({ labelSmoothing: 1.5 }), RangeError, /^options\.labelSmoothing: .*received 1\.5/);
bad('CrossEntropyLoss: unknown reduction', () => new CrossEntropyLoss({ reduction: 'none' as never }), RangeError, /^options\.reduction: .*received "none"/);
bad('CrossEntropyLoss: negative class weight', () => new CrossEntropyLoss({ weight: [1, -1] }), RangeError, /^options\.weight\[1\]: .*received -1/);
bad('CrossEntropyLoss.forward: weight of another length', () => new CrossEntropyLoss({ weight: [1, 1, 1] }).forward(Q, [0, 1]), RangeError, /weight.*3/);
bad('CrossEntropyLoss.forward: index out of range', () => ce.forward(Q, [0, 5]), RangeError, /^target\[1\].*received 5/);
bad('CrossEntropyLoss.forward: Infinity logits', () => ce.forward(nanTensor([2, 2], 0, Infinity), [0, 1]), RangeError, /^logits: expected finite values, received Infinity/);
bad('CrossEntropyLoss.backward: before forward', () => new CrossEntropyLoss().backward(), Error, /forward/);
bad('MSELoss: unknown reduction', () => new MSELoss({ reduction: 'avg' as never }), RangeError, /^options\.reduction: .*received "avg"/);
// a misspelt option (torch's snake_case here) is an error, never a silent default
bad('CrossEntropyLoss: unknown option (torch spelling)', () => new CrossEntropyLoss({ label_smoothing: 0.2 } as never), TypeError, /^options\.label_smoothing: expected no such option/);
bad('MSELoss: unknown option', () => new MSELoss({ size_average: false } as never), TypeError, /^options\.size_average: expected no such option/);
bad('CELoss: unknown option', () => CELoss(Q, Q, { eps: 1e-3 } as never), TypeError, /^options\.eps: expected no such option/);
bad('Linear: unknown option', () => new Linear(2, 2, { biass: false } as never), TypeError, /^Linear options\.biass: expected no such option/);
bad('Swish: unknown option', () => new Swish({ learnabel: true } as never), TypeError, /^Swish options\.learnabel: expected no such option/);
bad('CELU: another activation\'s option', () => new CELU({ beta: 2 } as never), TypeError, /^CELU options\.beta: expected no such option/);
bad('ReLU: unknown option', () => new ReLU({ inplace: true } as never), TypeError, /^ReLU options\.inplace: expected no such option/);
bad('FFNN: unknown option', () => new FFNN(2, [3], 'relu', 2, { learnabel: true } as never), TypeError, /^FFNN options\.learnabel: expected no such option/);
bad('Dropout: unknown option', () => new Dropout(0.5, { inplace: true } as never), TypeError, /^Dropout options\.inplace: expected no such option/);
bad('MSELoss.forward: shapes differ', () => new MSELoss().forward(Q, Tensor.zeros([2, 3])), RangeError, /^target: expected a tensor of shape \[2, 2\]/);
bad('MSELoss.forward: NaN target', () => new MSELoss().forward(Q, nanTensor([2, 2], 3)), RangeError, /^target: expected finite values, received NaN/);

// --------------------------------------------------------------------------------------- optimizers
const params = new FFNN(2, [2], 'relu', 2, { seed: 1 }).parameters();
bad('SGD: params a number', () => new SGD(3 as never, 0.1), TypeError, /^params: expected/);
bad('SGD: params with a non-Parameter', () => new SGD([Tensor.zeros([2])] as never, 0.1), TypeError, /^params\[0\]: expected a Parameter/);
bad('SGD: empty params', () => new SGD([], 0.1), RangeError, /^params: expected at least one Parameter/);
bad('SGD: lr negative', () => new SGD(params, -0.1), RangeError, /^lr: expected .*received -0\.1/);
bad('SGD: lr NaN', () => new SGD(params, NaN), RangeError, /^lr: .*received NaN/);
bad('SGD: lr a string', () => new SGD(params, '0.1' as never), TypeError, /lr: expected/);
bad('SGD: momentum negative', () => new SGD(params, { lr: 0.1, momentum: -0.5 }), RangeError, /^options\.momentum: .*received -0\.5/);
bad('SGD: nesterov without momentum', () => new SGD(params, { lr: 0.1, nesterov: true }), RangeError, /nesterov/);
bad('SGD: unknown option (a typo)', () => new SGD(params, { lr: 0.1, momentun: 0.9 } as never), TypeError, /^options\.momentun: expected no such option/);
bad('SGD: weightDecay Infinity', () => new SGD(params, { lr: 0.1, weightDecay: Infinity }), RangeError, /^options\.weightDecay: .*received Infinity/);
bad('SGD.loadStateDict: not a state dict', () => new SGD(params, 0.1).loadStateDict(3 as never), TypeError, /dict|state/);
bad('Adam: betas of length 1', () => new Adam(params, { betas: [0.9] as never }), RangeError, /^options\.betas: expected an array of two numbers.*received an array of length 1/);
bad('Adam: beta2 1', () => new Adam(params, { betas: [0.9, 1] }), RangeError, /^options\.betas\[1\]: .*received 1/);
bad('Adam: eps 0', () => new Adam(params, { eps: 0 }), RangeError, /^options\.eps: .*received 0/);
bad('Adam: decoupled a string', () => new Adam(params, { decoupled: 'yes' as never }), TypeError, /^options\.decoupled: expected a boolean/);
bad('AdamW: lr NaN', () => new AdamW(params, { lr: NaN }), RangeError, /^options\.lr: .*received NaN/);
const sgd = new SGD(params, 0.1);
bad('StepLR: stepSize 0', () => new StepLR(sgd, { stepSize: 0 }), RangeError, /^options\.stepSize: .*received 0/);
bad('StepLR: optimizer a number', () => new StepLR(3 as never, { stepSize: 1 }), TypeError, /^optimizer: expected/);
bad('StepLR: gamma NaN', () => new StepLR(sgd, { stepSize: 1, gamma: NaN }), RangeError, /^options\.gamma: .*received NaN/);
bad('ExponentialLR: gamma missing', () => new ExponentialLR(sgd, {} as never), TypeError, /^options\.gamma: expected a number, received undefined/);
bad('ExponentialLR: gamma negative', () => new ExponentialLR(sgd, { gamma: -0.5 }), RangeError, /^options\.gamma: .*received -0\.5/);
bad('CosineAnnealingLR: tMax fractional', () => new CosineAnnealingLR(sgd, { tMax: 2.5 }), RangeError, /^options\.tMax: .*received 2\.5/);
bad('CosineAnnealingLR: etaMin negative', () => new CosineAnnealingLR(sgd, { tMax: 2, etaMin: -1 }), RangeError, /^options\.etaMin: .*received -1/);

// ------------------------------------------------------------------------------------------- data
huge('RandomDataset: 1e9 x 1e9', () => new RandomDataset(1e9, 1e9, 2), /expected at most 2147483647/);
huge('RandomDataset: 2^31 x 1', () => new RandomDataset(2 ** 31, 1, 2), /expected at most 2147483647/);
bad('RandomDataset: N negative', () => new RandomDataset(-1, 2, 2), RangeError, /^N: expected an integer >= 0, received -1/);
bad('RandomDataset: F 0', () => new RandomDataset(4, 0, 2), RangeError, /^F: expected an integer >= 1, received 0/);
bad('RandomDataset: C fractional', () => new RandomDataset(4, 2, 2.5), RangeError, /^C: .*received 2\.5/);
bad('RandomDataset: N a string', () => new RandomDataset('4' as never, 2, 2), TypeError, /^N: expected an integer, received "4"/);
bad('RandomDataset: dtype unknown', () => new RandomDataset(4, 2, 2, { dtype: 'int8' as never }), RangeError, /^options\.dtype: /);
const rds = new RandomDataset(5, 3, 2, { seed: 1 });
bad('RandomDataset.get: index past the end', () => rds.get(5), RangeError, /^i: expected an integer in \[0, 4\], received 5/);
bad('RandomDataset.get: fractional index', () => rds.get(0.5), RangeError, /^i: .*received 0\.5/);
bad('TensorDataset: x rank 1', () => new TensorDataset(Tensor.zeros([4]), [0, 1, 0, 1]), RangeError, /^x: expected a Tensor of shape \[N, F\]/);
bad('TensorDataset: labels of another length', () => new TensorDataset(Tensor.zeros([4, 2]), [0, 1]), RangeError, /^y: /);
bad('TensorDataset: fractional label', () => new TensorDataset(Tensor.zeros([2, 2]), [0, 0.5]), RangeError, /^y\[1\]: .*received 0\.5/);
bad('TensorDataset: negative label', () => new TensorDataset(Tensor.zeros([2, 2]), Int32Array.from([0, -2])), RangeError, /^y\[1\]: .*received -2/);
bad('TensorDataset: NaN label', () => new TensorDataset(Tensor.zeros([2, 2]), [0, NaN]), RangeError, /^y\[1\]: .*received NaN/);
bad('TensorDataset: y a string', () => new TensorDataset(Tensor.zeros([2, 2]), 'ab' as never), TypeError, /^y: expected/);
bad('DataLoader: dataset a number', () => new DataLoader(3 as never), TypeError, /^dataset: expected a Dataset/);
bad('DataLoader: dataset length negative', () => new DataLoader({ length: -1, get: () => [] } as never), RangeError, /^dataset\.length: .*received -1/);
bad('DataLoader: batchSize 0', () => new DataLoader(rds, { batchSize: 0 }), RangeError, /^options\.batchSize: expected an integer >= 1, received 0/);
bad('DataLoader: batchSize 1.5', () => new DataLoader(rds, { batchSize: 1.5 }), RangeError, /^options\.batchSize: .*received 1\.5/);
bad('DataLoader: shuffle a number', () => new DataLoader(rds, { shuffle: 1 as never }), TypeError, /^options\.shuffle: expected a boolean, received 1/);
bad('DataLoader: seed NaN', () => new DataLoader(rds, { seed: NaN }), RangeError, /^options\.seed: .*received NaN/);
bad('DataLoader: iterating a dataset whose get returns junk', () => [...new DataLoader({ length: 2, get: () => 5 } as never, { batchSize: 2 })], TypeError, /^dataset\.get\(0\): expected an \[x, y\] pair, received 5/);
bad('Standardizer: mode unknown', () => new Standardizer({ mode: 'minmax' as never }), RangeError, /^options\.mode: .*received "minmax"/);
bad('Standardizer: minStd 0', () => new Standardizer({ minStd: 0 }), RangeError, /^options\.minStd: .*received 0/);
bad('Standardizer: mean without std', () => new Standardizer({ mean: 0 }), TypeError, /^options\.std: /);
bad('Standardizer: std 0', () => new Standardizer({ mean: 0, std: 0 }), RangeError, /^options\.std: expected a number > 0, received 0/);
bad('Standardizer: std NaN', () => new Standardizer({ mean: 0, std: NaN }), RangeError, /^options\.std.*NaN/);
bad('Standardizer.fit: empty dataset', () => new Standardizer().fit(new RandomDataset(0, 2, 2, { seed: 1 })), RangeError, /^data: .*(at least one|0)/);
bad('Standardizer.fit: NaN feature', () => new Standardizer().fit(nanTensor([2, 2], 1)), RangeError, /^data: expected finite values, received NaN/);
bad('Standardizer.transform: before fit', () => new Standardizer().transform(Tensor.zeros([2, 2])), Error, /fit/);
bad('Standardizer.transform: another width', () => new Standardizer().fit(Tensor.randn([3, 2], { seed: 1 })).transform(Tensor.zeros([2, 3])), RangeError, /^data: expected .*2 features|\[N, 2\]/);
const emptyDir = join(dir, 'empty');
mkdirSync(emptyDir);
bad('loadMNIST: split unknown', () => loadMNIST({ split: 'val' as never }), RangeError, /^options\.split: .*received "val"/);
bad('loadMNIST: dir a number', () => loadMNIST({ dir: 3 as never }), TypeError, /^options\.dir: expected a folder path/);
bad('loadMNIST: limit negative', () => loadMNIST({ limit: -1 }), RangeError, /^options\.limit: .*received -1/);
bad('loadMNIST: missing files', () => loadMNIST({ dir: emptyDir }), FormatError, /train-labels-idx1-ubyte.*(ENOENT|not found|missing|cannot)/i);
const idxDir = join(dir, 'idx');
mkdirSync(idxDir);
mkdirSync(join(idxDir, 'train-labels-idx1-ubyte'));
bad('loadMNIST: a directory given as the labels file', () => loadMNIST({ dir: idxDir }), FormatError, /train-labels-idx1-ubyte/);
const truncDir = join(dir, 'trunc');
mkdirSync(truncDir);
writeFileSync(join(truncDir, 't10k-labels-idx1-ubyte'), Buffer.from([0, 0, 8, 1, 0, 0, 0, 10, 1, 2]));
bad('loadMNIST: truncated labels file', () => loadMNIST({ dir: truncDir, split: 'test' }), FormatError, /t10k-labels-idx1-ubyte.*(truncated|expected|short)/i);
const foreignDir = join(dir, 'foreign');
mkdirSync(foreignDir);
writeFileSync(join(foreignDir, 't10k-labels-idx1-ubyte'), Buffer.from('PK\u0003\u0004 this is a zip file, not IDX'));
bad('loadMNIST: foreign labels file', () => loadMNIST({ dir: foreignDir, split: 'test' }), FormatError, /t10k-labels-idx1-ubyte.*magic/i);

// -------------------------------------------------------------------------------------- training
const tnet = new FFNN(3, [4], 'relu', 2, { seed: 1 });
const tsgd = new SGD(tnet.parameters(), 0.1);
bad('trainFFNN: net a string', () => trainFFNN('net' as never, rds, tsgd), TypeError, /^net: expected/);
bad('trainFFNN: dataset null', () => trainFFNN(tnet, null as never, tsgd), TypeError, /^dataset: expected a Dataset/);
bad('trainFFNN: optimizer a number', () => trainFFNN(tnet, rds, 3 as never), TypeError, /^optimizer: expected/);
bad('trainFFNN: epochs negative', () => trainFFNN(tnet, rds, tsgd, { epochs: -1 }), RangeError, /^options\.epochs: .*received -1/);
bad('trainFFNN: batchSize 0', () => trainFFNN(tnet, rds, tsgd, { batchSize: 0 }), RangeError, /^options\.batchSize: .*received 0/);
bad('trainFFNN: batchSize NaN', () => trainFFNN(tnet, rds, tsgd, { batchSize: NaN }), RangeError, /^options\.batchSize: .*received NaN/);
bad('trainFFNN: device not the network\'s', () => trainFFNN(tnet, rds, tsgd, { device: 'js' }), RangeError, /^options\.device: .*received "js"/);
bad('trainFFNN: verbose 3', () => trainFFNN(tnet, rds, tsgd, { verbose: 3 as never }), RangeError, /^options\.verbose: .*received 3/);
bad('trainFFNN: empty dataset', () => trainFFNN(tnet, new RandomDataset(0, 3, 2, { seed: 1 }), tsgd), RangeError, /^dataset: .*(empty|at least one)/);
bad('trainFFNN: features of another width', () => trainFFNN(tnet, new RandomDataset(4, 5, 2, { seed: 1 }), tsgd), RangeError, /^(dataset|x): .*3/);
bad('trainFFNN: labels out of the network\'s classes', () => trainFFNN(tnet, new RandomDataset(8, 3, 5, { seed: 1 }), tsgd), RangeError, /\[\d+\]: expected an integer class index in \[0, 1\]/);
bad('trainFFNN: float64 data for a float32 network', () => trainFFNN(tnet, new RandomDataset(4, 3, 2, { seed: 1, dtype: 'float64' }), tsgd), TypeError, /float32/);
bad('trainFFNN: unknown option (a typo)', () => trainFFNN(tnet, rds, tsgd, { epoch: 2 } as never), TypeError, /^options\.epoch: expected no such option/);
bad('evaluate: dataset a number', () => evaluate(tnet, 3 as never), TypeError, /^dataset: expected a Dataset/);
bad('evaluate: batchSize 0', () => evaluate(tnet, rds, { batchSize: 0 }), RangeError, /^options\.batchSize: .*received 0/);
bad('evaluate: empty dataset', () => evaluate(tnet, new RandomDataset(0, 3, 2, { seed: 1 })), RangeError, /^dataset: /);
const gnet = new FFNN(3, [4], 'relu', 2, { seed: 1, dtype: 'float64' });
const gx = Tensor.zeros([1, 3], { dtype: 'float64' });
bad('gradcheck: a float32 network', () => gradcheck(tnet, Tensor.zeros([1, 3]), [0]), TypeError, /^net: expected float64 parameters/);
bad('gradcheck: epsilon 0', () => gradcheck(gnet, Tensor.zeros([1, 3]), [0], { epsilon: 0 }), RangeError, /^options\.epsilon: .*received 0/);
bad('gradcheck: x of another width', () => gradcheck(gnet, Tensor.zeros([1, 4], { dtype: 'float64' }), [0]), RangeError, /^x: expected a tensor of shape \[B, 3\]/);
bad('gradcheck: label out of range', () => gradcheck(gnet, gx, [2]), RangeError, /^y\[0\]: .*received 2/);
bad('gradcheck: maxCoordinates 0', () => gradcheck(gnet, gx, [0], { maxCoordinates: 0 }), RangeError, /^options\.maxCoordinates: .*received 0/);
bad('plotLosses: runs a number', () => plotLosses(3 as never, join(dir, 'a.svg')), TypeError, /^runs: expected/, { async: true });
bad('plotLosses: empty runs', () => plotLosses({}, join(dir, 'a.svg')), RangeError, /^runs: expected at least one/, { async: true });
bad('plotLosses: a NaN loss', () => plotLosses({ a: [1, NaN] }, join(dir, 'a.svg')), RangeError, /^runs\["?a"?\]\[1\]: .*received NaN/, { async: true });
bad('plotLosses: unknown extension', () => plotLosses({ a: [1, 2] }, join(dir, 'a.gif')), RangeError, /^file: expected .*\.svg.*\.png/, { async: true });
bad('plotLosses: file a number', () => plotLosses({ a: [1, 2] }, 3 as never), TypeError, /^file: expected/, { async: true });
bad('plotLosses: smoothing 1', () => plotLosses({ a: [1, 2] }, join(dir, 'a.svg'), { smoothing: 1 }), RangeError, /^options\.smoothing: .*received 1/, { async: true });
bad('plotLosses: width 0', () => plotLosses({ a: [1, 2] }, join(dir, 'a.svg'), { width: 0 }), RangeError, /^options\.width: .*received 0/, { async: true });
bad('plotLosses: logScale with a zero loss', () => plotLosses({ a: [1, 0] }, join(dir, 'a.svg'), { logScale: true }), RangeError, /logScale|> 0/, { async: true });
bad('plotLosses: into a missing folder', () => plotLosses({ a: [1, 2] }, join(dir, 'no', 'such', 'a.svg')), Error, /a\.svg|no[/\\]such/, { async: true });

// ------------------------------------------------------------------------------------- files
const st = join(dir, 'ok.safetensors');
saveSafetensors(st, { w: Tensor.from([[1, 2], [3, 4]]) });
const writeBytes = (name: string, bytes: Uint8Array | string) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const valid = readFileSync(st);
bad('saveSafetensors: file empty', () => saveSafetensors('', { w: f32(1) }), TypeError, /^file: expected a file path/);
bad('saveSafetensors: tensors an array', () => saveSafetensors(join(dir, 'x.safetensors'), [f32(1)] as never), TypeError, /^tensors: expected an object/);
bad('saveSafetensors: a tensor a plain array', () => saveSafetensors(join(dir, 'x.safetensors'), { w: [1, 2] as never }), TypeError, /^tensors\["?w"?\]: expected/);
bad('saveSafetensors: metadata value a number', () => saveSafetensors(join(dir, 'x.safetensors'), { w: f32(1) }, { a: 1 as never }), TypeError, /^metadata\["a"\]: expected a string, received 1/);
bad('saveSafetensors: into a directory', () => saveSafetensors(emptyDir, { w: f32(1) }), Error, /empty/);
bad('loadSafetensors: file a number', () => loadSafetensors(3 as never), TypeError, /^file: expected a file path/);
bad('loadSafetensors: missing file', () => loadSafetensors(join(dir, 'missing.safetensors')), FormatError, /missing\.safetensors: cannot read: ENOENT/);
bad('loadSafetensors: a directory', () => loadSafetensors(emptyDir), FormatError, /empty: not a file/);
bad('loadSafetensors: empty file', () => loadSafetensors(writeBytes('empty.safetensors', '')), FormatError, /empty\.safetensors: /);
bad('loadSafetensors: truncated data', () => loadSafetensors(writeBytes('trunc.safetensors', valid.subarray(0, valid.length - 3))), FormatError, /trunc\.safetensors: /);
bad('loadSafetensors: truncated header', () => loadSafetensors(writeBytes('trunchdr.safetensors', valid.subarray(0, 12))), FormatError, /trunchdr\.safetensors: /);
bad('loadSafetensors: header length past the end', () => {
  const b = Buffer.from(valid);
  b.writeBigUInt64LE(10n ** 12n, 0);
  return loadSafetensors(writeBytes('hdrlen.safetensors', b));
}, FormatError, /hdrlen\.safetensors: /, { fast: true });
bad('loadSafetensors: a PNG file', () => loadSafetensors(writeBytes('foreign.safetensors', Buffer.from('\x89PNG\r\n\x1a\n0000000000000000', 'latin1'))), FormatError, /foreign\.safetensors: /);
bad('loadSafetensors: JSON header not an object', () => {
  const h = Buffer.from('[1,2,3] ');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return loadSafetensors(writeBytes('array.safetensors', Buffer.concat([len, h])));
}, FormatError, /array\.safetensors: /);
const mnet = new FFNN(3, [4], 'relu', 2, { seed: 1 });
bad('saveModel: net not an FFNN', () => saveModel(join(dir, 'm.safetensors'), new Linear(2, 2) as never), TypeError, /^net: expected an FFNN/);
bad('saveModel: file a number', () => saveModel(3 as never, mnet), TypeError, /^file: expected/);
bad('saveModel: optimizer a string', () => saveModel(join(dir, 'm.safetensors'), mnet, { optimizer: 'sgd' as never }), TypeError, /^options\.optimizer: expected/);
bad('loadModel: missing file', () => loadModel(join(dir, 'missing-model.safetensors')), FormatError, /missing-model\.safetensors: /);
bad('loadModel: a directory', () => loadModel(emptyDir), FormatError, /empty: /);
bad('loadModel: a safetensors file that is not a model', () => loadModel(st), FormatError, /ok\.safetensors: .*(model|format|ffnn)/i);
bad('loadModel: truncated model', () => {
  const p = join(dir, 'model.safetensors');
  saveModel(p, mnet);
  const b = readFileSync(p);
  return loadModel(writeBytes('model-trunc.safetensors', b.subarray(0, b.length - 5)));
}, FormatError, /model-trunc\.safetensors: /);
bad('loadModel: device unknown', () => loadModel(st, { device: 'tpu' as never }), RangeError, /^options\.device: .*received "tpu"/);

// ---------------------------------------------------------------------------------------- the run
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const distinct = new Set(rows.map((r) => r.label.replace(/^\[(native|js)\] |^getKernels\('(native|js)'\)/, ''))).size;
  process.stdout.write(`bad-input matrix: ${rows.length} rows, ${distinct} distinct bad inputs (device variants counted once)\n`);
});

describe('bad-input matrix', () => {
  test.each(rows.map((r) => [r.label, r] as const))('%s', async (_label, row) => {
    const t0 = performance.now();
    let caught: unknown = undefined;
    let threw = false;
    if (row.async) {
      let p: unknown;
      try {
        p = row.run();
      } catch (e) {
        throw new Error(`threw synchronously instead of rejecting: ${String(e)}`);
      }
      expect(p, 'an async function returns a promise').toBeInstanceOf(Promise);
      try {
        await p;
      } catch (e) {
        caught = e;
        threw = true;
      }
    } else {
      try {
        row.run();
      } catch (e) {
        caught = e;
        threw = true;
      }
    }
    const ms = performance.now() - t0;
    expect(threw, 'did not throw').toBe(true);
    expect(caught).toBeInstanceOf(Error);
    const err = caught as Error;
    // the exact class: a TypeError is not a RangeError, and an ffnn FormatError is not a plain Error
    if (row.cls === Error) expect(err, err.message).toBeInstanceOf(Error);
    else expect(err.constructor.name, err.message).toBe(row.cls.name);
    expect(err.message).toMatch(row.msg);
    if (row.fast) expect(ms, 'refused before allocating').toBeLessThan(1000);
  });
});
