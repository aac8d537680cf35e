// the fused layer kernels: native against the reference (gemm + biasAct, actBackward + two gemms).
// each output is a sum of n products; we allow gamma_{n+32} * scale per element, scale =
// max(1, sum |terms|), the 32 covering the activation's few ulps and its slope (<= 1.1 here)
// applied to the rounded sum.
import { afterAll, describe, it } from 'vitest';
import { ACT_CODE, type ActName } from '../../src/kernels/types.js';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import { nonReferenceBackends } from '../helpers/backends.js';
import { DTYPES, DiffStats, assertClose, assertScalarClose, ctorOf, gammaTol, normalArray, rng } from '../helpers/numeric.js';

const stats = new DiffStats();
afterAll(() => {
  if (stats.size > 0) console.log(stats.table('layer kernels: native and wasm vs reference, |a - ref| / max(1, sum|terms|)'));
});

const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [16, 17, 15], [33, 64, 65], [128, 129, 10], [7, 257, 31]];
const ACTS: [ActName, number][] = [['identity', 1], ['relu', 1], ['sigmoid', 1], ['tanh', 1], ['swish', 1.7], ['celu', 0.5]];

// |a| |b| summed as in a (rows, inner) x (inner, cols) product, given element accessors
function absProduct(rows: number, inner: number, cols: number, a: (r: number, k: number) => number, b: (k: number, c: number) => number): Float64Array {
  const s = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    let t = 0;
    for (let k = 0; k < inner; k++) t += Math.abs(a(r, k) * b(k, c));
    s[r * cols + c] = Math.max(1, t);
  }
  return s;
}

// FFNN_SKIP_NATIVE=1 leaves nothing to compare: say so instead of an empty file
if (nonReferenceBackends.length === 0) it.skip('native backend skipped (FFNN_SKIP_NATIVE=1)', () => {});

describe.each(nonReferenceBackends)('$name layer kernels against the reference', ({ name, kernels: k }) => {
  describe.each(DTYPES)('%s', (dtype) => {
    const F = ctorOf(dtype);

    it('linearForward: pre and y, with and without bias', () => {
      const r = rng(21);
      for (const [B, IN, OUT] of SHAPES) {
        for (const [act, param] of ACTS) {
          const x = normalArray(dtype, B * IN, r);
          const w = normalArray(dtype, IN * OUT, r);
          const bias = r.uniform() < 0.5 ? null : normalArray(dtype, OUT, r);
          const [y0, y1, p0, p1] = [new F(B * OUT), new F(B * OUT), new F(B * OUT), new F(B * OUT)];
          ref.linearForward(B, IN, OUT, x, w, bias, ACT_CODE[act], param, y0, p0);
          k.linearForward(B, IN, OUT, x, w, bias, ACT_CODE[act], param, y1, p1);
          const s = absProduct(B, IN, OUT, (i, q) => x[i * IN + q], (q, j) => w[q * OUT + j]);
          const tol = gammaTol(IN, dtype, 32);
          const label = `linearForward ${dtype} B=${B} IN=${IN} OUT=${OUT} ${act}`;
          stats.record('linearForward', dtype, assertClose(`${label} pre`, p1, p0, tol, (i) => s[i]), tol, name);
          stats.record('linearForward', dtype, assertClose(`${label} y`, y1, y0, tol, (i) => s[i]), tol, name);
        }
      }
    });

    it('linearBackward: gradZ, gradW, gradBias, gradX, the param gradient, stored and accumulated', () => {
      const r = rng(22);
      for (const [B, IN, OUT] of SHAPES) {
        for (const [act, param] of ACTS) {
          for (const accumulate of [false, true]) {
            const x = normalArray(dtype, B * IN, r);
            const w = normalArray(dtype, IN * OUT, r);
            const z = normalArray(dtype, B * OUT, r, 3);
            const g = normalArray(dtype, B * OUT, r);
            const gw = normalArray(dtype, IN * OUT, r);
            const gb = normalArray(dtype, OUT, r);
            const out = [0, 1].map(() => ({ gz: new F(B * OUT), gw: gw.slice(), gb: gb.slice(), gx: new F(B * IN).fill(NaN), d: 0 }));
            out[0].d = ref.linearBackward(B, IN, OUT, x, w, z, g, ACT_CODE[act], param, out[0].gz, out[0].gw, out[0].gb, out[0].gx, accumulate);
            out[1].d = k.linearBackward(B, IN, OUT, x, w, z, g, ACT_CODE[act], param, out[1].gz, out[1].gw, out[1].gb, out[1].gx, accumulate);
            const gz = out[0].gz;
            const label = `linearBackward ${dtype} B=${B} IN=${IN} OUT=${OUT} ${act} accumulate=${accumulate}`;
            const sW = absProduct(IN, B, OUT, (i, b) => x[b * IN + i], (b, j) => gz[b * OUT + j]);
            const sX = absProduct(B, OUT, IN, (b, j) => gz[b * OUT + j], (j, i) => w[i * OUT + j]);
            const sB = absProduct(1, B, OUT, () => 1, (b, j) => gz[b * OUT + j]);
            const acc = (a: ArrayLike<number>, s: Float64Array) => (i: number) => s[i] + (accumulate ? Math.abs(a[i]) : 0);
            const tolB = gammaTol(B, dtype, 32);
            const tolO = gammaTol(OUT, dtype, 32);
            const eTol = dtype === 'float64' ? 1e-12 : 16 * 2 ** -24;
            stats.record('linearBackward', dtype, assertClose(`${label} gradZ`, out[1].gz, gz, eTol), eTol, name);
            stats.record('linearBackward', dtype, assertClose(`${label} gradW`, out[1].gw, out[0].gw, tolB, acc(gw, sW)), tolB, name);
            stats.record('linearBackward', dtype, assertClose(`${label} gradBias`, out[1].gb, out[0].gb, tolB, acc(gb, sB)), tolB, name);
            stats.record('linearBackward', dtype, assertClose(`${label} gradX`, out[1].gx, out[0].gx, tolO, (i) => sX[i]), tolO, name);
            let dScale = 1;
            for (let i = 0; i < B * OUT; i++) dScale += Math.abs(g[i]) * (act === 'swish' ? z[i] * z[i] : act === 'celu' ? Math.abs(z[i]) + 1 : 0);
            const tolD = gammaTol(B * OUT, dtype, 32);
            stats.record('linearBackward', dtype, assertScalarClose(`${label} d/dparam`, out[1].d, out[0].d, tolD, dScale), tolD, name);
          }
        }
      }
    });
  });
});
