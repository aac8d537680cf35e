#!/usr/bin/env node
// the `ffnn` command; the TypeScript build (npm install runs it) is in dist/
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('ffnn: the TypeScript build is missing (dist/cli/index.js); run `npm run build` in the package folder\n');
  process.exit(1);
}
// a reader that stopped early (`ffnn train | head`, or one of stderr) ends the command quietly, with
// the shell's code for a process killed by SIGPIPE (128 + 13): Node ignores the signal and would
// otherwise end on an unhandled EPIPE error (exit 1, its stack printed to stdout's pipe or nowhere)
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(141);
    throw e;
  });
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
