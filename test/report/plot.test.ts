import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/random.js';
import { plotLosses } from '../../src/report/index.js';

const root = mkdtempSync(join(tmpdir(), 'ffnn-plot-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function curve(seed: number, n: number, start: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => start * Math.exp(-i / (n / 4)) + 0.1 + 0.3 * rng.uniform());
}

describe('plotLosses', () => {
  it('writes an SVG with the run names, the axis titles and the title', async () => {
    const file = join(root, 'a.svg');
    const svg = await plotLosses({ 'relu 128': curve(1, 200, 2.3), 'sigmoid 128': curve(2, 150, 2) }, file, { title: 'three nets' });
    expect(readFileSync(file, 'utf8')).toBe(svg);
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['relu 128', 'sigmoid 128', '>iteration<', '>loss<', 'three nets']) expect(svg).toContain(text);
    expect(svg).toMatch(/width="800" height="450"/);
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes a PNG of the requested size', async () => {
    const file = join(root, 'b.png');
    await plotLosses({ a: curve(3, 100, 1), b: curve(4, 100, 2), c: curve(5, 100, 3) }, file, {
      width: 640,
      height: 360,
      logScale: true,
      smoothing: 0.8,
      xLabel: 'step',
      yLabel: 'cross-entropy',
    });
    const png = readFileSync(file);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.toString('latin1', 12, 16)).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(640);
    expect(png.readUInt32BE(20)).toBe(360);
  });

  it('downsamples long runs (10 MNIST epochs, three runs) to a bounded SVG', async () => {
    const runs = { a: curve(6, 9400, 2.3), b: curve(7, 9400, 2), c: curve(8, 9400, 1.7) };
    const t = Date.now();
    const svg = await plotLosses(runs, join(root, 'long.svg'), { smoothing: 0 });
    expect(Date.now() - t).toBeLessThan(20_000);
    // a path point is one "L" command; the raw layer keeps at most ~4,000 of 9,400 per run
    const points = (svg.match(/L/g) ?? []).length;
    expect(points).toBeGreaterThan(3 * 3000);
    expect(points).toBeLessThan(3 * 4100);
  });

  it('draws a run of one iteration as a dot on an axis around its loss (a line through one point is invisible)', async () => {
    const svg = await plotLosses({ one: [0.7] }, join(root, 'one.svg'));
    expect((svg.match(/class="mark-symbol role-mark/g) ?? []).length).toBe(1);
    // ticks on both sides of 0.7, not a single rounded one
    expect(svg).toMatch(/>0\.50</);
    expect(svg).toMatch(/>1\.00</);
    const both = await plotLosses({ one: [0.7], many: curve(9, 50, 1) }, join(root, 'both.svg'));
    expect((both.match(/class="mark-symbol role-mark/g) ?? []).length).toBe(1);
    expect((both.match(/class="mark-line role-mark/g) ?? []).length).toBe(2);
  });

  it('validates its arguments', async () => {
    const f = join(root, 'x.svg');
    await expect(plotLosses({}, f)).rejects.toThrow(/runs: expected at least one run/);
    await expect(plotLosses([] as never, f)).rejects.toThrow(TypeError);
    await expect(plotLosses({ a: [] }, f)).rejects.toThrow(/runs\["a"\]: expected at least one loss/);
    await expect(plotLosses({ a: 'x' as never }, f)).rejects.toThrow(/runs\["a"\]: expected an array of losses/);
    await expect(plotLosses({ a: [1, 2, 3, NaN] }, f)).rejects.toThrow(/runs\["a"\]\[3\]: expected a finite number, received NaN/);
    await expect(plotLosses({ a: [1, '2' as never] }, f)).rejects.toThrow(TypeError);
    await expect(plotLosses({ a: [1, 0] }, f, { logScale: true })).rejects.toThrow(/runs\["a"\]\[1\]: expected a number > 0/);
    await expect(plotLosses({ a: [1] }, join(root, 'x.jpg'))).rejects.toThrow(/file: expected a path ending in .svg or .png, received ".*x.jpg"/);
    await expect(plotLosses({ a: [1] }, 3 as never)).rejects.toThrow(TypeError);
    await expect(plotLosses({ a: [1] }, f, { smoothing: 1 })).rejects.toThrow(/options.smoothing: expected a number in \[0, 1\)/);
    await expect(plotLosses({ a: [1] }, f, { width: 10 })).rejects.toThrow(/options.width/);
    await expect(plotLosses({ a: [1] }, f, { title: 3 as never })).rejects.toThrow(/options.title: expected a string/);
    await expect(plotLosses({ a: [1] }, f, { fontFiles: ['/no/such.ttf'] })).rejects.toThrow(/options.fontFiles\[0\]/);
  });
});

// a control character in a title or run name went into the SVG as is, and no XML parser would read
// the file (red-team pass): refused, named; markup characters stay escaped text
describe('plot text XML cannot hold', () => {
  it('a control character or a lone surrogate in a title, label or run name is a RangeError', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ffnn-plot-xml-')), 'p.svg');
    await expect(plotLosses({ a: [1, 0.5] }, out, { title: 'loss\u0007' })).rejects.toThrow('options.title: expected text without control characters (the SVG is XML), received one at [4] (U+0007)');
    await expect(plotLosses({ 'run\u0000': [1, 0.5] }, out)).rejects.toThrow(/^runs\["run\\u0000"\] \(its name\): expected text without control characters/);
    await expect(plotLosses({ a: [1, 0.5] }, out, { yLabel: '\uD800' })).rejects.toThrow(RangeError);
    await plotLosses({ 'a <b> & "c"': [1, 0.5] }, out, { title: '<script>alert(1)</script> 😀' });
    const svg = readFileSync(out, 'utf8');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
  });
});
