// Sequential checks a user module's output and gradient: an output of [B, 6] fed to Linear(4, 2) was
// read as [B, 4]; a backward returning [2B, OUT] or undefined was trained on or failed inside ffnn
import { describe, expect, it } from 'vitest';
import { Linear } from '../../src/nn/linear.js';
import { Module } from '../../src/nn/module.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Tensor } from '../../src/tensor.js';

class Widen extends Module {
  constructor(private readonly w: number, private readonly grad: 'ok' | 'double' | 'none' = 'ok') {
    super({ device: 'js' });
  }
  forward(x: Tensor): Tensor {
    return Tensor.zeros([x.shape[0], this.w]);
  }
  backward(g: Tensor): Tensor {
    if (this.grad === 'none') return undefined as unknown as Tensor;
    return Tensor.zeros([this.grad === 'double' ? 2 * g.shape[0] : g.shape[0], 4]);
  }
  override toString(): string {
    return 'Widen';
  }
}

describe('Sequential and a custom module', () => {
  it('an output of the wrong width for the next Linear is a RangeError naming the module', () => {
    const s = new Sequential(new Widen(6), new Linear(4, 2, { device: 'js' }));
    expect(() => s.forward(Tensor.zeros([3, 4]))).toThrow(/^Widen\.forward\(x\): expected a tensor of shape \[B, 4\]/);
  });
  it('a gradient of the wrong shape, or undefined, is refused naming the module', () => {
    for (const [mode, re] of [['double', /^Widen\.backward\(gradOut\): expected a tensor of shape \[3, 4\]/], ['none', /^Widen\.backward\(gradOut\): expected a Tensor/]] as const) {
      const s = new Sequential(new Linear(4, 4, { device: 'js' }), new Widen(4, mode), new Linear(4, 2, { device: 'js' }));
      s.forward(Tensor.zeros([3, 4]));
      expect(() => s.backward(Tensor.zeros([3, 2]))).toThrow(re);
    }
  });
  it('a well-behaved module passes', () => {
    const s = new Sequential(new Linear(4, 4, { device: 'js' }), new Widen(4), new Linear(4, 2, { device: 'js' }));
    s.forward(Tensor.zeros([3, 4]));
    expect(s.backward(Tensor.zeros([3, 2])).shape).toEqual([3, 4]);
  });
});
