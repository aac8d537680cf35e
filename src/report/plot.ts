// loss curves of several runs in one chart: vega-lite compiled to vega, rendered headless to SVG, and
// to PNG with resvg. a long run is a faint raw curve and a smoothed curve in the same colour; a short
// one (per-epoch training and validation losses) is drawn as it is, with a point per value. on an
// epoch axis the values are at epochs 1, 2, ... with whole-number ticks; legend labels are never cut.
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.js';
import { checkBool, checkInt, checkNumber, checkObject, checkOneOf, rangeError, typeError } from '../util/check.js';

export type LossCurve = readonly number[] | Float32Array | Float64Array;

export interface PlotOptions {
  title?: string;
  // EMA weight in [0, 1) of the smoothed curve, as TensorBoard's slider (0: no smoothed curve);
  // default 1 - 50 / (longest run), clamped to [0.6, 0.99]. a run of fewer than SMOOTH_MIN_POINTS
  // values is never smoothed (an EMA over 10 epochs lags the curve it should summarize)
  smoothing?: number;
  // 'iteration' (default): values at 0, 1, ...; 'epoch': per-epoch values at epochs 1, 2, ...
  xAxis?: 'iteration' | 'epoch';
  // on an epoch axis, the values per epoch of a run (default 1): a run of iteration losses with k
  // batches an epoch has its value i at epoch (i + 1) / k, beside per-epoch validation losses
  pointsPerEpoch?: Record<string, number>;
  // on an epoch axis, the epoch of the first values (default 1; a resumed run's next epoch)
  firstEpoch?: number;
  // log-scale loss axis; needs every loss > 0 (default false)
  logScale?: boolean;
  // size of the whole image in pixels (default 800 x 450)
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  // extra font files for PNG text (system fonts are found on their own)
  fontFiles?: string[];
}

// above this many points a raw curve is drawn from per-bucket min and max
export const MAX_RAW_POINTS = 4000;
// below this many points a run is drawn without a smoothed curve
export const SMOOTH_MIN_POINTS = 50;
const MAX_SMOOTH_POINTS = 2000;

// the font-family list given to vega; resvg takes the first one it has
const FONT = 'DejaVu Sans, Liberation Sans, Noto Sans, Arial, Helvetica, sans-serif';

// sans-serif fonts looked for by path, so text renders even where resvg's own lookup misses
const FONT_CANDIDATES: [string, string][] = [
  ['DejaVu Sans', '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'],
  ['Liberation Sans', '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf'],
  ['Liberation Sans', '/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf'],
  ['Noto Sans', '/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf'],
  ['DejaVu Sans', '/usr/share/fonts/dejavu/DejaVuSans.ttf'],
  ['DejaVu Sans', '/usr/share/fonts/TTF/DejaVuSans.ttf'],
  ['Arial', '/Library/Fonts/Arial.ttf'],
  ['Arial', '/System/Library/Fonts/Supplemental/Arial.ttf'],
  ['Arial', 'C:\\Windows\\Fonts\\arial.ttf'],
];

const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', join(homedir(), '.fonts'), join(homedir(), '.local/share/fonts'), '/System/Library/Fonts', '/Library/Fonts', 'C:\\Windows\\Fonts'];

interface Point {
  run: string;
  // 'lone': the one loss of a run of one iteration, drawn as a dot (a line through one point is invisible);
  // 'plain': a short run drawn solid with its points, unsmoothed
  layer: 'raw' | 'smooth' | 'lone' | 'plain';
  iteration: number;
  loss: number;
}

// draws the runs into `file` (.svg or .png, written atomically) and returns the SVG text
export async function plotLosses(runs: Record<string, LossCurve>, file: string, opts?: PlotOptions): Promise<string> {
  const names = checkRuns(runs);
  if (typeof file !== 'string') throw typeError('file', 'a path ending in .svg or .png', file);
  const ext = extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw rangeError('file', 'a path ending in .svg or .png', file);
  const o = checkObject('options', opts);
  const title = o.title === undefined ? 'training loss' : checkString('options.title', o.title);
  const xAxis = o.xAxis === undefined ? 'iteration' : checkOneOf('options.xAxis', o.xAxis, ['iteration', 'epoch'] as const);
  const xLabel = o.xLabel === undefined ? xAxis : checkString('options.xLabel', o.xLabel);
  const ppe = o.pointsPerEpoch === undefined ? {} : checkObject('options.pointsPerEpoch', o.pointsPerEpoch);
  for (const [k, v] of Object.entries(ppe)) {
    if (!names.includes(k)) throw rangeError(`options.pointsPerEpoch[${JSON.stringify(k)}]`, 'the name of a run', k);
    checkInt(`options.pointsPerEpoch[${JSON.stringify(k)}]`, v, 1);
    if (xAxis !== 'epoch') throw rangeError('options.pointsPerEpoch', "options.xAxis 'epoch' beside it", ppe);
  }
  const firstEpoch = o.firstEpoch === undefined ? 1 : checkInt('options.firstEpoch', o.firstEpoch, 1);
  if (o.firstEpoch !== undefined && xAxis !== 'epoch') throw rangeError('options.firstEpoch', "options.xAxis 'epoch' beside it", o.firstEpoch);
  // the x of value i of run k
  const xOf = (k: string, i: number): number => (xAxis === 'epoch' ? firstEpoch - 1 + (i + 1) / ((ppe[k] as number | undefined) ?? 1) : i);
  const yLabel = o.yLabel === undefined ? 'loss' : checkString('options.yLabel', o.yLabel);
  const logScale = o.logScale === undefined ? false : checkBool('options.logScale', o.logScale);
  const width = o.width === undefined ? 800 : checkInt('options.width', o.width, 100, 10000);
  const height = o.height === undefined ? 450 : checkInt('options.height', o.height, 100, 10000);
  const longest = Math.max(...names.map((k) => runs[k].length));
  let smoothing = Math.min(0.99, Math.max(0.6, 1 - 50 / longest));
  if (o.smoothing !== undefined) {
    smoothing = checkNumber('options.smoothing', o.smoothing);
    if (smoothing < 0 || smoothing >= 1) throw rangeError('options.smoothing', 'a number in [0, 1)', smoothing);
  }
  const fontFiles = o.fontFiles === undefined ? [] : checkFontFiles(o.fontFiles);
  if (logScale) {
    for (const k of names) {
      const r = runs[k];
      for (let i = 0; i < r.length; i++) {
        if (r[i] <= 0) throw rangeError(`runs[${JSON.stringify(k)}][${i}]`, 'a number > 0 (options.logScale)', r[i]);
      }
    }
  }

  const values: Point[] = [];
  for (const k of names) {
    const r = runs[k];
    if (r.length === 1) {
      values.push({ run: k, layer: 'lone', iteration: xOf(k, 0), loss: r[0] });
      continue;
    }
    const smoothed = smoothing > 0 && r.length >= SMOOTH_MIN_POINTS;
    for (const i of rawIndices(r)) values.push({ run: k, layer: smoothed ? 'raw' : 'plain', iteration: xOf(k, i), loss: r[i] });
    if (smoothed) {
      const s = ema(r, smoothing);
      const step = Math.ceil(s.length / MAX_SMOOTH_POINTS);
      for (let i = 0; i < s.length; i += step) values.push({ run: k, layer: 'smooth', iteration: xOf(k, i), loss: s[i] });
      if ((s.length - 1) % step !== 0) values.push({ run: k, layer: 'smooth', iteration: xOf(k, s.length - 1), loss: s[s.length - 1] });
    }
  }

  const svg = await renderSVG(spec(values, names, { title, xLabel, yLabel, logScale, width, height, wholeX: xAxis === 'epoch', dots: longest < SMOOTH_MIN_POINTS }));
  if (ext === '.svg') {
    writeFileAtomic(file, svg, 'plotLosses');
  } else {
    writeFileAtomic(file, renderPNG(svg, width, fontFiles), 'plotLosses');
  }
  return svg;
}

// characters XML does not allow (C0 controls but tab, newline and return; U+FFFE, U+FFFF; a lone
// surrogate): written into the SVG, they made a file no XML parser reads
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;

function checkString(name: string, v: unknown): string {
  if (typeof v !== 'string') throw typeError(name, 'a string', v);
  const bad = NOT_XML.exec(v);
  if (bad !== null) {
    throw new RangeError(`${name}: expected text without control characters (the SVG is XML), received one at [${bad.index}] (U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`);
  }
  return v;
}

function checkFontFiles(v: unknown): string[] {
  if (!Array.isArray(v)) throw typeError('options.fontFiles', 'an array of font file paths', v);
  v.forEach((f, i) => {
    if (typeof f !== 'string') throw typeError(`options.fontFiles[${i}]`, 'a font file path', f);
    if (!existsSync(f)) throw rangeError(`options.fontFiles[${i}]`, 'an existing font file', f);
  });
  return v as string[];
}

function checkRuns(runs: unknown): string[] {
  if (runs === null || typeof runs !== 'object' || Array.isArray(runs)) {
    throw typeError('runs', 'an object of run name -> losses (number[])', runs);
  }
  const names = Object.keys(runs);
  if (names.length === 0) throw rangeError('runs', 'at least one run', runs);
  for (const k of names) {
    const r = (runs as Record<string, unknown>)[k];
    const at = `runs[${JSON.stringify(k)}]`;
    checkString(`${at} (its name)`, k);
    if (!Array.isArray(r) && !(r instanceof Float32Array) && !(r instanceof Float64Array)) {
      throw typeError(at, 'an array of losses', r);
    }
    if (r.length === 0) throw rangeError(at, 'at least one loss', r);
    for (let i = 0; i < r.length; i++) checkNumber(`${at}[${i}]`, r[i]);
  }
  return names;
}

// every index when short; otherwise the first, the last and each bucket's min and max, in order
function rawIndices(r: LossCurve): number[] {
  const n = r.length;
  if (n <= MAX_RAW_POINTS) return Array.from({ length: n }, (_, i) => i);
  const bucket = Math.ceil(n / (MAX_RAW_POINTS / 2));
  const out: number[] = [0];
  for (let b = 0; b < n; b += bucket) {
    let lo = b;
    let hi = b;
    const end = Math.min(n, b + bucket);
    for (let i = b + 1; i < end; i++) {
      if (r[i] < r[lo]) lo = i;
      if (r[i] > r[hi]) hi = i;
    }
    const [p, q] = lo < hi ? [lo, hi] : [hi, lo];
    if (p > out[out.length - 1]) out.push(p);
    if (q > out[out.length - 1]) out.push(q);
  }
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

// exponential moving average with TensorBoard's debiasing, so the curve starts at the first loss
function ema(r: LossCurve, w: number): Float64Array {
  const out = new Float64Array(r.length);
  let acc = 0;
  let wt = 1;
  for (let i = 0; i < r.length; i++) {
    acc = acc * w + (1 - w) * r[i];
    wt *= w;
    out[i] = acc / (1 - wt);
  }
  return out;
}

interface SpecOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logScale: boolean;
  width: number;
  height: number;
  // whole-number ticks only (epochs)
  wholeX: boolean;
  // a point on every value of the unsmoothed curves (all runs short)
  dots: boolean;
}

function spec(values: Point[], names: string[], o: SpecOptions): TopLevelSpec {
  // every loss equal (a run of one iteration): a domain around it, or the axis has one tick, rounded
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v.loss);
    hi = Math.max(hi, v.loss);
  }
  const around = lo === hi ? { domain: lo === 0 ? [-1, 1] : [lo - Math.abs(lo) / 2, lo + Math.abs(lo) / 2] } : {};
  const encoding = {
    x: {
      field: 'iteration',
      type: 'quantitative',
      title: o.xLabel,
      scale: { nice: false },
      ...(o.wholeX ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
    },
    y: { field: 'loss', type: 'quantitative', title: o.yLabel, scale: o.logScale ? { type: 'log', ...around } : { zero: false, ...around } },
    // the legend's symbols are drawn solid, not with the faint raw layer's opacity
    color: {
      field: 'run',
      type: 'nominal',
      title: 'run',
      scale: { domain: names, scheme: 'category10' },
      // labelLimit 0: a run's name is shown whole (vega cuts labels at 160 px by default)
      legend: { symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 2, labelLimit: 0, titleLimit: 0 },
    },
  } as const;
  const layer: TopLevelSpec[] = [];
  if (values.some((v) => v.layer === 'raw')) {
    layer.push({
      transform: [{ filter: "datum.layer === 'raw'" }],
      mark: { type: 'line', strokeWidth: 1, opacity: 0.3, clip: true },
      encoding,
    } as unknown as TopLevelSpec);
  }
  if (values.some((v) => v.layer === 'plain')) {
    layer.push({
      transform: [{ filter: "datum.layer === 'plain'" }],
      mark: { type: 'line', strokeWidth: 2, clip: true, ...(o.dots ? { point: { filled: true, size: 30 } } : {}) },
      encoding,
    } as unknown as TopLevelSpec);
  }
  if (values.some((v) => v.layer === 'smooth')) {
    layer.push({
      transform: [{ filter: "datum.layer === 'smooth'" }],
      mark: { type: 'line', strokeWidth: 2, clip: true },
      encoding,
    } as unknown as TopLevelSpec);
  }
  if (values.some((v) => v.layer === 'lone')) {
    layer.push({
      transform: [{ filter: "datum.layer === 'lone'" }],
      mark: { type: 'point', filled: true, size: 60, opacity: 1 },
      encoding,
    } as unknown as TopLevelSpec);
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    // a title wider than the image is wrapped at spaces (vega would squeeze the plot to fit it)
    // (about 8 px a character of the bold title font; the legend takes up to a third of the width)
    title: { text: wrap(o.title, Math.max(20, Math.floor((o.width * 2) / 3 / 8))) },
    width: o.width,
    height: o.height,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    padding: 10,
    config: { font: FONT },
    data: { values },
    layer,
  } as unknown as TopLevelSpec;
}

// lines of at most `chars` characters, broken at spaces (a longer word stays whole)
function wrap(text: string, chars: number): string | string[] {
  if (text.length <= chars) return text;
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line !== '' && line.length + 1 + w.length > chars) {
      lines.push(line);
      line = w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

async function renderSVG(s: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(s).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

let warnedNoFonts = false;

function renderPNG(svg: string, width: number, extra: string[]): Uint8Array {
  const found = FONT_CANDIDATES.filter(([, f]) => existsSync(f));
  const fontFiles = [...extra, ...found.map(([, f]) => f)];
  if (fontFiles.length === 0 && !FONT_DIRS.some(hasFiles) && !warnedNoFonts) {
    warnedNoFonts = true;
    process.emitWarning(
      'plotLosses: no fonts found, so the PNG has no text; install one (Debian: apt-get install fonts-dejavu-core), pass options.fontFiles, or write .svg',
      'FfnnWarning',
    );
  }
  const family = found.length > 0 ? found[0][0] : undefined;
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: width },
    background: 'white',
    font: {
      loadSystemFonts: true,
      fontFiles,
      ...(family === undefined ? {} : { defaultFontFamily: family, sansSerifFamily: family }),
    },
  });
  return resvg.render().asPng();
}

function hasFiles(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}
