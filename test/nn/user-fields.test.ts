// a user's subclass that uses a field name the library used internally (k, dev, dt, placedBy, ...)
// had it overwritten when a Sequential adopted it, or broke the module: internal state is # private
import { describe, expect, it } from 'vitest';
import { Linear } from '../../src/nn/linear.js';
import { Module } from '../../src/nn/module.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Tensor } from '../../src/tensor.js';

class Scale extends Module {
  k = 2;
  dev = 'mine';
  dt = 'mine';
  placedBy = 'me';
  builtin = 'mine';
  forward(x: Tensor): Tensor {
    const y = x.clone();
    for (let i = 0; i < y.data.length; i++) y.data[i] *= this.k;
    return y;
  }
  backward(g: Tensor): Tensor {
    const y = g.clone();
    for (let i = 0; i < y.data.length; i++) y.data[i] *= this.k;
    return y;
  }
}

describe('internal state is not in the user namespace', () => {
  it('a subclass keeps its own k, dev, dt, placedBy, builtin after a Sequential adopts it', () => {
    const m = new Scale();
    const s = new Sequential(new Linear(2, 2, { device: 'js', dtype: 'float64' }), m);
    expect([m.k, m.dev, m.dt, m.placedBy, m.builtin]).toEqual([2, 'mine', 'mine', 'me', 'mine']);
    expect(m.device).toBe('js');
    expect(m.dtype).toBe('float64');
    const x = Tensor.from([[1, 0]], { dtype: 'float64' });
    const y = s.forward(x);
    expect(y.shape).toEqual([1, 2]);
  });
});
