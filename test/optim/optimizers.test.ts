// SGD and Adam behaviour beyond the fixtures: resuming from a state dict bitwise, skipped params,
// the l1 scratch, zeroGrad, switching regularization on, and argument validation.
import { describe, expect, it } from 'vitest';
import { Parameter, Tensor } from '../../src/tensor.js';
import { Adam, AdamW, SGD, type Optimizer, type OptimizerStateDict } from '../../src/optim/index.js';
import { backends } from '../helpers/backends.js';
import { DTYPES } from '../helpers/numeric.js';
import { makeOptimizer, makeParams, optimFixture, prepareStep } from './fixture.js';

const devices = backends.map((b) => b.name);

function snapshot(params: Parameter[]): number[][] {
  return params.map((p) => Array.from(p.data));
}

function dictArrays(d: OptimizerStateDict): Record<string, number[] | number> {
  const out: Record<string, number[] | number> = {};
  for (const [i, s] of Object.entries(d.state)) {
    for (const [k, v] of Object.entries(s)) out[`${i}.${k}`] = v instanceof Tensor ? Array.from(v.data) : (v as number);
  }
  return out;
}

describe.each(devices)('resume on %s', (device) => {
  describe.each(DTYPES)('%s', (dtype) => {
    it.each(Object.keys(optimFixture.configs))('%s: 3 steps, save, restore, 2 steps == 5 steps bitwise', (name) => {
      const cfg = optimFixture.configs[name];
      const straightParams = makeParams(dtype);
      const straight = makeOptimizer(cfg, straightParams, device);
      for (let s = 0; s < 5; s++) {
        prepareStep(straight, straightParams, cfg, s);
        straight.step();
      }

      const firstParams = makeParams(dtype);
      const first = makeOptimizer(cfg, firstParams, device);
      for (let s = 0; s < 3; s++) {
        prepareStep(first, firstParams, cfg, s);
        first.step();
      }
      const paramsAt3 = snapshot(firstParams);
      const saved = first.stateDict();
      const savedArrays = dictArrays(saved);
      // the dict holds copies: stepping on does not change it
      prepareStep(first, firstParams, cfg, 3);
      first.step();
      expect(dictArrays(saved)).toEqual(savedArrays);

      // a fresh optimizer with other hyper-parameters gets everything back from the dict
      const resumedParams = makeParams(dtype);
      resumedParams.forEach((p, i) => p.data.set(paramsAt3[i]));
      const resumed: Optimizer = cfg.optimizer === 'SGD'
        ? new SGD(resumedParams, { lr: 7, device })
        : new Adam(resumedParams, { lr: 7, device });
      resumed.loadStateDict(saved);
      for (let s = 3; s < 5; s++) {
        prepareStep(resumed, resumedParams, cfg, s);
        resumed.step();
      }
      expect(snapshot(resumedParams)).toEqual(snapshot(straightParams));
      expect(dictArrays(resumed.stateDict())).toEqual(dictArrays(straight.stateDict()));
      expect(resumed.stateDict().hyper).toEqual(straight.stateDict().hyper);
    });
  });
});

describe.each(devices)('behaviour on %s', (device) => {
  it('skips parameters whose grad is null and creates no state for them', () => {
    const a = new Parameter(new Float64Array([1, 2]), [2], 'a');
    const b = new Parameter(new Float64Array([3, 4]), [2], 'b');
    a.grad = Tensor.from(new Float64Array([0.5, -0.5]));
    for (const opt of [new SGD([a, b], { lr: 0.1, momentum: 0.9, device }), new Adam([a, b], { device })]) {
      opt.step();
      expect(Array.from(b.data)).toEqual([3, 4]);
      expect(opt.stateDict().state['1']).toBeUndefined();
      expect(opt.stateDict().state['0']).toBeDefined();
    }
  });

  it('adds l1 sign(param) to a scratch copy, leaving grad as it was', () => {
    const p = new Parameter(new Float64Array([2, -3, 0]), [3], 'p');
    p.grad = Tensor.from(new Float64Array([0.1, 0.2, 0.3]));
    const opt = new SGD([p], { lr: 0.5, l1: 0.01, device });
    opt.step();
    expect(Array.from(p.grad.data)).toEqual([0.1, 0.2, 0.3]);
    expect(Array.from(p.data)).toEqual([2 - 0.5 * (0.1 + 0.01), -3 - 0.5 * (0.2 - 0.01), 0 - 0.5 * 0.3]);
  });

  it('switches weight decay and l1 on between steps', () => {
    const p = new Parameter(new Float64Array([1]), [1], 'p');
    p.grad = Tensor.from(new Float64Array([0]));
    const opt = new SGD([p], { lr: 0.1, device });
    opt.step();
    expect(p.data[0]).toBe(1);
    opt.weightDecay = 0.5;
    opt.step();
    expect(p.data[0]).toBe(1 - 0.1 * 0.5);
    opt.weightDecay = 0;
    opt.l1 = 0.2;
    opt.step();
    expect(p.data[0]).toBe(0.95 - 0.1 * 0.2);
  });

  it('zeroGrad fills with zeros, or sets grads to null', () => {
    const p = new Parameter(new Float32Array([1, 2]), [2], 'p');
    p.grad = Tensor.from(new Float32Array([3, 4]));
    const opt = new Adam([p], { device });
    opt.zeroGrad();
    expect(Array.from(p.grad.data)).toEqual([0, 0]);
    opt.zeroGrad({ setToNone: true });
    expect(p.grad).toBeNull();
  });

  it('handles parameters of different dtypes in one optimizer', () => {
    const a = new Parameter(new Float32Array([1]), [1], 'a');
    const b = new Parameter(new Float64Array([1]), [1], 'b');
    a.grad = Tensor.from(new Float32Array([1]));
    b.grad = Tensor.from(new Float64Array([1]));
    const opt = new Adam([a, b], { lr: 0.1, device });
    opt.step();
    expect(a.data[0]).toBeCloseTo(0.9, 6);
    expect(b.data[0]).toBeCloseTo(0.9, 7);
    expect(b.data[0]).not.toBe(a.data[0]);
    expect(opt.stateDict().state['0'].expAvg!.dtype).toBe('float32');
  });

  it('rejects a gradient of another dtype or size', () => {
    const p = new Parameter(new Float64Array([1, 2]), [2], 'p');
    const opt = new SGD([p], { lr: 0.1, device });
    p.grad = Tensor.from(new Float32Array([1, 2]));
    expect(() => opt.step()).toThrow(new TypeError('params[0].grad: expected a float64 Tensor like its parameter, received a float32 Tensor'));
    p.grad = Tensor.from(new Float64Array([1, 2, 3]));
    expect(() => opt.step()).toThrow(RangeError);
  });
});

describe('validation', () => {
  const p = (): Parameter => new Parameter(new Float64Array(2), [2], 'p');

  it('SGD options', () => {
    expect(() => new SGD([p()], -0.1)).toThrow(new RangeError('lr: expected a number >= 0, received -0.1'));
    expect(() => new SGD([p()], Number.POSITIVE_INFINITY)).toThrow(new RangeError('lr: expected a finite number, received Infinity'));
    expect(() => new SGD([p()], '0.1' as never)).toThrow(new TypeError('lr: expected a number or an options object with lr, received "0.1"'));
    expect(() => new SGD([p()], undefined as never)).toThrow(TypeError);
    expect(() => new SGD([p()], {} as never)).toThrow(new TypeError('options.lr: expected a number, received undefined'));
    expect(() => new SGD([p()], { lr: 0.1, momentum: -1 })).toThrow(new RangeError('options.momentum: expected a number >= 0, received -1'));
    expect(() => new SGD([p()], { lr: 0.1, weightDecay: -1 })).toThrow(/options\.weightDecay/);
    expect(() => new SGD([p()], { lr: 0.1, nesterov: true })).toThrow(RangeError);
    expect(() => new SGD([p()], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/options\.nesterov: expected nesterov only with momentum > 0 and dampening 0/);
    expect(() => new SGD([p()], { lr: 0.1, nesterov: 1 as never })).toThrow(TypeError);
    expect(() => new SGD([p()], { lr: 0.1, weight_decay: 0.1 } as never)).toThrow(/options\.weight_decay: expected no such option/);
    expect(() => new SGD([p()], { lr: 0.1, device: 'gpu' as never })).toThrow(new RangeError("options.device: expected one of 'native', 'js', 'wasm', received \"gpu\""));
    expect(() => new SGD([p()], { lr: 0.1, l1: -1 })).toThrow(/options\.l1/);
  });

  it('Adam options', () => {
    expect(() => new Adam([p()], { eps: 0 })).toThrow(new RangeError('options.eps: expected a number > 0, received 0'));
    expect(() => new Adam([p()], { betas: [0.9, 1] })).toThrow(new RangeError('options.betas[1]: expected a number in [0, 1), received 1'));
    expect(() => new Adam([p()], { betas: [-0.1, 0.9] })).toThrow(/options\.betas\[0\]/);
    expect(() => new Adam([p()], { betas: 0.9 as never })).toThrow(TypeError);
    expect(() => new Adam([p()], { betas: [0.9] as never })).toThrow(RangeError);
    expect(() => new Adam([p()], { lr: Number.NaN })).toThrow(new RangeError('options.lr: expected a finite number, received NaN'));
    expect(() => new Adam([p()], { decoupled: 'yes' as never })).toThrow(TypeError);
    expect(() => new Adam([p()], { amsgrad: true })).toThrow(/options\.amsgrad/);
    expect(() => new AdamW([p()], { decoupled: false } as never)).toThrow(TypeError);
    expect(new AdamW([p()], { device: 'js' }).decoupled).toBe(true);
    expect(new AdamW([p()], { device: 'js' }).weightDecay).toBe(0.01);
    // an option present but undefined takes the default, as everywhere else
    expect(new AdamW([p()], { device: 'js', weightDecay: undefined }).weightDecay).toBe(0.01);
    expect(new AdamW([p()], { device: 'js', weightDecay: 0 }).weightDecay).toBe(0);
  });

  it('params', () => {
    expect(() => new SGD([], 0.1)).toThrow(new RangeError('params: expected at least one Parameter, received an empty list'));
    expect(() => new SGD(5 as never, 0.1)).toThrow(new TypeError('params: expected an iterable of Parameter or of parameter groups {params, ...options}, received 5'));
    expect(() => new SGD([new Float64Array(2)] as never, 0.1)).toThrow(/params\[0\]: expected a Parameter/);
    const q = p();
    expect(() => new SGD([q, q], 0.1)).toThrow(/params\[1\]: expected each Parameter once/);
    expect(() => new Adam(new Set([p(), p()]), { device: 'js' })).not.toThrow();
  });

  it('setters check their values', () => {
    const opt = new SGD([p()], { lr: 0.1, device: 'js' });
    expect(() => (opt.lr = -1)).toThrow(new RangeError('lr: expected a number >= 0, received -1'));
    expect(() => (opt.weightDecay = Number.NaN)).toThrow(RangeError);
    opt.nesterov = true;
    expect(() => opt.step()).toThrow(/nesterov/);
    const adam = new Adam([p()], { device: 'js' });
    expect(() => (adam.eps = 0)).toThrow(RangeError);
    expect(() => (adam.betas = [1, 0])).toThrow(RangeError);
  });

  it('loadStateDict checks the dict before changing anything', () => {
    const a = p();
    a.grad = Tensor.from(new Float64Array([1, 1]));
    const sgd = new SGD([a], { lr: 0.1, momentum: 0.9, device: 'js' });
    sgd.step();
    const d = sgd.stateDict();
    expect(() => new Adam([p()], { device: 'js' }).loadStateDict(d)).toThrow(/dict\.optimizer/);
    expect(() => new SGD([new Parameter(new Float64Array(3), [3])], 0.1).loadStateDict(d)).toThrow(/dict\.params\[0\]\.shape/);
    const fresh = new SGD([p()], { lr: 0.5, device: 'js' });
    const bad = { ...d, hyper: { ...d.hyper, momentum: -1 } };
    expect(() => fresh.loadStateDict(bad)).toThrow(/dict\.hyper\.momentum/);
    expect(fresh.lr).toBe(0.5);
    // a float64 dict loads into float32 params, cast to their dtype
    const f32 = new SGD([new Parameter(new Float32Array(2), [2])], { lr: 0.5, device: 'js' });
    f32.loadStateDict(d);
    expect(f32.state.values().next().value!.momentumBuffer!.dtype).toBe('float32');
  });
});
