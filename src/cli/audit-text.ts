// How the audit commands print their results in a terminal: a few aligned lines with the numbers that
// decide (scores with intervals, the gap and its test, the flip rates; the spread and the worst
// variants), the examples or variants that explain them, and the calls made.
import {
  detectableText,
  pValueText,
  type BiasAudit,
  type HardExplanation,
  type SensitivityAudit,
  type SoftExplanation,
  type VariabilityAudit,
} from '../audit/index.js';

const interval = ([low, high]: [number, number]) => `[${low.toFixed(3)}, ${high.toFixed(3)}]`;
const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);

/** A bias audit in the terminal. */
export function biasText(audit: BiasAudit, subject: string): string {
  const width = Math.max(...audit.groups.map((group) => group.name.length));
  const { gap } = audit;
  return [
    `bias audit of ${audit.task} (${subject}) on ${audit.model}, ${audit.split} split: ${audit.audited} examples rewritten for each group, ${audit.skipped} left out`,
    ...audit.groups.map(
      (group) =>
        `  ${group.name.padEnd(width)}  ${group.score.toFixed(3)}  ${interval(group.interval)}  n ${group.n}`,
    ),
    `largest gap: ${gap.between[0]} − ${gap.between[1]} = ${gap.difference.toFixed(3)}${gap.ratio === null ? '' : ` (ratio ${gap.ratio.toFixed(3)})`}, ${pValueText(gap.pValue)}: ${gap.significant ? 'SIGNIFICANT' : 'not significant'} at ${audit.alpha}${detectableText(gap, audit.audited)}`,
    `flip rate: ${audit.flipRate.toFixed(3)}${audit.flipInterval ? ` ${interval(audit.flipInterval)}` : ''} (${audit.flipped.length} of ${audit.audited} answered differently with the attribute swapped; right for one group and wrong for another: ${audit.scoreFlipRate.toFixed(3)})`,
    ...audit.flippedExamples.slice(0, 5).map(
      (example) =>
        `  line ${example.line}: ${differingExcerpts(example.answers.map((answer) => answer.output))
          .map((excerpt, index) => {
            const answer = example.answers[index]!;
            // what was compared: the answer mapped back to the original's terms
            return `${answer.group} ${answer.score >= 1 ? '✓' : '✗'} ${JSON.stringify(excerpt)} (in the original's terms: ${JSON.stringify(answer.readAs)})`;
          })
          .join(' | ')}`,
    ),
    `calls ${audit.calls}, cache hits ${audit.cacheHits}`,
    '',
  ].join('\n');
}

/**
 * Each answer cut to `width` characters where the answers differ: answers that share a long start (a
 * story retold, a name changed at its end) would otherwise print alike, beside "answered differently".
 */
export function differingExcerpts(answers: string[], width = 40): string[] {
  let shared = 0;
  while (answers.every((answer) => shared < answer.length && answer[shared] === answers[0]![shared]))
    shared++;
  const start = shared > width - 10 ? shared - 10 : 0;
  return answers.map((answer) => (start ? '…' : '') + answer.slice(start, start + width));
}

/** A sensitivity audit in the terminal. */
export function sensitivityText(audit: SensitivityAudit, subject: string): string {
  const { spread } = audit;
  const width = Math.max(...audit.variants.map((variant) => variant.name.length), 8);
  return [
    `sensitivity audit of ${audit.task} (${subject}) on ${audit.model}, ${audit.split} split, n ${audit.n}`,
    `  original: ${audit.original.score.toFixed(3)} ${interval(audit.original.interval)}`,
    `spread: ${spread.range.value.toFixed(3)} ${interval(spread.range.interval)} (min ${spread.min.value.toFixed(3)}, max ${spread.max.value.toFixed(3)}, standard deviation ${spread.standardDeviation.value.toFixed(3)} ${interval(spread.standardDeviation.interval)}) over ${audit.variants.length + 1} prompts and inputs`,
    ...Object.entries(audit.families).map(
      ([family, each]) =>
        `  ${family.padEnd(10)} ${String(each.count).padStart(2)} variants: range ${each.range.value.toFixed(3)} ${interval(each.range.interval)}, mean drop ${percent(each.meanDrop)}`,
    ),
    'worst variants:',
    ...audit.variants
      .slice(0, 5)
      .map(
        (variant) =>
          `  ${variant.score.toFixed(3)} ${interval(variant.interval)}  drop ${percent(variant.drop).padStart(6)}  ${variant.family}: ${variant.name.padEnd(width)}`,
      ),
    ...(audit.paraphrasesRefused
      ? [`teacher answers refused (placeholders changed): ${audit.paraphrasesRefused}`]
      : []),
    `calls ${audit.calls}, cache hits ${audit.cacheHits}`,
    '',
  ].join('\n');
}

/** A variability audit in the terminal. */
export function variabilityText(audit: VariabilityAudit, subject: string): string {
  const averaged = (value: { value: number; interval: [number, number] }) =>
    `${value.value.toFixed(3)} ${interval(value.interval)}`;
  return [
    `variability audit of ${audit.task} (${subject}) on ${audit.model}, ${audit.split} split: ${audit.repeats} answers to each of ${audit.n} inputs at temperature ${audit.temperature}`,
    `  score over every try  ${averaged(audit.score)}`,
    `  pairwise agreement    ${averaged(audit.agreement)}`,
    `  modal agreement       ${averaged(audit.modalAgreement)}`,
    `  inputs by distinct answers: ${Object.entries(audit.distinctAnswers)
      .map(([distinct, count]) => `${distinct}: ${count}`)
      .join(', ')}`,
    ...audit.passK.map(
      ({ k, passAll, passAny }) => `  k ${k}: pass^k ${averaged(passAll)}  pass@k ${averaged(passAny)}`,
    ),
    ...audit.leastStable
      .slice(0, 3)
      .map(
        (each) =>
          `  line ${each.line}: ${each.answers.map((answer) => `${JSON.stringify(answer.answer)} × ${answer.count}`).join(', ')}`,
      ),
    `calls ${audit.calls}, cache hits ${audit.cacheHits}`,
    '',
  ].join('\n');
}

const signed = (value: number) => `${value >= 0 ? '+' : '-'}${Math.abs(value).toFixed(3)}`;

/** An explanation in the terminal. */
export function explanationText(
  explanation: (SoftExplanation | HardExplanation) & { task: string; model: string },
  subject: string,
): string {
  const head = `explanation of ${explanation.task} (${subject}) on ${explanation.model}, ${explanation.n} examples`;
  if (explanation.kind === 'hard')
    return [
      head,
      `  whole prompt: ${explanation.original.score.toFixed(3)} ${interval(explanation.original.interval)}`,
      'without each part, most needed first:',
      ...explanation.parts.map(
        (part) =>
          `  ${part.score.toFixed(3)}  ${signed(part.effect)} [${signed(part.interval[0])}, ${signed(part.interval[1])}] p ${part.pValue.toFixed(4)}  ${part.kind}: ${JSON.stringify(part.text.slice(0, 60))}`,
      ),
      '',
    ].join('\n');
  return [
    head,
    `  whole prompt: exact match ${explanation.original.exactMatch.toFixed(3)}, loss ${explanation.original.loss.toFixed(3)}`,
    'virtual tokens: nearest by cosine | by distance | exact match change zeroed, removed',
    ...explanation.tokens.map(
      (token) =>
        `  ${String(token.position + 1).padStart(2)}  ${token.cosine
          .slice(0, 3)
          .map((near) => `${JSON.stringify(near.text)} ${near.cosine.toFixed(2)}`)
          .join(' ')} | ${token.l2
          .slice(0, 2)
          .map((near) => `${JSON.stringify(near.text)} ${near.distance.toFixed(2)}`)
          .join(
            ' ',
          )} | ${signed(token.zeroed.effect)} ${interval(token.zeroed.interval)}, ${signed(token.removed.effect)}`,
    ),
    ...explanation.saliency.slice(0, 3).map((each) => {
      const top = [...each.tokens].sort((a, b) => b.saliency - a.saliency).slice(0, 5);
      return `  example ${each.example + 1}: ${(each.promptShare * 100).toFixed(0)}% of the saliency on the soft prompt; input tokens leaned on most: ${top.map((token) => `${JSON.stringify(token.text)} ${token.saliency.toFixed(2)}`).join(', ')}`;
    }),
    '',
  ].join('\n');
}
