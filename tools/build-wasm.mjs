// builds native/wasm/ffnn.wasm: the kernels of the addon (CMakeLists.txt's FFNN_KERNEL_SOURCES, with
// the one-thread pool of native/wasm in place of threads.cpp) and the C ABI of native/wasm, compiled
// by clang for wasm32-wasi (a reactor) with simd128. the .wasm is committed, so a clone or an installed
// package needs no wasm toolchain; this script is for whoever changes the C++.
//   node tools/build-wasm.mjs --force   rebuild native/wasm/ffnn.wasm (npm run build:wasm)
//   node tools/build-wasm.mjs           nothing when native/wasm/ffnn.wasm exists (the committed one),
//                                       else a rebuild: what older install scripts call, toolchain or not
//   node tools/build-wasm.mjs --check   rebuild into a temp file; fail unless its bytes equal the committed
//   node tools/build-wasm.mjs --sources print the source list and exit
// needs clang++ and wasm-ld (Debian: clang lld wasi-libc libclang-rt-14-dev-wasm32
// libc++-14-dev-wasm32 libc++abi-14-dev-wasm32); CLANGXX overrides the compiler.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const out = join(root, 'native', 'wasm', 'ffnn.wasm');
const clang = process.env.CLANGXX ?? 'clang++';

// the native build's kernel list, read from CMakeLists.txt so the two cannot drift
export function kernelSources() {
  const cmake = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
  const m = /set\(FFNN_KERNEL_SOURCES\s+([^)]*)\)/.exec(cmake);
  if (m === null) throw new Error('build-wasm: no set(FFNN_KERNEL_SOURCES ...) in CMakeLists.txt');
  return m[1].split(/\s+/).filter((s) => s !== '' && !s.startsWith('#'));
}

// the wasm module's sources: the kernels, the one-thread pool for threads.cpp (std::thread), a
// correctly rounded fmaf (wasi-libc's rounds twice), the C ABI
export function wasmSources() {
  const kernels = kernelSources();
  if (!kernels.includes('native/kernels/threads.cpp')) throw new Error('build-wasm: FFNN_KERNEL_SOURCES lost native/kernels/threads.cpp');
  return [
    ...kernels.map((s) => (s === 'native/kernels/threads.cpp' ? 'native/wasm/threads_single.cpp' : s)),
    'native/wasm/fmaf.cpp',
    'native/wasm/ffnn_wasm.cpp',
  ];
}

// "Clang 14.0.6", as CMake's "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}" for the addon
function compilerName() {
  return `Clang ${execFileSync(clang, ['-dumpversion'], { encoding: 'utf8' }).trim()}`;
}

// gemm runs gemm_portable.cpp, auto-vectorized to simd128 (4 x 8 f32x4 accumulators): a hand-written
// simd128 micro-kernel (4 x 8, 5 x 8, 6 x 8, KC 256 / 512) measured the same, 30-35 GFLOP/s on a
// 1024^2 float gemm on one thread of this zen 5, the bound of separate 128-bit multiplies and adds
// (simd128 has no fma), so the wasm build has no micro-kernel file of its own.
// the CMakeLists.txt options (-O3, no math errno, fma only where the code asks for it) plus wasm's:
// simd128, no exceptions (kernels never throw), no absolute path in the output (reproducible bytes)
function flags() {
  return [
    '--target=wasm32-wasi', '-mexec-model=reactor', '-msimd128', '-std=c++17',
    '-O3', '-fno-math-errno', '-ffp-contract=off', '-fno-exceptions',
    '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-unused-command-line-argument',
    `-ffile-prefix-map=${root}=.`, '-Inative/kernels',
    `-DFFNN_COMPILER="${compilerName()}"`,
  ];
}

function build(dest) {
  const work = mkdtempSync(join(tmpdir(), 'ffnn-wasm-'));
  try {
    const objs = wasmSources().map((src, i) => {
      const obj = join(work, `${i}.o`);
      execFileSync(clang, [...flags(), '-c', src, '-o', obj], { cwd: root, stdio: 'inherit' });
      return obj;
    });
    // --strip-all: no names or debug sections; -z stack-size: 1 MiB of stack (the default is 64 KiB)
    execFileSync(clang, [...flags(), ...objs, '-Wl,--strip-all', '-Wl,-z,stack-size=1048576', '-o', dest], { cwd: root, stdio: 'inherit' });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const bytes = readFileSync(dest);
  // the loader gives only these (src/kernels/wasm/memory.ts): any other import fails to instantiate
  const allowed = new Set(['environ_get', 'environ_sizes_get', 'proc_exit']);
  const extra = WebAssembly.Module.imports(new WebAssembly.Module(bytes)).filter((i) => !allowed.has(i.name));
  if (extra.length > 0) throw new Error(`build-wasm: the module imports ${extra.map((i) => `${i.module}.${i.name}`).join(', ')}, which the loader does not provide`);
  if (bytes.includes(Buffer.from(root))) throw new Error(`build-wasm: ${dest} holds the absolute path ${root}`);
  return bytes;
}

const args = process.argv.slice(2);
if (args.includes('--sources')) {
  console.log(wasmSources().join('\n'));
} else if (args.includes('--check')) {
  const dir = mkdtempSync(join(tmpdir(), 'ffnn-wasm-check-'));
  try {
    const fresh = build(join(dir, 'ffnn.wasm'));
    const committed = readFileSync(out);
    if (!fresh.equals(committed)) {
      console.error(`build-wasm --check: a rebuild (${fresh.length} bytes) differs from the committed ${out} (${committed.length} bytes): run \`npm run build:wasm\` and commit native/wasm/ffnn.wasm`);
      process.exit(1);
    }
    console.log(`build-wasm --check: ${out} matches a rebuild (${fresh.length} bytes)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else if (args.some((a) => a !== '--force')) {
  console.error(`build-wasm: unknown argument ${args.find((a) => a !== '--force')} (expected --force, --check or --sources)`);
  process.exit(1);
} else if (args.includes('--force') || !existsSync(out)) {
  const bytes = build(out);
  writeFileSync(out, bytes);
  console.log(`build-wasm: ${out} (${bytes.length} bytes)`);
}
