// the Markdown report: targets first (ratio, target, PASS/short), then every contender's median with
// its spread, then how each figure was checked
import { ISSUE_TORCH } from './workloads.mjs';
import { fmt, fmtSummary } from './stats.mjs';

const higher = (unit) => unit !== 's/epoch';

// the best configuration of a family (e.g. 'ffnn native' over 1T/2T) for one task
export function best(results, taskId, unit, family) {
  let pick = null;
  for (const [name, r] of Object.entries(results[taskId] ?? {})) {
    if (r.family !== family || !r.summary || r.summary.n === 0) continue;
    const better = pick === null || (higher(unit) ? r.summary.median > pick.summary.median : r.summary.median < pick.summary.median);
    if (better) pick = { name, ...r };
  }
  return pick;
}

function cell(b) {
  return b === null ? 'n/a' : `${fmt(b.summary.median)} (${b.name})`;
}

function reason(results, taskId, family) {
  const r = Object.values(results[taskId] ?? {}).find((x) => x.family === family && x.error);
  return r ? `n/a (${r.error})` : 'n/a';
}

function verdict(ratio, target, strict = false) {
  if (!Number.isFinite(ratio)) return '-';
  const ok = strict ? ratio > target : ratio >= target;
  return ok ? 'PASS' : `short (${fmt(ratio / target * 100)}% of target)`;
}

export function render({ results, tasks, meta, notes }) {
  const out = [];
  const line = (s = '') => out.push(s);
  line('# ffnn benchmarks');
  line();
  line(`- date: ${meta.date}`);
  line(`- command: \`${meta.command}\``);
  line(`- machine: ${meta.machine.cpu}, ${meta.machine.cores} cores; Node ${meta.machine.node}; ffnn ${meta.machine.backend}`);
  line(`- load average (1/5/15 min) at start: ${meta.loadStart}; at end: ${meta.loadEnd}`);
  line(`- repeats: ${meta.repeats} per figure, interleaved round-robin across contenders (order rotated each round) so that load from other processes falls on all of them alike; each figure is the median (min-max); ratios are of medians from this run`);
  for (const p of meta.peers) line(`- peer ${p.label}: ${p.info}`);
  line();

  const gemm = tasks.filter((t) => t.workload === 'GEMM');
  if (gemm.length) {
    line('## GEMM (float32, C = A B, row-major, GFLOP/s)');
    line();
    line('| shape | ffnn 1T | ffnn 2T | peer 1T (best) | peer 2T (best) | ffnn/peer 1T | target | | ffnn 2T/1T | target | | ffnn wasm |');
    line('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const t of gemm) {
      const f1 = results[t.id]?.['ffnn native 1T']?.summary;
      const f2 = results[t.id]?.['ffnn native 2T']?.summary;
      const p1 = best(results, t.id, t.unit, 'peer 1T');
      const p2 = best(results, t.id, t.unit, 'peer 2T');
      const r1 = f1 && p1 ? f1.median / p1.summary.median : NaN;
      const sc = f1 && f2 ? f2.median / f1.median : NaN;
      const scTarget = t.p.id === '1024' ? 1.85 : null;
      line(
        `| ${t.p.id} | ${fmtSummary(f1)} | ${fmtSummary(f2)} | ${p1 ? cell(p1) : reason(results, t.id, 'peer 1T')} | ${p2 ? cell(p2) : 'n/a'} | ` +
          `${fmt(r1)} | >= ${t.p.target} | ${verdict(r1, t.p.target)} | ${fmt(sc)} | ${scTarget ? `>= ${scTarget}` : '-'} | ${scTarget ? verdict(sc, scTarget) : ''} | ` +
          `${fmtSummary(results[t.id]?.['ffnn wasm']?.summary)} |`,
      );
    }
    line();
  }

  const train = tasks.filter((t) => t.workload !== 'GEMM');
  if (train.length) {
    line('## Training (float32; forward, loss, backward and SGD update)');
    line();
    line('Units: samples/s, except W3 in seconds per MNIST epoch of 60,000 (lower is better). "best" picks the faster thread count of each library.');
    line();
    line('| workload | ffnn native (best) | ffnn js | ffnn wasm | PyTorch (best) | tfjs cpu | tfjs wasm | brain.js | PyTorch in the issue | ffnn/PyTorch | target | |');
    line('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const t of train) {
      const f = best(results, t.id, t.unit, 'ffnn native');
      const j = best(results, t.id, t.unit, 'ffnn js');
      const w = best(results, t.id, t.unit, 'ffnn wasm');
      const tp = best(results, t.id, t.unit, 'torch');
      const tc = best(results, t.id, t.unit, 'tfjs cpu');
      const tw = best(results, t.id, t.unit, 'tfjs wasm');
      const br = best(results, t.id, t.unit, 'brain.js');
      const ratio = f && tp ? (higher(t.unit) ? f.summary.median / tp.summary.median : tp.summary.median / f.summary.median) : NaN;
      const target = { W1: 3.5, W2: 3, W3: 3, W4: 1.3, D3: 2.5 }[t.workload] ?? (t.id === 'W5 b1' ? 5 : 1);
      const strict = t.workload === 'W5' && t.id !== 'W5 b1';
      const tcol = (b, fam) => (b ? fmt(b.summary.median) : reason(results, t.id, fam));
      line(
        `| ${t.id} | ${cell(f)} | ${tcol(j, 'ffnn js')} | ${tcol(w, 'ffnn wasm')} | ${tp ? cell(tp) : reason(results, t.id, 'torch')} | ${tcol(tc, 'tfjs cpu')} | ${tcol(tw, 'tfjs wasm')} | ` +
          `${tcol(br, 'brain.js')} | ${fmt(ISSUE_TORCH[t.id])} | ${fmt(ratio)} | ${strict ? '> 1' : `>= ${target}`} | ${verdict(ratio, target, strict)} |`,
      );
    }
    line();
    const w3 = train.find((t) => t.id === 'W3');
    if (w3) {
      const f = best(results, 'W3', 's/epoch', 'ffnn native');
      const tp = best(results, 'W3', 's/epoch', 'torch');
      line(`W3 absolute target: <= 0.4 s per epoch; ffnn native ${f ? fmt(f.summary.median) : 'n/a'} s: ${f ? (f.summary.median <= 0.4 ? 'PASS' : `short (${fmt(f.summary.median / 0.4 * 100)}% of the allowed time)`) : '-'}.`);
      const acc = (r) => (r?.extra?.accuracy !== undefined ? `${(r.extra.accuracy * 100).toFixed(2)}% after ${r.extra.epochs} epochs` : 'n/a');
      const accs = Object.entries(results.W3 ?? {}).filter(([, r]) => r.extra?.accuracy !== undefined);
      line();
      line(`W3 test accuracy (same recipe: 784-256-128-10 ReLU, torch init, SGD lr 0.05 momentum 0.9, batch 64, shuffled): ${accs.map(([n, r]) => `${n} ${acc(r)}`).join('; ') || 'n/a'}.`);
      if (f && tp && f.extra?.accuracy !== undefined && tp.extra?.accuracy !== undefined) {
        const d = (f.extra.accuracy - tp.extra.accuracy) * 100;
        line(`Unchanged accuracy (ffnn within 0.5 points of PyTorch, or above): ${d >= -0.5 ? 'PASS' : 'short'} (${d >= 0 ? '+' : ''}${d.toFixed(2)} points).`);
      }
      line();
    }
    const w1 = train.find((t) => t.id === 'W1');
    if (w1) {
      // the devices that run where the addon cannot build
      const tc = best(results, 'W1', 'samples/s', 'tfjs cpu');
      for (const [fam, what] of [['ffnn js', 'JS reference device'], ['ffnn wasm', 'wasm device']]) {
        const d = best(results, 'W1', 'samples/s', fam);
        const r = d && tc ? d.summary.median / tc.summary.median : NaN;
        line(`Fallback target, ${what}: ${fam} vs tfjs-cpu on W1 >= 10x: ${d ? fmt(d.summary.median) : 'n/a'} / ${tc ? fmt(tc.summary.median) : 'n/a'} samples/s = ${fmt(r)}x, ${verdict(r, 10)}.`);
        line();
      }
    }
  }

  line('## Every figure: median (min-max) over the repeats');
  line();
  line('| task | contender | median (min-max) | IQR | repeats | check before timing / notes |');
  line('|---|---|---|---|---|---|');
  for (const t of tasks) {
    for (const [name, r] of Object.entries(results[t.id] ?? {})) {
      const s = r.summary;
      const what = r.error ? `n/a: ${r.error}` : [r.note, r.extra?.accuracy !== undefined ? `test accuracy ${(r.extra.accuracy * 100).toFixed(2)}%` : ''].filter(Boolean).join('; ');
      line(`| ${t.id} | ${name} | ${s ? `${fmtSummary(s)} ${t.unit}` : '-'} | ${s ? `${fmt(s.q1)}-${fmt(s.q3)}` : '-'} | ${s ? s.n : 0} | ${what.replace(/\|/g, '/')} |`);
    }
  }
  line();
  if (notes.length) {
    line('## Notes');
    line();
    for (const n of notes) line(`- ${n}`);
    line();
  }
  return out.join('\n');
}
