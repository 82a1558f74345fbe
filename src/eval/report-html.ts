// A self-contained HTML page for an evaluation report (inline CSS, no scripts, no network):
// score with interval, metrics, confusion matrix, the guards' verdicts, latency, tokens and cost, and
// every example (with what its guards refused and did).
import type { CheckRecord } from '../guard/index.js';
import { escapeHtml as escape } from './html.js';
import { retriesText, type EvaluationReport } from './report.js';

const number = (value: number | undefined, digits = 3) => (value === undefined ? '—' : value.toFixed(digits));

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** Per validator: how often the first answer passed, how often the final one did, what was done. */
function guardsSection(report: EvaluationReport): string {
  if (!report.guards) return '';
  const rows = Object.entries(report.guards)
    .map(
      ([name, summary]) =>
        `<tr><td>${escape(name)}</td><td>${summary.stage}</td><td>${summary.checked}</td><td>${percent(summary.passRate)}</td><td>${percent(summary.finalPassRate)}</td><td>${
          Object.entries(summary.actions)
            .map(([action, count]) => `${escape(action)} ${count}`)
            .join(', ') || '—'
        }</td></tr>`,
    )
    .join('\n');
  const parse =
    report.parseRate === undefined ? '' : `<p>final outputs that parse: ${percent(report.parseRate)}</p>`;
  return `<h2>Guards</h2>${parse}
<table><tr><th>validator</th><th>stage</th><th>calls checked</th><th>first answer passed</th><th>final answer passed</th><th>failures handled</th></tr>
${rows}
</table>`;
}

/** An example's failed checks: "labels: reask (not one of the labels)", one per line. */
function failedChecks(calls: CheckRecord[][] | undefined): string {
  return (calls ?? [])
    .flat()
    .filter((check) => !check.passed)
    .map(
      (check) =>
        `${escape(check.validator)}: ${escape(check.action)}${check.reason ? ` (${escape(check.reason, 120)})` : ''}`,
    )
    .join('<br>');
}

/** The report as one HTML document. */
export function renderReportHtml(report: EvaluationReport): string {
  const confusion = report.labels
    ? `<h2>Confusion matrix</h2><p>accuracy ${number(report.labels.accuracy)}, macro-F1 ${number(report.labels.macroF1)} (rows: expected, columns: predicted)</p>
<table><tr><th></th>${report.labels.labels.map((label) => `<th>${escape(label)}</th>`).join('')}</tr>
${report.labels.confusion.map((row, i) => `<tr><th>${escape(report.labels!.labels[i])}</th>${row.map((count, j) => `<td class="${i === j ? 'hit' : count ? 'miss' : ''}">${count}</td>`).join('')}</tr>`).join('\n')}</table>`
    : '';
  const rows = report.examples
    .map(
      (example) =>
        `<tr class="${example.score >= 0.5 ? 'right' : 'wrong'}"><td>${example.line}</td><td>${escape(Object.values(example.fields).join(' | '), 400)}</td><td>${escape(example.target)}</td><td>${example.outputs.map((output) => escape(output)).join('<hr>')}</td><td>${number(example.score, 2)}</td><td>${escape(
          example.byMetric
            .flatMap((byMetric) => Object.values(byMetric).map((result) => result.feedback))
            .filter(Boolean)
            .join('; '),
        )}</td>${report.guards ? `<td>${failedChecks(example.checks)}</td>` : ''}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(report.task)} on ${escape(report.model)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}
.score{font-size:2rem;font-weight:600}.right td:nth-child(5),.hit{background:#e6f4ea}.wrong td:nth-child(5),.miss{background:#fce8e6}
</style></head><body>
<h1>${escape(report.task)} · ${escape(report.split)} · ${escape(report.model)}</h1>
<p class="score">${number(report.score)} <small>95% CI [${number(report.interval[0])}, ${number(report.interval[1])}]</small></p>
<table>
<tr><th>examples</th><td>${report.n} × ${report.repeats} repeat(s)</td></tr>
<tr><th>metrics</th><td>${Object.entries(report.metrics)
    .map(([name, value]) => `${escape(name)} ${number(value)}`)
    .join(', ')}</td></tr>
<tr><th>variance across repeats</th><td>${number(report.repeatVariance, 4)}</td></tr>
<tr><th>model calls</th><td>${report.calls} (cache hits ${report.cacheHits}, resumed ${report.resumed}${report.retries ? `; ${escape(retriesText(report.retries))}` : ''})</td></tr>${
    report.contentFiltered
      ? `
<tr><th>withheld by the content filter</th><td>${report.contentFiltered} answers (scored as what the filter left)</td></tr>`
      : ''
  }
<tr><th>tokens</th><td>${report.tokens.input} in, ${report.tokens.output} out</td></tr>
<tr><th>cost</th><td>${report.cost === undefined ? 'unknown price' : `$${report.cost.toFixed(4)}`}</td></tr>
<tr><th>latency p50 / p90 / p99</th><td>${number(report.latencyMs.p50, 0)} / ${number(report.latencyMs.p90, 0)} / ${number(report.latencyMs.p99, 0)} ms</td></tr>
</table>
${confusion}
${guardsSection(report)}
<h2>Examples</h2>
<table><tr><th>line</th><th>input</th><th>target</th><th>output</th><th>score</th><th>feedback</th>${report.guards ? '<th>guards failed</th>' : ''}</tr>
${rows}
</table></body></html>
`;
}
