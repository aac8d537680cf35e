// D3 (Dropout(0.2), 3 x [Linear 1024, ReLU, Dropout(0.5)], Linear 10, batch 100, CrossEntropyLoss, SGD
// momentum) split: TrainStep.run vs the module calls vs the same net without Dropout (fused), one
// process, repeats interleaved, medians. npm run build, then T=1|2 R=5 S=10 node bench/dev/d3-split.mjs
import * as ffnn from '../../dist/index.js';
import { TrainStep } from '../../dist/train/step.js';
const threads = Number(process.env.T ?? 1);
ffnn.setNumThreads(threads);
const R = Number(process.env.R ?? 5);
const STEPS = Number(process.env.S ?? 20);
const B = 100;
const sizes = [784, 1024, 1024, 1024, 10];
function build(withDrop) {
  const mods = withDrop ? [new ffnn.Dropout(0.2, { seed: 1 })] : [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    mods.push(new ffnn.Linear(sizes[i], sizes[i + 1], { seed: 10 + i }));
    if (i + 2 < sizes.length) { mods.push(new ffnn.ReLU()); if (withDrop) mods.push(new ffnn.Dropout(0.5, { seed: 20 + i })); }
  }
  const net = new ffnn.Sequential(...mods);
  const loss = new ffnn.CrossEntropyLoss();
  const opt = new ffnn.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
  const ts = new TrainStep(net, opt, { loss });
  if (ts.fallback) throw new Error(ts.fallback);
  const mod = (x, y) => { const l = loss.forward(net.forward(x), y); net.zeroGrad(); net.backward(loss.backward()); opt.step(); return l; };
  return { fused: (x, y) => ts.run(x, y), mod };
}
const pool = Array.from({ length: 8 }, (_, i) => [ffnn.Tensor.randn([B, 784], { seed: i }), new Int32Array(B).map((_, j) => (i + j * 3) % 10)]);
const d = build(true), n = build(false);
const cs = { 'fused dropout': d.fused, 'module dropout': d.mod, 'fused no-dropout': n.fused };
const times = Object.fromEntries(Object.keys(cs).map((k) => [k, []]));
for (const f of Object.values(cs)) for (let s = 0; s < 3; s++) f(...pool[s % 8]);
for (let r = 0; r < R; r++) {
  const keys = Object.keys(cs); const order = keys.slice(r % keys.length).concat(keys.slice(0, r % keys.length));
  for (const k of order) {
    const t0 = performance.now();
    for (let s = 0; s < STEPS; s++) cs[k](...pool[s % 8]);
    times[k].push((performance.now() - t0) / STEPS);
  }
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const base = med(times['fused dropout']);
for (const [k, v] of Object.entries(times)) console.log(`${k}: median ${med(v).toFixed(2)} ms/step (${(B / med(v) * 1000).toFixed(0)} samples/s), ratio to fused dropout ${(med(v) / base).toFixed(3)}; all ${v.map((t) => t.toFixed(1)).join(' ')}`);
