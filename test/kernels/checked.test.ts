// checked(k) on every backend: each bad argument throws the right class, names the kernel and the
// argument, and reaches no kernel (outputs untouched); good arguments call through unchanged.
import { describe, expect, it } from 'vitest';
import { checked } from '../../src/kernels/checked.js';
import { ACT_CODE, type Kernels } from '../../src/kernels/types.js';
import { WasmMemory, type WasmExports } from '../../src/kernels/wasm/memory.js';
import { backends, wasm } from '../helpers/backends.js';

type Ctor = typeof TypeError | typeof RangeError;
// [argument index or option name, bad value, error class, message fragment]
type Bad = [number | string, unknown, Ctor, string];

const f32 = (n: number, v = 0.5): Float32Array => new Float32Array(n).fill(v);
const f64 = (n: number, v = 0.5): Float64Array => new Float64Array(n).fill(v);

interface Spec {
  kernel: keyof Kernels;
  // a fresh set of valid arguments (float32)
  args: () => unknown[];
  // the index of the options object, for option cases
  optIndex?: number;
  bad: Bad[];
}

const sgdOpts = { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, firstStep: true };
const adamOpts = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };

const DIMS = (kernel: string, i: number, name: string): Bad[] => [
  [i, -1, RangeError, `${kernel}: ${name}: expected an integer >= 0, received -1`],
  [i, 1.5, RangeError, `${kernel}: ${name}: expected an integer, received 1.5`],
  [i, '2', TypeError, `${kernel}: ${name}: expected an integer, received "2"`],
];

const SPECS: Spec[] = [
  {
    kernel: 'gemm',
    args: () => [false, false, 2, 3, 4, 1, f32(8), f32(12), 0, f32(6)],
    bad: [
      [0, 'yes', TypeError, 'gemm: transA: expected a boolean'],
      [1, 0, TypeError, 'gemm: transB: expected a boolean'],
      ...DIMS('gemm', 2, 'M'), ...DIMS('gemm', 3, 'N'), ...DIMS('gemm', 4, 'K'),
      [5, NaN, RangeError, 'gemm: alpha: expected a finite number, received NaN'],
      [8, '1', TypeError, 'gemm: beta: expected a number'],
      [6, [1, 2], TypeError, 'gemm: a: expected a Float32Array or Float64Array, received an array of length 2'],
      [6, f32(7), RangeError, 'gemm: a: expected at least 8 elements, received a Float32Array of length 7'],
      [7, f64(12), TypeError, 'gemm: b: expected a Float32Array, received a Float64Array'],
      [9, f32(5), RangeError, 'gemm: c: expected at least 6 elements'],
      [9, new Int32Array(6), TypeError, 'gemm: c: expected a Float32Array'],
    ],
  },
  {
    kernel: 'biasAct',
    args: () => [2, 3, f32(6), f32(3), ACT_CODE.celu, 1, f32(6), f32(6)],
    bad: [
      ...DIMS('biasAct', 0, 'B'), ...DIMS('biasAct', 1, 'N'),
      [2, f32(5), RangeError, 'biasAct: x: expected at least 6 elements'],
      [2, null, TypeError, 'biasAct: x: expected a Float32Array or Float64Array, received null'],
      [3, f32(2), RangeError, 'biasAct: bias: expected at least 3 elements'],
      [3, f64(3), TypeError, 'biasAct: bias: expected a Float32Array or null, received a Float64Array'],
      [4, 6, RangeError, 'biasAct: act: expected an activation code in {0, 1, 2, 3, 4, 5}, received 6'],
      [4, 'relu', TypeError, 'biasAct: act: expected an activation code'],
      [5, Infinity, RangeError, 'biasAct: param: expected a finite number, received Infinity'],
      [5, 0, RangeError, 'biasAct: param: expected a non-zero celu alpha, received 0'],
      [6, f64(6), TypeError, 'biasAct: y: expected a Float32Array, received a Float64Array'],
      [7, f32(1), RangeError, 'biasAct: pre: expected at least 6 elements'],
    ],
  },
  {
    kernel: 'actBackward',
    args: () => [2, 3, f32(6), f32(6), ACT_CODE.swish, 1.5, f32(6), f32(3)],
    bad: [
      ...DIMS('actBackward', 0, 'B'), ...DIMS('actBackward', 1, 'N'),
      [2, f64(6), TypeError, 'actBackward: gradOut: expected a Float64Array, received a Float32Array'],
      [3, f32(4), RangeError, 'actBackward: gradOut: expected at least 6 elements'],
      [4, -1, RangeError, 'actBackward: act: expected an activation code'],
      [5, NaN, RangeError, 'actBackward: param: expected a finite number, received NaN'],
      [6, f32(5), RangeError, 'actBackward: gradIn: expected at least 6 elements'],
      [7, [0, 0, 0], TypeError, 'actBackward: gradBias: expected a Float32Array or null'],
    ],
  },
  {
    kernel: 'softmax',
    args: () => [2, 3, f32(6), f32(6)],
    bad: [
      ...DIMS('softmax', 0, 'B'), ...DIMS('softmax', 1, 'C'),
      [2, f32(5), RangeError, 'softmax: x: expected at least 6 elements'],
      [3, f64(6), TypeError, 'softmax: y: expected a Float32Array, received a Float64Array'],
    ],
  },
  {
    kernel: 'softmaxCrossEntropy',
    args: () => [2, 3, f32(6), new Int32Array([0, 2]), f32(6), f32(6)],
    bad: [
      ...DIMS('softmaxCrossEntropy', 0, 'B'), ...DIMS('softmaxCrossEntropy', 1, 'C'),
      [2, f32(5), RangeError, 'softmaxCrossEntropy: logits: expected at least 6 elements'],
      [3, new Int32Array([0, 3]), RangeError, 'softmaxCrossEntropy: target[1]: expected a class index in [0, 3), received 3'],
      [3, new Int32Array([-1, 0]), RangeError, 'softmaxCrossEntropy: target[0]: expected a class index in [0, 3), received -1'],
      [3, new Int32Array([0]), RangeError, 'softmaxCrossEntropy: target: expected at least 2 elements'],
      [3, new Uint32Array([0, 1]), TypeError, 'softmaxCrossEntropy: target: expected a Float32Array or an Int32Array'],
      [3, f64(6), TypeError, 'softmaxCrossEntropy: target: expected a Float32Array or an Int32Array'],
      [3, f32(5), RangeError, 'softmaxCrossEntropy: target: expected at least 6 elements'],
      [4, f32(5), RangeError, 'softmaxCrossEntropy: probs: expected at least 6 elements'],
      [5, f64(6), TypeError, 'softmaxCrossEntropy: grad: expected a Float32Array or null'],
    ],
  },
  {
    kernel: 'ceLoss',
    args: () => [2, 3, f32(6), f32(6), true, 1e-8],
    bad: [
      ...DIMS('ceLoss', 0, 'B'), ...DIMS('ceLoss', 1, 'C'),
      [2, f32(5), RangeError, 'ceLoss: q: expected at least 6 elements'],
      [3, f64(6), TypeError, 'ceLoss: p: expected a Float32Array, received a Float64Array'],
      [4, 1, TypeError, 'ceLoss: stable: expected a boolean, received 1'],
      [5, 0, RangeError, 'ceLoss: epsilon: expected a number > 0, received 0'],
      [5, -1e-8, RangeError, 'ceLoss: epsilon: expected a number > 0'],
    ],
  },
  {
    kernel: 'categoricalCELoss',
    args: () => [2, 3, f32(6), new Int32Array([1, 2]), true, 1e-8],
    bad: [
      ...DIMS('categoricalCELoss', 0, 'B'), ...DIMS('categoricalCELoss', 1, 'C'),
      [2, f32(5), RangeError, 'categoricalCELoss: q: expected at least 6 elements'],
      [3, f32(2), TypeError, 'categoricalCELoss: target: expected an Int32Array of class indices, received a Float32Array'],
      [3, new Int32Array([1, 5]), RangeError, 'categoricalCELoss: target[1]: expected a class index in [0, 3), received 5'],
      [4, 'true', TypeError, 'categoricalCELoss: stable: expected a boolean'],
      [5, NaN, RangeError, 'categoricalCELoss: epsilon: expected a finite number, received NaN'],
    ],
  },
  {
    kernel: 'mseLoss',
    args: () => [4, f32(4), f32(4), 'mean', f32(4)],
    bad: [
      ...DIMS('mseLoss', 0, 'n'),
      [1, f32(3), RangeError, 'mseLoss: pred: expected at least 4 elements'],
      [2, f64(4), TypeError, 'mseLoss: target: expected a Float32Array, received a Float64Array'],
      [3, 'avg', RangeError, "mseLoss: reduction: expected one of 'sum', 'mean', received \"avg\""],
      [3, 1, TypeError, 'mseLoss: reduction: expected one of'],
      [4, f32(3), RangeError, 'mseLoss: grad: expected at least 4 elements'],
    ],
  },
  {
    kernel: 'sgdStep',
    args: () => [4, f32(4), f32(4), f32(4), { ...sgdOpts }],
    optIndex: 4,
    bad: [
      ...DIMS('sgdStep', 0, 'n'),
      [1, f32(3), RangeError, 'sgdStep: param: expected at least 4 elements'],
      [2, f64(4), TypeError, 'sgdStep: grad: expected a Float32Array, received a Float64Array'],
      [3, null, TypeError, 'sgdStep: buf: expected a Float32Array when momentum is not 0, received null'],
      [3, f32(3), RangeError, 'sgdStep: buf: expected at least 4 elements'],
      [4, null, TypeError, 'sgdStep: o: expected an options object, received null'],
      ['lr', -0.1, RangeError, 'sgdStep: o.lr: expected a number >= 0, received -0.1'],
      ['lr', NaN, RangeError, 'sgdStep: o.lr: expected a finite number, received NaN'],
      ['lr', undefined, TypeError, 'sgdStep: o.lr: expected a number, received undefined'],
      ['momentum', -0.9, RangeError, 'sgdStep: o.momentum: expected a number >= 0'],
      ['dampening', -1, RangeError, 'sgdStep: o.dampening: expected a number >= 0'],
      ['weightDecay', Infinity, RangeError, 'sgdStep: o.weightDecay: expected a finite number'],
      ['nesterov', 'no', TypeError, 'sgdStep: o.nesterov: expected a boolean'],
      ['firstStep', 1, TypeError, 'sgdStep: o.firstStep: expected a boolean'],
    ],
  },
  {
    kernel: 'adamStep',
    args: () => [4, f32(4), f32(4), f32(4), f32(4), { ...adamOpts }],
    optIndex: 5,
    bad: [
      ...DIMS('adamStep', 0, 'n'),
      [3, f32(3), RangeError, 'adamStep: m: expected at least 4 elements'],
      [4, f64(4), TypeError, 'adamStep: v: expected a Float32Array, received a Float64Array'],
      [5, 'fast', TypeError, 'adamStep: o: expected an options object'],
      ['lr', -1e-3, RangeError, 'adamStep: o.lr: expected a number >= 0'],
      ['beta1', 1, RangeError, 'adamStep: o.beta1: expected a number in [0, 1), received 1'],
      ['beta2', -0.1, RangeError, 'adamStep: o.beta2: expected a number in [0, 1), received -0.1'],
      ['eps', 0, RangeError, 'adamStep: o.eps: expected a number > 0, received 0'],
      ['weightDecay', -0.01, RangeError, 'adamStep: o.weightDecay: expected a number >= 0'],
      ['decoupled', 'yes', TypeError, 'adamStep: o.decoupled: expected a boolean'],
      ['step', 0, RangeError, 'adamStep: o.step: expected an integer >= 1, received 0'],
      ['step', 1.5, RangeError, 'adamStep: o.step: expected an integer'],
    ],
  },
];

function call(k: Kernels, kernel: keyof Kernels, args: unknown[]): unknown {
  return (k[kernel] as (...a: unknown[]) => unknown)(...args);
}

// the float arrays among the arguments, copied, to see that nothing was written
function snapshot(args: unknown[]): number[][] {
  const out: number[][] = [];
  for (const a of args) if (a instanceof Float32Array || a instanceof Float64Array) out.push([...a]);
  return out;
}

describe.each(backends)('checked($name)', ({ kernels }) => {
  const k = checked(kernels);

  it('keeps the backend name and passes info and threads through', () => {
    expect(k.name).toBe(kernels.name);
    expect(k.info().backend).toBe(kernels.name);
    const n = k.getNumThreads();
    k.setNumThreads(n);
    expect(k.getNumThreads()).toBe(n);
    expect(() => k.setNumThreads(0)).toThrow(RangeError);
    expect(() => k.setNumThreads(0)).toThrow('setNumThreads: n: expected an integer in [1, 256], received 0');
    expect(() => k.setNumThreads(2.5 as number)).toThrow(RangeError);
  });

  describe.each(SPECS)('$kernel', (spec) => {
    it('calls through with valid arguments, giving what the raw kernel gives', () => {
      const a = spec.args();
      const b = spec.args();
      const r1 = call(k, spec.kernel, a);
      const r2 = call(kernels, spec.kernel, b);
      expect(r1).toEqual(r2);
      expect(snapshot(a)).toEqual(snapshot(b));
    });

    it.each(spec.bad.map((b) => [String(b[0]), b[3], b] as const))('rejects %s: %s', (_i, _m, bad) => {
      const [where, value, ErrorClass, message] = bad;
      const args = spec.args();
      if (typeof where === 'number') args[where] = value;
      else (args[spec.optIndex as number] as Record<string, unknown>)[where] = value;
      const before = snapshot(args);
      let error: unknown;
      try {
        call(k, spec.kernel, args);
      } catch (e) {
        error = e;
      }
      expect(error, `${spec.kernel} did not throw for ${String(where)} = ${String(value)}`).toBeInstanceOf(ErrorClass);
      expect((error as Error).message).toContain(message);
      expect((error as Error).message.startsWith(`${spec.kernel}: `)).toBe(true);
      expect(snapshot(args), 'an array was written before the check failed').toEqual(before);
    });
  });

  it('gemm: rejects a float64 call mixed with float32 in any position, and c overlapping a or b', () => {
    expect(() => k.gemm(false, false, 1, 1, 1, 1, f64(1), f32(1), 0, f64(1))).toThrow(TypeError);
    expect(() => k.gemm(false, false, 1, 1, 1, 1, f64(1), f64(1), 0, f32(1))).toThrow('gemm: c: expected a Float64Array');
    const buf = f32(16);
    expect(() => k.gemm(false, false, 2, 2, 2, 1, buf.subarray(0, 4), f32(4), 0, buf.subarray(2, 6))).toThrow(
      'gemm: c: expected an array that does not overlap a',
    );
    expect(() => k.gemm(false, false, 2, 2, 2, 1, f32(4), buf.subarray(0, 4), 0, buf.subarray(3, 7))).toThrow(RangeError);
    // neighbours in one buffer are fine
    k.gemm(false, false, 2, 2, 2, 1, buf.subarray(0, 4), buf.subarray(4, 8), 0, buf.subarray(8, 12));
  });

  it('sgdStep: rejects nesterov without momentum or with dampening, as torch.optim.SGD', () => {
    const base = { ...sgdOpts, nesterov: true };
    expect(() => k.sgdStep(2, f32(2), f32(2), f32(2), { ...base, momentum: 0 })).toThrow(
      'sgdStep: o.nesterov: expected false unless momentum > 0 and dampening is 0, received true',
    );
    expect(() => k.sgdStep(2, f32(2), f32(2), f32(2), { ...base, dampening: 0.1 })).toThrow(RangeError);
    k.sgdStep(2, f32(2), f32(2), f32(2), base);
    // without momentum the buffer may be null
    k.sgdStep(2, f32(2), f32(2), null, { ...sgdOpts, momentum: 0 });
  });

  it('accepts empty shapes and null optional outputs', () => {
    const e = f64(0);
    k.gemm(false, false, 0, 0, 0, 1, e, e, 0, e);
    k.biasAct(0, 3, e, f64(3), ACT_CODE.relu, 0, e, null);
    k.actBackward(2, 2, f64(4), f64(4), ACT_CODE.tanh, 0, f64(4), null);
    expect(k.softmaxCrossEntropy(1, 2, f64(2, 0), new Int32Array([1]), null, null)).toBeCloseTo(Math.log(2), 12);
    expect(k.mseLoss(2, f64(2, 1), f64(2, 0), 'sum', null)).toBe(2);
  });
});

describe.skipIf(wasm === null)('the raw wasm kernels, behind the checked door', () => {
  it('refuse an array shorter than the call reads, rather than read what an earlier call left in memory', () => {
    const k = (wasm as NonNullable<typeof wasm>).kernels;
    // an earlier call leaves its operands in linear memory
    k.gemm(false, false, 2, 3, 4, 1, f32(8, 1000), f32(12, 1000), 0, f32(6));
    expect(() => k.gemm(false, false, 2, 3, 4, 1, f32(7), f32(12), 0, f32(6))).toThrow(
      new RangeError('gemm: a: expected at least 8 elements (M*K, the elements the call reads), received a Float32Array of length 7'),
    );
  });

  it('a call past 4 GiB, or one the module cannot grow memory for, is a RangeError that says so', () => {
    const memory = { buffer: new ArrayBuffer(65536) };
    const m = new WasmMemory({ memory, ffnn_malloc: () => 0, ffnn_free: () => {} } as unknown as WasmExports);
    expect(() => m.scratch('gemm', 2 ** 32 + 64)).toThrow(/^gemm: the call needs 4294967360 bytes of WebAssembly memory \(over the 4 GiB a wasm module can address\); use device 'native' or 'js'/);
    expect(() => m.scratch('gemm', 3 * 65536)).toThrow(/^gemm: the call needs 196608 bytes of WebAssembly memory \(the module could not grow its memory to hold it\)/);
  });
});

// one rule on every device for arrays that share memory (and for gemm's alpha 0): each case runs
// through checked() on every backend; a refused call is refused everywhere with the same message, an
// accepted one gives on every backend what the reference gives on separate copies of its arrays
interface AliasCase {
  name: string;
  kernel: keyof Kernels;
  // the arguments; views of one buffer where the case is about sharing memory
  args: () => unknown[];
  // refused: the message; accepted: the arguments as separate arrays for the reference, and which
  // argument holds the result of each output of args (for an exact alias, the shared array)
  refuse?: string;
  plain?: () => unknown[];
  outputs?: Array<[number, number]>;
}

const seq = (n: number, from = 1): Float32Array => Float32Array.from({ length: n }, (_, i) => (from + i) / 8);

const ALIAS: AliasCase[] = [
  {
    name: 'gemm: alpha 0 reads neither a nor b (Inf and NaN in them do not reach c), beta 0',
    kernel: 'gemm',
    args: () => [false, false, 2, 2, 2, 0, Float32Array.of(Infinity, 1, NaN, 1), f32(4), 0, f32(4, NaN)],
    plain: () => [false, false, 2, 2, 2, 0, f32(4), f32(4), 0, f32(4)],
    outputs: [[9, 9]],
  },
  {
    name: 'gemm: alpha 0 with beta 2 scales c',
    kernel: 'gemm',
    args: () => [true, true, 2, 2, 2, 0, f32(4, Infinity), f32(4, NaN), 2, seq(4)],
    plain: () => [true, true, 2, 2, 2, 1, f32(4, 0), f32(4, 0), 2, seq(4)],
    outputs: [[9, 9]],
  },
  {
    name: 'gemm: c beside a in one buffer (the elements the call uses do not meet)',
    kernel: 'gemm',
    args: () => { const buf = seq(12); return [false, false, 2, 2, 2, 1, buf.subarray(0, 8), seq(4), 0, buf.subarray(4, 8)]; },
    plain: () => [false, false, 2, 2, 2, 1, seq(4), seq(4), 0, f32(4)],
    outputs: [[9, 9]],
  },
  {
    name: 'biasAct: bias is a later row of y',
    kernel: 'biasAct',
    args: () => { const y = f32(6); return [2, 3, seq(6), y.subarray(3, 6), ACT_CODE.relu, 0, y, null]; },
    refuse: 'biasAct: y: expected an array that does not overlap bias, received a Float32Array of length 6',
  },
  {
    name: 'biasAct: y is x itself',
    kernel: 'biasAct',
    args: () => { const x = seq(6, -3); return [2, 3, x, seq(3), ACT_CODE.tanh, 0, x, null]; },
    plain: () => [2, 3, seq(6, -3), seq(3), ACT_CODE.tanh, 0, f32(6), null],
    outputs: [[6, 6]],
  },
  {
    name: 'biasAct: y is x shifted by one element',
    kernel: 'biasAct',
    args: () => { const buf = seq(7); return [2, 3, buf.subarray(0, 6), null, ACT_CODE.relu, 0, buf.subarray(1, 7), null]; },
    refuse: 'biasAct: y: expected an array that is x itself or does not overlap it',
  },
  {
    name: 'biasAct: pre is y',
    kernel: 'biasAct',
    args: () => { const y = f32(6); return [2, 3, seq(6), null, ACT_CODE.relu, 0, y, y]; },
    refuse: 'biasAct: pre: expected an array that does not overlap y',
  },
  {
    name: 'actBackward: gradIn is gradOut itself',
    kernel: 'actBackward',
    args: () => { const g = seq(6); return [2, 3, seq(6, -2), g, ACT_CODE.swish, 1.5, g, f32(3, 0)]; },
    plain: () => [2, 3, seq(6, -2), seq(6), ACT_CODE.swish, 1.5, f32(6), f32(3, 0)],
    outputs: [[6, 6], [7, 7]],
  },
  {
    name: 'actBackward: gradBias inside gradIn',
    kernel: 'actBackward',
    args: () => { const gi = f32(6); return [2, 3, seq(6), seq(6), ACT_CODE.relu, 0, gi, gi.subarray(3, 6)]; },
    refuse: 'actBackward: gradBias: expected an array that does not overlap gradIn',
  },
  {
    name: 'linearForward: pre is y',
    kernel: 'linearForward',
    args: () => { const y = f32(4); return [2, 2, 2, seq(4), seq(4), null, ACT_CODE.relu, 0, y, y]; },
    refuse: 'linearForward: pre: expected an array that does not overlap y',
  },
  {
    name: 'linearForward: bias is a row of y',
    kernel: 'linearForward',
    args: () => { const y = f32(4); return [2, 2, 2, seq(4), seq(4), y.subarray(2, 4), ACT_CODE.relu, 0, y, null]; },
    refuse: 'linearForward: y: expected an array that does not overlap bias',
  },
  {
    name: 'linearBackward: gradBias overlaps gradZ',
    kernel: 'linearBackward',
    args: () => { const gz = f32(6); return [2, 2, 2, seq(4), seq(4), seq(4), seq(4), ACT_CODE.identity, 0, gz.subarray(0, 4), f32(4), gz.subarray(2, 4), null, false]; },
    refuse: 'linearBackward: gradBias: expected an array that does not overlap gradZ',
  },
  {
    name: 'linearBackward: gradZ is gradOut itself',
    kernel: 'linearBackward',
    args: () => { const g = seq(4); return [2, 2, 2, seq(4), seq(4), seq(4, -2), g, ACT_CODE.tanh, 0, g, f32(4), f32(2), f32(4), false]; },
    plain: () => [2, 2, 2, seq(4), seq(4), seq(4, -2), seq(4), ACT_CODE.tanh, 0, f32(4), f32(4), f32(2), f32(4), false],
    outputs: [[9, 9], [10, 10], [11, 11], [12, 12]],
  },
  {
    name: 'linearBackward: gradX overlaps x',
    kernel: 'linearBackward',
    args: () => { const x = seq(4); return [2, 2, 2, x, seq(4), seq(4), seq(4), ACT_CODE.identity, 0, f32(4), f32(4), null, x, false]; },
    refuse: 'linearBackward: gradX: expected an array that does not overlap x',
  },
  {
    name: 'softmax: y is x itself',
    kernel: 'softmax',
    args: () => { const x = seq(6); return [2, 3, x, x]; },
    plain: () => [2, 3, seq(6), f32(6)],
    outputs: [[3, 3]],
  },
  {
    name: 'softmax: y is x shifted by a row',
    kernel: 'softmax',
    args: () => { const b = seq(9); return [2, 3, b.subarray(0, 6), b.subarray(3, 9)]; },
    refuse: 'softmax: y: expected an array that is x itself or does not overlap it',
  },
  {
    name: 'softmaxCrossEntropy: grad overlaps probs',
    kernel: 'softmaxCrossEntropy',
    args: () => { const b = f32(8); return [2, 3, seq(6), new Int32Array([0, 2]), b.subarray(0, 6), b.subarray(2, 8)]; },
    refuse: 'softmaxCrossEntropy: grad: expected an array that does not overlap probs',
  },
  {
    name: 'mseLoss: grad is pred itself',
    kernel: 'mseLoss',
    args: () => { const p = seq(4); return [4, p, seq(4, 3), 'mean', p]; },
    plain: () => [4, seq(4), seq(4, 3), 'mean', f32(4)],
    outputs: [[4, 4]],
  },
  {
    name: 'sgdStep: buf is param',
    kernel: 'sgdStep',
    args: () => { const p = seq(4); return [4, p, seq(4), p, { ...sgdOpts }]; },
    refuse: 'sgdStep: buf: expected an array that does not overlap param',
  },
  {
    name: 'sgdStep: grad is param',
    kernel: 'sgdStep',
    args: () => { const p = seq(4); return [4, p, p, null, { ...sgdOpts, momentum: 0 }]; },
    refuse: 'sgdStep: param: expected an array that does not overlap grad',
  },
  {
    name: 'adamStep: v overlaps m',
    kernel: 'adamStep',
    args: () => { const b = f32(6, 0); return [4, seq(4), seq(4), b.subarray(0, 4), b.subarray(2, 6), { ...adamOpts }]; },
    refuse: 'adamStep: v: expected an array that does not overlap m',
  },
];

// the float arrays of a call's result: the return value and each output's final contents
function results(args: unknown[], r: unknown, outputs: Array<[number, number]>, plain: boolean): unknown[] {
  return [r, ...outputs.map(([a, p]) => [...(args[plain ? p : a] as Float32Array)])];
}

describe('one aliasing rule (and gemm alpha 0) on every device', () => {
  const ref = checked(backends[0].kernels);
  describe.each(backends)('$name', ({ kernels }) => {
    const k = checked(kernels);
    it.each(ALIAS.map((c) => [c.name, c] as const))('%s', (_n, c) => {
      const args = c.args();
      if (c.refuse !== undefined) {
        const before = snapshot(args);
        expect(() => call(k, c.kernel, args)).toThrow(RangeError);
        expect(() => call(k, c.kernel, args)).toThrow(c.refuse);
        expect(snapshot(args)).toEqual(before);
        return;
      }
      const got = results(args, call(k, c.kernel, args), c.outputs ?? [], false);
      const p = (c.plain as () => unknown[])();
      const want = results(p, call(ref, c.kernel, p), c.outputs ?? [], true);
      expect(got.every((v) => v === undefined || typeof v === 'number' || (v as number[]).every(Number.isFinite))).toBe(true);
      // float32 kernels: native and wasm sum in another order than the reference
      const flat = (v: unknown[]): number[] => v.flatMap((x) => (x === undefined ? [] : typeof x === 'number' ? [x] : (x as number[])));
      const [g, w] = [flat(got), flat(want)];
      expect(g.length).toBe(w.length);
      g.forEach((v, i) => expect(Math.abs(v - w[i]), `element ${i}: ${v} vs ${w[i]}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(w[i]))));
    });
  });
});
