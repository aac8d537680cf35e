// one rule per value (issue 17): every optimizer hyper-parameter walked through every entry point
// (constructor, setter, parameter group, a value set on a group then step(), loadStateDict,
// TrainStep, the checked kernels of getKernels() on every device, and the raw native binding); each
// accepts exactly the values its rule in src/optim/rules.ts accepts.
import { describe, expect, it } from 'vitest';
import { getKernels } from '../../src/backend.js';
import { FFNN } from '../../src/nn/ffnn.js';
import { Adam, SGD, type Optimizer } from '../../src/optim/index.js';
import { accepts, HYPER_RULES, type NumberRule } from '../../src/optim/rules.js';
import { Tensor } from '../../src/tensor.js';
import { TrainStep } from '../../src/train/step.js';
import { backends, native } from '../helpers/backends.js';

const VALUES = [-1, -1e-300, 0, 1e-300, 0.5, 0.999, 1, 2, 1e300, Number.NaN, Infinity, -Infinity];

type Kind = 'sgd' | 'adam';
// [optimizer, option, rule, the kernel option it reaches (sgdStep / adamStep), beta index]
const OPTIONS: Array<[Kind, string, keyof typeof HYPER_RULES, string | null, number?]> = [
  ['sgd', 'lr', 'lr', 'lr'],
  ['sgd', 'momentum', 'momentum', 'momentum'],
  ['sgd', 'dampening', 'dampening', 'dampening'],
  ['sgd', 'weightDecay', 'weightDecay', 'weightDecay'],
  ['sgd', 'l1', 'l1', null],
  ['sgd', 'maxNorm', 'maxNorm', null],
  ['adam', 'lr', 'lr', 'lr'],
  ['adam', 'eps', 'eps', 'eps'],
  ['adam', 'weightDecay', 'weightDecay', 'weightDecay'],
  ['adam', 'betas', 'beta', 'beta1', 0],
  ['adam', 'betas', 'beta', 'beta2', 1],
  ['adam', 'l1', 'l1', null],
  ['adam', 'maxNorm', 'maxNorm', null],
];

const net = new FFNN(3, [4], 'relu', 2, { device: 'js', seed: 1 });
const value = (key: string, v: number, beta?: number): unknown => (key === 'betas' ? (beta === 0 ? [v, 0.999] : [0.9, v]) : v);
const make = (kind: Kind, o: Record<string, unknown>, params: unknown = net.parameters()): Optimizer =>
  kind === 'sgd' ? new SGD(params as never, { lr: 0.1, ...o } as never) : new Adam(params as never, { lr: 0.1, ...o } as never);

// throws a RangeError when the rule refuses v, nothing when it accepts
function agrees(label: string, ok: boolean, f: () => unknown): void {
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  if (ok) expect(err, `${label}: accepted by the rule, refused here: ${String(err)}`).toBeNull();
  else expect(err, `${label}: refused by the rule, accepted here`).toBeInstanceOf(RangeError);
}

describe.each(OPTIONS)('%s %s (rule %s)', (kind, key, ruleName, kernelKey, beta) => {
  const rule = HYPER_RULES[ruleName] as NumberRule;
  const at = (v: number) => `${kind}.${key}${beta === undefined ? '' : `[${beta}]`} = ${v}`;
  const okOf = (v: number) => Number.isFinite(v) && accepts(rule, v);

  it('constructor, setter, group, a group value then step(), loadStateDict', () => {
    for (const v of VALUES) {
      const ok = okOf(v);
      const x = value(key, v, beta);
      agrees(`${at(v)} constructor`, ok, () => make(kind, { [key]: x }));
      agrees(`${at(v)} setter`, ok, () => {
        (make(kind, {}) as unknown as Record<string, unknown>)[key] = x;
      });
      agrees(`${at(v)} group`, ok, () => make(kind, {}, [{ params: net.parameters(), [key]: x }]));
      agrees(`${at(v)} group value, step()`, ok, () => {
        const o = make(kind, { device: 'js' });
        (o.paramGroups[0] as unknown as Record<string, unknown>)[key] = x;
        for (const p of net.parameters()) p.ensureGrad().data.fill(0);
        o.step();
      });
      agrees(`${at(v)} loadStateDict`, ok, () => {
        const o = make(kind, {});
        const d = o.stateDict();
        d.hyper[key] = x as number;
        o.loadStateDict(d);
      });
    }
  });

  it('TrainStep (the fused step) on every device', () => {
    for (const { name: device } of backends) {
      const n = new FFNN(3, [4], 'relu', 2, { device, seed: 1 });
      const x = Tensor.from([[0.1, 0.2, 0.3]]);
      for (const v of VALUES) {
        const o = kind === 'sgd' ? new SGD(n.parameters(), { lr: 0.01, device }) : new Adam(n.parameters(), { lr: 0.01, device });
        (o.paramGroups[0] as unknown as Record<string, unknown>)[key] = value(key, v, beta);
        agrees(`${at(v)} TrainStep on ${device}`, okOf(v), () => new TrainStep(n, o).run(x, new Int32Array([1])));
      }
    }
  });

  it.runIf(kernelKey !== null)('getKernels() on every device and the raw native binding', () => {
    const step = kind === 'sgd' ? 'sgdStep' : 'adamStep';
    const base: Record<string, unknown> =
      kind === 'sgd'
        ? { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, firstStep: true }
        : { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
    const call = (k: ReturnType<typeof getKernels>, v: number) => {
      const a = () => new Float32Array(2).fill(0.5);
      const o = { ...base, [kernelKey as string]: v };
      if (kind === 'sgd') k.sgdStep(2, a(), a(), a(), o as never);
      else k.adamStep(2, a(), a(), a(), a(), o as never);
    };
    for (const v of VALUES) {
      for (const { name: device } of backends) agrees(`${at(v)} getKernels('${device}').${step}`, okOf(v), () => call(getKernels(device), v));
      const raw = native;
      if (raw !== null) agrees(`${at(v)} raw native ${step}`, okOf(v), () => call(raw.kernels, v));
    }
  });
});
