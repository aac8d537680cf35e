// summaries of repeated timings: the median with its spread (min-max and the interquartile range)

// linear interpolation between order statistics (numpy's default percentile)
function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return {
    n: s.length,
    median: quantile(s, 0.5),
    min: s.length ? s[0] : NaN,
    max: s.length ? s[s.length - 1] : NaN,
    q1: quantile(s, 0.25),
    q3: quantile(s, 0.75),
  };
}

// 3 significant digits, thousands separated: 30,100 / 1.24 / 0.0312
export function fmt(v) {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

// "30,100 (29,800-30,400)": median (min-max)
export function fmtSummary(s) {
  if (!s || s.n === 0) return 'n/a';
  return `${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})`;
}
