// safetensors (Hugging Face): u64 little-endian header length N, N bytes of JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}} padded with
// spaces to a multiple of 8, then the data bytes; offsets are relative to the data, tensors tile it
// without gaps or overlaps. saves are atomic; loads check every field and name the file on failure.
import { kMaxLength } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, readSync } from 'node:fs';
import { openRegularFile } from './open.js';
import { endianness } from 'node:os';
import { FormatError } from '../errors.js';
import { Tensor, checkShape } from '../tensor.js';
import { describe, rangeError, typeError } from '../util/check.js';
import { writeAll, writeAtomic } from './atomic.js';

export type SafetensorsDType =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2'
  | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

type IntArray = Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | BigInt64Array | BigUint64Array;

// a non-float tensor: the typed array of its dtype (BOOL, U8 and the raw bytes of F8_* as Uint8Array;
// F16/BF16 load as float32 Tensors)
export interface StoredArray {
  dtype: SafetensorsDType;
  shape: number[];
  data: IntArray;
}

export type SaveEntry = Tensor | IntArray | Float32Array | Float64Array | StoredArray;

// both records have null prototypes: every name, "__proto__" included, is an own key
export interface Safetensors {
  tensors: Record<string, Tensor | StoredArray>;
  metadata: Record<string, string>;
}

// hex sha256 of the data bytes
export const CHECKSUM_KEY = 'ffnn.sha256';
// hex sha256 of the header's entries and metadata in canonical form (see headerDigest)
export const HEADER_CHECKSUM_KEY = 'ffnn.header_sha256';
export const MAX_HEADER_BYTES = 100_000_000;

const SIZES: Record<SafetensorsDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

const FLOAT_DTYPES: readonly SafetensorsDType[] = ['F64', 'F32', 'F16', 'BF16'];

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

function checkLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('safetensors: big-endian platforms are not supported');
}

function dtypeOfArray(a: unknown): SafetensorsDType | null {
  if (a instanceof Float64Array) return 'F64';
  if (a instanceof Float32Array) return 'F32';
  if (a instanceof Int32Array) return 'I32';
  if (a instanceof Int16Array) return 'I16';
  if (a instanceof Int8Array) return 'I8';
  if (a instanceof Uint32Array) return 'U32';
  if (a instanceof Uint16Array) return 'U16';
  if (a instanceof Uint8Array) return 'U8';
  if (a instanceof BigInt64Array) return 'I64';
  if (a instanceof BigUint64Array) return 'U64';
  return null;
}

// the bytes of a live array; one whose buffer was detached (transferred) is named, not left to the
// Uint8Array constructor's own TypeError
function bytesOf(name: string, a: ArrayBufferView, n: number): Uint8Array {
  try {
    if (n > 0 && a.byteLength === 0) throw new RangeError('detached');
    return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  } catch {
    throw rangeError(name, `an array of ${n} elements (its buffer was detached or transferred)`, a);
  }
}

// the header's tensor entries and its metadata minus the checksum keys, each sorted by name
function headerDigest(entries: Entry[], metadata: Record<string, string>): string {
  const meta = Object.keys(metadata)
    .filter((k) => k !== CHECKSUM_KEY && k !== HEADER_CHECKSUM_KEY)
    .sort()
    .map((k) => [k, metadata[k]]);
  const tensors = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const canon = JSON.stringify([tensors.map((e) => [e.name, e.dtype, e.shape, e.begin, e.end]), meta]);
  return createHash('sha256').update(canon).digest('hex');
}

// writes tensors in the given order, atomically (temp file, fsync, rename, fsync of the folder);
// adds ffnn.sha256 (data bytes) and ffnn.header_sha256 (entries and metadata) to the metadata
// `who` names the public function in file errors (saveModel passes its own name)
export function saveSafetensors(file: string, tensors: Record<string, SaveEntry>, metadata: Record<string, string> = {}, who = 'saveSafetensors'): void {
  checkLittleEndian();
  if (typeof file !== 'string' || file === '') throw typeError('file', 'a file path (non-empty string)', file);
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) {
    throw typeError('tensors', 'an object of name -> Tensor or typed array', tensors);
  }
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw typeError('metadata', 'an object of string -> string', metadata);
  }
  // null prototypes: a name such as "__proto__" is an ordinary key, not the object's prototype
  const meta: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw typeError(`metadata[${JSON.stringify(k)}]`, 'a string', v);
    meta[k] = v;
  }
  const entries: Entry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const where = `tensors[${JSON.stringify(name)}]`;
    if (name === '' || name === '__metadata__') throw rangeError('tensors', 'tensor names other than "" and "__metadata__"', name);
    let dtype: SafetensorsDType | null;
    let shape: number[];
    let data: ArrayBufferView;
    if (t instanceof Tensor) {
      dtype = t.dtype === 'float64' ? 'F64' : 'F32';
      shape = [...t.shape];
      data = t.data;
    } else if (ArrayBuffer.isView(t)) {
      dtype = dtypeOfArray(t);
      shape = [(t as IntArray).length];
      data = t;
    } else if (t !== null && typeof t === 'object' && ArrayBuffer.isView((t as StoredArray).data)) {
      const s = t as StoredArray;
      dtype = dtypeOfArray(s.data);
      if (s.dtype !== undefined) {
        if (!(s.dtype in SIZES) || SIZES[s.dtype] !== (s.data as IntArray).BYTES_PER_ELEMENT) {
          throw rangeError(`${where}.dtype`, `a dtype matching its ${s.data.constructor.name}`, s.dtype);
        }
        dtype = s.dtype;
      }
      const n = checkShape(`${where}.shape`, s.shape);
      if (n !== (s.data as IntArray).length) throw rangeError(`${where}.data`, `${n} elements for its shape`, s.data);
      shape = [...s.shape];
      data = s.data;
    } else {
      throw typeError(where, 'a Tensor, a typed array or { data, shape }', t);
    }
    if (dtype === null) throw typeError(where, 'a numeric typed array', data);
    const bytes = bytesOf(`${who}: ${where}`, data, shape.reduce((a, b) => a * b, 1));
    entries.push({ name, dtype, shape, begin: offset, end: offset + bytes.length });
    chunks.push(bytes);
    offset += bytes.length;
  }
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  meta[CHECKSUM_KEY] = hash.digest('hex');
  meta[HEADER_CHECKSUM_KEY] = headerDigest(entries, meta);

  const header: Record<string, unknown> = Object.create(null);
  header.__metadata__ = meta;
  for (const e of entries) header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [e.begin, e.end] };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length), 0);
  writeAtomic(file, (fd) => {
    writeAll(fd, prefix);
    writeAll(fd, json);
    for (const c of chunks) writeAll(fd, c);
  }, who);
}

// reads and validates a whole file; any problem is a FormatError naming the file and what is wrong.
// the length and the header are read and checked against the file's size before any data is read,
// so a foreign or damaged file fails at once whatever its size
export function loadSafetensors(file: string): Safetensors {
  checkLittleEndian();
  if (typeof file !== 'string' || file === '') throw typeError('file', 'a file path (non-empty string)', file);
  const fail = (msg: string): FormatError => new FormatError(msg, file);
  const fd = openRegularFile(file);
  try {
    return loadFrom(fd, fstatSync(fd).size, fail);
  } finally {
    closeSync(fd);
  }
}

function loadFrom(fd: number, size: number, fail: (msg: string) => FormatError): Safetensors {
  if (size < 8) throw fail(`not a safetensors file: ${size} bytes, shorter than the 8-byte header length`);
  const n64 = readAt(fd, Buffer.alloc(8), 0, fail).readBigUInt64LE(0);
  if (n64 > BigInt(size - 8)) {
    throw fail(`not a safetensors file or truncated: header length ${n64} is beyond the file (${size} bytes)`);
  }
  const N = Number(n64);
  if (N > MAX_HEADER_BYTES) throw fail(`header length ${N} is over the ${MAX_HEADER_BYTES}-byte limit`);
  const head = N < 2 ? Buffer.alloc(0) : readAt(fd, Buffer.alloc(N), 8, fail);
  if (N < 2 || head[0] !== 0x7b) throw fail('not a safetensors file: the header does not start with "{"');
  let header: unknown;
  try {
    header = JSON.parse(head.toString('utf8'));
  } catch (e) {
    throw fail(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw fail('header is not a JSON object');

  // null prototypes: any name ("__proto__", "constructor") is an ordinary own key
  const metadata: Record<string, string> = Object.create(null);
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw fail(`__metadata__[${JSON.stringify(k)}] is ${describe(v)}, not a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(name, raw, fail));
  }

  const dataBytes = size - 8 - N;
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  const covered = sorted.reduce((m, e) => Math.max(m, e.end), 0);
  if (covered > dataBytes) throw fail(`truncated: header says ${covered} data bytes, file holds ${dataBytes}`);
  let pos = 0;
  let prev: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < pos) {
      throw fail(`tensors ${JSON.stringify(prev?.name)} and ${JSON.stringify(e.name)} overlap at data bytes [${e.begin}, ${Math.min(pos, e.end)})`);
    }
    if (e.begin > pos) throw fail(`data bytes [${pos}, ${e.begin}) belong to no tensor`);
    pos = e.end;
    prev = e;
  }
  if (pos !== dataBytes) throw fail(`trailing bytes: tensors cover ${pos} data bytes, file holds ${dataBytes}`);
  // ffnn writes both keys: one alone means a damaged key name
  const hasData = metadata[CHECKSUM_KEY] !== undefined;
  if (hasData !== (metadata[HEADER_CHECKSUM_KEY] !== undefined)) {
    const [has, lacks] = hasData ? [CHECKSUM_KEY, HEADER_CHECKSUM_KEY] : [HEADER_CHECKSUM_KEY, CHECKSUM_KEY];
    throw fail(`damaged header: __metadata__ has ${has} but not ${lacks}`);
  }
  if (hasData) {
    const got = headerDigest(entries, metadata);
    if (got !== metadata[HEADER_CHECKSUM_KEY]) {
      throw fail(`header checksum mismatch: the header hashes to ${got}, ${HEADER_CHECKSUM_KEY} says ${metadata[HEADER_CHECKSUM_KEY]}`);
    }
  }
  for (const e of sorted) {
    if (e.end - e.begin > kMaxLength) {
      throw fail(`tensor ${JSON.stringify(e.name)} is ${e.end - e.begin} bytes, over the ${kMaxLength} bytes one array can hold (the file is ${size} bytes)`);
    }
  }

  // each tensor is read into its own buffer, in file order so that the data hash can run alongside:
  // no copy of the whole file, and a file over one Buffer's limit loads when its tensors do not
  const hash = hasData ? createHash('sha256') : null;
  const bytes = new Map<Entry, ArrayBuffer>();
  for (const e of sorted) {
    let ab: ArrayBuffer;
    try {
      ab = new ArrayBuffer(e.end - e.begin);
    } catch {
      throw fail(`tensor ${JSON.stringify(e.name)}: cannot allocate ${e.end - e.begin} bytes`);
    }
    const b = readAt(fd, new Uint8Array(ab), 8 + N + e.begin, fail);
    if (hash !== null) hash.update(b);
    bytes.set(e, ab);
  }
  if (hash !== null) {
    const got = hash.digest('hex');
    if (got !== metadata[CHECKSUM_KEY]) {
      throw fail(`checksum mismatch: the data bytes hash to ${got}, ${CHECKSUM_KEY} says ${metadata[CHECKSUM_KEY]}`);
    }
  }

  const tensors: Record<string, Tensor | StoredArray> = Object.create(null);
  for (const e of entries) tensors[e.name] = decode(e, bytes.get(e) as ArrayBuffer);
  return { tensors, metadata };
}

// fills buf from the file at pos; a short read means the file shrank since it was measured
function readAt<T extends Uint8Array>(fd: number, buf: T, pos: number, fail: (msg: string) => FormatError): T {
  let off = 0;
  while (off < buf.length) {
    const got = readSync(fd, buf, off, buf.length - off, pos + off);
    if (got === 0) throw fail(`truncated while reading: the file ends at byte ${pos + off}, it was longer when opened`);
    off += got;
  }
  return buf;
}

function parseEntry(name: string, raw: unknown, fail: (msg: string) => FormatError): Entry {
  const at = `tensor ${JSON.stringify(name)}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw fail(`${at}: entry is ${describe(raw)}, not an object`);
  const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof r.dtype !== 'string' || !Object.hasOwn(SIZES, r.dtype)) {
    throw fail(`${at}: unknown dtype ${describe(r.dtype)} (expected one of ${Object.keys(SIZES).join(', ')})`);
  }
  const dtype = r.dtype as SafetensorsDType;
  if (!Array.isArray(r.shape) || !r.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`${at}: shape ${JSON.stringify(r.shape)} is not an array of non-negative integers`);
  }
  const shape = r.shape as number[];
  const o = r.data_offsets;
  if (!Array.isArray(o) || o.length !== 2 || !o.every((v) => Number.isSafeInteger(v) && v >= 0) || o[0] > o[1]) {
    throw fail(`${at}: data_offsets ${JSON.stringify(o)} is not [begin, end] with 0 <= begin <= end`);
  }
  // a float dtype loads as a Tensor: its shape must be one (a dimension of 3e9 beside a 0 holds no
  // bytes and still cannot)
  if (FLOAT_DTYPES.includes(dtype)) {
    try {
      checkShape('shape', shape);
    } catch (e) {
      throw fail(`${at}: ${dtype} [${shape.join(', ')}] cannot load as a Tensor (${(e as Error).message})`);
    }
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const want = count * SIZES[dtype];
  if (!Number.isSafeInteger(want) || o[1] - o[0] !== want) {
    throw fail(`${at}: data_offsets [${o[0]}, ${o[1]}] hold ${o[1] - o[0]} bytes, ${dtype} [${shape.join(', ')}] needs ${want}`);
  }
  return { name, dtype, shape, begin: o[0], end: o[1] };
}

// the entry's bytes as an array of its dtype; ab holds those bytes alone (its own buffer, so aligned)
function decode(e: Entry, ab: ArrayBuffer): Tensor | StoredArray {
  switch (e.dtype) {
    case 'F64':
      return new Tensor(new Float64Array(ab), e.shape);
    case 'F32':
      return new Tensor(new Float32Array(ab), e.shape);
    case 'F16':
    case 'BF16': {
      const h = new Uint16Array(ab);
      const f = new Float32Array(h.length);
      for (let i = 0; i < h.length; i++) f[i] = e.dtype === 'F16' ? halfToFloat(h[i]) : bf16ToFloat(h[i]);
      return new Tensor(f, e.shape);
    }
    case 'I64':
      return { dtype: e.dtype, shape: e.shape, data: new BigInt64Array(ab) };
    case 'U64':
      return { dtype: e.dtype, shape: e.shape, data: new BigUint64Array(ab) };
    case 'I32':
      return { dtype: e.dtype, shape: e.shape, data: new Int32Array(ab) };
    case 'U32':
      return { dtype: e.dtype, shape: e.shape, data: new Uint32Array(ab) };
    case 'I16':
      return { dtype: e.dtype, shape: e.shape, data: new Int16Array(ab) };
    case 'U16':
      return { dtype: e.dtype, shape: e.shape, data: new Uint16Array(ab) };
    case 'I8':
      return { dtype: e.dtype, shape: e.shape, data: new Int8Array(ab) };
    case 'U8':
    case 'BOOL':
    case 'F8_E4M3':
    case 'F8_E5M2':
      return { dtype: e.dtype, shape: e.shape, data: new Uint8Array(ab) };
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bf16ToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
