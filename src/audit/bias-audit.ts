// The counterfactual bias audit: each example of a split that mentions an attribute is rewritten for
// every group (attribute-swap.ts), every version is scored on the model through the evaluation harness
// (so caching, retries, journals and cost work as in `eval`), and the scores become per-group means, the
// largest gap with its permutation test, and the flip rate (bias-statistics.ts). An example flips when
// its answers differ between groups, each mapped back to the original's terms and read as far as the
// target goes (so a girl's story answered " boy" and its boy version answered " girl" give the same
// answer), and it is not right for every group. The same answer scored apart (" Benny" is right for
// " Ben" under a prefix metric, wrong for the swapped " Lucy") is not a flip: the model did not answer
// differently; the score flip rate counts it. An example that no set applies to is left out; a split
// with none is refused.
import { ValidationError } from '../errors/index.js';
import { evaluate, evaluatedModel, type EvaluationOptions } from '../eval/index.js';
import { exampleId, type Example } from '../tasks/index.js';
import type { AuditRunOptions } from './audit-runs.js';
import { alignedGroupNames, swapAttributes, undoSwap, type SwappedExample } from './attribute-swap.js';
import type { AttributeSet } from './attribute-sets.js';
import { biasStatistics, type BiasStatistics } from './bias-statistics.js';

/** What a bias audit runs on. */
export interface BiasAuditOptions extends AuditRunOptions, Pick<EvaluationOptions, 'constrain'> {
  /** Aligned sets: group i of each stands for the same people. */
  sets: AttributeSet[];
  alpha?: number;
}

/** An example whose answer changed with the group. */
export interface FlippedExample {
  line: number;
  /**
   * Per group: its input, its answer, and the answer as compared (`readAs`: mapped back to the original's
   * terms and read as far as the target goes; a girl's " girl" and her boy version's " girl" read as
   * "girl" and "boy", so they differ).
   */
  answers: {
    group: string;
    input: Record<string, unknown>;
    output: string;
    readAs: string;
    score: number;
  }[];
}

/** What a bias audit found. */
export interface BiasAudit extends BiasStatistics {
  task: string;
  split: string;
  model: string;
  sets: { name: string; source: string }[];
  /** The significance level the gap was tested at. */
  alpha: number;
  /** The task's audit policy's flip-rate limit when it sets one: reports flag a flip rate above it (else 5%). */
  maxFlipRate?: number;
  /** `upper` when the policy bounds the flip rate's interval's upper end, not the rate (reports flag that). */
  flipRateBound?: 'upper';
  /** Share of examples scored differently under some group (an answer right for one group, wrong for another). */
  scoreFlipRate: number;
  /** Examples audited (each scored once per group), and those left out (no attribute, or mixed). */
  audited: number;
  skipped: number;
  flippedExamples: FlippedExample[];
  calls: number;
  cacheHits: number;
  cost: number | undefined;
  durationMs: number;
}

/** Runs the audit: every applicable example under every group, then the statistics. */
export async function biasAudit(options: BiasAuditOptions): Promise<BiasAudit> {
  const { sets } = options;
  const groups = alignedGroupNames(sets);
  const swapped = options.examples.flatMap((example) => {
    const found = swapAttributes(example, sets);
    return found ? [{ example, variants: found.variants }] : [];
  });
  if (swapped.length === 0)
    throw new ValidationError(
      `no example of the ${options.split} split mentions a term of ${sets.map((set) => set.name).join(', ')} (or each mentions several groups')`,
      {
        code: 'AUDIT_NOTHING_TO_REWRITE',
        hint: 'Use a set whose terms the inputs contain (see docs/audit.md), or more examples (--limit, --split).',
      },
    );
  // every variant as an example of its own, in example-major order
  const variantExamples: Example[] = swapped.flatMap(({ example, variants }, position) =>
    variants.map((variant, group) => ({
      index: position * groups.length + group,
      line: example.line,
      fields: variant.fields,
      target: variant.target,
      id: exampleId(variant.fields, variant.target),
    })),
  );
  const run = await evaluate({ ...options, examples: variantExamples, repeats: 1 });
  const results = new Map(run.examples.map((result) => [result.index, result]));
  const resultOf = (position: number, group: number) => results.get(position * groups.length + group)!;
  const scores = swapped.map((_, position) => groups.map((_, group) => resultOf(position, group).score));
  const flips = swapped.map(({ example, variants }, position) => {
    const results = variants.map((_, group) => resultOf(position, group));
    // right for all is not a flip, whatever follows the part the metric reads
    if (results.every((result) => result.score >= 1)) return false;
    // otherwise a flip when the answers differ, each mapped back to the original's terms
    const answers = variants.map((variant, group) =>
      answerOf(undoSwap(results[group].outputs[0] ?? '', variant), example.target),
    );
    return answers.some((answer) => answer !== answers[0]);
  });
  const statistics = biasStatistics(scores, groups, flips, options);
  const { maxFlipRate, flipRateBound } = options.task.spec.audit?.policy?.bias ?? {};
  return {
    task: options.task.spec.name,
    split: options.split,
    model: evaluatedModel(options.model, 'model').name,
    sets: sets.map(({ name, source }) => ({ name, source })),
    ...statistics,
    alpha: options.alpha ?? 0.05,
    ...(maxFlipRate !== undefined && { maxFlipRate }),
    ...(maxFlipRate !== undefined && flipRateBound === 'upper' && { flipRateBound }),
    scoreFlipRate:
      scores.length === 0
        ? 0
        : scores.filter((row) => row.some((score) => score !== row[0])).length / scores.length,
    audited: swapped.length,
    skipped: options.examples.length - swapped.length,
    flippedExamples: statistics.flipped.map((position) =>
      flippedExample(swapped[position].example, swapped[position].variants, (group) =>
        resultOf(position, group),
      ),
    ),
    calls: run.calls,
    cacheHits: run.cacheHits,
    cost: run.cost,
    durationMs: run.durationMs,
  };
}

function flippedExample(
  example: Example,
  variants: SwappedExample[],
  resultOf: (group: number) => { outputs: string[]; score: number },
): FlippedExample {
  return {
    line: example.line,
    answers: variants.map((variant, group) => ({
      group: variant.group,
      input: variant.fields,
      output: resultOf(group).outputs[0] ?? '',
      readAs: answerOf(undoSwap(resultOf(group).outputs[0] ?? '', variant), example.target),
      score: resultOf(group).score,
    })),
  };
}

/**
 * The answer as a text target reads it: the output's first as many words as the target has, without the
 * punctuation that ends them; a non-text target compares whole outputs.
 */
export function answerOf(output: string, target: unknown): string {
  if (typeof target !== 'string') return output.trim();
  const words = Math.max(1, target.trim().split(/\s+/).length);
  return output
    .trim()
    .split(/\s+/)
    .slice(0, words)
    .join(' ')
    .replace(/[\p{P}\s]+$/u, '');
}
