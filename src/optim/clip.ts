// gradient clipping for hand-written loops (between backward and step), as torch.nn.utils
// clip_grad_norm_ / clip_grad_value_ (1.13); the norms and the scaling run in the device's kernels.
import { backend, deviceOption, type Device } from '../kernels/index.js';
import { Parameter, Tensor } from '../tensor.js';
import { checkBool, checkKeys, checkNonNegative, checkObject, rangeError, typeError } from '../util/check.js';
import { NonFiniteError } from '../errors.js';
import { clipCoef, totalNorm } from '../kernels/reference/clip.js';

export interface ClipOptions {
  // the backend of the kernels (default 'native'); use the device of the modules
  device?: Device;
  // throw when the total norm is NaN or infinite (torch's error_if_nonfinite), gradients untouched
  errorIfNonfinite?: boolean;
}

function gradsOf(name: string, parameters: unknown): Tensor[] {
  const list = parameters instanceof Parameter ? [parameters] : parameters;
  if (list === null || typeof list !== 'object' || typeof (list as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw typeError(name, 'a Parameter or an iterable of Parameter', parameters);
  }
  const out: Tensor[] = [];
  let i = 0;
  for (const p of list as Iterable<unknown>) {
    if (!(p instanceof Parameter)) throw typeError(`${name}[${i}]`, 'a Parameter', p);
    if (p.grad !== null) {
      if (!(p.grad instanceof Tensor) || p.grad.size !== p.size) throw typeError(`${name}[${i}].grad`, `a Tensor of ${p.size} elements or null`, p.grad);
      out.push(p.grad);
    }
    i++;
  }
  return out;
}

function options(o: unknown): { device: Device; errorIfNonfinite: boolean } {
  const r = checkObject('options', o);
  checkKeys('options', r, ['device', 'errorIfNonfinite']);
  return {
    device: deviceOption('options.device', r.device),
    errorIfNonfinite: r.errorIfNonfinite === undefined ? false : checkBool('options.errorIfNonfinite', r.errorIfNonfinite),
  };
}

// scales every gradient by maxNorm / (total + 1e-6) when that is below 1 (torch's clamp to 1: a NaN
// total makes the gradients NaN, as torch, unless errorIfNonfinite); returns the total norm before
export function clipGradNorm(parameters: Iterable<Parameter> | Parameter, maxNorm: number, normType = 2, opts?: ClipOptions): number {
  const c = checkNonNegative('maxNorm', maxNorm);
  const o = options(opts);
  const grads = gradsOf('parameters', parameters);
  if (typeof normType !== 'number') throw typeError('normType', 'a number > 0 or Infinity', normType);
  if (!(normType > 0)) throw rangeError('normType', 'a number > 0 or Infinity', normType);
  const k = backend(o.device);
  const total = totalNorm(grads.map((g) => k.vectorNorm(g.size, g.data, normType)), normType);
  if (o.errorIfNonfinite && !Number.isFinite(total)) {
    throw new NonFiniteError(`clipGradNorm: the total norm of order ${normType} of the gradients is ${total}; the gradients are left as they were`, 0, 'gradients');
  }
  const coef = clipCoef(c, total);
  if (coef !== null) for (const g of grads) k.scale(g.size, g.data, coef);
  return total;
}

// clamps every gradient element into [-clipValue, clipValue] (torch's clip_grad_value_)
export function clipGradValue(parameters: Iterable<Parameter> | Parameter, clipValue: number, opts?: Omit<ClipOptions, 'errorIfNonfinite'>): void {
  const c = checkNonNegative('clipValue', clipValue);
  const o = options(opts);
  const k = backend(o.device);
  for (const g of gradsOf('parameters', parameters)) k.clampAbs(g.size, g.data, c);
}

// the optimizer seen by the module calls when training clips: step() clips the gradients of params
// to a total L2 norm of maxNorm, then steps (trainFFNN's and TrainStep's clipGradNorm option)
export function clippingOptimizer<T extends { step(): void }>(optimizer: T, params: readonly Parameter[], maxNorm: number, device: Device): T {
  return Object.assign(Object.create(optimizer) as T, {
    step: (): void => {
      clipGradNorm(params, maxNorm, 2, { device });
      optimizer.step();
    },
  });
}
