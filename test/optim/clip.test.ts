// clipGradNorm / clipGradValue against torch.nn.utils (1.13) and the max-norm constraint against
// torch.renorm (tools/fixtures_recipes.py), on every device; the kernels under them (vectorNorm,
// scale, clampAbs, maxNormColumns) native and wasm against the reference; the optimizer's maxNorm.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Parameter, Tensor } from '../../src/tensor.js';
import { checked } from '../../src/kernels/checked.js';
import { clipGradNorm, clipGradValue } from '../../src/optim/clip.js';
import { Adam, SGD } from '../../src/optim/index.js';
import { FFNN } from '../../src/nn/ffnn.js';
import { NonFiniteError } from '../../src/errors.js';
import { backends, nonReferenceBackends, reference } from '../helpers/backends.js';
import { assertClose, assertScalarClose, normalArray, rng } from '../helpers/numeric.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/optim/recipes.json', import.meta.url), 'utf8'));
// the fixture writes python's inf / nan as strings
const num = (v: number | string): number => (typeof v === 'number' ? v : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number.NaN);
const TOL = { float64: 1e-12, float32: 2e-6 } as const;

function paramsWith(grads: number[][], shapes: number[][], dtype: 'float32' | 'float64'): Parameter[] {
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
  return grads.map((g, i) => {
    const p = new Parameter(new Ctor(g.length), shapes[i], `p${i}`);
    p.grad = new Tensor(Ctor.from(g), shapes[i]);
    return p;
  });
}

describe.each(backends.map((b) => b.name))('clipping on %s matches torch.nn.utils', (device) => {
  it('clipGradNorm: the total norm returned and the gradients scaled, every norm type', () => {
    for (const c of fx.clipping.norm) {
      const ps = paramsWith(c.grads, fx.clipping.shapes, c.dtype);
      const label = `${c.dtype} scale ${c.scale} maxNorm ${c.maxNorm} p ${c.normType}`;
      const total = clipGradNorm(ps, c.maxNorm, num(c.normType), { device });
      const tol = TOL[c.dtype as 'float32' | 'float64'];
      assertScalarClose(`${label} total`, total, c.totalNorm, tol, c.totalNorm);
      ps.forEach((p, i) => assertClose(`${label} grad ${i}`, (p.grad as Tensor).data, c.clipped[i], tol));
    }
  });

  it('a non-finite gradient: the non-finite total, or a NonFiniteError with errorIfNonfinite', () => {
    for (const c of fx.clipping.nonFinite) {
      const base = fx.clipping.norm.find((r: { dtype: string; scale: number }) => r.dtype === 'float64' && r.scale === 1);
      const grads = base.grads.map((g: number[]) => [...g]);
      grads[1][2] = num(c.bad);
      const ps = paramsWith(grads, fx.clipping.shapes, 'float64');
      expect(() => clipGradNorm(ps, 1, 2, { device, errorIfNonfinite: true })).toThrow(NonFiniteError);
      expect((ps[0].grad as Tensor).data[0]).toBe(grads[0][0]);
      expect(clipGradNorm(ps, 1, 2, { device })).toBe(num(c.totalNorm));
    }
  });

  it('clipGradValue', () => {
    for (const c of fx.clipping.value) {
      const ps = paramsWith(c.grads, fx.clipping.shapes, 'float64');
      clipGradValue(ps, c.clip, { device });
      ps.forEach((p, i) => assertClose(`clip ${c.clip} grad ${i}`, (p.grad as Tensor).data, c.clipped[i], 0));
    }
  });

  it('maxNormColumns is torch.renorm over the columns of W', () => {
    const k = checked(backends.find((b) => b.name === device)!.kernels);
    for (const c of fx.maxNorm) {
      const w = c.dtype === 'float32' ? Float32Array.from(c.w) : Float64Array.from(c.w);
      k.maxNormColumns(c.IN, c.OUT, w, c.maxNorm);
      assertClose(`${c.dtype} ${c.IN}x${c.OUT} c ${c.maxNorm}`, w, c.renormed, TOL[c.dtype as 'float32' | 'float64']);
    }
  });
});

describe('the clipping kernels against the reference', () => {
  const r = rng(5);
  for (const b of nonReferenceBackends) {
    it(`${b.name}: vectorNorm, scale, clampAbs, maxNormColumns, sizes around the column block`, () => {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const [IN, OUT] of [[1, 1], [7, 255], [3, 256], [5, 257], [64, 513]]) {
          const x = normalArray(dtype, IN * OUT, r);
          for (const p of [1, 2, 3, Infinity]) {
            const want = reference.kernels.vectorNorm(x.length, x, p);
            assertScalarClose(`${b.name} ${dtype} norm p ${p} n ${x.length}`, b.kernels.vectorNorm(x.length, x, p), want, dtype === 'float32' ? 1e-12 : 1e-12, want);
          }
          const s1 = x.slice();
          const s2 = x.slice();
          b.kernels.scale(x.length, s1, 0.37);
          reference.kernels.scale(x.length, s2, 0.37);
          assertClose(`${b.name} ${dtype} scale`, s1, s2, 0);
          b.kernels.clampAbs(x.length, s1, 0.5);
          reference.kernels.clampAbs(x.length, s2, 0.5);
          assertClose(`${b.name} ${dtype} clampAbs`, s1, s2, 0);
          const w1 = x.slice();
          const w2 = x.slice();
          b.kernels.maxNormColumns(IN, OUT, w1, 1.5);
          reference.kernels.maxNormColumns(IN, OUT, w2, 1.5);
          assertClose(`${b.name} ${dtype} maxNormColumns ${IN}x${OUT}`, w1, w2, 0);
        }
      }
    });
  }

  it('bad arguments are refused by the checked kernels and the raw binding alike', () => {
    for (const b of backends) {
      const k = checked(b.kernels);
      expect(() => k.maxNormColumns(2, 2, new Float32Array(4), 0)).toThrow(new RangeError('maxNormColumns: maxNorm: expected a number > 0, received 0'));
      expect(() => k.maxNormColumns(2, 2, new Float32Array(4), -1)).toThrow(new RangeError('maxNormColumns: maxNorm: expected a number >= 0, received -1'));
      expect(() => k.vectorNorm(2, new Float32Array(2), 0)).toThrow(RangeError);
      expect(() => k.clampAbs(2, new Float32Array(2), -1)).toThrow(RangeError);
      expect(() => k.maxNormColumns(2, 3, new Float32Array(4), 1)).toThrow(RangeError);
    }
    const native = nonReferenceBackends.find((b) => b.name === 'native');
    if (native !== undefined) {
      expect(() => native.kernels.maxNormColumns(2, 2, new Float32Array(4), 0)).toThrow(/maxNormColumns: maxNorm: expected a number > 0/);
      expect(() => native.kernels.maxNormColumns(2, 3, new Float32Array(4), 1)).toThrow(RangeError);
      expect(() => native.kernels.vectorNorm(2, new Float32Array(2), Number.NaN)).toThrow(RangeError);
    }
  });
});

describe.each(backends.map((b) => b.name))('maxNorm as an optimizer option on %s', (device) => {
  it('SGD and Adam: step() then renorm of every weight matrix, biases untouched; the same as the kernel after a plain step', () => {
    for (const Opt of ['sgd', 'adam'] as const) {
      const make = (maxNorm: number) => {
        const net = new FFNN(6, [5], 'relu', 3, { device, seed: 4 });
        for (const p of net.parameters()) p.ensureGrad().data.fill(0.3);
        const o = Opt === 'sgd' ? new SGD(net.parameters(), { lr: 2, maxNorm, device }) : new Adam(net.parameters(), { lr: 1, maxNorm, device });
        return { net, o };
      };
      const a = make(0.5);
      const b = make(0);
      a.o.step();
      b.o.step();
      const k = reference.kernels;
      for (const p of b.net.weights()) k.maxNormColumns(p.shape[0], p.shape[1], p.data, 0.5);
      a.net.parameters().forEach((p, i) => assertClose(`${Opt} ${p.name}`, p.data, b.net.parameters()[i].data, device === 'js' ? 0 : 1e-6));
      for (const w of a.net.weights()) {
        const [IN, OUT] = w.shape;
        for (let j = 0; j < OUT; j++) {
          let s = 0;
          for (let i = 0; i < IN; i++) s += w.data[i * OUT + j] ** 2;
          expect(Math.sqrt(s)).toBeLessThanOrEqual(0.5 + 1e-6);
        }
      }
    }
  });

  it('per group: a group of biases with maxNorm leaves them alone; a negative maxNorm is refused', () => {
    const net = new FFNN(6, [5], 'relu', 3, { device, seed: 4 });
    expect(() => new SGD(net.parameters(), { lr: 0.1, maxNorm: -1, device })).toThrow(new RangeError('options.maxNorm: expected a number >= 0, received -1'));
    const o = new SGD([{ params: net.weights(), maxNorm: 1 }, { params: net.biases() }], { lr: 0.1, device });
    expect(o.paramGroups.map((g) => g.maxNorm)).toEqual([1, 0]);
  });
});
