// the shared part of SGD and Adam: the parameter list, the device whose kernels run the update,
// the l1 penalty, zeroGrad and the state-dict plumbing. one parameter group per optimizer.
import { addL1Sign } from '../kernels/reference/l1.js';
import { backend, deviceOption, type Device, type Kernels } from '../kernels/index.js';
import { allocFloat, Parameter, Tensor, pendingWrite, takeData, type DeferredWrite, type FloatArray } from '../tensor.js';
import { STEP_STATE } from '../kernels/types.js';
import { checkBool, checkKeys, checkNonNegative, checkObject, rangeError, typeError } from '../util/check.js';

export type { Device } from '../kernels/index.js';

// per-parameter buffers and counters, as saved by stateDict (index of the parameter -> its state)
export interface ParamState {
  step?: number;
  momentumBuffer?: Tensor;
  expAvg?: Tensor;
  expAvgSq?: Tensor;
}

export type HyperValue = number | boolean | readonly number[];

// plain tensors and numbers; the tensors are copies, so later steps do not change a saved dict
export interface OptimizerStateDict {
  optimizer: 'SGD' | 'Adam';
  // hyper-parameters at the time of saving (lr included, as a schedule left it)
  hyper: Record<string, HyperValue>;
  // keyed by the parameter's index in the optimizer's list; parameters never stepped have no entry
  state: Record<string, ParamState>;
  // the parameters' names and shapes, checked on load
  params: { name: string; shape: number[] }[];
}

export function checkParams(params: unknown): Parameter[] {
  if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw typeError('params', 'an iterable of Parameter', params);
  }
  const list: Parameter[] = [];
  const seen = new Set<Parameter>();
  let i = 0;
  for (const p of params as Iterable<unknown>) {
    if (!(p instanceof Parameter)) throw typeError(`params[${i}]`, 'a Parameter', p);
    if (seen.has(p)) throw new RangeError(`params[${i}]: expected each Parameter once, received a duplicate of ${p.toString()}`);
    seen.add(p);
    list.push(p);
    i++;
  }
  if (list.length === 0) throw new RangeError('params: expected at least one Parameter, received an empty list');
  return list;
}

// what a fused training step (src/train/step.ts) takes over from an optimizer: its update rule and,
// per step, its hyper-parameters and each parameter's live state arrays, made ready as step() makes
// them. the step updates the arrays in place; the optimizer keeps owning them
export interface FusedOptimizer {
  readonly rule: 'sgd' | 'adam';
  // before a step: every parameter's state made ready as step() would (SGD: the nesterov check and a
  // zeroed momentum buffer where momentum is on and none exists; Adam: zeroed moments where missing),
  // then this step's hyper-parameters and one number per parameter written into state in
  // STEP_STATE's layout (src/kernels/types.ts; SGD 1 where the buffer was just made, else 0; Adam the
  // parameter's 1-based step)
  begin(state: Float64Array): void;
  // the live state arrays of params[i] as the last begin left them: SGD's momentum buffer (null while
  // momentum is 0); Adam's m, v. one object per parameter, updated by begin (read it, do not keep it)
  arrays(i: number): { readonly buf: FloatArray | null; readonly m: FloatArray | null; readonly v: FloatArray | null };
  // after the step: ok counts it (Adam's step counts); otherwise the state begin made is forgotten,
  // as a step that did not happen makes none
  end(ok: boolean): void;
}

// options shared by SGD and Adam
export interface OptimizerOptions {
  // which backend runs the update kernels: 'native' (default) or 'js'; use the device of the modules
  device?: Device;
  // L1 penalty: l1 * sign(param) is added to the gradient before weight decay (default 0)
  l1?: number;
}

export function checkLr(name: string, v: unknown): number {
  return checkNonNegative(name, v);
}

export abstract class Optimizer {
  readonly params: readonly Parameter[];
  readonly device: Device;
  protected readonly kernels: Kernels;
  protected _lr: number;
  protected _l1: number;
  // the lr when the first LR schedule on this optimizer was created (torch's 'initial_lr'); set by
  // that schedule, undefined before; saved in the state dict's hyper, as torch keeps it in the
  // param group
  initialLr: number | undefined = undefined;
  // per-parameter scratch for grad + l1 sign(param), created on the first step with l1 != 0
  private readonly l1Scratch: (FloatArray | null)[];

  // lrName: 'lr' when the lr came as a bare number, 'options.lr' when in the options object
  protected constructor(params: Iterable<Parameter>, lr: unknown, lrName: string, opts: Record<string, unknown>) {
    this.params = Object.freeze(checkParams(params));
    this.device = deviceOption('options.device', opts.device);
    this._lr = checkLr(lrName, lr);
    this._l1 = opts.l1 === undefined ? 0 : checkNonNegative('options.l1', opts.l1);
    this.l1Scratch = this.params.map(() => null);
    this.kernels = backend(this.device);
  }

  // the learning rate; schedules set it after each epoch
  get lr(): number {
    return this._lr;
  }

  set lr(v: number) {
    this._lr = checkLr('lr', v);
  }

  // L1 coefficient; 0 switches the penalty off (a training loop can switch it on after some epochs)
  get l1(): number {
    return this._l1;
  }

  set l1(v: number) {
    this._l1 = checkNonNegative('l1', v);
  }

  // one update of every parameter whose grad is not null
  abstract step(): void;

  // this optimizer's state handed to a fused training step, or why it cannot be (an optimizer that
  // has no fused form, or a subclass with its own step)
  fusedOptimizer(): FusedOptimizer | { fallback: string } {
    return { fallback: `${this.constructor.name} has no fused form` };
  }

  // the live per-parameter state (not copies) of the parameters stepped so far
  abstract get state(): ReadonlyMap<Parameter, ParamState>;

  abstract stateDict(): OptimizerStateDict;

  // hyper.initialLr of a state dict, when a schedule set it
  protected initialLrHyper(): Record<string, number> {
    return this.initialLr === undefined ? {} : { initialLr: this.initialLr };
  }

  protected readInitialLr(h: Record<string, unknown>): number | undefined {
    return h.initialLr === undefined ? undefined : checkNonNegative('dict.hyper.initialLr', h.initialLr);
  }

  abstract loadStateDict(dict: OptimizerStateDict): void;

  // fills every gradient with zeros (PyTorch 1.13's default); with setToNone the grads become null
  zeroGrad(opts?: { setToNone?: boolean }): void {
    const o = checkObject('options', opts);
    checkKeys('options', o, ['setToNone']);
    const toNone = o.setToNone === undefined ? false : checkBool('options.setToNone', o.setToNone);
    for (const p of this.params) {
      if (toNone) p.grad = null;
      else p.zeroGrad();
    }
  }

  // the gradient of params[i] checked against its parameter, or null when it has none
  protected gradOf(i: number): FloatArray | null {
    const p = this.params[i];
    const g = p.grad;
    if (g === null) return null;
    if (!(g instanceof Tensor)) throw typeError(`params[${i}].grad`, 'a Tensor or null', g);
    if (g.dtype !== p.dtype) {
      throw new TypeError(`params[${i}].grad: expected a ${p.dtype} Tensor like its parameter, received a ${g.dtype} Tensor`);
    }
    if (g.size !== p.size) {
      throw rangeError(`params[${i}].grad`, `${p.size} elements (shape [${p.shape.join(', ')}])`, g);
    }
    return g.data;
  }

  // the product still pending on params[i]'s gradient (a Linear's weight gradient, src/nn/linear.ts)
  // when this optimizer's kernels can compute it together with the update (linearGradStep, one
  // pass over the weights), else null: the gradient is then read (and the product run) as usual.
  // gradOf's checks pass for it
  protected pendingProduct(i: number): NonNullable<DeferredWrite['product']> | null {
    const p = this.params[i];
    const g = p.grad;
    if (!(g instanceof Tensor)) return null;
    const prod = pendingWrite(g)?.product;
    if (prod === undefined || prod.kernels !== this.kernels || g.dtype !== p.dtype || g.size !== p.size) return null;
    return prod;
  }

  // params[i]'s data for an update kernel that copies it out where a lazy d loss / d x still reads
  // it: [data, the array to copy into or null] (the pending copy is then the kernel's)
  protected dataForUpdate(i: number): [FloatArray, FloatArray | null] {
    const p = this.params[i];
    const keep = pendingWrite(p)?.keep;
    if (keep === undefined) return [p.data, null];
    const data = takeData(p);
    keep.taken();
    return [data, keep.into];
  }

  // the hyper-parameters of a step in STEP_STATE's layout (the fused training step's and
  // linearGradStep's); the per-parameter numbers that follow are the caller's
  abstract writeStepHyper(state: Float64Array): void;

  // state for one linearGradStep: the hyper-parameters, then the parameter's count
  protected gradStepState(count: number): Float64Array {
    const st = this.oneState;
    this.writeStepHyper(st);
    st[STEP_STATE.count] = count;
    return st;
  }

  private readonly oneState = new Float64Array(STEP_STATE.count + 1);

  // the gradient the kernel sees: grad itself, or grad + l1 sign(param) in a scratch buffer
  // (p.grad is left as backward wrote it). weight decay is added later, inside the kernel.
  protected effectiveGrad(i: number, grad: FloatArray): FloatArray {
    const l1 = this._l1;
    if (l1 === 0) return grad;
    const p = this.params[i].data;
    let s = this.l1Scratch[i];
    if (s === null) {
      s = allocFloat(this.params[i].dtype, p.length);
      this.l1Scratch[i] = s;
    }
    addL1Sign(p.length, p, grad, l1, s);
    return s;
  }

  // checks a saved dict against this optimizer's kind and parameters; returns its state entries by index
  protected checkStateDict(dict: unknown, kind: 'SGD' | 'Adam'): Map<number, Record<string, unknown>> {
    if (dict === null || typeof dict !== 'object') throw typeError('dict', 'an optimizer state dict', dict);
    const d = dict as Record<string, unknown>;
    if (d.optimizer !== kind) throw rangeError('dict.optimizer', `'${kind}'`, d.optimizer);
    if (d.hyper === null || typeof d.hyper !== 'object') throw typeError('dict.hyper', 'an object', d.hyper);
    if (!Array.isArray(d.params)) throw typeError('dict.params', 'an array', d.params);
    if (d.params.length !== this.params.length) {
      throw rangeError('dict.params', `${this.params.length} parameters`, d.params);
    }
    for (let i = 0; i < this.params.length; i++) {
      const saved = d.params[i] as { shape?: unknown } | null;
      const shape = saved !== null && typeof saved === 'object' ? saved.shape : undefined;
      const want = this.params[i].shape;
      if (!Array.isArray(shape) || shape.length !== want.length || shape.some((v, k) => v !== want[k])) {
        throw rangeError(`dict.params[${i}].shape`, `[${want.join(', ')}]`, shape);
      }
    }
    if (d.state === null || typeof d.state !== 'object') throw typeError('dict.state', 'an object', d.state);
    const out = new Map<number, Record<string, unknown>>();
    for (const [key, entry] of Object.entries(d.state as Record<string, unknown>)) {
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= this.params.length) {
        throw rangeError('dict.state', `parameter indices in [0, ${this.params.length - 1}]`, key);
      }
      if (entry === null || typeof entry !== 'object') throw typeError(`dict.state[${key}]`, 'an object', entry);
      out.set(i, entry as Record<string, unknown>);
    }
    return out;
  }

  // a saved buffer copied (and cast to the parameter's dtype) into a fresh array
  protected loadBuffer(i: number, name: string, v: unknown): FloatArray {
    const p = this.params[i];
    if (!(v instanceof Tensor)) throw typeError(`dict.state[${i}].${name}`, 'a Tensor', v);
    if (v.size !== p.size) throw rangeError(`dict.state[${i}].${name}`, `${p.size} elements`, v);
    const data = allocFloat(p.dtype, p.size);
    data.set(v.data);
    return data;
  }

  protected paramsInfo(): { name: string; shape: number[] }[] {
    return this.params.map((p) => ({ name: p.name, shape: [...p.shape] }));
  }
}

// a copy of a buffer as a Tensor of the parameter's shape
export function bufferTensor(data: FloatArray, p: Parameter): Tensor {
  return new Tensor(data.slice(), p.shape);
}
