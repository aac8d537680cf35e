// the shared part of SGD and Adam: the parameter list, the device whose kernels run the update,
// the l1 penalty, zeroGrad and the state-dict plumbing. parameters come in groups (torch.optim's
// param_groups), each with its own hyper-parameters; a flat list is one group.
import { backend, deviceOption, type Device, type Kernels } from '../kernels/index.js';
import { allocFloat, Parameter, Tensor, pendingWrite, takeData, type DeferredWrite, type FloatArray } from '../tensor.js';
import { STEP_STATE, type StepOptimizer } from '../kernels/types.js';
import { addL1Sign } from '../kernels/reference/l1.js';
import { checkBool, checkKeys, checkObject, rangeError, typeError } from '../util/check.js';
import { checkHyper } from './rules.js';

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
  // hyper-parameters at the time of saving (lr included, as a schedule left it); the first group's
  hyper: Record<string, HyperValue>;
  // with several parameter groups: each group's hyper-parameters, in order
  groups?: Record<string, HyperValue>[];
  // keyed by the parameter's index in the optimizer's list; parameters never stepped have no entry
  state: Record<string, ParamState>;
  // the parameters' names and shapes, checked on load
  params: { name: string; shape: number[] }[];
}

// seen: the parameters of the groups before (a parameter belongs to one group, as in torch)
export function checkParams(params: unknown, name = 'params', seen = new Set<Parameter>()): Parameter[] {
  if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw typeError(name, 'an iterable of Parameter', params);
  }
  const list: Parameter[] = [];
  let i = 0;
  for (const p of params as Iterable<unknown>) {
    if (!(p instanceof Parameter)) throw typeError(`${name}[${i}]`, 'a Parameter', p);
    if (seen.has(p)) throw new RangeError(`${name}[${i}]: expected each Parameter once, received a duplicate of ${p.toString()}`);
    seen.add(p);
    list.push(p);
    i++;
  }
  if (list.length === 0) throw new RangeError(`${name}: expected at least one Parameter, received an empty list`);
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
  // max-norm (Srivastava et al. 2014): after each update, every column of a weight matrix (a unit's
  // incoming weights in the (in, out) layout; 2-D parameters only, never biases) whose L2 norm
  // exceeds maxNorm is scaled back to it, as torch.renorm; 0 (default): off
  maxNorm?: number;
}

// a parameter group as given (torch.optim's dicts): its parameters and the options it overrides
export type ParamGroupSpec<H> = { params: Iterable<Parameter> } & Partial<H>;

// a live parameter group, as torch's optimizer.param_groups: hyper-parameters may be set on it (a
// schedule sets each group's lr); step() checks every value by the rules of src/optim/rules.ts
export type ParamGroup<H> = H & {
  readonly params: readonly Parameter[];
  // the lr when the first LR schedule on the optimizer was created (torch's 'initial_lr')
  initialLr?: number;
};

// the hyper-parameters every group has
export interface BaseHyper {
  lr: number;
  l1: number;
  maxNorm: number;
}

export function checkLr(name: string, v: unknown): number {
  return checkHyper(name, 'lr', v);
}

// params as given: a flat iterable of Parameter (one group) or of group objects with params
function splitGroups(params: unknown): { params: unknown; options: Record<string, unknown>; name: string }[] {
  if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw typeError('params', 'an iterable of Parameter or of parameter groups {params, ...options}', params);
  }
  const items = [...(params as Iterable<unknown>)];
  const first = items[0];
  const grouped = first !== null && typeof first === 'object' && !(first instanceof Parameter) && 'params' in first;
  if (!grouped) return [{ params: items, options: {}, name: 'params' }];
  return items.map((g, gi) => {
    if (g === null || typeof g !== 'object' || g instanceof Parameter) {
      throw typeError(`params[${gi}]`, 'a parameter group {params, ...options} like params[0]', g);
    }
    const { params: ps, ...options } = g as Record<string, unknown>;
    return { params: ps, options, name: `params[${gi}].params` };
  });
}

export abstract class Optimizer<H extends BaseHyper = BaseHyper> {
  // every group's parameters, in order (group 0's first)
  readonly params: readonly Parameter[];
  readonly paramGroups: readonly ParamGroup<H>[];
  readonly device: Device;
  protected readonly kernels: Kernels;
  // the group of each parameter (by index in params)
  protected readonly groupOf: Uint32Array;
  // per-parameter scratch for grad + l1 sign(param), created on the first step with l1 != 0
  private readonly l1Scratch: (FloatArray | null)[];

  // defaults: the constructor's options; groupKeys: the options a group may set;
  // checkGroup: a group's hyper-parameters from its options over the defaults, checked
  protected constructor(
    params: unknown,
    defaults: Record<string, unknown>,
    groupKeys: readonly string[],
    checkGroup: (prefix: string, o: Record<string, unknown>) => H,
  ) {
    this.device = deviceOption('options.device', defaults.device);
    const specs = splitGroups(params);
    const all: Parameter[] = [];
    const seen = new Set<Parameter>();
    const groups: ParamGroup<H>[] = [];
    specs.forEach((spec, gi) => {
      const list = checkParams(spec.params, spec.name, seen);
      const prefix = specs.length === 1 && spec.name === 'params' ? 'options' : `params[${gi}]`;
      checkKeys(prefix, spec.options, groupKeys);
      const merged = { ...defaults };
      for (const [k, v] of Object.entries(spec.options)) if (v !== undefined) merged[k] = v;
      groups.push({ ...checkGroup(prefix, merged), params: Object.freeze(list) });
      all.push(...list);
    });
    this.params = Object.freeze(all);
    this.paramGroups = Object.freeze(groups);
    this.groupOf = new Uint32Array(all.length);
    let i = 0;
    groups.forEach((g, gi) => g.params.forEach(() => (this.groupOf[i++] = gi)));
    this.l1Scratch = this.params.map(() => null);
    this.kernels = backend(this.device);
  }

  // the learning rate of the first group; setting it sets every group's (schedules set each group's)
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  set lr(v: number) {
    this.setAll('lr', checkLr('lr', v));
  }

  // L1 coefficient (the first group's; setting it sets every group's); 0 switches the penalty off
  get l1(): number {
    return this.paramGroups[0].l1;
  }

  set l1(v: number) {
    this.setAll('l1', checkHyper('l1', 'l1', v));
  }

  // the max-norm bound of the weight matrices (the first group's; setting it sets every group's); 0: off
  get maxNorm(): number {
    return this.paramGroups[0].maxNorm;
  }

  set maxNorm(v: number) {
    this.setAll('maxNorm', checkHyper('maxNorm', 'maxNorm', v));
  }

  // the first group's initialLr (set by the first schedule); setting it sets every group's
  get initialLr(): number | undefined {
    return this.paramGroups[0].initialLr;
  }

  set initialLr(v: number | undefined) {
    const x = v === undefined ? undefined : checkLr('initialLr', v);
    for (const g of this.paramGroups) g.initialLr = x;
  }

  protected setAll<K extends keyof H>(key: K, v: H[K]): void {
    for (const g of this.paramGroups) (g as H)[key] = v;
  }

  // every group's values by the rules (a value set on a group is checked here, before it is used)
  protected checkGroups(check: (prefix: string, o: Record<string, unknown>) => H): void {
    this.paramGroups.forEach((g, gi) => check(`paramGroups[${gi}]`, g as unknown as Record<string, unknown>));
  }

  // after the update of params[i]: its group's max-norm on a weight matrix (a 2-D parameter)
  protected applyMaxNorm(i: number): void {
    const c = this.paramGroups[this.groupOf[i]].maxNorm;
    const p = this.params[i];
    if (c === 0 || p.ndim !== 2) return;
    this.kernels.maxNormColumns(p.shape[0], p.shape[1], p.data, c);
  }

  // each group's max-norm on its weight matrices, what step() does after each update: a fused step
  // calls it after its own update (nothing in a step reads a weight after its update)
  constrain(): void {
    for (let i = 0; i < this.params.length; i++) this.applyMaxNorm(i);
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

  // a group's hyper-parameters for a state dict (initialLr when a schedule set it)
  protected groupHyper(g: ParamGroup<H>): Record<string, HyperValue> {
    const out: Record<string, HyperValue> = {};
    for (const [k, v] of Object.entries(g)) {
      if (k === 'params' || v === undefined) continue;
      out[k] = Array.isArray(v) ? [...(v as number[])] : (v as HyperValue);
    }
    return out;
  }

  // hyper (the first group's) and, with several groups, every group's
  protected hyperDict(): Pick<OptimizerStateDict, 'hyper' | 'groups'> {
    const hyper = this.groupHyper(this.paramGroups[0]);
    return this.paramGroups.length === 1 ? { hyper } : { hyper, groups: this.paramGroups.map((g) => this.groupHyper(g)) };
  }

  // each group's values from a saved dict, checked (nothing assigned); applied by applyGroups
  protected readGroups(dict: OptimizerStateDict, check: (prefix: string, o: Record<string, unknown>) => H): (H & { initialLr?: number })[] {
    const n = this.paramGroups.length;
    const saved = dict.groups === undefined ? null : dict.groups;
    if (saved !== null && (!Array.isArray(saved) || saved.length !== n)) throw rangeError('dict.groups', `${n} parameter groups`, saved);
    if (saved === null && n > 1) throw rangeError('dict.groups', `${n} parameter groups (this optimizer has ${n})`, saved);
    return this.paramGroups.map((_, gi) => {
      const h = (saved === null ? dict.hyper : saved[gi]) as Record<string, unknown>;
      const prefix = saved === null ? 'dict.hyper' : `dict.groups[${gi}]`;
      if (h === null || typeof h !== 'object') throw typeError(prefix, 'an object', h);
      const values = check(prefix, h);
      const initialLr = h.initialLr === undefined ? undefined : checkLr(`${prefix}.initialLr`, h.initialLr);
      return initialLr === undefined ? values : { ...values, initialLr };
    });
  }

  protected applyGroups(values: (H & { initialLr?: number })[]): void {
    values.forEach((v, gi) => {
      const g = this.paramGroups[gi];
      for (const [k, x] of Object.entries(v)) if (x !== undefined) (g as unknown as Record<string, unknown>)[k] = x;
    });
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

  // params[i]'s step from the product pending on its gradient (pendingProduct): the product and the
  // update in one pass over w (Kernels.linearGradStep) with its group's hyper-parameters and the
  // count (SGD: 1 on the step that creates buf; Adam: the step), w copied out in the same pass where
  // a lazy d loss / d x still reads it; then the max-norm, as after any update
  protected stepPending(
    i: number, prod: NonNullable<DeferredWrite['product']>, rule: StepOptimizer,
    buf: FloatArray | null, m: FloatArray | null, v: FloatArray | null, count: number,
  ): void {
    const p = this.params[i];
    const gw = takeData(p.grad as Tensor);
    const keep = pendingWrite(p)?.keep;
    const data = keep === undefined ? p.data : takeData(p);
    // w copied for its lazy reader, or that reader's d loss / d x computed in the pass instead
    const dx = keep?.gradX === undefined ? null : keep.gradX.into(prod.gradZ);
    const st = this.oneState;
    this.writeStepHyper(st, this.groupOf[i]);
    st[STEP_STATE.count] = count;
    this.kernels.linearGradStep(rule, prod.B, prod.IN, prod.OUT, prod.x, prod.gradZ, gw, data, buf, m, v,
      prod.plusZero, keep === undefined || dx !== null ? null : keep.into, st, dx);
    if (dx !== null) keep?.gradX?.done();
    else keep?.taken();
    this.applyMaxNorm(i);
  }

  // the hyper-parameters of group `group` in STEP_STATE's layout at offset o (a fused training step's
  // block of a parameter, linearGradStep's one block); the parameter's number at count is the caller's
  abstract writeStepHyper(state: Float64Array, group: number, o?: number): void;

  private readonly oneState = new Float64Array(STEP_STATE.count + 1);

  // the gradient the kernel sees: grad itself, or grad + l1 sign(param) in a scratch buffer
  // (p.grad is left as backward wrote it). weight decay is added later, inside the kernel.
  protected effectiveGrad(i: number, grad: FloatArray): FloatArray {
    const l1 = this.paramGroups[this.groupOf[i]].l1;
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
