// A sensitivity audit as one self-contained HTML page (inline CSS and SVG, no scripts, no network): the
// spread of the score over every variant with intervals, each family's spread and mean drop, and every
// variant's score, worst first, with the template it used.
import { escapeHtml as escape } from '../eval/index.js';
import { intervalChart } from './interval-chart.js';
import type { SensitivityAudit } from './sensitivity-audit.js';
import type { Estimate } from './spread-statistics.js';

const number = (value: number, digits = 3) => value.toFixed(digits);
const estimate = (value: Estimate) =>
  `${number(value.value)} <small>[${number(value.interval[0])}, ${number(value.interval[1])}]</small>`;
const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);

/** The audit as one HTML document. */
export function renderSensitivityReportHtml(audit: SensitivityAudit, subject = ''): string {
  const rows = [audit.original, ...audit.variants];
  const families = Object.entries(audit.families)
    .map(
      ([family, spread]) =>
        `<tr><td>${escape(family)}</td><td>${spread.count}</td><td>${estimate(spread.min)}</td><td>${estimate(spread.max)}</td><td>${estimate(spread.range)}</td><td>${estimate(spread.standardDeviation)}</td><td>${percent(spread.meanDrop)}</td></tr>`,
    )
    .join('\n');
  const variants = rows
    .map(
      (variant) =>
        `<tr class="${variant.family === 'original' ? 'original' : ''}"><td>${escape(variant.family)}</td><td>${escape(variant.name)}</td><td>${number(variant.score)}</td><td>[${number(variant.interval[0])}, ${number(variant.interval[1])}]</td><td>${percent(variant.drop)}</td><td><pre>${variant.template === undefined ? '' : escape(variant.template, 400)}</pre></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sensitivity audit: ${escape(audit.task)} on ${escape(audit.model)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222;max-width:72rem}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}pre{margin:0;white-space:pre-wrap}
.headline{font-size:1.3rem;font-weight:600}.original{background:#e8f0fe}small{color:#666}
</style></head><body>
<h1>Sensitivity audit · ${escape(audit.task)} · ${escape(audit.split)} · ${escape(audit.model)}</h1>
${subject ? `<p>${escape(subject)}</p>` : ''}
<p class="headline">Score spread ${number(audit.spread.range.value)} <small>95% CI [${number(audit.spread.range.interval[0])}, ${number(audit.spread.range.interval[1])}]</small>: from ${number(audit.spread.min.value)} to ${number(audit.spread.max.value)} over ${rows.length} prompts and inputs (original ${number(audit.original.score)}, n ${audit.n})</p>
${intervalChart(rows, 'score of the original and of each variant, with 95% intervals')}
<h2>By family</h2>
<table><tr><th>family</th><th>variants</th><th>min</th><th>max</th><th>range</th><th>standard deviation</th><th>mean drop</th></tr>
${families}
</table>
<p><small>Each family's spread includes the original. Drop: (original − variant) / original, PromptBench's performance drop rate. Intervals resample examples with every variant's mean recomputed on the same draw.${audit.paraphrasesRefused ? ` The teacher's answers refused (placeholders changed): ${audit.paraphrasesRefused}.` : ''}</small></p>
<h2>Variants, worst first</h2>
<table><tr><th>family</th><th>variant</th><th>score</th><th>95% interval</th><th>drop</th><th>template</th></tr>
${variants}
</table>
<p><small>model calls ${audit.calls} (cache hits ${audit.cacheHits}), cost ${audit.cost === undefined ? 'unknown' : `$${audit.cost.toFixed(4)}`}</small></p>
</body></html>
`;
}
