// gradient check by central differences in float64: for each checked coordinate theta_i,
// (L(theta_i + eps) - L(theta_i - eps)) / (2 eps) against the gradient backward stored, and the
// relative error ||g - a||^2 / (||g||^2 + ||a||^2) over all of them (the problem's formula).
// the net is anything with forward / backward / parameters:
// - without options.loss, the problem's protocol: forward(x) gives probabilities, the loss is
//   CELoss(forward(x), y) (mean over rows, no clamping) and backward(x, y, yPred) stores the gradients;
// - with options.loss (a loss module), the Module protocol: loss.forward(net.forward(x), y), then
//   zeroGrad and net.backward(loss.backward()).
import { Rng } from '../random.js';
import { Tensor, type Parameter } from '../tensor.js';
import type { FloatArray } from '../kernels/types.js';
import { checkInt, checkKeys, checkNumber, checkObject, rangeError, typeError } from '../util/check.js';
import type { LossModule } from '../nn/loss.js';
import { readTarget, type Target } from '../nn/validate.js';
import { Sequential } from '../nn/sequential.js';

export interface GradcheckNet {
  forward(x: Tensor): Tensor;
  backward(...args: never[]): unknown;
  parameters(): Parameter[];
  namedParameters?(): Array<[string, Parameter]>;
}

export interface GradcheckOptions {
  // the central-difference step (default 1e-6)
  epsilon?: number;
  // a loss module for the Module protocol (see above)
  loss?: LossModule;
  // at most this many coordinates in all (default 4000); a larger net is sampled, every parameter
  // keeping its share and at least min(its size, 8) coordinates
  maxCoordinates?: number;
  // seed of the sample (default 0)
  seed?: number;
}

export interface GradcheckParameterResult {
  name: string;
  checked: number;
  relativeError: number;
  maxAbsError: number;
}

export interface GradcheckResult {
  relativeError: number;
  maxAbsError: number;
  // the coordinate with the largest |analytic - numeric|
  worst: { parameter: string; index: number; analytic: number; numeric: number };
  checked: number;
  total: number;
  parameters: GradcheckParameterResult[];
}

export function gradcheck(net: GradcheckNet, x: Tensor, y: Target | Tensor, opts?: GradcheckOptions): GradcheckResult {
  if (net === null || typeof net !== 'object' || typeof net.forward !== 'function' ||
      typeof net.backward !== 'function' || typeof net.parameters !== 'function') {
    throw typeError('net', 'an object with forward, backward and parameters', net);
  }
  if (!(x instanceof Tensor)) throw typeError('x', 'a Tensor', x);
  const o = checkObject('options', opts);
  checkKeys('options', o, ['epsilon', 'loss', 'maxCoordinates', 'seed']);
  const eps = o.epsilon === undefined ? 1e-6 : checkNumber('options.epsilon', o.epsilon);
  if (eps <= 0) throw rangeError('options.epsilon', 'a number > 0', eps);
  const maxCoords = o.maxCoordinates === undefined ? 4000 : checkInt('options.maxCoordinates', o.maxCoordinates, 1);
  const seed = o.seed === undefined ? 0 : checkInt('options.seed', o.seed, 0);
  const loss = o.loss as LossModule | undefined;
  if (loss !== undefined && (loss === null || typeof loss.forward !== 'function' || typeof loss.backward !== 'function')) {
    throw typeError('options.loss', 'a loss module with forward and backward', loss);
  }
  // a Sequential's backward takes d loss / d output, not (x, y, yPred): without a loss module the
  // problem's protocol would pass it the wrong things and fail deep inside
  if (loss === undefined && net instanceof Sequential) {
    throw typeError('options.loss', 'a loss module for a Sequential (its backward takes d loss / d output; the (x, y, yPred) protocol is an FFNN\'s)', loss);
  }
  const named: Array<[string, Parameter]> = typeof net.namedParameters === 'function'
    ? net.namedParameters()
    : net.parameters().map((p, i): [string, Parameter] => [p.name || `parameters[${i}]`, p]);
  // nothing to check would pass with checked: 0
  if (named.length === 0) throw rangeError('net', 'a network with parameters to check', 'none');
  for (const [name, p] of named) {
    if (p.dtype !== 'float64') {
      throw new TypeError(`net: expected float64 parameters (central differences need them), received ${p.dtype} '${name}'`);
    }
  }
  if (x.dtype !== 'float64') throw new TypeError(`x: expected a float64 tensor, received a ${x.dtype} tensor`);

  const lossAt = loss !== undefined
    ? (): number => loss.forward(net.forward(x), y)
    : (): number => crossEntropy(net.forward(x), y);

  // central differences need a deterministic loss: a Dropout in training mode (or any module that
  // draws random numbers) gives another loss at every evaluation, and the check would measure noise
  const l0 = lossAt();
  const l1 = lossAt();
  if (!Object.is(l0, l1)) {
    throw rangeError('net', 'a deterministic loss (two evaluations at the same parameters agree; a Dropout in training mode draws a new mask each time: call net.eval() first)', `losses ${l0} and ${l1}`);
  }

  // the analytic gradient at theta
  const callBackward = net.backward as (...args: unknown[]) => unknown;
  if (loss !== undefined) {
    loss.forward(net.forward(x), y);
    for (const [, p] of named) p.zeroGrad();
    callBackward.call(net, loss.backward());
  } else {
    const probs = net.forward(x);
    callBackward.call(net, x, y, probs);
  }
  const analytic = named.map(([name, p]) => {
    if (p.grad === null) throw new Error(`gradcheck: backward left no gradient in '${name}'`);
    return Float64Array.from(p.grad.data);
  });

  const total = named.reduce((s, [, p]) => s + p.size, 0);
  const rng = new Rng(seed);
  let num2 = 0;
  let ana2 = 0;
  let diff2 = 0;
  let checked = 0;
  let worst = { parameter: '', index: -1, analytic: 0, numeric: 0 };
  let worstAbs = -1;
  const results: GradcheckParameterResult[] = [];
  // the loss with one coordinate moved, which is put back whatever happens; a step so large that
  // the loss stops being finite (or the loss refuses the output) is the caller's epsilon
  let current = '';
  const lossMoved = (data: FloatArray, i: number, value: number): number => {
    const v = data[i];
    data[i] = value;
    let l: number;
    try {
      l = lossAt();
    } catch (e) {
      data[i] = v;
      throw rangeError('options.epsilon', `a step that keeps the loss finite at theta +- epsilon (with ${current}[${i}] = ${value}: ${(e as Error).message})`, eps);
    }
    data[i] = v;
    if (!Number.isFinite(l)) {
      throw rangeError('options.epsilon', `a step that keeps the loss finite at theta +- epsilon (the loss is ${l} with ${current}[${i}] = ${value})`, eps);
    }
    return l;
  };
  named.forEach(([name, p], pi) => {
    current = name;
    const idx = sample(p.size, total, maxCoords, rng);
    let pn = 0;
    let pa = 0;
    let pd = 0;
    let pmax = 0;
    const data = p.data;
    for (const i of idx) {
      const v = data[i];
      const lp = lossMoved(data, i, v + eps);
      const lm = lossMoved(data, i, v - eps);
      const numeric = (lp - lm) / (2 * eps);
      const a = analytic[pi][i];
      const d = a - numeric;
      pn += numeric * numeric;
      pa += a * a;
      pd += d * d;
      const ad = Math.abs(d);
      if (ad > pmax) pmax = ad;
      if (ad > worstAbs || Number.isNaN(d)) {
        worstAbs = Number.isNaN(d) ? Infinity : ad;
        worst = { parameter: name, index: i, analytic: a, numeric };
      }
    }
    num2 += pn;
    ana2 += pa;
    diff2 += pd;
    checked += idx.length;
    results.push({ name, checked: idx.length, relativeError: ratio(pd, pa, pn), maxAbsError: pmax });
  });
  // leave the net as it was: forward at theta again
  lossAt();
  return { relativeError: ratio(diff2, ana2, num2), maxAbsError: Math.max(0, worstAbs), worst, checked, total, parameters: results };
}

function ratio(d2: number, a2: number, n2: number): number {
  const den = a2 + n2;
  return den === 0 ? (d2 === 0 ? 0 : Infinity) : d2 / den;
}

// every coordinate when the net is small; otherwise a seeded sample of this parameter's share
function sample(size: number, total: number, maxCoords: number, rng: Rng): number[] {
  if (total <= maxCoords) return Array.from({ length: size }, (_, i) => i);
  const k = Math.min(size, Math.max(8, Math.round((maxCoords * size) / total)));
  const picked = new Set<number>();
  while (picked.size < k) picked.add(rng.int(size));
  return [...picked].sort((a, b) => a - b);
}

// mean over rows of -sum y log q, unclamped, in doubles
function crossEntropy(q: Tensor, y: unknown): number {
  if (q.ndim !== 2) throw rangeError('net.forward(x)', 'probabilities of shape [B, C]', q);
  const [B, C] = q.shape;
  const t = readTarget('y', y, B, C, q.dtype, null);
  let total = 0;
  if (t instanceof Tensor) {
    for (let i = 0; i < B * C; i++) if (t.data[i] !== 0) total -= t.data[i] * Math.log(q.data[i]);
  } else {
    for (let i = 0; i < B; i++) total -= Math.log(q.data[i * C + t[i]]);
  }
  return total / B;
}
