// the native dropout mask kernel per element: the element loop (n = 32767) vs 8 jump-ahead lanes
// (n = 32768), interleaved, medians of 9. npm run build, then node bench/dev/dropout-lanes.mjs
import * as ffnn from '../../dist/index.js';
const k = ffnn.getKernels('native');
const st = new Uint32Array([1, 2, 3, 4]);
const res = { 32767: [], 32768: [] };
const bufs = Object.fromEntries(Object.keys(res).map((n) => [n, [new Float32Array(+n), new Float32Array(+n), new Float32Array(+n)]]));
for (let r = 0; r < 9; r++) for (const n of Object.keys(res)) {
  const [x, m, y] = bufs[n];
  const t0 = performance.now(); for (let i = 0; i < 200; i++) k.dropoutForward(+n, x, 0.5, st, m, y); res[n].push((performance.now() - t0) / 200 / +n * 1e6);
}
const med = (a) => a.sort((p, q) => p - q)[a.length >> 1];
console.log(`ns/element, median of 9 interleaved: scalar (n=32767) ${med(res[32767]).toFixed(2)}, 8 lanes (n=32768) ${med(res[32768]).toFixed(2)}, ratio ${(med(res[32767]) / med(res[32768])).toFixed(2)}`);
