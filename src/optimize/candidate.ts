// Scoring a candidate prompt: the task with the candidate's prompt, evaluated by the harness on the
// same examples every time (so comparisons are paired), through the cache (so replays are free).
import { evaluate, type EvaluatedModel } from '../eval/harness.js';
import type { ResponseCache } from '../eval/response-cache.js';
import type { Example } from '../tasks/dataset.js';
import type { Task } from '../tasks/load-task.js';
import type { TaskSpec } from '../tasks/spec.js';

/** Per-example scores of `prompt` on `examples` and the calls it took. */
export async function scorePrompt(
  task: Task,
  prompt: TaskSpec['prompt'],
  examples: Example[],
  model: EvaluatedModel,
  options: { cache?: ResponseCache; stateDirectory?: string },
): Promise<{ scores: number[]; outputs: string[]; feedback: string[]; calls: number }> {
  const candidate: Task = { ...task, spec: { ...task.spec, prompt } };
  const run = await evaluate({
    task: candidate,
    split: 'optimize',
    examples,
    model,
    cache: options.cache,
    stateDirectory: options.stateDirectory,
    concurrency: 4,
  });
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
  };
}
