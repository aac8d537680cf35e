// a Sequential ending in Softmax under the default CrossEntropyLoss (which takes logits) had softmax
// applied twice: evaluate reported 1.1128 where 1.1753 is right, trainFFNN followed that gradient
import { describe, expect, it } from 'vitest';
import { RandomDataset } from '../../src/data/dataset.js';
import { Linear } from '../../src/nn/linear.js';
import { MSELoss } from '../../src/nn/loss.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Softmax } from '../../src/nn/softmax.js';
import { Dropout } from '../../src/nn/dropout.js';
import { SGD } from '../../src/optim/sgd.js';
import { evaluate } from '../../src/train/evaluate.js';
import { trainFFNN } from '../../src/train/train.js';

const ds = new RandomDataset(32, 4, 3, { seed: 1 });

describe('Sequential(..., Softmax()) with CrossEntropyLoss is refused', () => {
  const net = new Sequential(new Linear(4, 5, { seed: 1, device: 'js' }), 'relu', new Linear(5, 3, { seed: 2, device: 'js' }), new Softmax({ device: 'js' }));
  it('evaluate', () => {
    expect(() => evaluate(net, ds)).toThrow(RangeError);
    expect(() => evaluate(net, ds)).toThrow(/^evaluate: expected a network that outputs logits for CrossEntropyLoss.*last module is Softmax/);
  });
  it('trainFFNN, before any step', () => {
    const before = net.parameters().map((p) => p.data.slice());
    expect(() => trainFFNN(net, ds, new SGD(net.parameters(), 0.1), { epochs: 1, verbose: 0 })).toThrow(/^trainFFNN: expected a network that outputs logits/);
    net.parameters().forEach((p, i) => expect(p.data).toEqual(before[i]));
  });
  it('a loss that takes probabilities is accepted', () => {
    expect(() => evaluate(net, ds, { loss: new MSELoss({ device: 'js' }) })).not.toThrow(/outputs logits/);
  });
});

// the Softmax is found inside nested Sequentials and past a trailing Dropout (the check looked at the
// top level's last module only: Sequential(Sequential(lin, Softmax)) trained on a wrong loss)
describe('a Softmax nested or followed by Dropout is found too', () => {
  const o = { device: 'js' as const };
  const nets = {
    nested: () => new Sequential(new Sequential(new Linear(4, 3, { ...o, seed: 1 }), new Softmax(o))),
    'then Dropout': () => new Sequential(new Linear(4, 3, { ...o, seed: 1 }), new Softmax(o), new Dropout(0.5, { ...o, seed: 2 })),
  };
  for (const [name, make] of Object.entries(nets)) {
    it(`${name}: evaluate and trainFFNN refuse it`, () => {
      const net = make();
      expect(() => evaluate(net, ds), name).toThrow(/^evaluate: expected a network that outputs logits for CrossEntropyLoss/);
      expect(() => trainFFNN(net, ds, new SGD(net.parameters(), 0.1), { epochs: 1, verbose: 0 }), name).toThrow(/^trainFFNN: expected a network that outputs logits/);
    });
  }
  it('a Linear after the Softmax outputs logits again (accepted)', () => {
    const net = new Sequential(new Linear(4, 3, { ...o, seed: 1 }), new Softmax(o), new Linear(3, 3, { ...o, seed: 3 }));
    expect(() => evaluate(net, ds)).not.toThrow();
  });
});
