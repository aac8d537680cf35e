// Softmax over each row. x, y, gradOut, gradIn are (B, C).
// backward is the softmax Jacobian-vector product gradIn = y * (gradOut - rowsum(gradOut * y)):
// the Kernels contract has no kernel for it, so it is a plain loop here (B C work, next to B C K gemms)
import type { FloatArray } from '../kernels/types.js';
import type { Tensor } from '../tensor.js';
import { Module, type Unchecked } from './module.js';
import { MODULE_KEYS, type ModuleOptions } from './options.js';
import { checkFinite, checkLike, checkMatrix } from './validate.js';
import { Workspace } from './workspace.js';

export function softmaxBackward(B: number, C: number, y: FloatArray, gradOut: FloatArray, gradIn: FloatArray): void {
  for (let i = 0; i < B; i++) {
    const row = i * C;
    let dot = 0;
    for (let j = 0; j < C; j++) dot += gradOut[row + j] * y[row + j];
    for (let j = 0; j < C; j++) gradIn[row + j] = y[row + j] * (gradOut[row + j] - dot);
  }
}

export class Softmax extends Module implements Unchecked {
  private readonly ws = new Workspace();
  private y: Tensor | null = null;

  constructor(opts?: ModuleOptions) {
    super(opts, { cls: Softmax, keys: MODULE_KEYS });
  }

  forward(x: Tensor): Tensor {
    this.followDtype(x);
    checkMatrix('x', x, undefined, this.dtype, 'Softmax()');
    checkFinite('x', x, this.kernels);
    return this.uncheckedForward(x);
  }

  backward(gradOut: Tensor): Tensor {
    if (this.y === null) throw new Error('Softmax(): backward called before forward');
    checkLike('gradOut', gradOut, this.y.shape[0], this.y.shape[1], this.dtype, 'the output of Softmax()');
    checkFinite('gradOut', gradOut, this.kernels);
    return this.uncheckedBackward(gradOut);
  }

  uncheckedForward(x: Tensor): Tensor {
    const [B, C] = x.shape;
    const y = this.ws.get('y', B, C, this.dtype);
    this.kernels.softmax(B, C, x.data, y.data);
    this.y = y;
    return y;
  }

  uncheckedBackward(gradOut: Tensor): Tensor {
    const y = this.y as Tensor;
    const [B, C] = y.shape;
    const gradIn = this.ws.get('gradIn', B, C, this.dtype);
    softmaxBackward(B, C, y.data, gradOut.data, gradIn.data);
    return gradIn;
  }

  override toString(): string {
    return 'Softmax()';
  }
}
