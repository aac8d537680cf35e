// the whole red-team table (npm run build first): node test/reliability/redteam/run.mjs [filter]
// [--jobs N]. prints each case that is not OK, then the cases by class and by verdict; exit 1 unless
// every verdict is OK
import { availableParallelism } from 'node:os';
import { CASES } from './cases.mjs';
import { runCase } from './harness.mjs';

const args = process.argv.slice(2);
const j = args.indexOf('--jobs');
const jobs = j >= 0 ? Number(args.splice(j, 2)[1]) : Math.min(4, Math.max(2, availableParallelism()));
const filter = args[0];
const todo = CASES.filter((k) => filter === undefined || k.id.includes(filter));
const byClass = {};
const byVerdict = {};
const verbose = process.env.FFNN_REDTEAM_VERBOSE === '1';
let next = 0;
const t0 = Date.now();
async function worker() {
  while (next < todo.length) {
    const c = todo[next++];
    const v = await runCase(c);
    byClass[c.cls] = (byClass[c.cls] ?? 0) + 1;
    byVerdict[v.verdict] = (byVerdict[v.verdict] ?? 0) + 1;
    if (verbose || v.verdict !== 'OK') {
      console.log(`${v.verdict.padEnd(13)} [${c.cls}] ${c.id}${v.detail ? `  -- ${v.detail.replace(/\s+/g, ' ').slice(0, 240)}` : ''}`);
    }
  }
}
await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
const sorted = (o) => Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]));
console.log(`${todo.length} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log('by class:', JSON.stringify(sorted(byClass)));
console.log('by verdict:', JSON.stringify(sorted(byVerdict)));
process.exitCode = (byVerdict.OK ?? 0) === todo.length ? 0 : 1;
