// npm pack's prepack step: the addon built from CMakeLists.txt (build/Release/ffnn.node, run-time
// instruction-set dispatch inside) copied to prebuilds/<platform>/ffnn.node, where the installed
// package loads it with no script and no compiler. on Linux it must need no glibc newer than
// MAX_GLIBC (native/binding/glibc_compat.cpp) and no libstdc++ (linked in).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_GLIBC = '2.25';
const { prebuildPath } = await import(join(root, 'dist', 'kernels', 'native.js'));

const src = join(root, 'build', 'Release', 'ffnn.node');
if (!existsSync(src)) {
  console.error(`prebuild: ${src} is missing; run \`npm run build:native\` first`);
  process.exit(1);
}
if (process.platform === 'linux') {
  const syms = execFileSync('objdump', ['-T', src], { encoding: 'utf8' });
  const newer = [...new Set(syms.match(/GLIBC_[0-9.]+/g) ?? [])]
    .map((v) => v.slice(6))
    .filter((v) => v.localeCompare(MAX_GLIBC, undefined, { numeric: true }) > 0);
  if (newer.length > 0) {
    console.error(`prebuild: ${src} needs glibc ${newer.join(', ')}, newer than the ${MAX_GLIBC} it promises`);
    process.exit(1);
  }
  if (/GLIBCXX_|CXXABI_/.test(syms)) {
    console.error(`prebuild: ${src} links libstdc++ dynamically; build it with CMakeLists.txt (cmake-js)`);
    process.exit(1);
  }
}
const out = prebuildPath(root);
mkdirSync(dirname(out), { recursive: true });
copyFileSync(src, out);
console.log(`prebuild: ${out}`);
