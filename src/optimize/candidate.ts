// Scoring a candidate prompt: the task with the candidate's prompt, evaluated by the harness on the
// same examples every time (so comparisons are paired), through the cache (so replays are free). For
// structured outputs (JSON or label tasks) it also reports the share of outputs that parsed.
import { evaluate, type EvaluatedModel, type ExampleResult, type ResponseCache } from '../eval/index.js';
import { type Example, type Task, extractJson, type TextGenerator, type TaskSpec } from '../tasks/index.js';

/** What scoring shares across a run. */
export interface ScoringContext {
  cache?: ResponseCache;
  stateDirectory?: string;
  judge?: TextGenerator;
}

/** A scored prompt's per-example results. */
export interface PromptScores {
  scores: number[];
  outputs: string[];
  feedback: string[];
  calls: number;
  parseRate?: number;
}

/** Whether an output parsed as the task's structured output; undefined for free-text tasks. */
function parsed(task: Task, result: ExampleResult): boolean | undefined {
  const kind = task.spec.output.kind;
  if (kind === 'json') {
    try {
      extractJson(result.outputs[0]);
      return true;
    } catch {
      return false;
    }
  }
  if (kind === 'label') {
    const read = Object.values(result.byMetric[0] ?? {}).find((score) => score.label);
    return read ? read.label!.predicted !== '(none)' : undefined;
  }
  return undefined;
}

/** Per-example scores of `prompt` on `examples` and the calls it took. */
export async function scorePrompt(
  task: Task,
  prompt: TaskSpec['prompt'],
  examples: Example[],
  model: EvaluatedModel,
  context: ScoringContext,
): Promise<PromptScores> {
  const candidate: Task = { ...task, spec: { ...task.spec, prompt } };
  const run = await evaluate({
    task: candidate,
    split: 'optimize',
    examples,
    model,
    cache: context.cache,
    stateDirectory: context.stateDirectory,
    judge: context.judge,
    concurrency: 4,
    journalSpend: false, // the run's budget journals every call
  });
  const parses = run.examples.map((example) => parsed(task, example)).filter((value) => value !== undefined);
  return {
    scores: run.examples.map((example) => example.score),
    outputs: run.examples.map((example) => example.outputs[0]),
    feedback: run.examples.map((example) =>
      Object.values(example.byMetric[0] ?? {})
        .map((result) => result.feedback)
        .filter(Boolean)
        .join('; '),
    ),
    calls: run.calls,
    parseRate: parses.length ? parses.filter(Boolean).length / parses.length : undefined,
  };
}
