// a tensor whose buffer was transferred (detached) reads as length 0: the js device computed NaN
// silently; every module boundary refuses it, naming the argument
import { describe, expect, it } from 'vitest';
import { Linear } from '../../src/nn/linear.js';
import { Tensor } from '../../src/tensor.js';

const detach = (t: Tensor): Tensor => {
  structuredClone(t.data.buffer, { transfer: [t.data.buffer as ArrayBuffer] });
  return t;
};

describe('detached buffers at the module boundary', () => {
  for (const device of ['js', 'native'] as const) {
    it(`${device}: Linear.forward(x) with x detached is a RangeError naming x`, () => {
      const x = detach(Tensor.zeros([3, 4]));
      expect(() => new Linear(4, 2, { device }).forward(x)).toThrow(RangeError);
      expect(() => new Linear(4, 2, { device }).forward(x)).toThrow(/^x: expected a Tensor whose data holds its 12 elements/);
    });
  }
});
