// inverted dropout: in training each element is kept with probability 1 - p and scaled by 1 / (1 - p),
// so eval is the identity. the mask comes from the module's seeded generator (native code never
// draws random numbers). x, y, mask are (B, N).
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { checkNumber, rangeError } from '../util/check.js';
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
    checkNumber('p', p);
    if (p < 0 || p > 1) throw rangeError('p', 'a probability in [0, 1]', p);
    this.p = p;
    this.rng = new Rng(this.seed);
  }

  forward(x: Tensor): Tensor {
    this.followDtype(x);
    checkMatrix('x', x, undefined, this.dtype, this);
    checkFinite('x', x);
    return this.uncheckedForward(x);
  }

  backward(gradOut: Tensor): Tensor {
    if (this.shape === null) throw new Error(`${this.toString()}: backward called before forward`);
    checkLike('gradOut', gradOut, this.shape[0], this.shape[1], this.dtype, this);
    checkFinite('gradOut', gradOut);
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
    // p = 1 drops everything (torch gives zeros, not 0 * inf)
    const scale = this.p === 1 ? 0 : 1 / (1 - this.p);
    const m = mask.data;
    const xd = x.data;
    const yd = y.data;
    for (let i = 0; i < m.length; i++) {
      m[i] = this.rng.uniform() < this.p ? 0 : scale;
      yd[i] = xd[i] * m[i];
    }
    this.mask = mask;
    return y;
  }

  uncheckedBackward(gradOut: Tensor): Tensor {
    if (this.mask === null) return gradOut;
    const [B, N] = this.mask.shape;
    const gradIn = this.ws.get('gradIn', B, N, this.dtype);
    const m = this.mask.data;
    const g = gradOut.data;
    const gi = gradIn.data;
    for (let i = 0; i < m.length; i++) gi[i] = g[i] * m[i];
    return gradIn;
  }

  override toString(): string {
    return `Dropout(p=${this.p})`;
  }
}
