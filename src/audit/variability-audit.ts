// The variability audit: each example answered `repeats` times at the served temperature (or another),
// through the evaluation harness (each repeat its own seed). Reports how often two answers to the same
// input agree, how many distinct answers inputs get, and pass^k (all of k tries right, the reliability
// τ-bench reports) beside pass@k (any of k right), each estimated without bias from the n tries of
// every example (Chen et al. 2021) and averaged over examples with a 95% interval (Wilson's when every
// example's value is 0 or 1, where resampling 7 wrong answers says [0, 0]; else a bootstrap).
import { evaluate, evaluatedModel, mean, scoreInterval } from '../eval/index.js';
import type { AuditRunOptions } from './audit-runs.js';
import { answerOf } from './bias-audit.js';

/** What a variability audit runs on. */
export interface VariabilityOptions extends AuditRunOptions {
  /** Answers per example (at least 2). */
  repeats: number;
  /** Sampling temperature (default: the task's). */
  temperature?: number;
}

/** A value with its 95% interval over examples. */
interface Averaged {
  value: number;
  interval: [number, number];
}

/** What a variability audit found. */
export interface VariabilityAudit {
  task: string;
  split: string;
  model: string;
  n: number;
  repeats: number;
  temperature: number;
  /** Mean score over every try. */
  score: Averaged;
  /** Share of pairs of answers to the same input that agree (as the target reads them). */
  agreement: Averaged;
  /** Share of an input's answers equal to its most common one. */
  modalAgreement: Averaged;
  /** How many inputs got 1, 2, … distinct answers. */
  distinctAnswers: Record<string, number>;
  /** pass^k and pass@k for k = 1 … repeats. */
  passK: { k: number; passAll: Averaged; passAny: Averaged }[];
  /**
   * The inputs with the most distinct answers, most first: line, the input's fields (joined by " | ",
   * cut at 300 characters), the target, answers with counts.
   */
  leastStable: {
    line: number;
    input: string;
    target: string;
    answers: { answer: string; count: number }[];
  }[];
  calls: number;
  cacheHits: number;
  cost: number | undefined;
  durationMs: number;
}

/** n choose k, as a float (exact for the small n of repeats). */
function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

/** Runs the audit. */
export async function variabilityAudit(options: VariabilityOptions): Promise<VariabilityAudit> {
  const { task, repeats } = options;
  const temperature = options.temperature ?? task.spec.generation.temperature;
  const sampled = { ...task, spec: { ...task.spec, generation: { ...task.spec.generation, temperature } } };
  const run = await evaluate({ ...options, task: sampled, repeats });
  const interval = (values: number[], offset: number): Averaged => ({
    value: mean(values),
    interval: scoreInterval(values, {
      seed: (options.seed ?? 0) + offset,
      resamples: options.resamples ?? 1000,
    }),
  });
  const perExample = run.examples.map((result) => {
    const answers = result.outputs.map((output) => answerOf(output, result.target));
    const counts = new Map<string, number>();
    for (const answer of answers) counts.set(answer, (counts.get(answer) ?? 0) + 1);
    const pairs = choose(answers.length, 2);
    const agreeing = [...counts.values()].reduce((sum, count) => sum + choose(count, 2), 0);
    const right = result.scores.filter((score) => score >= 1).length;
    return {
      line: result.line,
      input: Object.values(result.fields).map(String).join(' | ').slice(0, 300),
      target: typeof result.target === 'string' ? result.target : JSON.stringify(result.target),
      counts,
      agreement: pairs === 0 ? 1 : agreeing / pairs,
      modal: Math.max(...counts.values()) / answers.length,
      right,
      tries: answers.length,
      score: result.score,
    };
  });
  const distinctAnswers: Record<string, number> = {};
  for (const each of perExample)
    distinctAnswers[each.counts.size] = (distinctAnswers[each.counts.size] ?? 0) + 1;
  return {
    task: task.spec.name,
    split: options.split,
    model: evaluatedModel(options.model, 'model').name,
    n: perExample.length,
    repeats,
    temperature,
    score: interval(
      perExample.map((each) => each.score),
      1,
    ),
    agreement: interval(
      perExample.map((each) => each.agreement),
      2,
    ),
    modalAgreement: interval(
      perExample.map((each) => each.modal),
      3,
    ),
    distinctAnswers,
    passK: Array.from({ length: repeats }, (_, index) => {
      const k = index + 1;
      return {
        k,
        passAll: interval(
          perExample.map((each) => choose(each.right, k) / choose(each.tries, k)),
          10 + k,
        ),
        passAny: interval(
          perExample.map((each) => 1 - choose(each.tries - each.right, k) / choose(each.tries, k)),
          20 + k,
        ),
      };
    }),
    leastStable: [...perExample]
      .sort((a, b) => b.counts.size - a.counts.size || a.line - b.line)
      .filter((each) => each.counts.size > 1)
      .slice(0, 10)
      .map((each) => ({
        line: each.line,
        input: each.input,
        target: each.target,
        answers: [...each.counts]
          .map(([answer, count]) => ({ answer, count }))
          .sort((a, b) => b.count - a.count),
      })),
    calls: run.calls,
    cacheHits: run.cacheHits,
    cost: run.cost,
    durationMs: run.durationMs,
  };
}
