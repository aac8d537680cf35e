import { kMaxLength } from 'node:buffer';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { CHECKSUM_KEY, HEADER_CHECKSUM_KEY, loadSafetensors, saveSafetensors } from '../../src/io/index.js';
import type { StoredArray } from '../../src/io/index.js';
import { Tensor } from '../../src/tensor.js';

const root = mkdtempSync(join(tmpdir(), 'ffnn-st-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `f${n++}.safetensors`);

function sample(): string {
  const file = fresh();
  saveSafetensors(
    file,
    {
      w: Tensor.from([[1.5, -2], [3, 4.25], [5, 6]]),
      b: Tensor.from([0.1, 0.2], { dtype: 'float64' }),
      labels: Int32Array.of(7, -3, 2147483647),
    },
    { epoch: '3', arch: '784-128-10' },
  );
  return file;
}

// the error a load throws, which must be a FormatError naming the file
function loadError(file: string): string {
  let err: unknown;
  try {
    loadSafetensors(file);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FormatError);
  expect((err as Error).message.startsWith(`${file}: `)).toBe(true);
  return (err as Error).message;
}

// a hand-built file: prefix, header JSON (padded with spaces), data
function raw(header: unknown, data: Uint8Array = new Uint8Array(0)): string {
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const file = fresh();
  writeFileSync(file, Buffer.concat([prefix, json, data]));
  return file;
}

// a sparse file of `size` bytes that starts with `head`: truncate sets the size without writing data
function sparse(size: number, head: Uint8Array = new Uint8Array(0)): string {
  const file = fresh();
  writeFileSync(file, head);
  truncateSync(file, size);
  return file;
}

// prefix and space-padded JSON of a header, without data
function headerBytes(header: unknown): Buffer {
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json]);
}

describe('safetensors', () => {
  it('round-trips f32, f64 and i32 with metadata', () => {
    const file = sample();
    const { tensors, metadata } = loadSafetensors(file);
    expect(Object.keys(tensors)).toEqual(['w', 'b', 'labels']);
    const w = tensors.w as Tensor;
    expect(w).toBeInstanceOf(Tensor);
    expect(w.dtype).toBe('float32');
    expect(w.toArray()).toEqual([[1.5, -2], [3, 4.25], [5, 6]]);
    const b = tensors.b as Tensor;
    expect(b.dtype).toBe('float64');
    expect([...b.data]).toEqual([0.1, 0.2]);
    const labels = tensors.labels as StoredArray;
    expect(labels.dtype).toBe('I32');
    expect(labels.shape).toEqual([3]);
    expect([...labels.data]).toEqual([7, -3, 2147483647]);
    expect(metadata.epoch).toBe('3');
    expect(metadata.arch).toBe('784-128-10');
    expect(metadata[CHECKSUM_KEY]).toMatch(/^[0-9a-f]{64}$/);
    expect(metadata[HEADER_CHECKSUM_KEY]).toMatch(/^[0-9a-f]{64}$/);
    // no temp files left behind
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes the layout of the spec: u64 LE length, space-padded JSON, data in header order', () => {
    const file = sample();
    const buf = readFileSync(file);
    const N = Number(buf.readBigUInt64LE(0));
    expect(N % 8).toBe(0);
    const text = buf.toString('utf8', 8, 8 + N);
    expect(text.trimEnd().length).toBeGreaterThan(N - 8);
    const header = JSON.parse(text);
    expect(header.w).toEqual({ dtype: 'F32', shape: [3, 2], data_offsets: [0, 24] });
    expect(header.b).toEqual({ dtype: 'F64', shape: [2], data_offsets: [24, 40] });
    expect(header.labels).toEqual({ dtype: 'I32', shape: [3], data_offsets: [40, 52] });
    expect(buf.length).toBe(8 + N + 52);
    expect(buf.readFloatLE(8 + N + 4)).toBe(-2);
    expect(buf.readDoubleLE(8 + N + 32)).toBe(0.2);
  });

  it('saves multi-dimensional integer arrays and loads F16/BF16 as float32', () => {
    const file = fresh();
    saveSafetensors(file, { m: { dtype: 'I32', shape: [2, 2], data: Int32Array.of(1, 2, 3, 4) }, u: Uint8Array.of(1, 0) });
    const t = loadSafetensors(file).tensors;
    expect((t.m as StoredArray).shape).toEqual([2, 2]);
    expect((t.u as StoredArray).dtype).toBe('U8');
    // 1.0 and -2.5 in half, 1.0 in bfloat16
    const half = raw(
      { h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, g: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] } },
      Uint8Array.of(0x00, 0x3c, 0x00, 0xc1, 0x80, 0x3f),
    );
    const h = loadSafetensors(half).tensors;
    expect([...(h.h as Tensor).data]).toEqual([1, -2.5]);
    expect([...(h.g as Tensor).data]).toEqual([1]);
  });

  it('rejects a truncated file', () => {
    const file = sample();
    const buf = readFileSync(file);
    writeFileSync(file, buf.subarray(0, buf.length - 4));
    expect(loadError(file)).toMatch(/truncated: header says 52 data bytes, file holds 48/);
  });

  it('rejects a flipped byte in the data (checksum)', () => {
    const file = sample();
    const buf = readFileSync(file);
    buf[buf.length - 5] ^= 0x01;
    writeFileSync(file, buf);
    expect(loadError(file)).toMatch(/checksum mismatch: the data bytes hash to [0-9a-f]{64}, ffnn.sha256 says/);
  });

  it('rejects a flipped byte anywhere in the header', () => {
    const file = sample();
    const good = readFileSync(file);
    const N = Number(good.readBigUInt64LE(0));
    const seen = new Set<string>();
    for (let i = 0; i < 8 + N; i++) {
      const buf = Buffer.from(good);
      buf[i] ^= 0x04;
      writeFileSync(file, buf);
      seen.add(loadError(file).replace(/.*?: /, '').split(':')[0]);
    }
    expect(seen.size).toBeGreaterThan(3);
    // a renamed tensor (same length) is caught by the header checksum
    const text = good.toString('latin1').replace('"labels"', '"lapels"');
    writeFileSync(file, Buffer.from(text, 'latin1'));
    expect(loadError(file)).toMatch(/header checksum mismatch/);
  });

  it('rejects a foreign file, an empty file, a directory, a missing file', () => {
    const png = fresh();
    writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
    expect(loadError(png)).toMatch(/not a safetensors file or truncated: header length \d+ is beyond the file \(16 bytes\)/);
    const empty = fresh();
    writeFileSync(empty, '');
    expect(loadError(empty)).toMatch(/0 bytes, shorter than the 8-byte header length/);
    const dir = join(root, 'adir');
    mkdirSync(dir);
    expect(loadError(dir)).toMatch(/not a file/);
    expect(loadError(join(root, 'nope.safetensors'))).toMatch(/cannot read: ENOENT/);
  });

  it('rejects inconsistent headers', () => {
    const d8 = new Uint8Array(8);
    expect(loadError(raw({ a: { dtype: 'F8', shape: [2], data_offsets: [0, 8] } }, d8))).toMatch(/tensor "a": unknown dtype "F8"/);
    expect(loadError(raw({ a: { dtype: 'F32', shape: [2.5], data_offsets: [0, 8] } }, d8))).toMatch(/shape \[2.5\] is not an array/);
    expect(loadError(raw({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, d8))).toMatch(/hold 8 bytes, F32 \[3\] needs 12/);
    expect(loadError(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, d8))).toMatch(/data_offsets \[8,0\]/);
    expect(
      loadError(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, d8)),
    ).toMatch(/tensors "a" and "b" overlap at data bytes \[4, 8\)/);
    expect(loadError(raw({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, d8))).toMatch(/data bytes \[0, 4\) belong to no tensor/);
    expect(loadError(raw({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, d8))).toMatch(/trailing bytes: tensors cover 4 data bytes, file holds 8/);
    expect(loadError(raw({ __metadata__: { a: 1 } }))).toMatch(/__metadata__\["a"\] is 1, not a string/);
    expect(loadError(raw([1, 2]))).toMatch(/does not start with "{"/);
    const huge = fresh();
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(2n ** 63n);
    writeFileSync(huge, b);
    expect(loadError(huge)).toMatch(/header length 9223372036854775808 is beyond the file/);
  });

  it('validates its arguments', () => {
    expect(() => saveSafetensors(3 as never, {})).toThrow(/file: expected a file path/);
    expect(() => saveSafetensors(fresh(), null as never)).toThrow(TypeError);
    expect(() => saveSafetensors(fresh(), { a: [1, 2] as never })).toThrow(/tensors\["a"\]: expected a Tensor, a typed array/);
    expect(() => saveSafetensors(fresh(), { __metadata__: Int32Array.of(1) })).toThrow(RangeError);
    expect(() => saveSafetensors(fresh(), {}, { a: 1 as never })).toThrow(/metadata\["a"\]: expected a string, received 1/);
    expect(() => saveSafetensors(fresh(), { m: { dtype: 'I32', shape: [3], data: Int32Array.of(1) } })).toThrow(/tensors\["m"\].data: expected 3 elements/);
    expect(() => loadSafetensors(undefined as never)).toThrow(TypeError);
  });

  it('checks the header before it reads the data: 1 GiB of junk fails at once', () => {
    const junk = sparse(2 ** 30);
    const t0 = performance.now();
    expect(loadError(junk)).toMatch(/does not start with "{"/);
    // the whole file used to be read first (seconds and a gigabyte of memory)
    expect(performance.now() - t0).toBeLessThan(500);
    const long = sparse(2 ** 30, headerBytes({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
    expect(loadError(long)).toMatch(/trailing bytes: tensors cover 8 data bytes, file holds \d+/);
    const short = sparse(2 ** 30, headerBytes({ a: { dtype: 'U8', shape: [2 ** 31], data_offsets: [0, 2 ** 31] } }));
    expect(loadError(short)).toMatch(/truncated: header says 2147483648 data bytes, file holds \d+/);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('a file over 4 GiB of junk is a FormatError', () => {
    expect(loadError(sparse(2 ** 32 + 64))).toMatch(/does not start with "{"/);
  });

  // Node 20 holds at most 4 GiB in one array (kMaxLength); later versions far more, past what a
  // sparse test file can reach
  it.skipIf(kMaxLength > 2 ** 33)('a tensor no array can hold is a FormatError naming its size', () => {
    const D = kMaxLength + 8;
    const head = headerBytes({ big: { dtype: 'U8', shape: [D], data_offsets: [0, D] } });
    const file = sparse(head.length + D, head);
    expect(loadError(file)).toMatch(
      new RegExp(`tensor "big" is ${D} bytes, over the ${kMaxLength} bytes one array can hold \\(the file is ${head.length + D} bytes\\)`),
    );
  });

  it('keeps a tensor or a metadata key named __proto__ as an ordinary key, and round-trips it', () => {
    const tensors: Record<string, Int32Array> = Object.create(null);
    tensors.a = Int32Array.of(1);
    tensors['__proto__'] = Int32Array.of(2, 3);
    const metadata: Record<string, string> = Object.create(null);
    metadata['__proto__'] = 'x';
    const file = fresh();
    saveSafetensors(file, tensors, metadata);
    const header = JSON.parse(readFileSync(file).toString('utf8', 8, 8 + Number(readFileSync(file).readBigUInt64LE(0))));
    expect(Object.keys(header)).toEqual(['__metadata__', 'a', '__proto__']);
    const loaded = loadSafetensors(file);
    expect(Object.keys(loaded.tensors)).toEqual(['a', '__proto__']);
    expect(Object.getPrototypeOf(loaded.tensors)).toBeNull();
    expect([...(Object.getOwnPropertyDescriptor(loaded.tensors, '__proto__')?.value as StoredArray).data]).toEqual([2, 3]);
    expect(Object.getOwnPropertyDescriptor(loaded.metadata, '__proto__')?.value).toBe('x');
    // a hand-written file (JSON.parse makes "__proto__" an own key)
    const hand = raw({ ['__proto__']: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, __metadata__: { ['__proto__']: 'y' } }, Uint8Array.of(9));
    const h = loadSafetensors(hand);
    expect(Object.keys(h.tensors)).toEqual(['__proto__']);
    expect(Object.keys(h.metadata)).toEqual(['__proto__']);
    // an absent name is undefined, not something inherited
    expect(h.tensors.toString).toBeUndefined();
    expect(h.metadata.constructor).toBeUndefined();
  });
});
