// the wasm module and its linear memory: native/wasm/ffnn.wasm of the package (the C++ kernels
// compiled by clang, tools/build-wasm.mjs), loaded on first use and cached. the module allocates with
// its own malloc (ffnn_malloc / ffnn_free); each call lays its arguments out in one grow-only scratch
// block (single-threaded: one call at a time owns it). the memory only grows, inside the module (its
// malloc, the gemm pack buffers), so the views are checked against the buffer after every call.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../util/package-root.js';

// the parts of the WebAssembly global used here (lib ES2022 without DOM does not declare it)
interface WasmMemoryObject {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type Fn = (...args: number[]) => number;

// the C ABI of native/wasm/ffnn_wasm.cpp: pointers are byte offsets (0 is null), dims are numbers
export interface WasmExports {
  memory: WasmMemoryObject;
  _initialize?: () => void;
  ffnn_malloc(bytes: number): number;
  ffnn_free(p: number): void;
  ffnn_compiler(): number;
  ffnn_isa(): number;
  [kernel: string]: unknown;
}

// a wasm32 module addresses 4 GiB at most
export const MAX_BYTES = 2 ** 32;
// every region starts on a cache line
export const ALIGN = 64;

export function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

// the paths tried, in order: $FFNN_WASM, then native/wasm/ffnn.wasm of the package
export function wasmCandidates(): string[] {
  const paths: string[] = [];
  if (process.env.FFNN_WASM) paths.push(resolve(process.env.FFNN_WASM));
  paths.push(join(packageRoot(), 'native', 'wasm', 'ffnn.wasm'));
  return paths;
}

// a RangeError for a call whose memory the module cannot have
export function memoryError(kernel: string, bytes: number, why: string): RangeError {
  return new RangeError(
    `${kernel}: the call needs ${bytes} bytes of WebAssembly memory (${why}); use device 'native' or 'js' for work this large`,
  );
}

export class WasmMemory {
  readonly x: WasmExports;
  f32 = new Float32Array(0);
  f64 = new Float64Array(0);
  i32 = new Int32Array(0);
  u8 = new Uint8Array(0);
  private buffer: ArrayBuffer | null = null;
  private scratchAt = 0;
  private scratchBytes = 0;

  constructor(x: WasmExports) {
    this.x = x;
    this.refresh();
  }

  // the views, rebuilt when the memory grew (old views are dead then)
  refresh(): void {
    const buf = this.x.memory.buffer;
    if (buf === this.buffer) return;
    this.buffer = buf;
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
    this.u8 = new Uint8Array(buf);
  }

  // `bytes` of the module's heap for as long as the caller keeps them (ffnn_free); RangeError when
  // past 4 GiB or when the module's malloc fails (the engine would not grow the memory)
  alloc(kernel: string, bytes: number): number {
    if (bytes > MAX_BYTES - ALIGN) throw memoryError(kernel, bytes, 'over the 4 GiB a wasm module can address');
    const p = this.x.ffnn_malloc(Math.max(bytes, ALIGN)) >>> 0;
    if (p === 0) throw memoryError(kernel, bytes, 'the module could not grow its memory to hold it');
    this.refresh();
    return p;
  }

  // the scratch block of one call, at least `bytes`: grown (never shrunk) when a call needs more
  scratch(kernel: string, bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchAt !== 0) this.x.ffnn_free(this.scratchAt);
      this.scratchAt = 0;
      this.scratchBytes = 0;
      this.scratchAt = this.alloc(kernel, bytes);
      this.scratchBytes = bytes;
    }
    return this.scratchAt;
  }

  // the NUL-terminated string at p
  cstring(p: number): string {
    this.refresh();
    let end = p >>> 0;
    while (this.u8[end] !== 0) end++;
    return Buffer.from(this.u8.subarray(p >>> 0, end)).toString('utf8');
  }

  fn(name: string): Fn {
    const f = this.x[name];
    if (typeof f !== 'function') throw new Error(`ffnn: the wasm module has no export ${name} (rebuild it: npm run build:wasm)`);
    return f as Fn;
  }
}

// the imports of wasi-libc that the kernels link (tools/build-wasm.mjs fails on any other): an empty
// environment (FFNN_ISA means nothing here: simd128 is the only path) and abort as an exception
function wasiStub(memory: () => WasmMemoryObject | null): object {
  const view = (): DataView | null => {
    const m = memory();
    return m === null ? null : new DataView(m.buffer);
  };
  return {
    wasi_snapshot_preview1: {
      environ_sizes_get(countPtr: number, bytesPtr: number): number {
        const v = view();
        v?.setUint32(countPtr, 0, true);
        v?.setUint32(bytesPtr, 0, true);
        return 0;
      },
      environ_get(): number {
        return 0;
      },
      proc_exit(code: number): never {
        throw new Error(`ffnn: the wasm kernels aborted (exit code ${code})`);
      },
    },
  };
}

let memory: WasmMemory | undefined;

// instantiates the module at bytes: the exports initialized (the reactor's static constructors)
export function instantiate(bytes: Uint8Array): WasmMemory {
  let mem: WasmMemoryObject | null = null;
  const inst = new WA.Instance(new WA.Module(bytes), wasiStub(() => mem));
  const x = inst.exports as WasmExports;
  mem = x.memory;
  x._initialize?.();
  return new WasmMemory(x);
}

// the module instance, loaded on first call and cached; throws with every path tried and why
export function wasmMemory(): WasmMemory {
  if (memory) return memory;
  const failures: string[] = [];
  for (const path of wasmCandidates()) {
    if (!existsSync(path)) {
      failures.push(`  ${path}: not found`);
      continue;
    }
    try {
      memory = instantiate(readFileSync(path));
      return memory;
    } catch (e) {
      failures.push(`  ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(
    `ffnn: the wasm kernels could not be loaded; tried:\n${failures.join('\n')}\n` +
      `native/wasm/ffnn.wasm ships with the package; rebuild it in ${packageRoot()} with \`npm run build:wasm\` ` +
      `(clang and lld for wasm32-wasi), set FFNN_WASM to load a .wasm file from elsewhere, or use device 'js' for the reference kernels.`,
  );
}
