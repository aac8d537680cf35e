// the addon's own argument checks, called directly (no TypeScript validation in front):
// every bad argument throws TypeError (wrong type) or RangeError (wrong value or length) whose
// message names the function and the argument; nothing crashes or reads out of bounds.
import { describe, it, expect } from 'vitest';
import { sep } from 'node:path';

const skip = process.env.FFNN_SKIP_NATIVE === '1';
// loaded here, not at the top level, so a missing build fails these tests with the loader's message
const { nativeAddon } = await import('../src/kernels/native.js');

type Fn = (...args: unknown[]) => unknown;
type ErrorClass = typeof TypeError | typeof RangeError;

function addon(): Record<string, Fn> {
  return nativeAddon() as unknown as Record<string, Fn>;
}

function call(fn: string, args: unknown[]): unknown {
  return addon()[fn](...args);
}

// asserts the exact error class and that the message is "<fn>: <arg>: expected ..."
function expectError(fn: string, args: unknown[], cls: ErrorClass, arg: string): Error {
  let caught: unknown;
  try {
    call(fn, args);
  } catch (e) {
    caught = e;
  }
  expect(caught, `${fn}(${arg}) did not throw`).toBeInstanceOf(Error);
  const err = caught as Error;
  expect(err.constructor, err.message).toBe(cls);
  expect(err.message.startsWith(`${fn}: ${arg}: expected `), err.message).toBe(true);
  expect(err.message).toMatch(/, received /);
  return err;
}

const f32 = (n: number, v = 0.5) => new Float32Array(n).fill(v);
const f64 = (n: number, v = 0.5) => new Float64Array(n).fill(v);
const sgdOpts = () => ({
  lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, firstStep: true,
});
const adamOpts = () => ({
  lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1,
});

interface Spec {
  names: string[];
  valid: () => unknown[];
  // indices of dims (integers >= 0)
  dims: number[];
  // indices of float arrays, with nullable ones
  floats: number[];
  nullable: number[];
  bools: number[];
}

// one valid call per export (B = 2, N or C = 3; gemm M = 2, N = 3, K = 4), argument names as in
// src/kernels/types.ts
const SPECS: Record<string, Spec> = {
  gemm: {
    names: ['transA', 'transB', 'M', 'N', 'K', 'alpha', 'a', 'b', 'beta', 'c'],
    valid: () => [false, false, 2, 3, 4, 1, f32(8), f32(12), 0, f32(6)],
    dims: [2, 3, 4], floats: [6, 7, 9], nullable: [], bools: [0, 1],
  },
  biasAct: {
    names: ['B', 'N', 'x', 'bias', 'act', 'param', 'y', 'pre'],
    valid: () => [2, 3, f32(6), f32(3), 4, 1, f32(6), f32(6)],
    dims: [0, 1], floats: [2, 3, 6, 7], nullable: [3, 7], bools: [],
  },
  actBackward: {
    names: ['B', 'N', 'z', 'gradOut', 'act', 'param', 'gradIn', 'gradBias'],
    valid: () => [2, 3, f32(6), f32(6), 5, 1, f32(6), f32(3)],
    dims: [0, 1], floats: [2, 3, 6, 7], nullable: [7], bools: [],
  },
  linearForward: {
    names: ['B', 'IN', 'OUT', 'x', 'w', 'bias', 'act', 'param', 'y', 'pre'],
    valid: () => [2, 3, 4, f32(6), f32(12), f32(4), 1, 1, f32(8), f32(8)],
    dims: [0, 1, 2], floats: [3, 4, 5, 8, 9], nullable: [5, 9], bools: [],
  },
  linearBackward: {
    names: ['B', 'IN', 'OUT', 'x', 'w', 'z', 'gradOut', 'act', 'param', 'gradZ', 'gradW', 'gradBias', 'gradX', 'accumulate'],
    valid: () => [2, 3, 4, f32(6), f32(12), f32(8), f32(8), 4, 1, f32(8), f32(12), f32(4), f32(6), false],
    dims: [0, 1, 2], floats: [3, 4, 5, 6, 9, 10, 11, 12], nullable: [10, 11, 12], bools: [13],
  },
  softmax: {
    names: ['B', 'C', 'x', 'y'],
    valid: () => [2, 3, f32(6), f32(6)],
    dims: [0, 1], floats: [2, 3], nullable: [], bools: [],
  },
  softmaxCrossEntropy: {
    names: ['B', 'C', 'logits', 'target', 'probs', 'grad'],
    valid: () => [2, 3, f32(6), Int32Array.of(0, 2), f32(6), f32(6)],
    dims: [0, 1], floats: [2, 4, 5], nullable: [4, 5], bools: [],
  },
  ceLoss: {
    names: ['B', 'C', 'q', 'p', 'stable', 'epsilon'],
    valid: () => [2, 3, f32(6), f32(6), true, 1e-8],
    dims: [0, 1], floats: [2, 3], nullable: [], bools: [4],
  },
  categoricalCELoss: {
    names: ['B', 'C', 'q', 'target', 'stable', 'epsilon'],
    valid: () => [2, 3, f32(6), Int32Array.of(1, 2), false, 1e-8],
    dims: [0, 1], floats: [2], nullable: [], bools: [4],
  },
  mseLoss: {
    names: ['n', 'pred', 'target', 'reduction', 'grad'],
    valid: () => [4, f32(4), f32(4), 'mean', f32(4)],
    dims: [0], floats: [1, 2, 4], nullable: [4], bools: [],
  },
  sgdStep: {
    names: ['n', 'param', 'grad', 'buf', 'o'],
    valid: () => [4, f32(4), f32(4), f32(4), sgdOpts()],
    dims: [0], floats: [1, 2, 3], nullable: [], bools: [],
  },
  adamStep: {
    names: ['n', 'param', 'grad', 'm', 'v', 'o'],
    valid: () => [4, f32(4), f32(4), f32(4), f32(4), adamOpts()],
    dims: [0], floats: [1, 2, 3, 4], nullable: [], bools: [],
  },
};

const KERNELS = Object.keys(SPECS);
const EXPORTS = [...KERNELS, 'info', 'setNumThreads', 'getNumThreads', 'setIsa', 'getIsa', 'supportedIsas'];

function withArg(spec: Spec, i: number, v: unknown): unknown[] {
  const args = spec.valid();
  args[i] = v;
  return args;
}

describe.skipIf(skip)('native addon exports', () => {
  it('exports every Kernels method and info/thread controls', () => {
    const a = addon();
    for (const name of EXPORTS) expect(typeof a[name], name).toBe('function');
    const info = a.info() as Record<string, unknown>;
    expect(info.backend).toBe('native');
    expect(['avx512', 'avx2', 'portable']).toContain(info.isa);
    expect(typeof info.compiler).toBe('string');
    expect(Number.isInteger(info.threads)).toBe(true);
  });

  it('accepts each valid baseline call in both precisions', () => {
    for (const fn of KERNELS) {
      const spec = SPECS[fn];
      expect(() => call(fn, spec.valid()), fn).not.toThrow();
      const args64 = spec.valid().map((v) => (v instanceof Float32Array ? Float64Array.from(v) : v));
      expect(() => call(fn, args64), `${fn} float64`).not.toThrow();
    }
  });
});

describe.skipIf(skip)('native addon argument checks', () => {
  it('throws TypeError for no arguments and for every truncated argument list', () => {
    for (const fn of KERNELS) {
      const spec = SPECS[fn];
      for (let k = 0; k < spec.names.length; k++) {
        let caught: unknown;
        try {
          call(fn, spec.valid().slice(0, k));
        } catch (e) {
          caught = e;
        }
        expect(caught, `${fn} with ${k} arguments`).toBeInstanceOf(TypeError);
        expect((caught as Error).message).toMatch(new RegExp(`^${fn}: \\S+: expected .*received undefined`));
      }
    }
  });

  it('throws TypeError for junk arguments in every position', () => {
    const junk: unknown[] = ['3', {}, [1, 2], () => 0, Symbol('s'), 10n];
    for (const fn of KERNELS) {
      const spec = SPECS[fn];
      for (let i = 0; i < spec.names.length; i++) {
        // mseLoss reduction is a string: any other string is a RangeError, tested below
        for (const v of junk) {
          if (fn === 'mseLoss' && i === 3 && typeof v === 'string') continue;
          if ((fn === 'sgdStep' && i === 4) || (fn === 'adamStep' && i === 5)) {
            if (typeof v === 'object' && !Array.isArray(v)) continue;
          }
          expectError(fn, withArg(spec, i, v), TypeError, spec.names[i]);
        }
      }
    }
  });

  it('checks dims: type, negative, fractional, beyond int32, NaN', () => {
    for (const fn of KERNELS) {
      const spec = SPECS[fn];
      for (const i of spec.dims) {
        const name = spec.names[i];
        expectError(fn, withArg(spec, i, '2'), TypeError, name);
        expectError(fn, withArg(spec, i, true), TypeError, name);
        for (const bad of [-1, 1.5, 2 ** 31, 2 ** 53, NaN, Infinity, -Infinity]) {
          const err = expectError(fn, withArg(spec, i, bad), RangeError, name);
          expect(err.message).toMatch(/an integer in \[0, 2147483647\]/);
        }
      }
    }
  });

  it('checks transpose flags and other booleans are real booleans', () => {
    for (const fn of KERNELS) {
      const spec = SPECS[fn];
      for (const i of spec.bools) {
        for (const bad of [0, 1, 'true', null, undefined, new Boolean(true)]) {
          expectError(fn, withArg(spec, i, bad), TypeError, spec.names[i]);
        }
      }
    }
  });

  it('checks float arrays: element type, mixing float32 with float64, null only where allowed', () => {
    for (const fn of KERNELS) {
      const spec = SPECS[fn];
      for (const i of spec.floats) {
        const name = spec.names[i];
        const good = spec.valid()[i] as Float32Array;
        expectError(fn, withArg(spec, i, Array.from(good)), TypeError, name);
        expectError(fn, withArg(spec, i, new Int32Array(good.length)), TypeError, name);
        expectError(fn, withArg(spec, i, new Uint8Array(good.length * 4)), TypeError, name);
        expectError(fn, withArg(spec, i, good.buffer), TypeError, name);
        expectError(fn, withArg(spec, i, new DataView(good.buffer)), TypeError, name);
        expectError(fn, withArg(spec, i, undefined), TypeError, name);
        if (!spec.nullable.includes(i)) expectError(fn, withArg(spec, i, null), TypeError, name);
        else expect(() => call(fn, withArg(spec, i, null)), `${fn} ${name} null`).not.toThrow();
        // a Float64Array among Float32Arrays: the first float array fixes the type of the call
        if (spec.floats.length < 2) continue;
        const mixed = withArg(spec, i, Float64Array.from(good));
        const first = spec.floats[0];
        const err = expectError(fn, mixed, TypeError, i === first ? spec.names[spec.floats[1]] : name);
        expect(err.message).toMatch(i === first ? /received a Float32Array/ : /received a Float64Array/);
      }
    }
  });

  it('checks every float array is long enough, with 64-bit products of the dims', () => {
    for (const fn of KERNELS) {
      const spec = SPECS[fn];
      for (const i of spec.floats) {
        const name = spec.names[i];
        const good = spec.valid()[i] as Float32Array;
        const err = expectError(fn, withArg(spec, i, f32(good.length - 1)), RangeError, name);
        expect(err.message).toContain(
          `${fn}: ${name}: expected at least ${good.length} elements, received a Float32Array of length ${good.length - 1}`,
        );
        // a subarray with a byteOffset that leaves too few elements
        const sub = f32(good.length + 2).subarray(3);
        expectError(fn, withArg(spec, i, sub), RangeError, name);
      }
    }
    // products that overflow 32 bits: (2^31 - 1)^2 elements are never there
    const big = 2 ** 31 - 1;
    expectError('gemm', [false, false, big, big, 1, 1, f32(8), f32(8), 0, f32(8)], RangeError, 'a');
    expectError('softmax', [big, big, f32(6), f32(6)], RangeError, 'x');
    expectError('biasAct', [65536, 65536, f32(6), null, 0, 0, f32(6), null], RangeError, 'x');
    const err = expectError('gemm', [false, false, 2, 3, 4, 1, f32(8), f32(12), 0, f32(5)], RangeError, 'c');
    expect(err.message).toBe('gemm: c: expected at least 6 elements, received a Float32Array of length 5');
  });

  it('checks numbers: alpha, beta, act code, param, epsilon', () => {
    const g = SPECS.gemm;
    expectError('gemm', withArg(g, 5, '1'), TypeError, 'alpha');
    expectError('gemm', withArg(g, 8, null), TypeError, 'beta');
    for (const fn of ['biasAct', 'actBackward']) {
      const spec = SPECS[fn];
      for (const bad of [-1, 6, 2.5, NaN]) expectError(fn, withArg(spec, 4, bad), RangeError, 'act');
      expectError(fn, withArg(spec, 4, 'relu'), TypeError, 'act');
      expectError(fn, withArg(spec, 5, '1'), TypeError, 'param');
    }
    for (const fn of ['ceLoss', 'categoricalCELoss']) {
      expectError(fn, withArg(SPECS[fn], 5, NaN), RangeError, 'epsilon');
      expectError(fn, withArg(SPECS[fn], 5, '1e-8'), TypeError, 'epsilon');
    }
    expectError('mseLoss', withArg(SPECS.mseLoss, 3, 'none'), RangeError, 'reduction');
    expectError('mseLoss', withArg(SPECS.mseLoss, 3, 1), TypeError, 'reduction');
  });

  it('checks class indices: Int32Array only, length, range [0, C)', () => {
    const s = SPECS.softmaxCrossEntropy;
    const c = SPECS.categoricalCELoss;
    for (const [fn, spec] of [['softmaxCrossEntropy', s], ['categoricalCELoss', c]] as const) {
      expectError(fn, withArg(spec, 3, Int32Array.of(0)), RangeError, 'target');
      expectError(fn, withArg(spec, 3, Uint32Array.of(0, 1)), TypeError, 'target');
      expectError(fn, withArg(spec, 3, [0, 1]), TypeError, 'target');
      for (const bad of [3, -1, 2 ** 31 - 1]) {
        const err = expectError(fn, withArg(spec, 3, Int32Array.of(0, bad)), RangeError, 'target');
        expect(err.message).toContain(`received ${bad} at index 1`);
      }
      // a bad index past B is never read
      expect(() => call(fn, withArg(spec, 3, Int32Array.of(0, 1, 99)))).not.toThrow();
    }
    // categorical takes only indices; softmaxCrossEntropy also a dense target of the call's type
    expectError('categoricalCELoss', withArg(c, 3, f32(6)), TypeError, 'target');
    expect(() => call('softmaxCrossEntropy', withArg(s, 3, f32(6)))).not.toThrow();
    expectError('softmaxCrossEntropy', withArg(s, 3, f64(6)), TypeError, 'target');
    expectError('softmaxCrossEntropy', withArg(s, 3, f32(5)), RangeError, 'target');
  });

  it('checks optimizer options field by field', () => {
    const sgd = (o: Record<string, unknown>, buf: unknown = f32(4)) => [4, f32(4), f32(4), buf, o];
    expectError('sgdStep', sgd({ ...sgdOpts(), lr: '0.1' }), TypeError, 'o.lr');
    expectError('sgdStep', sgd({ ...sgdOpts(), lr: NaN }), RangeError, 'o.lr');
    expectError('sgdStep', sgd({ ...sgdOpts(), momentum: undefined }), TypeError, 'o.momentum');
    expectError('sgdStep', sgd({ ...sgdOpts(), nesterov: 1 }), TypeError, 'o.nesterov');
    expectError('sgdStep', sgd({ ...sgdOpts(), firstStep: undefined }), TypeError, 'o.firstStep');
    expectError('sgdStep', sgd({ ...sgdOpts(), weightDecay: Infinity }), RangeError, 'o.weightDecay');
    // buf may be null only without momentum
    expectError('sgdStep', sgd(sgdOpts(), null), TypeError, 'buf');
    expect(() => call('sgdStep', sgd({ ...sgdOpts(), momentum: 0 }, null))).not.toThrow();
    const adam = (o: Record<string, unknown>) => [4, f32(4), f32(4), f32(4), f32(4), o];
    expectError('adamStep', adam({ ...adamOpts(), beta1: null }), TypeError, 'o.beta1');
    expectError('adamStep', adam({ ...adamOpts(), decoupled: 'yes' }), TypeError, 'o.decoupled');
    for (const bad of [0, -1, 1.5, NaN]) {
      expectError('adamStep', adam({ ...adamOpts(), step: bad }), RangeError, 'o.step');
    }
  });

  it('checks the act code and param of the layer kernels', () => {
    for (const [fn, i] of [['linearForward', 6], ['linearBackward', 7]] as const) {
      const spec = SPECS[fn];
      for (const bad of [-1, 6, 2.5, NaN]) expectError(fn, withArg(spec, i, bad), RangeError, 'act');
      expectError(fn, withArg(spec, i, 'relu'), TypeError, 'act');
      expectError(fn, withArg(spec, i + 1, '1'), TypeError, 'param');
    }
  });

  it('refuses outputs that overlap inputs (or other outputs), naming both', () => {
    for (const F of [Float32Array, Float64Array]) {
      const buf = new F(64);
      const at = (off: number, n: number) => buf.subarray(off, off + n);
      // gemm: c over a, c over b
      let err = expectError('gemm', [false, false, 2, 3, 4, 1, at(0, 8), at(8, 12), 0, at(4, 6)], RangeError, 'c');
      expect(err.message).toContain('an array that does not overlap a');
      err = expectError('gemm', [false, false, 2, 3, 4, 1, at(0, 8), at(8, 12), 0, at(19, 6)], RangeError, 'c');
      expect(err.message).toContain('an array that does not overlap b');
      // linearForward(B 2, IN 3, OUT 4): x 6, w 12, bias 4, y 8, pre 8
      const fwd = (x: number, w: number, bias: number, y: number, pre: number) =>
        [2, 3, 4, at(x, 6), at(w, 12), at(bias, 4), 1, 1, at(y, 8), at(pre, 8)];
      expectError('linearForward', fwd(0, 6, 18, 5, 40), RangeError, 'y');
      expectError('linearForward', fwd(0, 6, 18, 22, 17), RangeError, 'pre');
      err = expectError('linearForward', fwd(0, 6, 18, 22, 26), RangeError, 'pre');
      expect(err.message).toContain('does not overlap y');
      expect(() => call('linearForward', fwd(0, 6, 18, 22, 22)), 'pre may be y itself').not.toThrow();
      // linearBackward: x 6, w 12, z 8, gradOut 8, gradZ 8, gradW 12, gradBias 4, gradX 6
      const bwd = (o: number[]) =>
        [2, 3, 4, at(o[0], 6), at(o[1], 12), at(o[2], 8), at(o[3], 8), 4, 1, at(o[4], 8), at(o[5], 12), at(o[6], 4), at(o[7], 6), false];
      const ok = [0, 6, 18, 26, 34, 42, 54, 58];
      expect(() => call('linearBackward', bwd(ok))).not.toThrow();
      expect(() => call('linearBackward', bwd([0, 6, 18, 26, 26, 42, 54, 58])), 'gradZ may be gradOut').not.toThrow();
      expect(() => call('linearBackward', bwd([0, 6, 18, 26, 18, 42, 54, 58])), 'gradZ may be z').not.toThrow();
      const cases: [number, number, string, string][] = [
        [4, 27, 'gradZ', 'gradOut'], [4, 2, 'gradZ', 'x'], [5, 0, 'gradW', 'x'], [5, 30, 'gradW', 'gradOut'],
        [5, 38, 'gradW', 'gradZ'], [6, 10, 'gradBias', 'w'], [6, 44, 'gradBias', 'gradW'], [7, 36, 'gradX', 'gradZ'],
        [7, 8, 'gradX', 'w'],
      ];
      for (const [slot, off, name, other] of cases) {
        const o = ok.slice();
        o[slot] = off;
        err = expectError('linearBackward', bwd(o), RangeError, name);
        expect(err.message, `${name} over ${other}`).toContain(`does not overlap ${other}`);
      }
    }
  });

  it('chooses the gemm path with setIsa among supportedIsas, and says which in info', () => {
    const a = addon();
    const before = a.getIsa() as string;
    const paths = a.supportedIsas() as string[];
    expect(paths).toContain('portable');
    expect(paths).toContain(before);
    expect((a.info() as { isa: string }).isa).toBe(before);
    expectError('setIsa', [], TypeError, 'name');
    expectError('setIsa', [2], TypeError, 'name');
    const err = expectError('setIsa', ['neon'], RangeError, 'name');
    expect(err.message).toContain('"portable"');
    for (const p of ['avx512', 'avx2']) {
      if (!paths.includes(p)) expectError('setIsa', [p], RangeError, 'name');
    }
    for (const p of paths) {
      a.setIsa(p);
      expect(a.getIsa()).toBe(p);
      expect((a.info() as { isa: string }).isa).toBe(p);
    }
    a.setIsa(before);
    expect(a.getIsa()).toBe(before);
  });

  it('checks setNumThreads and keeps the count', () => {
    const a = addon();
    const before = a.getNumThreads() as number;
    expect(before).toBeGreaterThanOrEqual(1);
    expectError('setNumThreads', [], TypeError, 'n');
    expectError('setNumThreads', ['2'], TypeError, 'n');
    for (const bad of [0, -1, 257, 1.5, NaN]) expectError('setNumThreads', [bad], RangeError, 'n');
    a.setNumThreads(3);
    expect(a.getNumThreads()).toBe(3);
    expect((a.info() as { threads: number }).threads).toBe(3);
    a.setNumThreads(before);
    expect(a.getNumThreads()).toBe(before);
  });
});

describe.skipIf(skip)('native addon data access', () => {
  it('reads and writes subarrays at their byteOffset, never copies', () => {
    for (const Arr of [Float32Array, Float64Array]) {
      // a is (2, 2) = [[1, 2], [3, 4]] at offset 3, b = identity at offset 1, c at offset 5
      const abuf = Arr.of(9, 9, 9, 1, 2, 3, 4, 9);
      const bbuf = Arr.of(7, 1, 0, 0, 1, 7);
      const cbuf = new Arr(11).fill(-1);
      const c = cbuf.subarray(5, 9);
      call('gemm', [false, false, 2, 2, 2, 1, abuf.subarray(3), bbuf.subarray(1), 0, c]);
      expect(Array.from(c)).toEqual([1, 2, 3, 4]);
      expect(Array.from(cbuf.subarray(0, 5))).toEqual([-1, -1, -1, -1, -1]);
      expect(Array.from(cbuf.subarray(9))).toEqual([-1, -1]);
      // softmax writes in place through the subarray view
      const xbuf = Arr.of(5, 0, 0, 5);
      call('softmax', [1, 2, xbuf.subarray(1, 3), xbuf.subarray(1, 3)]);
      expect(Array.from(xbuf)).toEqual([5, 0.5, 0.5, 5]);
    }
  });

  it('gemm with beta = 0 overwrites c and ignores NaN in it, in all four transpose cases', () => {
    for (const Arr of [Float32Array, Float64Array]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = Arr.of(1, 2, 3, 4, 5, 6); // (2, 3), or (3, 2) when transA
          const b = Arr.of(1, 0, 0, 1, 1, 1); // (3, 2), or (2, 3) when transB
          const M = 2;
          const N = 2;
          const c = new Arr(M * N).fill(NaN);
          call('gemm', [transA, transB, M, N, 3, 1, a, b, 0, c]);
          expect(c.every(Number.isFinite), `${Arr.name} ${transA} ${transB}`).toBe(true);
          const A = (i: number, p: number) => (transA ? a[p * M + i] : a[i * 3 + p]);
          const B = (p: number, j: number) => (transB ? b[j * 3 + p] : b[p * N + j]);
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let s = 0;
              for (let p = 0; p < 3; p++) s += A(i, p) * B(p, j);
              expect(c[i * N + j]).toBe(s);
            }
          }
          // alpha = 0 with beta = 0 also clears NaN
          c.fill(NaN);
          call('gemm', [transA, transB, M, N, 3, 0, a, b, 0, c]);
          expect(Array.from(c)).toEqual([0, 0, 0, 0]);
        }
      }
    }
  });

  it('flushes denormals inside a kernel call and leaves the caller\'s floating-point mode as it was', () => {
    const a = addon();
    // float32 denormal operands read as 0 (DAZ), and a product below the smallest normal is written as 0 (FTZ)
    const c = f32(2, 7);
    a.gemm(false, false, 1, 2, 1, 1, Float32Array.of(1e-40), Float32Array.of(1, 1e-30), 0, c);
    expect([...c]).toEqual([0, 0]);
    const d = f64(1, 7);
    a.gemm(false, false, 1, 1, 1, 1, Float64Array.of(1e-300), Float64Array.of(1e-10), 0, d);
    expect(d[0]).toBe(0);
    // afterwards javascript arithmetic keeps its denormals: the mode was restored on exit
    const tiny = [Number.MIN_VALUE, 1e-310];
    const scale = [1, 3];
    expect(tiny[0] * scale[0]).toBe(5e-324);
    expect(tiny[1] * scale[1]).toBeGreaterThan(0);
    expect(Float32Array.of(1e-40)[0]).toBeGreaterThan(0);
  });

  it('zero-sized calls read nothing', () => {
    const e = new Float32Array(0);
    expect(() => call('gemm', [true, true, 0, 0, 0, 1, e, e, 0, e])).not.toThrow();
    const c = f32(6, NaN);
    call('gemm', [false, false, 2, 3, 0, 1, e, e, 0, c]);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => call('biasAct', [0, 3, e, f32(3), 2, 1, e, null])).not.toThrow();
    expect(call('mseLoss', [0, e, e, 'sum', null])).toBe(0);
  });
});

describe('native addon loader', () => {
  it('tries $FFNN_ADDON first, then build/Release and build/Debug, then prebuilds/<platform>', async () => {
    const { addonCandidates, platformKey } = await import('../src/kernels/native.js');
    const saved = process.env.FFNN_ADDON;
    try {
      process.env.FFNN_ADDON = '/nowhere/ffnn.node';
      const paths = addonCandidates();
      expect(paths.map((c) => c.source)).toEqual(['FFNN_ADDON', 'local build', 'local build', 'prebuild']);
      expect(paths[0].path).toBe('/nowhere/ffnn.node');
      expect(paths[1].path).toMatch(/build[\\/]Release[\\/]ffnn\.node$/);
      expect(paths[2].path).toMatch(/build[\\/]Debug[\\/]ffnn\.node$/);
      expect(paths[3].path.endsWith(['prebuilds', platformKey(), 'ffnn.node'].join(sep))).toBe(true);
      delete process.env.FFNN_ADDON;
      expect(addonCandidates()).toHaveLength(3);
    } finally {
      if (saved === undefined) delete process.env.FFNN_ADDON;
      else process.env.FFNN_ADDON = saved;
    }
  });
});

describe.skipIf(skip)('big arrays start on a cache line', () => {
  it('addressMod64 says where a buffer starts and refuses anything else', () => {
    const r = call('addressMod64', [new ArrayBuffer(100)]) as number;
    expect(Number.isInteger(r) && r >= 0 && r < 64).toBe(true);
    expectError('addressMod64', [new Float32Array(4)], TypeError, 'buffer');
    expectError('addressMod64', [undefined], TypeError, 'buffer');
  });

  it('tensors, weights, gradients and optimizer state of 4 KiB and more are 64-byte aligned', async () => {
    const { Tensor } = await import('../src/tensor.js');
    const { Linear } = await import('../src/nn/index.js');
    const { SGD, Adam } = await import('../src/optim/index.js');
    const mod64 = (a: Float32Array | Float64Array): number =>
      ((call('addressMod64', [a.buffer]) as number) + a.byteOffset) % 64;
    for (const n of [1024, 1025, 4099, 200_704]) {
      for (const dtype of ['float32', 'float64'] as const) {
        expect(mod64(Tensor.zeros([n], { dtype }).data), `zeros ${n} ${dtype}`).toBe(0);
        expect(mod64(Tensor.randn([n], { dtype, seed: 1 }).clone().data), `clone ${n} ${dtype}`).toBe(0);
      }
    }
    const lin = new Linear(784, 256, { seed: 1 });
    const sgd = new SGD(lin.parameters(), { lr: 0.1, momentum: 0.9 });
    const adam = new Adam(lin.parameters(), { lr: 0.1 });
    const x = Tensor.randn([4, 784], { seed: 2 });
    lin.forward(x);
    lin.backward(Tensor.randn([4, 256], { seed: 3 }));
    sgd.step();
    adam.step();
    expect(mod64(lin.weight.data)).toBe(0);
    expect(mod64((lin.weight.grad as InstanceType<typeof Tensor>).data)).toBe(0);
    const buf = sgd.state.get(lin.weight)?.momentumBuffer;
    expect(buf).toBeDefined();
    expect(mod64(buf!.data)).toBe(0);
    const moments = adam.state.get(lin.weight) as { expAvg: InstanceType<typeof Tensor>; expAvgSq: InstanceType<typeof Tensor> };
    expect(mod64(moments.expAvg.data)).toBe(0);
    expect(mod64(moments.expAvgSq.data)).toBe(0);
  });
});
