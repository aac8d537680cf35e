// assembles src/kernels/wasm/ffnn.wat into build/wasm/ffnn.wasm with wabt (npm's `install` and
// `pretest` run it, like cmake-js for the addon). skips the work when the .wasm is newer than the .wat;
// without wabt (an installed package, where devDependencies are absent) an existing .wasm is kept.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'kernels', 'wasm', 'ffnn.wat');
const out = join(root, 'build', 'wasm', 'ffnn.wasm');
const force = process.argv.includes('--force');

if (!force && existsSync(out) && (!existsSync(src) || statSync(out).mtimeMs >= statSync(src).mtimeMs)) process.exit(0);

let wabtInit;
try {
  wabtInit = (await import('wabt')).default;
} catch (e) {
  if (existsSync(out)) process.exit(0);
  console.error(`build-wasm: wabt is not installed (npm install --save-dev wabt) and ${out} is missing: ${e.message}`);
  process.exit(1);
}

const wabt = await wabtInit();
// simd is the only feature beyond the mvp the module uses (relaxed simd is flag-gated in node 20)
const features = { simd: true, bulk_memory: true };
const mod = wabt.parseWat('ffnn.wat', readFileSync(src, 'utf8'), features);
try {
  mod.validate();
  const { buffer } = mod.toBinary({ write_debug_names: true });
  // the engine this package runs on must accept it
  new WebAssembly.Module(buffer);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, buffer);
  console.log(`build-wasm: ${out} (${buffer.length} bytes)`);
} finally {
  mod.destroy();
}
