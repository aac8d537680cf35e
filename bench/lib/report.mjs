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

  const train = tasks.filter((t) => t.workload !== 'GEMM' && t.workload !== 'BF16');
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
    const mods = train.filter((t) => ['W1', 'W4', 'W5', 'D3'].includes(t.workload));
    if (mods.length) {
      line('### The module calls a user writes, against the fused step');
      line();
      line('The notebook\'s flow (forward, loss, zeroGrad, backward, step) for W1, W5 and D3 (D3 through a DataLoader against trainFFNN), the assignment\'s loop (FFNN forward, CELoss, backward(x, y, yPred), step) for W4. Time ratio: fused samples/s over module samples/s (target <= 1.25).');
      line();
      line('| workload | fused (best) | module calls (best) | module/fused time | target | | PyTorch (best) | module/PyTorch | target | |');
      line('|---|---|---|---|---|---|---|---|---|---|');
      for (const t of mods) {
        const f = best(results, t.id, t.unit, 'ffnn native');
        const m = best(results, t.id, t.unit, 'ffnn native module');
        const tp = best(results, t.id, t.unit, 'torch');
        const r = f && m ? f.summary.median / m.summary.median : NaN;
        const rp = m && tp ? m.summary.median / tp.summary.median : NaN;
        const pt = { W1: 3.5, W4: 1.2 }[t.workload];
        line(
          `| ${t.id} | ${cell(f)} | ${m ? cell(m) : reason(results, t.id, 'ffnn native module')} | ${fmt(r)} | <= 1.25 | ${Number.isFinite(r) ? (r <= 1.25 ? 'PASS' : 'short') : ''} | ` +
            `${tp ? cell(tp) : reason(results, t.id, 'torch')} | ${fmt(rp)} | ${pt ? `>= ${pt}` : '-'} | ${pt ? verdict(rp, pt) : ''} |`,
        );
      }
      line();
    }
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

  const bf = tasks.filter((t) => t.workload === 'BF16');
  if (bf.length) renderBf16(line, results, bf, meta);

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

// the bf16 rows: ffnn's bf16 products against torch's bf16 matmul (GEMM) and against PyTorch's best of
// autocast bf16 and float32 (training), with ffnn's own float32 of the same run beside them
function renderBf16(line, results, tasks, meta) {
  const med = (id, name) => results[id]?.[name]?.summary ?? null;
  const better = (unit, a, b) => (a === null ? b : b === null ? a : (higher(unit) ? a.summary.median >= b.summary.median : a.summary.median <= b.summary.median) ? a : b);
  const ratioOf = (unit, x, y) => (x && y ? (higher(unit) ? x / y : y / x) : NaN);
  const path = /bf16 products: ([a-z0-9]+)/.exec(meta.machine.backend)?.[1] ?? 'n/a';
  const amx = path === 'amx';
  line('## bf16 (bf16 operands rounded to nearest even, float32 accumulation; weights, gradients and updates float32)');
  line();
  line(`Native bf16 path of this run: ${path}. torch.mm bf16 multiplies bf16 tensors converted before timing; ffnn converts its float32 operands at every call.`);
  line();
  const gemm = tasks.filter((t) => t.p.kind === 'gemm');
  if (gemm.length) {
    line('| shape | ffnn bf16 1T | ffnn bf16 2T | torch.mm bf16 1T | torch.mm bf16 2T | ffnn/torch 1T | target | | ffnn float32 1T | bf16/float32 1T | ffnn wasm bf16 |');
    line('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const t of gemm) {
      const f1 = med(t.id, 'ffnn native 1T');
      const f2 = med(t.id, 'ffnn native 2T');
      const p1 = best(results, t.id, t.unit, 'peer bf16 1T');
      const p2 = best(results, t.id, t.unit, 'peer bf16 2T');
      const fp = med(`gemm ${t.p.id}`, 'ffnn native 1T');
      const r1 = f1 && p1 ? f1.median / p1.summary.median : NaN;
      const target = t.p.target;
      line(
        `| ${t.p.id} | ${fmtSummary(f1)} | ${fmtSummary(f2)} | ${p1 ? fmt(p1.summary.median) : reason(results, t.id, 'peer bf16 1T')} | ${p2 ? fmt(p2.summary.median) : 'n/a'} | ${fmt(r1)} | ` +
          `${target ? `>= ${target}${amx ? '' : ' (amx)'}` : '-'} | ${target && amx ? verdict(r1, target) : ''} | ${fmtSummary(fp)} | ${fmt(f1 && fp ? f1.median / fp.median : NaN)} | ${fmtSummary(med(t.id, 'ffnn wasm'))} |`,
      );
    }
    line();
  }
  const train = tasks.filter((t) => t.p.kind !== 'gemm');
  if (train.length) {
    line('| workload | ffnn bf16 native (best) | ffnn bf16 wasm | torch autocast bf16 (best) | torch float32 (best) | ffnn bf16 / PyTorch best | target | | ffnn float32 native (best) | bf16 / float32 | target without amx | |');
    line('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const t of train) {
      const base = t.id.replace(' bf16', '');
      const f = best(results, t.id, t.unit, 'ffnn native');
      const w = best(results, t.id, t.unit, 'ffnn wasm');
      const ta = best(results, t.id, t.unit, 'torch bf16');
      const tf = best(results, t.id, t.unit, 'torch');
      const tb = better(t.unit, ta, tf);
      const fp = best(results, base, t.unit, 'ffnn native');
      const r = ratioOf(t.unit, f?.summary.median, tb?.summary.median);
      const rs = ratioOf(t.unit, f?.summary.median, fp?.summary.median);
      const w4 = base === 'W4';
      line(
        `| ${t.id} | ${f ? cell(f) : reason(results, t.id, 'ffnn native')} | ${w ? fmt(w.summary.median) : reason(results, t.id, 'ffnn wasm')} | ${ta ? cell(ta) : reason(results, t.id, 'torch bf16')} | ` +
          `${tf ? cell(tf) : reason(results, t.id, 'torch')} | ${fmt(r)} | ${w4 ? '>= 2 (amx)' : '-'} | ${w4 && amx ? verdict(r, 2) : ''} | ${fp ? cell(fp) : `n/a (run ${base} too)`} | ${fmt(rs)} | ${w4 ? '>= 1.3' : '-'} | ${w4 && !amx ? verdict(rs, 1.3) : ''} |`,
      );
    }
    line();
    const w3 = Object.entries(results['W3 bf16'] ?? {}).filter(([, r]) => r.extra?.accuracy !== undefined);
    if (w3.length) {
      line(`W3 bf16 test accuracy: ${w3.map(([n, r]) => `${n} ${(r.extra.accuracy * 100).toFixed(2)}% after ${r.extra.epochs} epochs`).join('; ')}.`);
      line();
    }
  }
}
