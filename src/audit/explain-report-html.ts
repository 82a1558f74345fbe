// An explanation as one self-contained HTML page (inline CSS and SVG, no scripts, no network). A soft
// prompt: each virtual token's nearest vocabulary tokens by cosine and by distance, and what zeroing or
// removing it does, then inputs shaded by their tokens' saliency. A hard prompt: the score without each
// sentence and demo beside the whole prompt's, most needed first.
import { escapeHtml as escape } from '../eval/index.js';
import type { Ablation, SoftExplanation } from './explain-soft.js';
import type { HardExplanation } from './explain-hard.js';
import { intervalChart } from './interval-chart.js';

const number = (value: number, digits = 3) => value.toFixed(digits);
const signed = (value: number) => `${value >= 0 ? '+' : '−'}${number(Math.abs(value))}`;
const effect = (ablation: Ablation) =>
  `${number(ablation.exactMatch)} <small>(${signed(ablation.effect)} [${signed(ablation.interval[0])}, ${signed(ablation.interval[1])}]; loss ${signed(ablation.lossEffect)})</small>`;

function softBody(explanation: SoftExplanation): string {
  const rows = explanation.tokens
    .map(
      (token) =>
        `<tr><td>${token.position + 1}</td><td>${number(token.norm, 2)}</td><td>${token.cosine.map((near) => `<code>${escape(JSON.stringify(near.text))}</code> ${number(near.cosine, 2)}`).join('<br>')}</td><td>${token.l2.map((near) => `<code>${escape(JSON.stringify(near.text))}</code> ${number(near.distance, 2)}`).join('<br>')}</td><td>${effect(token.zeroed)}</td><td>${effect(token.removed)}</td></tr>`,
    )
    .join('\n');
  const saliency = explanation.saliency
    .map(
      (each) =>
        `<p class="saliency"><small>example ${each.example + 1}: ${(each.promptShare * 100).toFixed(0)}% on the soft prompt</small><br>${each.tokens
          .map(
            (token) =>
              `<span style="background:rgba(234,67,53,${Math.min(1, token.saliency * 5).toFixed(2)})" title="${number(token.saliency)}">${escape(token.text)}</span>`,
          )
          .join('')}</p>`,
    )
    .join('\n');
  return `<p class="headline">${explanation.virtualTokens} virtual tokens; exact match ${number(explanation.original.exactMatch)}, loss ${number(explanation.original.loss)} on ${explanation.n} examples</p>
<h2>Virtual tokens</h2>
<table><tr><th>#</th><th>norm</th><th>nearest by cosine</th><th>nearest by distance</th><th>exact match zeroed</th><th>exact match removed</th></tr>
${rows}
</table>
<p><small>Effects are exact match without the token minus with it, with 95% paired bootstrap intervals over examples; loss is the mean loss on the targets.</small></p>
<h2>Input saliency</h2>
<p><small>Gradient × input of the loss on the target, per token; darker leans more. The share on the soft prompt is of prompt and input together.</small></p>
${saliency}`;
}

function hardBody(explanation: HardExplanation): string {
  const rows = explanation.parts
    .map(
      (part) =>
        `<tr><td>${part.kind}</td><td><pre>${escape(part.text, 400)}</pre></td><td>${number(part.score)}</td><td>${signed(part.effect)} <small>[${signed(part.interval[0])}, ${signed(part.interval[1])}], p ${number(part.pValue, 4)}</small></td></tr>`,
    )
    .join('\n');
  const chart = intervalChart(
    [
      { name: 'whole prompt', score: explanation.original.score, interval: explanation.original.interval },
      ...explanation.parts.map((part) => ({
        name: `without ${part.kind}: ${part.text}`,
        score: part.score,
        interval: [
          explanation.original.score + part.interval[0],
          explanation.original.score + part.interval[1],
        ] as [number, number],
      })),
    ],
    'score of the whole prompt and without each part',
  );
  return `<p class="headline">Score ${number(explanation.original.score)} with the whole prompt (n ${explanation.n}); without each part, most needed first:</p>
${chart}
<table><tr><th>part</th><th>text</th><th>score without it</th><th>effect of removing it</th></tr>
${rows}
</table>`;
}

/** The explanation as one HTML document. */
export function renderExplanationHtml(
  explanation: SoftExplanation | HardExplanation,
  header: { task: string; split: string; model: string },
  subject = '',
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Explanation: ${escape(header.task)} on ${escape(header.model)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222;max-width:72rem}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}pre{margin:0;white-space:pre-wrap}
.headline{font-size:1.2rem;font-weight:600}small{color:#666}.saliency{white-space:pre-wrap;line-height:1.8}
</style></head><body>
<h1>Explanation · ${escape(header.task)} · ${escape(header.split)} · ${escape(header.model)}</h1>
${subject ? `<p>${escape(subject)}</p>` : ''}
${explanation.kind === 'soft' ? softBody(explanation) : hardBody(explanation)}
</body></html>
`;
}
