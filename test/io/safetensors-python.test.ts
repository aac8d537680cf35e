// cross-check against an independent reader and writer in Python (numpy, the format read from the
// spec); skipped where /usr/bin/python3 has no numpy
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSafetensors, saveSafetensors } from '../../src/io/index.js';
import type { StoredArray } from '../../src/io/index.js';
import { Tensor } from '../../src/tensor.js';

const PY = '/usr/bin/python3';
const hasNumpy = spawnSync(PY, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

const READ = `
import json, struct, sys, numpy as np
buf = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', buf[:8])[0]
h = json.loads(buf[8:8 + n])
meta = h.pop('__metadata__', {})
dt = {'F32': '<f4', 'F64': '<f8', 'I32': '<i4'}
out = {k: np.frombuffer(buf[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]], dtype=dt[v['dtype']]).reshape(v['shape']).tolist() for k, v in h.items()}
print(json.dumps({'tensors': out, 'metadata': meta, 'n': n}))
`;

const WRITE = `
import json, struct, sys, numpy as np
ts = {'a': np.arange(6, dtype='<f4').reshape(2, 3) / 4, 'b': np.array([1e-300, -2.5], dtype='<f8'), 'c': np.array([[-1], [2]], dtype='<i4')}
header, off, data = {'__metadata__': {'by': 'numpy'}}, 0, b''
for k, v in ts.items():
    b = v.tobytes()
    header[k] = {'dtype': {'float32': 'F32', 'float64': 'F64', 'int32': 'I32'}[str(v.dtype)], 'shape': list(v.shape), 'data_offsets': [off, off + len(b)]}
    off += len(b)
    data += b
hb = json.dumps(header).encode()
hb += b' ' * (-len(hb) % 8)
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(hb)) + hb + data)
`;

const root = mkdtempSync(join(tmpdir(), 'ffnn-stpy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!hasNumpy)('safetensors against Python (numpy)', () => {
  it('Python reads what ffnn writes', () => {
    const file = join(root, 'ffnn.safetensors');
    saveSafetensors(file, { w: Tensor.from([[0.5, -1], [2, 3]]), b: Tensor.from([0.1], { dtype: 'float64' }), y: Int32Array.of(3, -7) }, { k: 'v' });
    const r = spawnSync(PY, ['-c', READ, file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout);
    expect(got.tensors).toEqual({ w: [[0.5, -1], [2, 3]], b: [0.1], y: [3, -7] });
    expect(got.metadata.k).toBe('v');
    expect(got.n % 8).toBe(0);
  });

  it('ffnn reads what Python writes', () => {
    const file = join(root, 'numpy.safetensors');
    const r = spawnSync(PY, ['-c', WRITE, file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { tensors, metadata } = loadSafetensors(file);
    expect(metadata).toEqual({ by: 'numpy' });
    expect((tensors.a as Tensor).toArray()).toEqual([[0, 0.25, 0.5], [0.75, 1, 1.25]]);
    expect([...(tensors.b as Tensor).data]).toEqual([1e-300, -2.5]);
    const c = tensors.c as StoredArray;
    expect(c.shape).toEqual([2, 1]);
    expect([...c.data]).toEqual([-1, 2]);
  });
});
