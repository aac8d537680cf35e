#!/usr/bin/env node
// the `ffnn` command; the TypeScript build (npm install runs it) is in dist/
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('ffnn: the TypeScript build is missing (dist/cli/index.js); run `npm run build` in the package folder\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
