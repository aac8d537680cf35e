// memory over time: 200,000 training steps keep the resident set within a fixed bound, and networks
// and tensors created and dropped in a loop are collected with their buffers. each case runs in a
// child process with --expose-gc (fixtures/memory-child.mjs on dist/), so that the numbers are the
// library's alone and the heap can be measured after a full collection.
import { execFile } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from './fixtures/dist.js';

const skipNative = process.env.FFNN_SKIP_NATIVE === '1';
const CHILD = new URL('./fixtures/memory-child.mjs', import.meta.url).pathname;

beforeAll(ensureDist, 120_000);

function child(...args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', CHILD, ...args], { maxBuffer: 1 << 22 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`memory-child ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

interface Sample {
  rss: number;
  heapAfterGc: number;
  arrayBuffers: number;
  step?: number;
  seconds?: number;
}

const mb = (v: number): string => `${v.toFixed(1)} MB`;

describe.concurrent('memory over time', () => {
  it.skipIf(skipNative)('200,000 native training steps: rss within 30 MB of its value after warm-up, heap flat', async () => {
    const r = (await child('train', 'native', '200000')) as { steps: number; finite: boolean; seconds: number; samples: Sample[] };
    expect(r.steps).toBe(200_000);
    expect(r.finite).toBe(true);
    // the first sample (10,000 steps) is the warmed-up start: code compiled, buffers sized, heap grown
    const start = r.samples[0];
    const end = r.samples[r.samples.length - 1];
    const maxRss = Math.max(...r.samples.map((s) => s.rss));
    console.log(
      `memory: 200,000 steps of FFNN(20, [16], relu, 4), batch 8, native, in ${r.seconds.toFixed(1)} s; ` +
        `rss ${mb(start.rss)} at step ${start.step} -> ${mb(end.rss)} at step ${end.step} (max ${mb(maxRss)}); ` +
        `heap after gc ${mb(start.heapAfterGc)} -> ${mb(end.heapAfterGc)}; array buffers ${mb(start.arrayBuffers)} -> ${mb(end.arrayBuffers)}; ` +
        `rss every 10,000 steps: ${r.samples.map((s) => s.rss.toFixed(0)).join(' ')}`,
    );
    expect(r.seconds).toBeLessThan(60);
    expect(maxRss - start.rss).toBeLessThan(30);
    // the only thing that grows is the returned list of 200,000 losses (1.6 MB of doubles)
    expect(end.heapAfterGc - start.heapAfterGc).toBeLessThan(4);
    expect(end.arrayBuffers - start.arrayBuffers).toBeLessThan(1);
  }, 120_000);

  for (const device of skipNative ? ['js'] : ['native', 'js']) {
    it(`10,000 ${device} networks and 10,000 256 KiB tensors created, used and dropped are all collected`, async () => {
      const r = (await child('churn', device, '10000')) as {
        count: number; start: Sample; end: Sample; peakRss: number; collectedNets: number; collectedTensors: number;
      };
      console.log(
        `memory: ${device} churn of 10,000 networks + 10,000 tensors (2.5 GiB allocated in all): collected ${r.collectedNets} networks, ` +
          `${r.collectedTensors} tensors; rss ${mb(r.start.rss)} -> ${mb(r.end.rss)} (peak ${mb(r.peakRss)}); ` +
          `heap after gc ${mb(r.start.heapAfterGc)} -> ${mb(r.end.heapAfterGc)}; array buffers ${mb(r.start.arrayBuffers)} -> ${mb(r.end.arrayBuffers)}`,
      );
      expect(r.collectedNets).toBe(10_000);
      expect(r.collectedTensors).toBe(10_000);
      // every buffer went back: nothing retained beyond the baseline
      expect(r.end.arrayBuffers - r.start.arrayBuffers).toBeLessThan(0.5);
      expect(r.end.heapAfterGc - r.start.heapAfterGc).toBeLessThan(2);
      // the allocator may keep freed pages, but nowhere near the 2.5 GiB a leak would hold
      expect(r.peakRss - r.start.rss).toBeLessThan(300);
    }, 120_000);
  }
});
