// the red-team table (redteam/cases.mjs and cases-more.mjs), each case in a child process with a
// timeout; every verdict must be OK (the harness applies the error-quality rule). `npm test` runs the
// fast subset; FFNN_REDTEAM=all runs every case here, `npm run test:redteam` runs them all in parallel
// children and prints the counts by class and by verdict
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from './fixtures/dist.js';
// @ts-expect-error plain ESM shared with redteam/run.mjs
import { CASES } from './redteam/cases.mjs';
// @ts-expect-error plain ESM shared with redteam/run.mjs
import { runCase } from './redteam/harness.mjs';

interface Case { id: string; cls: string; fast?: boolean; timeout?: number }
const all = process.env.FFNN_REDTEAM === 'all';
const cases = (CASES as Case[]).filter((c) => all || c.fast === true);

beforeAll(ensureDist, 120_000);

describe(`red team (${cases.length} of ${(CASES as Case[]).length} cases)`, () => {
  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const v = (await runCase(c)) as { verdict: string; detail?: string };
    expect(`${v.verdict}${v.detail === undefined ? '' : `: ${v.detail}`}`).toBe('OK');
  }, 45_000);
});
