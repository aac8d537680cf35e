// the directory holding package.json above the calling module: src/... under vitest, dist/... after
// tsc (where the native addon and the wasm module are built, under build/)
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  const here = fileURLToPath(import.meta.url);
  let dir = dirname(here);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`ffnn: no package.json above ${here}`);
    dir = up;
  }
}
