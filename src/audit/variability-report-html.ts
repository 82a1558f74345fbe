// A variability audit as one self-contained HTML page (inline CSS and SVG, no scripts, no network):
// agreement, pass^k against pass@k as k grows, the distribution of distinct answers per input, and the
// least stable inputs with their answers.
import { escapeHtml as escape } from '../eval/index.js';
import { intervalChart } from './interval-chart.js';
import type { VariabilityAudit } from './variability-audit.js';

const number = (value: number) => value.toFixed(3);
const averaged = (value: { value: number; interval: [number, number] }) =>
  `${number(value.value)} <small>[${number(value.interval[0])}, ${number(value.interval[1])}]</small>`;

/** The audit as one HTML document. */
export function renderVariabilityReportHtml(audit: VariabilityAudit, subject = ''): string {
  const chart = intervalChart(
    audit.passK.flatMap(({ k, passAll, passAny }) => [
      { name: `pass^${k} (all ${k} right)`, score: passAll.value, interval: passAll.interval },
      { name: `pass@${k} (any of ${k} right)`, score: passAny.value, interval: passAny.interval },
    ]),
    'pass^k and pass@k with 95% intervals',
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Variability audit: ${escape(audit.task)} on ${escape(audit.model)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222;max-width:72rem}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}code{white-space:pre-wrap;background:#f1f3f5;padding:0 3px}.headline{font-size:1.3rem;font-weight:600}small{color:#666}
</style></head><body>
<h1>Variability audit · ${escape(audit.task)} · ${escape(audit.split)} · ${escape(audit.model)}</h1>
${subject ? `<p>${escape(subject)}</p>` : ''}
<p class="headline">Two answers to the same input agree ${(audit.agreement.value * 100).toFixed(1)}% of the time (${audit.repeats} answers per input at temperature ${audit.temperature}, n ${audit.n})</p>
<table>
<tr><th>score over every try</th><td>${averaged(audit.score)}</td></tr>
<tr><th>pairwise agreement</th><td>${averaged(audit.agreement)}</td></tr>
<tr><th>share of answers equal to the most common</th><td>${averaged(audit.modalAgreement)}</td></tr>
<tr><th>inputs by distinct answers</th><td>${Object.entries(audit.distinctAnswers)
    .map(([distinct, count]) => `${distinct}: ${count}`)
    .join(', ')}</td></tr>
</table>
${chart}
<h2>Least stable inputs</h2>
${audit.leastStable.length ? `<table><tr><th>line</th><th>input</th><th>target</th><th>answers (times given)</th></tr>${audit.leastStable.map((each) => `<tr><td>${each.line}</td><td>${escape(each.input)}</td><td><code>${escape(each.target)}</code></td><td>${each.answers.map((answer) => `<code>${answer.answer === '' ? '(empty)' : escape(answer.answer)}</code> × ${answer.count}`).join('<br>')}</td></tr>`).join('\n')}</table>` : '<p>Every input got one answer.</p>'}
<p><small>pass^k: the chance that k tries at an input are all right; pass@k: that at least one is; both estimated from the ${audit.repeats} tries without bias (Chen et al. 2021). Model calls ${audit.calls} (cache hits ${audit.cacheHits}).</small></p>
</body></html>
`;
}
