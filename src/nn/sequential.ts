// Sequential: modules run in order; a Linear followed by an activation runs as one fused step
// (gemm + biasAct forward, actBackward + two gemms backward) on the Linear's buffers.
// activations may be given by name. modules without parameters or explicit options take the
// device and dtype of the ones that have them; a mix of devices or dtypes is a TypeError.
// a plain object after the modules holds options: {precision} sets every Linear's (nested ones too).
import { defaultDevice, type Device } from '../kernels/index.js';
import type { DType, Precision } from '../kernels/types.js';
import { checkPrecision } from '../kernels/checked.js';
import type { Tensor } from '../tensor.js';
import { checkKeys, describe, rangeError, typeError } from '../util/check.js';
import { Activation, activation, type ActivationSpec } from './activation.js';
import { Dropout } from './dropout.js';
import { fusedLayer, type FusedDrop, type FusedLayer, type FusedPlan } from './fused.js';
import { Linear } from './linear.js';
import { Softmax } from './softmax.js';
import { Module, isUnchecked } from './module.js';
import { checkFinite, checkLike, checkMatrix, checkRows, widestOf } from './validate.js';

export interface SequentialOptions {
  // 'bf16' (dtype float32 only): every Linear's products with bf16 operands (Linear's precision)
  precision?: Precision;
}

type Step =
  | { kind: 'dense'; linear: Linear; act: Activation | null }
  | { kind: 'module'; module: Module };

export class Sequential extends Module {
  readonly modules: readonly Module[];
  private readonly steps: readonly Step[];
  private readonly inWidth: number | undefined;
  private out: Tensor | null = null;
  // the input of every step in the last forward (a user module's gradient must match its input)
  private inputs: Tensor[] = [];
  // each dense step's forwardCount after the last forward
  #counts: number[];
  readonly #widest: Linear | null;

  constructor(...args: Array<Module | ActivationSpec | SequentialOptions>) {
    const last = args[args.length - 1];
    const opts = last !== null && typeof last === 'object' && Object.getPrototypeOf(last) === Object.prototype
      ? (last as Record<string, unknown>) : null;
    const modules = opts === null ? args : args.slice(0, -1);
    const list = modules.map((m, i) => {
      if (m instanceof Module) return m;
      if (typeof m === 'string') return activation(m, undefined, `modules[${i}]`);
      throw typeError(`modules[${i}]`, 'a Module or an activation name', m);
    });
    const { device, dtype } = agree(list);
    // no options of its own: placement comes from the modules (the class is named for isPlainBuiltin)
    super(undefined, { cls: Sequential, keys: [] });
    // each module once in the whole network, inside nested Sequentials too: a module keeps one forward
    // for its backward, so a second use would give the first one's gradient the second one's inputs.
    // other modules with children (an FFNN, a user's container) run them as they choose: an FFNN
    // shares one activation among its layers by design
    const seen = new Set<Module>();
    const visit = (m: Module, at: string): void => {
      if (seen.has(m)) throw rangeError(at, 'each module once in a network, nested Sequentials included (a module keeps one forward for its backward)', m);
      seen.add(m);
      if (m instanceof Sequential) m.modules.forEach((c, j) => visit(c, `${at}.modules[${j}]`));
    };
    list.forEach((m, i) => visit(m, `modules[${i}]`));
    list.forEach((m) => m.adopt(device, dtype, this));
    this.modules = Object.freeze(list);
    this.setPlacement(device, dtype);
    if (opts !== null) {
      checkKeys('Sequential options', opts, ['precision']);
      if (opts.precision !== undefined) {
        const p = checkPrecision('Sequential options.precision', opts.precision, dtype);
        const visitLinear = (m: Module): void => {
          if (m instanceof Linear) m.precision = p;
          m.children().forEach(visitLinear);
        };
        list.forEach(visitLinear);
      }
    }
    this.steps = plan(list);
    this.inWidth = checkWidths(list);
    this.#widest = widestOf(this.steps.flatMap((s) => (s.kind === 'dense' ? [s.linear] : [])));
    this.#counts = this.steps.map(() => 0);
  }

  // the i-th module (negative counts from the end)
  at(i: number): Module | undefined {
    return this.modules.at(i);
  }

  override children(): readonly Module[] {
    return this.modules;
  }

  forward(x: Tensor): Tensor {
    checkMatrix('x', x, this.inWidth, this.dtype, 'the first layer');
    checkRows(x, this.#widest);
    checkFinite('x', x, this.kernels);
    // x may be this network's own last output (seq.forward(seq.forward(x))): its last module would
    // write over it while the first keeps it for backward, so the pass runs on a copy
    let h = this.out !== null && x.data.buffer === this.out.data.buffer ? x.clone() : x;
    const inputs: Tensor[] = [];
    // the Linear whose output h is (kept by reference by the next Linear), or null
    let from: Linear | null = null;
    this.steps.forEach((s, i) => {
      inputs.push(h);
      if (s.kind === 'dense') {
        h = s.linear.forwardAct(h.data, h.shape[0], s.act, from);
        from = s.linear;
        return;
      }
      from = null;
      if (isUnchecked(s.module)) h = s.module.uncheckedForward(h);
      else {
        // a user's module: its output is read as [B, width of the next layer], so it is checked
        const B = h.shape[0];
        const next = this.steps[i + 1];
        const out = checkMatrix(`${s.module.toString()}.forward(x)`, s.module.forward(h), next?.kind === 'dense' ? next.linear.inFeatures : undefined, this.dtype, next?.kind === 'dense' ? next.linear : 'the network');
        if (out.shape[0] !== B) throw rangeError(`${s.module.toString()}.forward(x)`, `a tensor of ${B} rows (one per row of its input)`, out);
        h = out;
      }
    });
    this.inputs = inputs;
    this.steps.forEach((s, i) => {
      if (s.kind === 'dense') this.#counts[i] = s.linear.forwardCount;
    });
    this.out = h;
    return h;
  }

  // gradOut is d loss / d output; returns d loss / d x and adds into every parameter's .grad
  backward(gradOut: Tensor): Tensor {
    const out = this.out;
    if (out === null) throw new Error('Sequential: backward called before forward');
    checkLike('gradOut', gradOut, out.shape[0], out.shape[1], this.dtype, 'the output of the last forward');
    checkFinite('gradOut', gradOut, this.kernels);
    let g = gradOut;
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const s = this.steps[i];
      if (s.kind === 'dense') {
        // a layer shared with another network keeps what that network's forward gave it (torch
        // refuses the same through its version counter)
        if (s.linear.forwardCount !== this.#counts[i]) {
          throw new Error(
            `Sequential.backward: ${String(s.linear)} has run forward for another caller since this Sequential's forward ` +
              '(a layer shared by two networks?); call forward again before backward',
          );
        }
        // the first layer's d loss / d x is only returned: computed if it is read
        const dParam = s.linear.backwardAct(g.data, true, i === 0 ? 'lazy' : 'now');
        const p = s.act === null ? null : s.act.param;
        if (p !== null) p.ensureGrad().data[0] += dParam;
        g = s.linear.lastInputGrad as Tensor;
      } else {
        if (isUnchecked(s.module)) g = s.module.uncheckedBackward(g);
        else {
          // a user's module: d loss / d its input, of its input's shape
          const x = this.inputs[i];
          g = checkLike(`${s.module.toString()}.backward(gradOut)`, s.module.backward(g), x.shape[0], x.shape[1], this.dtype, 'the shape of its input');
        }
      }
    }
    return g;
  }

  // this network's forward and backward as a fused step's chain (its own Linear + activation pairing,
  // Dropouts anywhere), or why it is not one (src/nn/fused.ts)
  fusedPlan(): FusedPlan {
    if (!this.isPlainBuiltin()) return { fallback: 'a subclass of Sequential with its own forward or backward' };
    const layers: FusedLayer[] = [];
    const drops: FusedDrop[] = [];
    let i = 0;
    for (let j = 0; j < this.steps.length; j++) {
      const s = this.steps[j];
      if (s.kind === 'dense') {
        layers.push(fusedLayer(s.linear, s.act));
        i += s.act === null ? 1 : 2;
        continue;
      }
      const m = s.module;
      if (m instanceof Dropout && m.fusable) {
        drops.push({ at: layers.length, dropout: m });
        i++;
        continue;
      }
      // a user's subclass of a built-in runs its own methods
      if (m instanceof Linear || m instanceof Dropout) return { fallback: `modules[${i}] is a subclass of ${m instanceof Linear ? 'Linear' : 'Dropout'} with its own forward or backward` };
      if (m instanceof Activation && !m.isPlainBuiltin() && this.steps[j - 1]?.kind === 'dense') {
        return { fallback: `modules[${i}] is a subclass of ${m.kind} with its own forward or backward` };
      }
      return { fallback: `modules[${i}] (${m.toString()}) is not a Linear, the activation after one or a Dropout` };
    }
    if (layers.length === 0) return { fallback: 'no Linear layer' };
    return { loss: 'module', layers, drops };
  }

  override toString(): string {
    return `Sequential(${this.modules.map((m) => m.toString()).join(', ')})`;
  }
}

// the device every module with a fixed device shares, and likewise the dtype (default native, float32)
function agree(list: readonly Module[]): { device: Device; dtype: DType } {
  let dev = -1;
  let dt = -1;
  list.forEach((m, i) => {
    if (m.hasFixedDevice()) {
      if (dev < 0) dev = i;
      else if (m.device !== list[dev].device) {
        throw new TypeError(`modules[${i}]: expected device '${list[dev].device}' like modules[${dev}], received ${describe(m)} on device '${m.device}'`);
      }
    }
    if (m.hasFixedDtype()) {
      if (dt < 0) dt = i;
      else if (m.dtype !== list[dt].dtype) {
        throw new TypeError(`modules[${i}]: expected dtype '${list[dt].dtype}' like modules[${dt}], received ${describe(m)} with dtype '${m.dtype}'`);
      }
    }
  });
  return { device: dev < 0 ? defaultDevice().device : list[dev].device, dtype: dt < 0 ? 'float32' : list[dt].dtype };
}

function plan(list: readonly Module[]): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    const next = list[i + 1];
    // fused only where both run their built-in code (a user's subclass runs its own methods)
    if (m instanceof Linear && m.isPlainBuiltin()) {
      const act = next instanceof Activation && next.isPlainBuiltin() ? next : null;
      steps.push({ kind: 'dense', linear: m, act });
      if (act !== null) i++;
    } else {
      steps.push({ kind: 'module', module: m });
    }
  }
  return steps;
}

// each Linear's inFeatures must equal the width reaching it; returns the input width when known
function checkWidths(list: readonly Module[]): number | undefined {
  let width: number | undefined;
  let from = -1;
  let inWidth: number | undefined;
  let opaque = false;
  list.forEach((m, i) => {
    if (m instanceof Linear) {
      if (from < 0 && !opaque) inWidth = m.inFeatures;
      if (width !== undefined && m.inFeatures !== width) {
        throw rangeError(`modules[${i}]`, `a Linear with ${width} input features (the output width of modules[${from}])`, m.toString());
      }
      width = m.outFeatures;
      from = i;
    } else if (!(m instanceof Activation || m instanceof Dropout || m instanceof Softmax)) {
      // a module of unknown output width
      width = undefined;
      opaque = true;
    }
  });
  return inWidth;
}
