// LLM-as-judge: a model (any provider, injected as a TextGenerator) grades the output against a
// rubric and the reference, answering with a score line and feedback. Unparseable verdicts score 0
// with the reason as feedback, never silently.
import { ValidationError } from '../../errors/index.js';
import { targetText } from './text.js';
import type { Metric, MetricContext } from './types.js';

const defaultRubric = 'Is the response correct and complete with respect to the reference answer?';

/** The judge prompt for one example. */
export function judgePrompt(
  rubric: string,
  input: Record<string, unknown>,
  reference: string,
  output: string,
): string {
  return [
    'You are grading a response to a task.',
    `Rubric: ${rubric}`,
    `Task input:\n${Object.entries(input)
      .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join('\n')}`,
    `Reference answer:\n${reference}`,
    `Response to grade:\n${output}`,
    'Answer with exactly two lines:\nSCORE: <an integer from 0 to 10>\nFEEDBACK: <one sentence on what is wrong or missing>',
  ].join('\n\n');
}

/** Grades outputs with a judge model; options.rubric, options.scale (default 10). */
export function judgeMetric(options: Record<string, unknown>, context: MetricContext): Metric {
  if (!context.judge) {
    throw new ValidationError('judge: no judge model is configured', {
      code: 'METRIC_NO_JUDGE',
      hint: 'Pass --judge <model> (or options.model in the spec) to use the judge metric.',
    });
  }
  const judge = context.judge;
  const rubric = String(options.rubric ?? defaultRubric);
  const scale = Number(options.scale ?? 10);
  return {
    name: 'judge',
    async score(example, output) {
      const verdict = await judge(judgePrompt(rubric, example.fields, targetText(example.target), output));
      const match = /SCORE:\s*(\d+(?:\.\d+)?)/i.exec(verdict);
      if (!match)
        return {
          score: 0,
          feedback: `the judge's verdict had no SCORE line: ${JSON.stringify(verdict.slice(0, 200))}`,
        };
      const feedback = /FEEDBACK:\s*(.*)/i.exec(verdict)?.[1]?.trim();
      return { score: Math.max(0, Math.min(1, Number(match[1]) / scale)), feedback };
    },
  };
}
