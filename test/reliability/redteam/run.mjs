// the whole red-team table (npm run build first): node test/reliability/redteam/run.mjs [filter]
import { CASES } from './cases.mjs';
import { runCase } from './harness.mjs';

const filter = process.argv[2];
const counts = {};
let bad = 0;
for (const c of CASES.filter((k) => filter === undefined || k.id.includes(filter))) {
  const v = await runCase(c);
  counts[c.cls] = (counts[c.cls] ?? 0) + 1;
  if (v.verdict !== 'OK') bad++;
  console.log(`${v.verdict.padEnd(13)} [${c.cls}] ${c.id}${v.detail ? `  -- ${v.detail.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`);
}
console.log(JSON.stringify(counts), `not OK: ${bad}`);
process.exitCode = bad === 0 ? 0 : 1;
