// `eval --trace`: each model call of an evaluation becomes a trace in the registry, tied to the run
// (source eval, run eval-<time>-<random>), with the example's fields as input and the metric results
// (and the guards' verdicts, when the task has guards) as its checks, so evaluation calls are browsed and filtered like production ones. Written in batches by
// the trace recorder; the registry is closed with it.
import { randomBytes } from 'node:crypto';
import type { EvaluatedCall } from '../eval/index.js';
import { TraceRecorder } from '../observe/index.js';
import { registryLocation } from './registry-access.js';
import { Registry } from '../registry/index.js';

/** A recorder of one evaluation's calls. */
export interface EvaluationTraces {
  run: string;
  record: (call: EvaluatedCall) => void;
  /** Writes what is queued and closes the registry (once); returns how many traces were written. */
  close: () => Promise<number>;
}

/** Opens the registry at `db` (or DATABASE_URL) and records into it. */
export async function evaluationTraces(
  db: string,
  task: string,
  model: string,
  /** The registry version evaluated (eval --version), and the label it was named by. */
  version?: { id: string; label?: string },
): Promise<EvaluationTraces> {
  const registry = await Registry.open(registryLocation(db));
  const recorder = new TraceRecorder(registry.traces, { capacity: 1_000_000 });
  const run = `eval-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  let closed: Promise<number> | undefined;
  return {
    run,
    record: ({ example, repeat, record, at, sampling }) => {
      recorder.record({
        id: `${run}:${example.index}:${repeat}`,
        at,
        source: 'eval',
        run,
        operation: 'run',
        model,
        task,
        version: version?.id ?? null,
        label: version?.label ?? null,
        keyId: null,
        user: null,
        input: example.fields,
        output: record.output,
        inputTokens: record.inputTokens,
        outputTokens: record.outputTokens,
        cost: record.cost ?? null,
        latencyMs: record.latencyMs ?? 0,
        firstTokenMs: null,
        finishReason: null,
        status: 200,
        errorCode: null,
        confidence: null,
        sampling: sampling && { ...sampling, topK: null },
        checks: {
          score: record.score,
          byMetric: record.byMetric,
          fromCache: record.fromCache,
          target: example.target,
          ...(record.checks && { guards: record.checks }),
        },
      });
    },
    close: () =>
      (closed ??= (async () => {
        await recorder.close();
        await registry.close();
        return recorder.stats.written;
      })()),
  };
}
