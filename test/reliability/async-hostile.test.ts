// trainFFNNAsync against a hostile caller, each case in a child process (a failure there was an
// uncaught exception that killed the process, or a run lost without an error)
import { beforeAll, describe, expect, it } from 'vitest';
import { runSnippet } from '../helpers/child.js';
import { ensureDist } from './fixtures/dist.js';

beforeAll(ensureDist, 120_000);

const SETUP = `
const { FFNN, RandomDataset, SGD, trainFFNNAsync } = ffnn;
const net = new FFNN(8, [8], 'relu', 3, { seed: 1 });
const ds = new RandomDataset(64, 8, 3, { seed: 2 });
const opt = new SGD(net.parameters(), 0.01);
`;

describe('trainFFNNAsync, hostile callers', () => {
  it('a progress stream whose write() throws rejects the promise with that error; the process lives', async () => {
    const r = await runSnippet(`${SETUP}
      try {
        await trainFFNNAsync(net, ds, opt, { epochs: 3, batchSize: 8, verbose: 1, stream: { write() { throw new Error('x-write'); } } });
        console.log('resolved');
      } catch (e) { console.log('rejected', e.message); }
      console.log('alive');`);
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toBe('rejected x-write\nalive\n');
    expect(r.code).toBe(0);
  });

  it('a second run on the same network while the first runs is refused, naming it; the first completes', async () => {
    const r = await runSnippet(`${SETUP}
      const first = trainFFNNAsync(net, ds, opt, { epochs: 5, batchSize: 8, verbose: 0 });
      const errs = [];
      await trainFFNNAsync(net, ds, new SGD(net.parameters(), 0.1), { epochs: 1, verbose: 0 }).catch((e) => errs.push(e.message));
      const losses = await first;
      console.log(JSON.stringify({ errs, n: losses.length }));
      const again = await trainFFNNAsync(net, ds, opt, { epochs: 1, batchSize: 8, verbose: 0 });
      console.log(again.length);`);
    expect(r.stderr).toBe('');
    const [line, again] = r.stdout.trim().split('\n');
    const { errs, n } = JSON.parse(line) as { errs: string[]; n: number };
    expect(n).toBe(40);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^trainFFNNAsync: net is already being trained/);
    expect(again).toBe('8');
  });
});
