// inverted dropout: in training each element is kept with probability 1 - p and scaled by 1 / (1 - p),
// so eval is the identity. the mask is drawn by the device's dropoutForward kernel from the module's
// seeded generator (its state words, in element order): the same masks on every device and thread
// count, and the same as a fused TrainStep draws. x, y, mask are (B, N).
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { checkProbability } from '../util/check.js';
import { Module, type Unchecked } from './module.js';
import { MODULE_KEYS, type ModuleOptions } from './options.js';
import { checkFinite, checkLike, checkMatrix } from './validate.js';
import { Workspace } from './workspace.js';

export class Dropout extends Module implements Unchecked {
  readonly p: number;
  private readonly rng: Rng;
  private readonly ws = new Workspace();
  // the scale of each element in the last training forward (0 or 1 / (1 - p)); null after an eval forward
  private mask: Tensor | null = null;
  private shape: readonly number[] | null = null;

  constructor(p = 0.5, opts?: ModuleOptions) {
    super(opts, { cls: Dropout, keys: MODULE_KEYS });
    this.p = checkProbability('p', p);
    this.rng = new Rng(this.seed);
  }

  forward(x: Tensor): Tensor {
    this.followDtype(x);
    checkMatrix('x', x, undefined, this.dtype, this);
    checkFinite('x', x, this.kernels);
    return this.uncheckedForward(x);
  }

  backward(gradOut: Tensor): Tensor {
    if (this.shape === null) throw new Error(`${this.toString()}: backward called before forward`);
    checkLike('gradOut', gradOut, this.shape[0], this.shape[1], this.dtype, this);
    checkFinite('gradOut', gradOut, this.kernels);
    return this.uncheckedBackward(gradOut);
  }

  uncheckedForward(x: Tensor): Tensor {
    this.shape = x.shape;
    if (!this.training || this.p === 0) {
      this.mask = null;
      return x;
    }
    const [B, N] = x.shape;
    const mask = this.ws.get('mask', B, N, this.dtype);
    const y = this.ws.get('y', B, N, this.dtype);
    this.kernels.dropoutForward(B * N, x.data, this.p, this.rng.state, mask.data, y.data);
    this.mask = mask;
    return y;
  }

  uncheckedBackward(gradOut: Tensor): Tensor {
    if (this.mask === null) return gradOut;
    const [B, N] = this.mask.shape;
    const gradIn = this.ws.get('gradIn', B, N, this.dtype);
    this.kernels.dropoutBackward(B * N, gradOut.data, this.mask.data, gradIn.data);
    return gradIn;
  }

  // what a fused training step needs to stand for this module's forward and backward: null when it is
  // the identity (eval mode, or p = 0), else its p and its generator's state words, which the step's
  // dropoutForward advances in place exactly as forward would
  fusedDrop(): { p: number; state: Uint32Array } | null {
    return !this.training || this.p === 0 ? null : { p: this.p, state: this.rng.state };
  }

  // whether a fused step stands for this module: it runs its class's own forward and backward (the
  // unchecked ones Sequential calls included) and describes itself as the class does
  get fusable(): boolean {
    const P = Dropout.prototype;
    return this.isPlainBuiltin() && this.uncheckedForward === P.uncheckedForward && this.uncheckedBackward === P.uncheckedBackward && this.fusedDrop === P.fusedDrop;
  }

  override toString(): string {
    return `Dropout(p=${this.p})`;
  }
}
