// the wasm module and its linear memory: loaded on first use (build/wasm/ffnn.wasm, assembled from
// ffnn.wat by tools/build-wasm.mjs) and cached. the memory holds the gemm pack workspace at WS, then an
// arena that each call lays its arguments out in from ARENA (single-threaded: one call at a time owns
// it). the memory only grows, once per new high-water mark; views are rebuilt after a growth.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../util/package-root.js';

// the parts of the WebAssembly global used here (lib ES2022 without DOM does not declare it)
interface WasmMemoryObject {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface WasmExports {
  memory: WasmMemoryObject;
  gemm_workspace(): number;
  gemm_f32(ta: number, tb: number, M: number, N: number, K: number, alpha: number, a: number, b: number, beta: number, c: number, ws: number): void;
  gemm_f64(ta: number, tb: number, M: number, N: number, K: number, alpha: number, a: number, b: number, beta: number, c: number, ws: number): void;
  bias_act_f32(B: number, N: number, x: number, bias: number, hasBias: number, act: number, y: number, pre: number, hasPre: number): void;
  bias_act_f64(B: number, N: number, x: number, bias: number, hasBias: number, act: number, y: number, pre: number, hasPre: number): void;
  act_backward_f32(B: number, N: number, z: number, g: number, act: number, gin: number, gbias: number, hasBias: number, sums: number): number;
  act_backward_f64(B: number, N: number, z: number, g: number, act: number, gin: number, gbias: number, hasBias: number, sums: number): number;
  sgd_f32(n: number, p: number, g: number, buf: number, hasBuf: number, lr: number, wd: number, m: number, damp: number, nesterov: number, first: number): void;
  sgd_f64(n: number, p: number, g: number, buf: number, hasBuf: number, lr: number, wd: number, m: number, damp: number, nesterov: number, first: number): void;
}

const PAGE = 65536;
// every region starts on a cache line
export const ALIGN = 64;
export const WS = ALIGN;


// the paths tried, in order: $FFNN_WASM, then build/wasm/ffnn.wasm of the package
export function wasmCandidates(): string[] {
  const paths: string[] = [];
  if (process.env.FFNN_WASM) paths.push(resolve(process.env.FFNN_WASM));
  paths.push(join(packageRoot(), 'build', 'wasm', 'ffnn.wasm'));
  return paths;
}

export class WasmMemory {
  readonly x: WasmExports;
  // the first arena byte: after the pack workspace
  readonly arena: number;
  f32 = new Float32Array(0);
  f64 = new Float64Array(0);
  private buffer: ArrayBuffer | null = null;
  // the number of times the memory grew (a training step at a fixed shape leaves it unchanged)
  grows = 0;

  constructor(x: WasmExports) {
    this.x = x;
    this.arena = align(WS + x.gemm_workspace());
    this.reserve(this.arena);
  }

  // makes [0, end) addressable; returns true when the views were rebuilt (old views are dead)
  reserve(end: number): boolean {
    const mem = this.x.memory;
    if (mem.buffer.byteLength < end) {
      // 32-bit wasm addresses 4 GiB at most, and the engine or the machine may give less
      const refuse = (why: string): RangeError =>
        new RangeError(`wasm kernels: a call needs ${end} bytes of WebAssembly memory (${why}); use device 'native' or 'js' for work this large`);
      if (end > 2 ** 32) throw refuse('over the 4 GiB a wasm module can address');
      try {
        mem.grow(Math.ceil((end - mem.buffer.byteLength) / PAGE));
      } catch (e) {
        throw refuse(`the engine refused to grow it: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.grows++;
    }
    return this.refresh();
  }

  // rebuilds the views when the memory's buffer changed
  refresh(): boolean {
    const buf = this.x.memory.buffer;
    if (buf === this.buffer) return false;
    this.buffer = buf;
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
    return true;
  }

  get bufferId(): ArrayBuffer {
    return this.x.memory.buffer;
  }
}

export function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

let memory: WasmMemory | undefined;

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
      const mod = new WA.Module(readFileSync(path));
      const inst = new WA.Instance(mod, {});
      memory = new WasmMemory(inst.exports as unknown as WasmExports);
      return memory;
    } catch (e) {
      failures.push(`  ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(
    `ffnn: the wasm kernels could not be loaded; tried:\n${failures.join('\n')}\n` +
      `assemble them in ${packageRoot()} with \`npm run build:wasm\` (node tools/build-wasm.mjs), ` +
      `set FFNN_WASM to load a .wasm file from elsewhere, or use device 'js' for the reference kernels.`,
  );
}
