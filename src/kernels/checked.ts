// checked(k): the same kernels with every argument validated in TypeScript before the call goes
// through: TypeError for a wrong type, RangeError for a wrong size or value, each message
// "<kernel>: <arg>: expected ..., received ...". the raw kernels trust their callers; this layer
// is the public door (a bad length that reached C++ would be a crash, not an exception).
import {
  ACT_CODE,
  type AdamOptions,
  type BackendInfo,
  type DType,
  type FloatArray,
  PRECISIONS,
  type Precision,
  type Kernels,
  type Reduction,
  type SgdOptions,
  STEP_STATE,
  type StepPlan,
  type StepPlanSpec,
  type StepOptimizer,
} from './types.js';
import {
  checkBool,
  checkFloatArray,
  checkInt,
  checkNonNegative,
  isArrayOf,
  checkNumber,
  checkOneOf,
  checkPositive,
  checkProbability,
  overlaps,
  rangeError,
  typeError,
} from '../util/check.js';
import { checkHyper } from '../optim/rules.js';

type FloatCtor = Float32ArrayConstructor | Float64ArrayConstructor;

const ACT_CODES: readonly number[] = Object.values(ACT_CODE);
const REDUCTIONS: readonly Reduction[] = ['sum', 'mean'];

// the one rule of a precision, for the kernels' argument and the modules' option: 'float32' (the
// default, when undefined) or 'bf16', which needs float32 arrays (bf16 products round float32 values)
export function checkPrecision(name: string, value: unknown, dtype: DType): Precision {
  if (value === undefined) return 'float32';
  const p = checkOneOf(name, value, PRECISIONS);
  if (p === 'bf16' && dtype !== 'float32') {
    throw rangeError(name, `'float32' with dtype ${dtype} ('bf16' rounds float32 values: it needs dtype 'float32')`, value);
  }
  return p;
}

const dtypeOf = (ctor: FloatCtor): DType => (ctor === Float64Array ? 'float64' : 'float32');

// the element type of a call, from its first float array
function floatCtor(name: string, v: unknown): FloatCtor {
  if (isArrayOf(v, Float32Array)) return Float32Array;
  if (isArrayOf(v, Float64Array)) return Float64Array;
  throw typeError(name, 'a Float32Array or Float64Array', v);
}

function dim(kernel: string, arg: string, v: unknown): number {
  return checkInt(`${kernel}: ${arg}`, v, 0);
}

// a float array of the call's element type with at least len elements
function arr(kernel: string, arg: string, v: unknown, len: number, ctor: FloatCtor): FloatArray {
  checkFloatArray(`${kernel}: ${arg}`, v, len, ctor);
  return v as FloatArray;
}

function optArr(kernel: string, arg: string, v: unknown, len: number, ctor: FloatCtor): FloatArray | null {
  if (v === null) return null;
  if (!isArrayOf(v, ctor)) throw typeError(`${kernel}: ${arg}`, `a ${ctor.name} or null`, v);
  return arr(kernel, arg, v, len, ctor);
}

// one rule on every device for arrays that share memory: an output shares no byte of the elements
// the call touches with any other argument, except that it may be exactly (same buffer, same start)
// one of the inputs listed in `may` (elementwise kernels read each element before they write it).
// the native binding refuses less and the wasm device copies in and out, so without this the three
// devices would give three answers
type Span = readonly [name: string, a: FloatArray | Int32Array | null, n: number];
type OutSpan = readonly [name: string, a: FloatArray | null, n: number, may?: readonly string[]];

function clash(a: ArrayBufferView, na: number, b: ArrayBufferView, nb: number): boolean {
  if (a.buffer !== b.buffer || na <= 0 || nb <= 0) return false;
  const ea = (a as FloatArray).BYTES_PER_ELEMENT;
  const eb = (b as FloatArray).BYTES_PER_ELEMENT;
  return a.byteOffset < b.byteOffset + nb * eb && b.byteOffset < a.byteOffset + na * ea;
}

function disjoint(kernel: string, outs: readonly OutSpan[], ins: readonly Span[]): void {
  outs.forEach(([name, o, n, may = []], i) => {
    if (o === null) return;
    for (const [other, a, m] of ins) {
      if (a === null || !clash(o, n, a, m)) continue;
      if (may.includes(other) && o.byteOffset === a.byteOffset) continue;
      const how = may.includes(other) ? `an array that is ${other} itself or does not overlap it` : `an array that does not overlap ${other}`;
      throw rangeError(`${kernel}: ${name}`, how, o);
    }
    for (const [other, a, m] of outs.slice(0, i)) {
      if (a !== null && clash(o, n, a, m)) throw rangeError(`${kernel}: ${name}`, `an array that does not overlap ${other}`, o);
    }
  });
}

// an Int32Array of at least B class indices, each in [0, C)
function indices(kernel: string, arg: string, v: unknown, B: number, C: number): Int32Array {
  const name = `${kernel}: ${arg}`;
  if (!isArrayOf(v, Int32Array)) throw typeError(name, 'an Int32Array of class indices', v);
  if (v.length < B) throw rangeError(name, `at least ${B} elements`, v);
  for (let i = 0; i < B; i++) {
    if (v[i] < 0 || v[i] >= C) throw rangeError(`${name}[${i}]`, `a class index in [0, ${C})`, v[i]);
  }
  return v;
}

function act(kernel: string, code: unknown, param: unknown): void {
  if (typeof code !== 'number') throw typeError(`${kernel}: act`, 'an activation code', code);
  if (!ACT_CODES.includes(code)) {
    throw rangeError(`${kernel}: act`, `an activation code in {${ACT_CODES.join(', ')}}`, code);
  }
  checkNumber(`${kernel}: param`, param);
  // celu divides by alpha
  if (code === ACT_CODE.celu && param === 0) throw rangeError(`${kernel}: param`, 'a non-zero celu alpha', param);
}

function options(kernel: string, o: unknown): Record<string, unknown> {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw typeError(`${kernel}: o`, 'an options object', o);
  return o as Record<string, unknown>;
}

// [0, 1): a beta of 1 never forgets and makes the bias correction 0
// the optimizers' rule for a beta (src/optim/rules.ts)
function beta(name: string, v: unknown): number {
  return checkHyper(name, 'beta', v);
}

const STEP_LOSSES = ['ffnn', 'cross-entropy', 'mse'] as const;
const SLOT_KEYS = ['data', 'grad', 'buf', 'm', 'v'] as const;

// every array a step writes (each parameter's data, grad, buf, m, v) shares no byte with another:
// the native step updates them in place slot by slot, the reference in another order
function slotsDisjoint(g: string, params: readonly Record<string, unknown>[]): void {
  const seen: Array<readonly [string, FloatArray]> = [];
  params.forEach((p, i) => {
    for (const key of SLOT_KEYS) {
      const a = p[key];
      if (a === null || a === undefined) continue;
      const name = `params[${i}].${key}`;
      for (const [other, b] of seen) {
        if (clash(a as FloatArray, (a as FloatArray).length, b, b.length)) throw rangeError(`${g}: ${name}`, `an array that does not overlap ${other}`, a);
      }
      seen.push([name, a as FloatArray]);
    }
  });
}

// a step-plan spec, fully: the layer chain, every index, every array's type and length
function checkStepSpec(spec: unknown): StepPlanSpec {
  const g = 'createStepPlan';
  if (spec === null || typeof spec !== 'object') throw typeError(`${g}: spec`, 'a step-plan spec object', spec);
  const o = spec as Record<string, unknown>;
  const dtype = checkOneOf(`${g}: spec.dtype`, o.dtype, ['float32', 'float64'] as const);
  checkOneOf(`${g}: spec.loss`, o.loss, STEP_LOSSES);
  checkOneOf(`${g}: spec.reduction`, o.reduction, REDUCTIONS);
  const optimizer = checkOneOf(`${g}: spec.optimizer`, o.optimizer, ['sgd', 'adam'] as const);
  const ctor: FloatCtor = dtype === 'float64' ? Float64Array : Float32Array;
  if (!Array.isArray(o.params) || o.params.length === 0) throw typeError(`${g}: spec.params`, 'a non-empty array of parameters', o.params);
  const params = o.params as unknown[];
  const sizes = params.map((pv, i) => {
    const at = `spec.params[${i}]`;
    if (pv === null || typeof pv !== 'object') throw typeError(`${g}: ${at}`, 'a parameter object', pv);
    const p = pv as Record<string, unknown>;
    const data = arr(g, `${at}.data`, p.data, 1, ctor);
    const n = data.length;
    arr(g, `${at}.grad`, p.grad, n, ctor);
    if (optimizer === 'adam') {
      arr(g, `${at}.m`, p.m, n, ctor);
      arr(g, `${at}.v`, p.v, n, ctor);
    } else if (p.buf !== null && p.buf !== undefined) {
      arr(g, `${at}.buf`, p.buf, n, ctor);
    }
    return n;
  });
  if (!Array.isArray(o.layers) || o.layers.length === 0) throw typeError(`${g}: spec.layers`, 'a non-empty array of layers', o.layers);
  const role = params.map(() => 0);
  let prevOut = -1;
  (o.layers as unknown[]).forEach((lv, l) => {
    const at = `spec.layers[${l}]`;
    if (lv === null || typeof lv !== 'object') throw typeError(`${g}: ${at}`, 'a layer object', lv);
    const ly = lv as Record<string, unknown>;
    const IN = checkInt(`${g}: ${at}.IN`, ly.IN, 1);
    const OUT = checkInt(`${g}: ${at}.OUT`, ly.OUT, 1);
    if (prevOut >= 0 && IN !== prevOut) throw rangeError(`${g}: ${at}.IN`, `the OUT of the layer before (${prevOut})`, IN);
    prevOut = OUT;
    const scalar = checkInt(`${g}: ${at}.scalar`, ly.scalar, -1, params.length - 1);
    // a learnable beta or alpha is read from its parameter at each step: param is a placeholder then
    act(g, ly.act, scalar >= 0 && typeof ly.param === 'number' && Number.isFinite(ly.param) ? 1 : ly.param);
    const w = checkInt(`${g}: ${at}.w`, ly.w, 0, params.length - 1);
    const b = checkInt(`${g}: ${at}.b`, ly.b, -1, params.length - 1);
    if (ly.act === ACT_CODE.identity && scalar >= 0) throw rangeError(`${g}: ${at}.scalar`, '-1 (no activation)', scalar);
    checkPrecision(`${g}: ${at}.precision`, ly.precision, dtype);
    const claim = (i: number, kind: number, n: number, what: string): void => {
      if (role[i] !== 0 && !(kind === 2 && role[i] === 2)) {
        throw rangeError(`${g}: ${at}.${what}`, 'a parameter no other layer uses as a weight or bias', i);
      }
      role[i] = kind;
      if (sizes[i] !== n) throw rangeError(`${g}: ${at}.${what}`, `a parameter of ${n} elements`, `params[${i}] of ${sizes[i]}`);
    };
    claim(w, 1, IN * OUT, 'w');
    if (b >= 0) claim(b, 1, OUT, 'b');
    if (scalar >= 0) claim(scalar, 2, 1, 'scalar');
  });
  role.forEach((r, i) => {
    if (r === 0) throw rangeError(`${g}: spec.params[${i}]`, 'a parameter some layer uses', 'an unused parameter');
  });
  if (o.drops !== undefined) {
    if (!Array.isArray(o.drops)) throw typeError(`${g}: spec.drops`, 'an array of dropouts', o.drops);
    let last = 0;
    (o.drops as unknown[]).forEach((dv, i) => {
      const at = `spec.drops[${i}]`;
      if (dv === null || typeof dv !== 'object') throw typeError(`${g}: ${at}`, 'a dropout object', dv);
      const d = dv as Record<string, unknown>;
      // ordered: at least the one before's place
      last = checkInt(`${g}: ${at}.at`, d.at, last, (o.layers as unknown[]).length);
      checkProbability(`${g}: ${at}.p`, d.p);
      if (!(d.state instanceof Uint32Array)) throw typeError(`${g}: ${at}.state`, 'a Uint32Array of 4 generator words', d.state);
      if (d.state.length < 4) throw rangeError(`${g}: ${at}.state`, 'at least 4 elements', d.state);
    });
  }
  slotsDisjoint(g, params as Record<string, unknown>[]);
  if (!isArrayOf(o.state, Float64Array)) throw typeError(`${g}: spec.state`, 'a Float64Array', o.state);
  if (o.state.length < STEP_STATE.stride * params.length) {
    throw rangeError(`${g}: spec.state`, `at least ${STEP_STATE.stride * params.length} elements (STEP_STATE.stride per parameter)`, o.state);
  }
  if (o.clipGradNorm !== undefined && o.clipGradNorm !== null) checkNonNegative(`${g}: spec.clipGradNorm`, o.clipGradNorm);
  return spec as StepPlanSpec;
}

export function checked(k: Kernels): Kernels {
  // the spec each plan of this door was made from, for trainStep's checks
  const specs = new WeakMap<StepPlan, StepPlanSpec>();
  return Object.freeze({
    name: k.name,

    info(): BackendInfo {
      return k.info();
    },

    setNumThreads(n: number): void {
      k.setNumThreads(checkInt('setNumThreads: n', n, 1, 256));
    },

    getNumThreads(): number {
      return k.getNumThreads();
    },

    // c is (M, N); a is (M, K) or (K, M); b is (K, N) or (N, K)
    gemm(
      transA: boolean, transB: boolean, M: number, N: number, K: number,
      alpha: number, a: FloatArray, b: FloatArray, beta: number, c: FloatArray, precision?: Precision,
    ): void {
      const g = 'gemm';
      checkBool(`${g}: transA`, transA);
      checkBool(`${g}: transB`, transB);
      dim(g, 'M', M);
      dim(g, 'N', N);
      dim(g, 'K', K);
      checkNumber(`${g}: alpha`, alpha);
      checkNumber(`${g}: beta`, beta);
      const ctor = floatCtor(`${g}: a`, a);
      arr(g, 'a', a, M * K, ctor);
      arr(g, 'b', b, K * N, ctor);
      arr(g, 'c', c, M * N, ctor);
      disjoint(g, [['c', c, M * N]], [['a', a, M * K], ['b', b, K * N]]);
      const p = checkPrecision(`${g}: precision`, precision, dtypeOf(ctor));
      k.gemm(transA, transB, M, N, K, alpha, a, b, beta, c, p);
    },

    // x, y, pre are (B, N); bias is (N)
    biasAct(
      B: number, N: number, x: FloatArray, bias: FloatArray | null,
      code: number, param: number, y: FloatArray, pre: FloatArray | null,
    ): void {
      const g = 'biasAct';
      dim(g, 'B', B);
      dim(g, 'N', N);
      const ctor = floatCtor(`${g}: x`, x);
      arr(g, 'x', x, B * N, ctor);
      optArr(g, 'bias', bias, N, ctor);
      act(g, code, param);
      arr(g, 'y', y, B * N, ctor);
      optArr(g, 'pre', pre, B * N, ctor);
      disjoint(g, [['y', y, B * N, ['x']], ['pre', pre, B * N, ['x']]], [['x', x, B * N], ['bias', bias, N]]);
      k.biasAct(B, N, x, bias, code, param, y, pre);
    },

    // z, gradOut, gradIn are (B, N); gradBias is (N)
    actBackward(
      B: number, N: number, z: FloatArray, gradOut: FloatArray,
      code: number, param: number, gradIn: FloatArray, gradBias: FloatArray | null,
    ): number {
      const g = 'actBackward';
      dim(g, 'B', B);
      dim(g, 'N', N);
      const ctor = floatCtor(`${g}: z`, z);
      arr(g, 'z', z, B * N, ctor);
      arr(g, 'gradOut', gradOut, B * N, ctor);
      act(g, code, param);
      arr(g, 'gradIn', gradIn, B * N, ctor);
      optArr(g, 'gradBias', gradBias, N, ctor);
      disjoint(g, [['gradIn', gradIn, B * N, ['z', 'gradOut']], ['gradBias', gradBias, N]], [['z', z, B * N], ['gradOut', gradOut, B * N]]);
      return k.actBackward(B, N, z, gradOut, code, param, gradIn, gradBias);
    },

    // x is (B, IN), w is (IN, OUT), bias is (OUT), y and pre are (B, OUT)
    linearForward(
      B: number, IN: number, OUT: number, x: FloatArray, w: FloatArray, bias: FloatArray | null,
      code: number, param: number, y: FloatArray, pre: FloatArray | null, precision?: Precision,
    ): void {
      const g = 'linearForward';
      dim(g, 'B', B);
      dim(g, 'IN', IN);
      dim(g, 'OUT', OUT);
      const ctor = floatCtor(`${g}: x`, x);
      arr(g, 'x', x, B * IN, ctor);
      arr(g, 'w', w, IN * OUT, ctor);
      optArr(g, 'bias', bias, OUT, ctor);
      act(g, code, param);
      arr(g, 'y', y, B * OUT, ctor);
      optArr(g, 'pre', pre, B * OUT, ctor);
      // written tile by tile while x and w are still read: no output may touch an input
      disjoint(g, [['y', y, B * OUT], ['pre', pre, B * OUT]], [['x', x, B * IN], ['w', w, IN * OUT], ['bias', bias, OUT]]);
      const p = checkPrecision(`${g}: precision`, precision, dtypeOf(ctor));
      k.linearForward(B, IN, OUT, x, w, bias, code, param, y, pre, p);
    },

    // x is (B, IN), w is (IN, OUT), z, gradOut, gradZ are (B, OUT), gradW is (IN, OUT),
    // gradBias is (OUT), gradX is (B, IN)
    linearBackward(
      B: number, IN: number, OUT: number, x: FloatArray, w: FloatArray, z: FloatArray,
      gradOut: FloatArray, code: number, param: number, gradZ: FloatArray,
      gradW: FloatArray | null, gradBias: FloatArray | null, gradX: FloatArray | null, accumulate: boolean,
      precision?: Precision,
    ): number {
      const g = 'linearBackward';
      dim(g, 'B', B);
      dim(g, 'IN', IN);
      dim(g, 'OUT', OUT);
      const ctor = floatCtor(`${g}: x`, x);
      arr(g, 'x', x, B * IN, ctor);
      arr(g, 'w', w, IN * OUT, ctor);
      arr(g, 'z', z, B * OUT, ctor);
      arr(g, 'gradOut', gradOut, B * OUT, ctor);
      act(g, code, param);
      arr(g, 'gradZ', gradZ, B * OUT, ctor);
      optArr(g, 'gradW', gradW, IN * OUT, ctor);
      optArr(g, 'gradBias', gradBias, OUT, ctor);
      optArr(g, 'gradX', gradX, B * IN, ctor);
      checkBool(`${g}: accumulate`, accumulate);
      disjoint(
        g,
        [['gradZ', gradZ, B * OUT, ['z', 'gradOut']], ['gradW', gradW, IN * OUT], ['gradBias', gradBias, OUT], ['gradX', gradX, B * IN]],
        [['x', x, B * IN], ['w', w, IN * OUT], ['z', z, B * OUT], ['gradOut', gradOut, B * OUT]],
      );
      const p = checkPrecision(`${g}: precision`, precision, dtypeOf(ctor));
      return k.linearBackward(B, IN, OUT, x, w, z, gradOut, code, param, gradZ, gradW, gradBias, gradX, accumulate, p);
    },

    // x, y are (B, C)
    softmax(B: number, C: number, x: FloatArray, y: FloatArray): void {
      const g = 'softmax';
      dim(g, 'B', B);
      dim(g, 'C', C);
      const ctor = floatCtor(`${g}: x`, x);
      arr(g, 'x', x, B * C, ctor);
      arr(g, 'y', y, B * C, ctor);
      disjoint(g, [['y', y, B * C, ['x']]], [['x', x, B * C]]);
      k.softmax(B, C, x, y);
    },

    // logits, probs, grad are (B, C); target is (B, C) floats or (B) class indices
    softmaxCrossEntropy(
      B: number, C: number, logits: FloatArray, target: FloatArray | Int32Array,
      probs: FloatArray | null, grad: FloatArray | null,
    ): number {
      const g = 'softmaxCrossEntropy';
      dim(g, 'B', B);
      dim(g, 'C', C);
      const ctor = floatCtor(`${g}: logits`, logits);
      arr(g, 'logits', logits, B * C, ctor);
      if (target instanceof Int32Array) indices(g, 'target', target, B, C);
      else if (target instanceof ctor) arr(g, 'target', target, B * C, ctor);
      else throw typeError(`${g}: target`, `a ${ctor.name} or an Int32Array of class indices`, target);
      optArr(g, 'probs', probs, B * C, ctor);
      optArr(g, 'grad', grad, B * C, ctor);
      // each logit and target is read before probs or grad is written there
      const may = target instanceof Int32Array ? ['logits'] : ['logits', 'target'];
      disjoint(g, [['probs', probs, B * C, may], ['grad', grad, B * C, may]], [['logits', logits, B * C], ['target', target, target instanceof Int32Array ? B : B * C]]);
      return k.softmaxCrossEntropy(B, C, logits, target, probs, grad);
    },

    // q, p are (B, C)
    ceLoss(B: number, C: number, q: FloatArray, p: FloatArray, stable: boolean, epsilon: number): number {
      const g = 'ceLoss';
      dim(g, 'B', B);
      dim(g, 'C', C);
      const ctor = floatCtor(`${g}: q`, q);
      arr(g, 'q', q, B * C, ctor);
      arr(g, 'p', p, B * C, ctor);
      checkBool(`${g}: stable`, stable);
      checkPositive(`${g}: epsilon`, epsilon);
      return k.ceLoss(B, C, q, p, stable, epsilon);
    },

    // q is (B, C), target is (B)
    categoricalCELoss(
      B: number, C: number, q: FloatArray, target: Int32Array, stable: boolean, epsilon: number,
    ): number {
      const g = 'categoricalCELoss';
      dim(g, 'B', B);
      dim(g, 'C', C);
      const ctor = floatCtor(`${g}: q`, q);
      arr(g, 'q', q, B * C, ctor);
      indices(g, 'target', target, B, C);
      checkBool(`${g}: stable`, stable);
      checkPositive(`${g}: epsilon`, epsilon);
      return k.categoricalCELoss(B, C, q, target, stable, epsilon);
    },

    // pred, target, grad are (n)
    mseLoss(n: number, pred: FloatArray, target: FloatArray, reduction: Reduction, grad: FloatArray | null): number {
      const g = 'mseLoss';
      dim(g, 'n', n);
      const ctor = floatCtor(`${g}: pred`, pred);
      arr(g, 'pred', pred, n, ctor);
      arr(g, 'target', target, n, ctor);
      checkOneOf(`${g}: reduction`, reduction, REDUCTIONS);
      optArr(g, 'grad', grad, n, ctor);
      disjoint(g, [['grad', grad, n, ['pred', 'target']]], [['pred', pred, n], ['target', target, n]]);
      return k.mseLoss(n, pred, target, reduction, grad);
    },

    // param, grad, buf are (n)
    sgdStep(n: number, param: FloatArray, grad: FloatArray, buf: FloatArray | null, o: SgdOptions): void {
      const g = 'sgdStep';
      dim(g, 'n', n);
      const ctor = floatCtor(`${g}: param`, param);
      arr(g, 'param', param, n, ctor);
      arr(g, 'grad', grad, n, ctor);
      const opts = options(g, o);
      // the optimizers' rules (src/optim/rules.ts)
      checkHyper(`${g}: o.lr`, 'lr', opts.lr);
      const momentum = checkHyper(`${g}: o.momentum`, 'momentum', opts.momentum);
      const dampening = checkHyper(`${g}: o.dampening`, 'dampening', opts.dampening);
      const nesterov = checkHyper(`${g}: o.nesterov`, 'nesterov', opts.nesterov);
      checkHyper(`${g}: o.weightDecay`, 'weightDecay', opts.weightDecay);
      checkBool(`${g}: o.firstStep`, opts.firstStep);
      // as torch.optim.SGD: nesterov needs a momentum and zero dampening
      if (nesterov && (momentum === 0 || dampening !== 0)) {
        throw rangeError(`${g}: o.nesterov`, 'false unless momentum > 0 and dampening is 0', nesterov);
      }
      if (momentum !== 0) {
        if (buf === null) throw typeError(`${g}: buf`, `a ${ctor.name} when momentum is not 0`, buf);
        arr(g, 'buf', buf, n, ctor);
      } else {
        optArr(g, 'buf', buf, n, ctor);
      }
      disjoint(g, [['param', param, n], ['buf', momentum === 0 ? null : buf, n]], [['grad', grad, n]]);
      k.sgdStep(n, param, grad, buf, o);
    },

    // param, grad, m, v are (n)
    adamStep(n: number, param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, o: AdamOptions): void {
      const g = 'adamStep';
      dim(g, 'n', n);
      const ctor = floatCtor(`${g}: param`, param);
      arr(g, 'param', param, n, ctor);
      arr(g, 'grad', grad, n, ctor);
      arr(g, 'm', m, n, ctor);
      arr(g, 'v', v, n, ctor);
      const opts = options(g, o);
      checkHyper(`${g}: o.lr`, 'lr', opts.lr);
      beta(`${g}: o.beta1`, opts.beta1);
      beta(`${g}: o.beta2`, opts.beta2);
      checkHyper(`${g}: o.eps`, 'eps', opts.eps);
      checkHyper(`${g}: o.weightDecay`, 'weightDecay', opts.weightDecay);
      checkHyper(`${g}: o.decoupled`, 'decoupled', opts.decoupled);
      checkInt(`${g}: o.step`, opts.step, 1);
      disjoint(g, [['param', param, n], ['m', m, n], ['v', v, n]], [['grad', grad, n]]);
      k.adamStep(n, param, grad, m, v, o);
    },

    // x is (n)
    vectorNorm(n: number, x: FloatArray, p: number): number {
      const g = 'vectorNorm';
      dim(g, 'n', n);
      arr(g, 'x', x, n, floatCtor(`${g}: x`, x));
      if (typeof p !== 'number') throw typeError(`${g}: p`, 'a number > 0 or Infinity', p);
      if (!(p > 0)) throw rangeError(`${g}: p`, 'a number > 0 or Infinity', p);
      return k.vectorNorm(n, x, p);
    },

    // x is (n)
    scale(n: number, x: FloatArray, alpha: number): void {
      const g = 'scale';
      dim(g, 'n', n);
      arr(g, 'x', x, n, floatCtor(`${g}: x`, x));
      if (typeof alpha !== 'number') throw typeError(`${g}: alpha`, 'a number', alpha);
      k.scale(n, x, alpha);
    },

    // x is (n)
    clampAbs(n: number, x: FloatArray, c: number): void {
      const g = 'clampAbs';
      dim(g, 'n', n);
      arr(g, 'x', x, n, floatCtor(`${g}: x`, x));
      checkNonNegative(`${g}: c`, c);
      k.clampAbs(n, x, c);
    },

    // w is (IN, OUT)
    maxNormColumns(IN: number, OUT: number, w: FloatArray, maxNorm: number): void {
      const g = 'maxNormColumns';
      dim(g, 'IN', IN);
      dim(g, 'OUT', OUT);
      arr(g, 'w', w, IN * OUT, floatCtor(`${g}: w`, w));
      // the optimizers' maxNorm rule, where 0 (off) never reaches the kernel
      if (checkHyper(`${g}: maxNorm`, 'maxNorm', maxNorm) === 0) throw rangeError(`${g}: maxNorm`, 'a number > 0', maxNorm);
      k.maxNormColumns(IN, OUT, w, maxNorm);
    },

    // x, mask, y are (n); state is 4 words
    dropoutForward(n: number, x: FloatArray, p: number, state: Uint32Array, mask: FloatArray, y: FloatArray): void {
      const g = 'dropoutForward';
      dim(g, 'n', n);
      const ctor = floatCtor(`${g}: x`, x);
      arr(g, 'x', x, n, ctor);
      checkProbability(`${g}: p`, p);
      if (!(state instanceof Uint32Array)) throw typeError(`${g}: state`, 'a Uint32Array of 4 generator words', state);
      if (state.length < 4) throw rangeError(`${g}: state`, 'at least 4 elements', state);
      arr(g, 'mask', mask, n, ctor);
      arr(g, 'y', y, n, ctor);
      k.dropoutForward(n, x, p, state, mask, y);
    },

    // g, mask, gradIn are (n)
    dropoutBackward(n: number, gv: FloatArray, mask: FloatArray, gradIn: FloatArray): void {
      const g = 'dropoutBackward';
      dim(g, 'n', n);
      const ctor = floatCtor(`${g}: g`, gv);
      arr(g, 'g', gv, n, ctor);
      arr(g, 'mask', mask, n, ctor);
      arr(g, 'gradIn', gradIn, n, ctor);
      k.dropoutBackward(n, gv, mask, gradIn);
    },

    // x is (B, IN), gradZ is (B, OUT), gradW, param, buf, m, v are (IN, OUT)
    linearGradStep(
      optimizer: StepOptimizer, B: number, IN: number, OUT: number, x: FloatArray, gradZ: FloatArray,
      gradW: FloatArray, param: FloatArray, buf: FloatArray | null, m: FloatArray | null,
      v: FloatArray | null, plusZero: boolean, keep: FloatArray | null, state: Float64Array,
      gradX: FloatArray | null = null,
    ): void {
      const g = 'linearGradStep';
      checkOneOf(`${g}: optimizer`, optimizer, ['sgd', 'adam'] as const);
      dim(g, 'B', B);
      dim(g, 'IN', IN);
      dim(g, 'OUT', OUT);
      const ctor = floatCtor(`${g}: x`, x);
      arr(g, 'x', x, B * IN, ctor);
      arr(g, 'gradZ', gradZ, B * OUT, ctor);
      arr(g, 'gradW', gradW, IN * OUT, ctor);
      arr(g, 'param', param, IN * OUT, ctor);
      checkBool(`${g}: plusZero`, plusZero);
      optArr(g, 'keep', keep, IN * OUT, ctor);
      optArr(g, 'gradX', gradX, B * IN, ctor);
      if (!(state instanceof Float64Array) || state.length < STEP_STATE.count + 1) {
        throw typeError(`${g}: state`, `a Float64Array of ${STEP_STATE.count + 1} numbers (STEP_STATE, then the count)`, state);
      }
      stepHyper(g, state, optimizer);
      const count = state[STEP_STATE.count];
      if (optimizer === 'adam') {
        arr(g, 'm', m, IN * OUT, ctor);
        arr(g, 'v', v, IN * OUT, ctor);
        checkInt(`${g}: state[${STEP_STATE.count}] (step)`, count, 1);
      } else if (state[STEP_STATE.momentum] !== 0) {
        arr(g, 'buf', buf, IN * OUT, ctor);
      }
      const n = IN * OUT;
      disjoint(
        g,
        [['gradW', gradW, n], ['param', param, n], ['buf', buf, n], ['m', m, n], ['v', v, n], ['keep', keep, n], ['gradX', gradX, B * IN]],
        [['x', x, B * IN], ['gradZ', gradZ, B * OUT]],
      );
      k.linearGradStep(optimizer, B, IN, OUT, x, gradZ, gradW, param, buf, m, v, plusZero, keep, state, gradX);
    },

    createStepPlan(spec: StepPlanSpec): StepPlan {
      const plan = k.createStepPlan(checkStepSpec(spec));
      specs.set(plan, spec);
      return plan;
    },

    // x is (B, IN); y is (B) class indices or (B, C) floats
    trainStep(plan: StepPlan, B: number, x: FloatArray, y: FloatArray | Int32Array): number {
      const g = 'trainStep';
      const spec = plan !== null && typeof plan === 'object' ? specs.get(plan) : undefined;
      if (spec === undefined) throw typeError(`${g}: plan`, 'a plan from this backend\'s createStepPlan', plan);
      checkInt(`${g}: B`, B, 1);
      const ctor: FloatCtor = spec.dtype === 'float64' ? Float64Array : Float32Array;
      const IN = plan.inFeatures;
      const C = plan.outFeatures;
      arr(g, 'x', x, B * IN, ctor);
      if (y instanceof Int32Array && spec.loss !== 'mse') indices(g, 'y', y, B, C);
      else arr(g, 'y', y, B * C, ctor);
      const st = spec.state;
      spec.params.forEach((p, i) => {
        const n = p.data.length;
        const at = `params[${i}]`;
        const o = STEP_STATE.stride * i;
        stepHyper(g, st, spec.optimizer, o);
        if (n === 0) throw rangeError(`${g}: ${at}.data`, 'a live array (detached?)', p.data);
        // the step reads x and y while it writes these
        for (const [key, a] of [['data', p.data], ['grad', p.grad], ['buf', p.buf], ['m', p.m], ['v', p.v]] as const) {
          if (a === null || a === undefined) continue;
          if (overlaps(x, a)) throw rangeError(`${g}: x`, `an array that does not overlap ${at}.${key}`, x);
          if (!(y instanceof Int32Array) && overlaps(y, a)) throw rangeError(`${g}: y`, `an array that does not overlap ${at}.${key}`, y);
        }
        arr(g, `${at}.grad`, p.grad, n, ctor);
        if (spec.optimizer === 'adam') {
          arr(g, `${at}.m`, p.m, n, ctor);
          arr(g, `${at}.v`, p.v, n, ctor);
          checkInt(`${g}: ${at} step`, st[o + STEP_STATE.count], 1);
        } else if (st[o + STEP_STATE.momentum] !== 0) {
          arr(g, `${at}.buf`, p.buf, n, ctor);
        }
      });
      slotsDisjoint(g, spec.params as unknown as Record<string, unknown>[]);
      // a generator's words, detached or shrunk since the plan was made (the binding's rule)
      (spec.drops ?? []).forEach((d, i) => {
        if (d.state.length < 4) throw rangeError(`${g}: spec.drops[${i}].state`, 'at least 4 elements', d.state);
      });
      return k.trainStep(plan, B, x, y);
    },
  });
}

// the hyper-parameters of a step's state (STEP_STATE layout): finite, in the ranges sgdStep and
// adamStep take (the optimizers' own)
// (the block at offset o: a plan's state has one per parameter)
function stepHyper(g: string, st: Float64Array, optimizer: StepOptimizer, o = 0): void {
  for (let i = o; i < o + STEP_STATE.count; i++) checkNumber(`${g}: state[${i}]`, st[i]);
  const S = STEP_STATE;
  const at = (i: number, name: string): string => `${g}: state[${o + i}] (${name})`;
  checkHyper(at(S.lr, 'lr'), 'lr', st[o + S.lr]);
  checkHyper(at(S.weightDecay, 'weightDecay'), 'weightDecay', st[o + S.weightDecay]);
  checkHyper(at(S.l1, 'l1'), 'l1', st[o + S.l1]);
  if (optimizer === 'adam') {
    beta(at(S.beta1, 'beta1'), st[o + S.beta1]);
    beta(at(S.beta2, 'beta2'), st[o + S.beta2]);
    checkHyper(at(S.eps, 'eps'), 'eps', st[o + S.eps]);
  } else {
    checkHyper(at(S.momentum, 'momentum'), 'momentum', st[o + S.momentum]);
    checkHyper(at(S.dampening, 'dampening'), 'dampening', st[o + S.dampening]);
    if (st[o + S.nesterov] !== 0 && (st[o + S.momentum] === 0 || st[o + S.dampening] !== 0)) {
      throw rangeError(at(S.nesterov, 'nesterov'), '0 unless momentum > 0 and dampening is 0', st[o + S.nesterov]);
    }
  }
}
