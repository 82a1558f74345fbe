// Items added to a queue by hand: traces named by id (their input as the task's fields and their output,
// as stored, redacted), and the failed examples of an evaluation run (the examples whose every repeat
// missed full marks, with the reference and score beside them). Rules over live traffic are feed.ts's.
import { ValidationError } from '../errors/index.js';
import { traceFields } from '../observe/index.js';
import type { Registry, ReviewItem, ReviewItemInput, ReviewQueue, TraceRecord } from '../registry/index.js';
import type { TaskSpec } from '../tasks/index.js';

/** Queues traces of the queue's task by id (each once); a trace of another task is refused. */
export async function addTraces(
  registry: Registry,
  queue: ReviewQueue,
  ids: string[],
): Promise<ReviewItem[]> {
  const spec = await registry.getTask(queue.task);
  const items = [];
  for (const id of ids) {
    const trace = await registry.traces.get(id);
    if (trace.task !== queue.task)
      throw new ValidationError(`trace ${id} is of task ${trace.task ?? 'none'}, not ${queue.task}`, {
        code: 'REVIEW_INVALID',
        hint: `Queue ${queue.name} reviews task ${queue.task}.`,
      });
    items.push(traceItem(spec, trace, 'manual'));
  }
  return registry.review.addItems(queue.name, items);
}

/**
 * A trace as an item: its input as the task's fields and its output as stored (redacted), with the version,
 * label, time, checks and the engine's confidence beside them.
 */
export function traceItem(spec: TaskSpec, trace: TraceRecord, reason: string): ReviewItemInput {
  return {
    traceId: trace.id,
    reason,
    input: traceFields(spec, trace),
    output: trace.output,
    context: {
      version: trace.version,
      label: trace.label,
      at: trace.at,
      checks: trace.checks,
      confidence: trace.confidence ?? null,
      // "length": the answer stopped at its token limit, which an approval must not learn whole
      finishReason: trace.finishReason,
    },
  };
}

/** Queues the failed examples of an evaluation run of the queue's task (reason `evaluation-failure`). */
export async function addEvaluationFailures(
  registry: Registry,
  queue: ReviewQueue,
  runId: string,
): Promise<ReviewItem[]> {
  const run = await registry.runs.get(runId);
  if (run.kind !== 'evaluation' || run.task !== queue.task)
    throw new ValidationError(`run ${runId} is not an evaluation of task ${queue.task}`, {
      code: 'REVIEW_INVALID',
      hint: `Name an evaluation run of ${queue.task} (promptune runs ls --task ${queue.task}).`,
    });
  const failed = (await registry.runs.allEntries(runId, 'example')).filter((entry) => entry.passed === false);
  return registry.review.addItems(
    queue.name,
    failed.map((entry) => {
      const example = entry.data as { fields?: unknown; outputs?: string[]; target?: unknown; line?: number };
      return {
        traceId: `run:${runId}:${entry.position}`,
        reason: 'evaluation-failure',
        input: example.fields ?? {},
        output: example.outputs?.[0] ?? null,
        context: {
          run: runId,
          version: run.version,
          reference: example.target,
          score: entry.score,
          line: example.line,
        },
      };
    }),
  );
}
