// per-epoch curves as the CLI draws them: training and validation together on an epoch axis (values at
// 1, 2, ..., whole-number ticks), unsmoothed and with a point per epoch when short, legend labels and
// long titles shown whole
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { plotLosses, SMOOTH_MIN_POINTS } from '../../src/report/plot.js';

const root = mkdtempSync(join(tmpdir(), 'ffnn-plot-epochs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const train = [1.1, 0.8, 0.6, 0.5, 0.45, 0.41, 0.39, 0.37];
const val = [1.0, 0.85, 0.7, 0.66, 0.64, 0.65, 0.66, 0.68];

// the text of every tick label on the axis titled `title`
function axisLabels(svg: string, title: string): string[] {
  const at = svg.indexOf(`>${title}<`);
  const start = svg.lastIndexOf('role-axis"', at);
  return [...svg.slice(start, at).matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

describe('plotLosses on an epoch axis', () => {
  it('two short runs: no smoothed curve, a point per value, epochs 1..n with whole ticks', async () => {
    const svg = await plotLosses({ 'training loss': train, 'validation loss': val }, join(root, 'e.svg'), { xAxis: 'epoch' });
    expect(svg).toContain('>epoch<');
    const ticks = axisLabels(svg, 'epoch');
    expect(ticks[0]).toBe('1');
    expect(ticks.every((t) => /^\d+$/.test(t))).toBe(true);
    expect(ticks).toContain('8');
    // one solid line per run (no faint raw layer, no smoothed one) and one layer of points
    expect((svg.match(/class="mark-line role-mark/g) ?? []).length).toBe(2);
    expect(svg).not.toContain('opacity="0.3"');
    expect((svg.match(/class="mark-symbol role-mark/g) ?? []).length).toBe(1);
  });

  it('a long run beside a short one: the long one is smoothed, the short one drawn as it is', async () => {
    const long = Array.from({ length: SMOOTH_MIN_POINTS * 4 }, (_, i) => 1 / (1 + i) + 0.05 * Math.sin(i));
    const svg = await plotLosses({ long, short: val }, join(root, 'mix.svg'));
    expect(svg).toContain('opacity="0.3"');
    // the long run's raw and smoothed lines, the short run's line
    expect((svg.match(/class="mark-line role-mark/g) ?? []).length).toBe(3);
  });

  it('legend labels are never cut, a long title is wrapped rather than squeezing the plot', async () => {
    const name = 'validation cross-entropy of a network with a rather long description, 784-256-128-10 relu';
    const title = 'ffnn train: penguins.csv, target Species, 10-32-16-3 relu, adam lr 0.01, batch 32, 100 epochs, seed 1';
    const svg = await plotLosses({ [name]: val, training: train }, join(root, 'legend.svg'), { xAxis: 'epoch', title });
    expect(svg).toContain(`>${name}<`);
    expect(svg).not.toContain('…');
    // the title's words are all there, over two lines
    const lines = [...svg.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((m) => m[1]);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.join(' ')).toContain(title);
  });

  it('iteration losses at their fraction of an epoch beside per-epoch validation losses', async () => {
    const iters = Array.from({ length: 400 }, (_, i) => 2 / (1 + i / 40));
    const svg = await plotLosses({ training: iters, validation: [1.2, 0.9, 0.8, 0.75] }, join(root, 'ppe.svg'), { xAxis: 'epoch', pointsPerEpoch: { training: 100 } });
    const ticks = axisLabels(svg, 'epoch');
    // 400 iterations of 100 an epoch span epochs 0.01 .. 4, as the 4 validation losses do
    expect(ticks.at(-1)).toBe('4');
    expect(ticks).not.toContain('400');
    await expect(plotLosses({ a: [1, 2] }, join(root, 'bad.svg'), { xAxis: 'epoch', pointsPerEpoch: { b: 2 } })).rejects.toThrow(
      /^options\.pointsPerEpoch\["b"\]: expected the name of a run, received "b"$/,
    );
    await expect(plotLosses({ a: [1, 2] }, join(root, 'bad.svg'), { pointsPerEpoch: { a: 2 } })).rejects.toThrow(/^options\.pointsPerEpoch: expected options\.xAxis 'epoch' beside it/);
    // a resumed run: epochs 5..8
    const resumed = await plotLosses({ training: iters.slice(0, 400), validation: [0.7, 0.6, 0.55, 0.5] }, join(root, 'resumed.svg'), { xAxis: 'epoch', pointsPerEpoch: { training: 100 }, firstEpoch: 5 });
    const t = axisLabels(resumed, 'epoch');
    expect(t.at(-1)).toBe('8');
    expect(t).not.toContain('1');
  });
});
