// loadModel checks the file's tensors against its config before it builds the network (a config of
// F 8192, hidden [8192, 8192] and no tensors took 5 s and 630 MB before "missing float tensor W1"),
// and names a bad activation entry
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { saveSafetensors } from '../../src/io/safetensors.js';
import { Tensor } from '../../src/tensor.js';
import { loadModel, MODEL_FORMAT } from '../../src/train/checkpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'ffnn-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, config: unknown, tensors: Record<string, Tensor> = { z: Tensor.zeros([1]) }): string {
  const f = join(dir, name);
  saveSafetensors(f, tensors, { 'ffnn.format': MODEL_FORMAT, 'ffnn.config': JSON.stringify(config) });
  return f;
}

describe('loadModel: the config against the tensors, first', () => {
  it('a huge config with no tensors is a FormatError at once, naming W1 and the file', () => {
    const f = write('huge.safetensors', { F: 8192, hidden: [8192, 8192], activations: [{ kind: 'relu' }, { kind: 'relu' }], C: 10, dtype: 'float32' });
    const t0 = performance.now();
    expect(() => loadModel(f, { device: 'js' })).toThrow(FormatError);
    expect(() => loadModel(f, { device: 'js' })).toThrow(/huge\.safetensors: missing float tensor "W1" for parameter W1 \(of shape \[8192, 8192\]/);
    expect(performance.now() - t0).toBeLessThan(500);
  });
  it('activations: [null] names the entry', () => {
    const f = write('null-act.safetensors', { F: 2, hidden: [2], activations: [null], C: 2, dtype: 'float32' }, {
      W1: Tensor.zeros([2, 2]), b1: Tensor.zeros([2]), U: Tensor.zeros([2, 2]), c: Tensor.zeros([2]),
    });
    expect(() => loadModel(f, { device: 'js' })).toThrow(/null-act\.safetensors: ffnn.config does not describe a valid FFNN: activations\[0\]: expected an object/);
  });
});
