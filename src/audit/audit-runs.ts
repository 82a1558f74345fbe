// What every audit runs on (a task's examples on a model, through the evaluation harness), and the
// scorer the audits that compare prompts share: each prompt scored on its examples in turn, with one
// progress count over all of them and the calls, cache hits and cost summed.
import { evaluate, type EvaluationOptions, type ModelInput } from '../eval/index.js';
import type { Example, Task } from '../tasks/index.js';

/** The options every audit takes. */
export interface AuditRunOptions extends Pick<
  EvaluationOptions,
  'task' | 'split' | 'concurrency' | 'timeoutMs' | 'cache' | 'stateDirectory' | 'signal' | 'prices'
> {
  examples: Example[];
  /** The model audited: an AI SDK model, or a named one (resolveModel's), as evaluate takes it. */
  model: ModelInput;
  /** Seed of the audit's variants, resamples and tests. */
  seed?: number;
  /** Bootstrap and permutation resamples. */
  resamples?: number;
  /** Model calls done of all. */
  onProgress?: (done: number, total: number) => void;
}

/** Scores prompts one after another; `total` is the calls of all of them, for progress. */
export function promptScorer(options: AuditRunOptions, total: number) {
  let before = 0;
  const spend: { calls: number; cacheHits: number; cost: number | undefined } = {
    calls: 0,
    cacheHits: 0,
    cost: 0,
  };
  /** Each example's score (in `examples` order) with `task`'s prompt. */
  const score = async (task: Task, examples: Example[]): Promise<number[]> => {
    const run = await evaluate({
      ...options,
      task,
      examples,
      repeats: 1,
      onProgress: (done) => options.onProgress?.(before + done, total),
    });
    before += examples.length;
    spend.calls += run.calls;
    spend.cacheHits += run.cacheHits;
    spend.cost = spend.cost === undefined || run.cost === undefined ? undefined : spend.cost + run.cost;
    const byIndex = new Map(run.examples.map((result) => [result.index, result.score]));
    return examples.map((example) => byIndex.get(example.index) ?? 0);
  };
  return { score, spend };
}
