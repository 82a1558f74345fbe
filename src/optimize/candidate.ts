// Scoring a candidate prompt: the task with the candidate's prompt, evaluated by the harness on the
// same examples every time (so comparisons are paired), through the cache (so replays are free). For
// structured outputs (JSON or label tasks) it also reports the share of outputs that parsed, and for
// tasks with guards the share of validators passed, which can count in the score (GuardObjective).
import { evaluate, type EvaluatedModel, type ExampleResult, type ResponseCache } from '../eval/index.js';
import { finalVerdicts } from '../guard/index.js';
import type { Example, Task, TextGenerator, TaskSpec } from '../tasks/index.js';
import type { GuardObjective } from './types.js';

/** What scoring shares across a run. */
export interface ScoringContext {
  cache?: ResponseCache;
  stateDirectory?: string;
  judge?: TextGenerator;
  /** The (metered) model the task's judge validators ask. */
  guardJudge?: EvaluatedModel;
  guards?: GuardObjective;
  /** Stops a scoring once the calls under way are journaled (InterruptedError, EVAL_INTERRUPTED). */
  signal?: AbortSignal;
  /** Calls in flight at once (default 4). */
  concurrency?: number;
  /** How long one call may take before it is abandoned and retried, in ms (the harness's default). */
  timeoutMs?: number;
  /** Told each scoring's example count before its first call (a progress bar's total). */
  onScoring?: (examples: number) => void;
}

/** A scored prompt's per-example results. */
export interface PromptScores {
  scores: number[];
  outputs: string[];
  feedback: string[];
  calls: number;
  parseRate?: number;
  /** Answers the provider's content filter withheld (absent when none were). */
  contentFiltered?: number;
  /** The share of output validators the answers passed after their policies (tasks with guards). */
  guardPassRate?: number;
}

/** The share of a result's output validators its final answer passed; undefined without any. */
function guardPass(result: ExampleResult): number | undefined {
  const verdicts = [
    ...finalVerdicts((result.checks?.[0] ?? []).filter((check) => check.stage === 'output')).values(),
  ];
  return verdicts.length ? verdicts.filter(Boolean).length / verdicts.length : undefined;
}

/** An example's score with the guards counted as `objective` says. */
function guardedScore(result: ExampleResult, objective: GuardObjective | undefined): number {
  const passed = guardPass(result);
  if (passed === undefined || !objective) return result.score;
  if (objective.required && passed < 1) return 0;
  const weight = objective.weight ?? 0;
  return (1 - weight) * result.score + weight * passed;
}

/** Per-example scores of `prompt` on `examples` and the calls it took. */
export async function scorePrompt(
  task: Task,
  prompt: TaskSpec['prompt'],
  examples: Example[],
  model: EvaluatedModel,
  context: ScoringContext,
): Promise<PromptScores> {
  // nothing to score (the rest of a small dev set beyond evolve's Pareto set): no results, no calls
  if (examples.length === 0) return { scores: [], outputs: [], feedback: [], calls: 0 };
  const candidate: Task = { ...task, spec: { ...task.spec, prompt } };
  context.onScoring?.(examples.length);
  const run = await evaluate({
    task: candidate,
    split: 'optimize',
    examples,
    model,
    cache: context.cache,
    stateDirectory: context.stateDirectory,
    judge: context.judge,
    guardJudge: context.guardJudge,
    concurrency: context.concurrency ?? 4,
    timeoutMs: context.timeoutMs,
    journalSpend: false, // the run's budget journals every call
    signal: context.signal,
  });
  const parses = run.examples.map((example) => example.parsed?.[0]).filter((value) => value !== undefined);
  const passes = run.examples.map(guardPass).filter((value) => value !== undefined);
  return {
    scores: run.examples.map((example) => guardedScore(example, context.guards)),
    outputs: run.examples.map((example) => example.outputs[0]),
    feedback: run.examples.map((example) =>
      Object.values(example.byMetric[0] ?? {})
        .map((result) => result.feedback)
        .filter(Boolean)
        .join('; '),
    ),
    calls: run.calls,
    parseRate: parses.length ? parses.filter(Boolean).length / parses.length : undefined,
    ...(run.contentFiltered ? { contentFiltered: run.contentFiltered } : {}),
    guardPassRate: passes.length ? passes.reduce((sum, value) => sum + value, 0) / passes.length : undefined,
  };
}
