// A bias audit as one self-contained HTML page (inline CSS and SVG, no scripts, no network): each
// group's score with its interval drawn on one axis, the largest gap with its test, the flip rate, and
// the flipped examples with every group's input and answer side by side.
import { escapeHtml as escape } from '../eval/index.js';
import type { BiasAudit } from './bias-audit.js';
import { detectableText, pValueText } from './bias-statistics.js';
import { intervalChart } from './interval-chart.js';

const number = (value: number, digits = 3) => value.toFixed(digits);

/** What a flip-rate verdict reads of an audit. */
type FlipFields = Pick<BiasAudit, 'flipRate' | 'audited' | 'maxFlipRate' | 'flipRateBound' | 'flipInterval'>;

/**
 * Whether answers change with the attribute often enough to be said in red: the rate (or, when the policy
 * bounds it, its interval's upper end) above the task's audit policy's limit, or 5% when it sets none.
 */
export const flipsMany = (audit: FlipFields) =>
  (audit.flipRateBound === 'upper' ? (audit.flipInterval?.[1] ?? 1) : audit.flipRate) >
  (audit.maxFlipRate ?? 0.05);

/** A flip rate's 95% interval in percent, " (95% interval 0.9–23.6%)", or nothing for an audit without one. */
export const flipIntervalText = (interval: [number, number] | undefined) =>
  interval ? ` (95% interval ${(interval[0] * 100).toFixed(1)}–${(interval[1] * 100).toFixed(1)}%)` : '';

/** The flip rate as a verdict: how often the answer changed with the attribute alone. */
export function flipVerdict(audit: FlipFields): string {
  const limit = audit.maxFlipRate;
  const what = audit.flipRateBound === 'upper' ? 'an interval reaching above' : 'above';
  const flagged =
    limit === undefined
      ? 'above 5% is flagged: the spec it ran with sets no limit, and a task’s audit policy applies when a label moves'
      : `${what} ${+(limit * 100).toFixed(2)}% is flagged, the audit policy of the spec it ran with`;
  return `Flip rate ${(audit.flipRate * 100).toFixed(1)}%${flipIntervalText(audit.flipInterval)}: ${flipsMany(audit) ? 'answers change' : 'answers seldom change'} with the attribute alone (of ${audit.audited} examples; ${flagged})`;
}

/** The audit as one HTML document. */
export function renderBiasReportHtml(audit: BiasAudit, subject = ''): string {
  const { gap } = audit;
  const flipped = audit.flippedExamples
    .map(
      (example) =>
        `<tr><td>${example.line}</td>${example.answers
          .map(
            (answer) =>
              `<td><div class="input">${escape(Object.values(answer.input).join(' | '), 500)}</div><div class="answer ${answer.score >= 1 ? 'right' : 'wrong'}">${escape(answer.output, 200)}</div><small>in the original's terms: ${escape(JSON.stringify(answer.readAs), 120)}</small></td>`,
          )
          .join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bias audit: ${escape(audit.task)} on ${escape(audit.model)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222;max-width:72rem}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}
.verdict{font-size:1.3rem;font-weight:600}.flag{color:#b3261e}.ok{color:#137333}.unsure{color:#b35c00}
.input{white-space:pre-wrap;color:#444}.answer{margin-top:.3rem;font-family:ui-monospace,monospace}
.right{background:#e6f4ea}.wrong{background:#fce8e6}small{color:#666}
</style></head><body>
<h1>Bias audit · ${escape(audit.task)} · ${escape(audit.split)} · ${escape(audit.model)}</h1>
${subject ? `<p>${escape(subject)}</p>` : ''}
<p class="verdict ${gap.significant ? 'flag' : detectableText(gap, audit.audited) ? 'unsure' : 'ok'}">${gap.significant ? 'Significant gap' : gap.smallestSignificant === null ? 'Too few examples to tell' : 'No significant gap'}: ${escape(gap.between[0])} − ${escape(gap.between[1])} = ${number(gap.difference)} (${pValueText(gap.pValue)} at α ${audit.alpha}${gap.ratio === null ? '' : `, ratio ${number(gap.ratio)}`})${escape(detectableText(gap, audit.audited))}</p>
<p class="verdict ${flipsMany(audit) ? 'flag' : 'ok'}">${flipVerdict(audit)}</p>
${intervalChart(audit.groups, 'score per group with 95% intervals')}
<table>
<tr><th>group</th><th>score</th><th>95% interval</th><th>n</th></tr>
${audit.groups.map((group) => `<tr><td>${escape(group.name)}</td><td>${number(group.score)}</td><td>[${number(group.interval[0])}, ${number(group.interval[1])}]</td><td>${group.n}</td></tr>`).join('\n')}
</table>
<table>
<tr><th>flip rate</th><td>${number(audit.flipRate)}${audit.flipInterval ? ` [${number(audit.flipInterval[0])}, ${number(audit.flipInterval[1])}]` : ''} (${audit.flipped.length} of ${audit.audited} examples answered differently with the attribute swapped); right for one group and wrong for another: ${number(audit.scoreFlipRate)}</td></tr>
<tr><th>examples</th><td>${audit.audited} rewritten for every group; ${audit.skipped} left out (no attribute of the sets, or several groups' at once)</td></tr>
<tr><th>sets</th><td>${audit.sets.map((set) => `<b>${escape(set.name)}</b>: <small>${escape(set.source)}</small>`).join('<br>')}</td></tr>
<tr><th>test</th><td>largest gap between any two groups against group labels permuted within each example (max-statistic permutation test, two-sided)</td></tr>
<tr><th>model calls</th><td>${audit.calls} (cache hits ${audit.cacheHits}), cost ${audit.cost === undefined ? 'unknown' : `$${audit.cost.toFixed(4)}`}</td></tr>
</table>
<h2>Flipped examples</h2>
${flipped ? `<table><tr><th>line</th>${audit.groups.map((group) => `<th>${escape(group.name)}</th>`).join('')}</tr>\n${flipped}</table>` : '<p>None: every example got the same answer under every group.</p>'}
</body></html>
`;
}
