// Explanations of a hard prompt: the effect of removing each sentence of its instruction (the template's
// text outside its placeholders, and the system text) and each demo, scored through the evaluation
// harness on the same examples as the whole prompt, with a paired bootstrap interval on the score change
// and its p-value (McNemar's exact test for right-or-wrong scores, where resampling is too liberal). A part whose removal costs nothing is one the prompt does not need.
import { mean, pairedTest, scoreInterval } from '../eval/index.js';
import type { Task, TaskSpec } from '../tasks/index.js';
import { promptScorer, type AuditRunOptions } from './audit-runs.js';

/** A part of the prompt and what removing it does. */
export interface PromptPart {
  kind: 'sentence' | 'system' | 'demo';
  /** The sentence, or the demo's fields and target as JSON. */
  text: string;
  /** The score without it. */
  score: number;
  /** Score without it minus with it, its 95% paired interval and p-value. */
  effect: number;
  interval: [number, number];
  pValue: number;
}

/** What explaining a hard prompt found. */
export interface HardExplanation {
  kind: 'hard';
  n: number;
  original: { score: number; interval: [number, number] };
  /** Most needed first (the largest drop when removed). */
  parts: PromptPart[];
}

/** What the explanation runs on. */
export type HardExplanationOptions = AuditRunOptions;

const placeholder = /(\{\{\s*[\w.-]+\s*\}\})/;
/** The sentences of a text: runs ending in . ! ? or a line's end. */
const sentencesOf = (text: string) =>
  (text.match(/[^.!?\n]+[.!?]*/g) ?? []).map((each) => each.trim()).filter(Boolean);

/** The template with its `index`-th sentence outside the placeholders removed. */
function withoutSentence(template: string, index: number): string {
  let seen = 0;
  return template
    .split(placeholder)
    .map((part, position) => {
      if (position % 2 === 1) return part;
      for (const sentence of sentencesOf(part)) {
        if (seen++ !== index) continue;
        return part.replace(sentence, '');
      }
      return part;
    })
    .join('');
}

/** The prompts to score, each without one part. */
function partsOf(
  prompt: TaskSpec['prompt'],
): { part: Omit<PromptPart, 'score' | 'effect' | 'interval' | 'pValue'>; prompt: TaskSpec['prompt'] }[] {
  const templateSentences = prompt.template
    .split(placeholder)
    .flatMap((part, position) => (position % 2 === 1 ? [] : sentencesOf(part)));
  return [
    ...templateSentences.map((text, index) => ({
      part: { kind: 'sentence' as const, text },
      prompt: { ...prompt, template: withoutSentence(prompt.template, index) },
    })),
    ...sentencesOf(prompt.system ?? '').map((text) => ({
      part: { kind: 'system' as const, text },
      prompt: { ...prompt, system: prompt.system!.replace(text, '').trim() || undefined },
    })),
    ...prompt.demos.map((demo, index) => ({
      part: { kind: 'demo' as const, text: JSON.stringify(demo) },
      prompt: { ...prompt, demos: prompt.demos.filter((_, other) => other !== index) },
    })),
  ];
}

/** Scores the prompt whole and without each part. */
export async function explainHardPrompt(options: HardExplanationOptions): Promise<HardExplanation> {
  const { task, examples } = options;
  const variants = partsOf(task.spec.prompt);
  const scorer = promptScorer(options, (1 + variants.length) * examples.length);
  const scoresOf = (scored: Task) => scorer.score(scored, examples);
  const statistics = { seed: options.seed ?? 0, resamples: options.resamples ?? 1000 };
  const original = await scoresOf(task);
  const parts: PromptPart[] = [];
  for (const variant of variants) {
    const without = await scoresOf({ ...task, spec: { ...task.spec, prompt: variant.prompt } });
    const paired = pairedTest(original, without, statistics);
    parts.push({
      ...variant.part,
      score: mean(without),
      effect: paired.difference,
      interval: paired.interval,
      pValue: paired.pValue,
    });
  }
  return {
    kind: 'hard',
    n: examples.length,
    original: { score: mean(original), interval: scoreInterval(original, statistics) },
    parts: parts.sort((a, b) => a.effect - b.effect),
  };
}
