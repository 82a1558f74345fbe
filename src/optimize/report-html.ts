// A self-contained HTML page for an optimization run (inline CSS and SVG, no scripts, no network): the
// score trajectory as a chart, the final prompt against the seed as a line diff, the dev examples whose
// result flipped, calls/tokens/cost per role against the budget, and every trial.
import { escapeHtml as escape, mean } from '../eval/index.js';
import { lineDiff } from './line-diff.js';
import type { OptimizeResult, Role, Trial } from './types.js';

const number = (value: number | undefined, digits = 3) => (value === undefined ? '—' : value.toFixed(digits));

/** A prompt as lines for the diff: instruction, demos (one JSON line each), template. */
export function promptLines(prompt: OptimizeResult['artifact']['prompt']): string[] {
  return [
    '# instruction',
    ...(prompt.system ?? '').split('\n'),
    ...prompt.demos.flatMap((demo, i) => [`# demo ${i + 1}`, JSON.stringify(demo)]),
    '# template',
    ...prompt.template.split('\n'),
  ];
}

/** The trajectory: every trial's score (filled when accepted) and the best accepted score so far. */
function trajectoryChart(history: Trial[]): string {
  const [width, height, pad] = [640, 220, 32];
  const last = Math.max(1, history.length - 1);
  const x = (index: number) => pad + ((width - 2 * pad) * index) / last;
  const y = (score: number) => height - pad - (height - 2 * pad) * Math.max(0, Math.min(1, score));
  let best = -Infinity;
  const incumbent = history.map((trial, i) => {
    if (trial.accepted) best = Math.max(best, trial.score);
    return `${x(i).toFixed(1)},${y(best === -Infinity ? trial.score : best).toFixed(1)}`;
  });
  const dots = history
    .map(
      (trial, i) =>
        `<circle cx="${x(i).toFixed(1)}" cy="${y(trial.score).toFixed(1)}" r="4" class="${trial.accepted ? 'accepted' : 'rejected'}"><title>trial ${trial.index}: ${escape(trial.description)} (${number(trial.score)})</title></circle>`,
    )
    .join('');
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (value) =>
        `<line x1="${pad}" x2="${width - pad}" y1="${y(value)}" y2="${y(value)}" class="grid"/><text x="4" y="${y(value) + 4}">${value}</text>`,
    )
    .join('');
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="score per trial">
${grid}<polyline points="${incumbent.join(' ')}" class="incumbent"/>${dots}
<text x="${width / 2}" y="${height - 6}" text-anchor="middle">trial</text></svg>`;
}

/** The run as one HTML document. */
export function renderOptimizationHtml(result: OptimizeResult, title: string): string {
  const { artifact, history, details } = result;
  const diff = lineDiff(promptLines(details.seed.prompt), promptLines(details.final.prompt))
    .map(
      (line) =>
        `<div class="${line.kind}">${line.kind === 'added' ? '+' : line.kind === 'removed' ? '−' : '&nbsp;'} ${escape(line.text)}</div>`,
    )
    .join('');
  const flips = details.dev
    .map((example, i) => ({ example, before: details.seed.scores[i], after: details.final.scores[i], i }))
    .filter((row) => row.before !== row.after);
  const fixed = flips.filter((row) => row.after > row.before).length;
  const flipRows = flips
    .map(
      ({ example, before, after, i }) =>
        `<tr class="${after > before ? 'fixed' : 'broken'}"><td>${example.line}</td><td>${escape(example.input, 300)}</td><td>${escape(example.target)}</td><td>${escape(details.seed.outputs[i])} <small>(${number(before, 2)})</small></td><td>${escape(details.final.outputs[i])} <small>(${number(after, 2)})</small></td></tr>`,
    )
    .join('\n');
  const cap = (role: Role | 'total', key: 'calls' | 'tokens' | 'dollars') => {
    const value = details.budget[role]?.[key];
    return value === undefined ? '' : ` <small>of ${key === 'dollars' ? `$${value}` : value}</small>`;
  };
  const usage = (['student', 'teacher', 'judge'] as const)
    .map((role) => {
      const used = details.usage[role];
      return `<tr><th>${role}</th><td>${used.calls}${cap(role, 'calls')}</td><td>${used.inputTokens} in, ${used.outputTokens} out${cap(role, 'tokens')}</td><td>${used.dollars === undefined ? 'unknown price' : `$${used.dollars.toFixed(4)}`}${cap(role, 'dollars')}</td></tr>`;
    })
    .join('\n');
  const total = Object.values(details.usage).reduce(
    (sum, used) => ({
      calls: sum.calls + used.calls,
      tokens: sum.tokens + used.inputTokens + used.outputTokens,
      dollars:
        sum.dollars === undefined || used.dollars === undefined ? undefined : sum.dollars + used.dollars,
    }),
    { calls: 0, tokens: 0, dollars: 0 as number | undefined },
  );
  const totalRow = `<tr><th>total</th><td>${total.calls}${cap('total', 'calls')}</td><td>${total.tokens}${cap('total', 'tokens')}</td><td>${total.dollars === undefined ? 'unknown price' : `$${total.dollars.toFixed(4)}`}${cap('total', 'dollars')}</td></tr>`;
  const earlierCalls = Object.values(details.earlier ?? {}).reduce((sum, used) => sum + used.calls, 0);
  const trials = history
    .map(
      (trial) =>
        `<tr class="${trial.accepted ? 'fixed' : ''}"><td>${trial.index}</td><td>${escape(trial.description)}</td><td>${number(trial.score)}</td><td>${trial.accepted ? 'yes' : ''}</td><td>${trial.calls}${trial.contentFiltered ? ` (${trial.contentFiltered} withheld by the content filter)` : ''}</td><td>${number(trial.parseRate, 2)}</td></tr>`,
    )
    .join('\n');
  const parseRates = history.filter((trial) => trial.parseRate !== undefined);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}
.score{font-size:2rem;font-weight:600}.fixed td{background:#e6f4ea}.broken td{background:#fce8e6}
.diff{font:13px/1.5 ui-monospace,monospace;white-space:pre-wrap;border:1px solid #ccc;padding:.5rem}
.diff .added{background:#e6f4ea}.diff .removed{background:#fce8e6}
svg text{font-size:11px;fill:#555}.grid{stroke:#eee}.incumbent{fill:none;stroke:#1a73e8;stroke-width:2}
.accepted{fill:#188038}.rejected{fill:#bbb}
</style></head><body>
<h1>${escape(title)}</h1>
<p class="score">${number(artifact.scores.seed)} → ${number(artifact.scores.best)} <small>dev, ${artifact.scores.n} examples</small></p>
<p>${details.improved ? 'The final prompt replaced the seed (significant paired improvement on dev).' : 'No candidate was significantly better than the seed prompt; the seed is kept.'}
Optimizer ${escape(artifact.optimizer.name)}, seed ${artifact.optimizer.seed}, ${history.length - 1} candidates; stopped: ${escape(details.stopped)}.
${parseRates.length ? `Structured-output parse rate: seed ${number(parseRates[0].parseRate, 2)}, mean over trials ${number(mean(parseRates.map((trial) => trial.parseRate!)), 2)}.` : ''}</p>
<h2>Score per trial</h2>
<p>Dots are trials (green: accepted); the line is the best accepted score so far.</p>
${trajectoryChart(history)}
<h2>Final prompt against the seed</h2>
<div class="diff">${diff}</div>
<h2>Examples that flipped</h2>
<p>${fixed} fixed, ${flips.length - fixed} broken, ${details.dev.length - flips.length} unchanged.</p>
<table><tr><th>line</th><th>input</th><th>target</th><th>seed output</th><th>final output</th></tr>
${flipRows}
</table>
<h2>Calls, tokens and cost</h2>
${earlierCalls ? `<p>Including ${earlierCalls} calls of earlier runs of the same command (killed or finished), which this one replayed instead of asking again.</p>` : ''}
<table><tr><th>role</th><th>calls</th><th>tokens</th><th>cost</th></tr>
${usage}
${totalRow}
</table>
<h2>Trials</h2>
<table><tr><th>#</th><th>candidate</th><th>score</th><th>accepted</th><th>calls</th><th>parse rate</th></tr>
${trials}
</table></body></html>
`;
}
