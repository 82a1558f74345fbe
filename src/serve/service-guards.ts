// What the service does with guard verdicts: each request's verdicts go on its trace (`checks`) and
// into the Prometheus counter by task, version, validator and outcome; once a trace is stored, each
// validator's final verdict becomes a boolean score `guard.<validator>` on it (source `guard`), so the
// monitor and alerts see pass rates like any other score.
import type { Context } from 'hono';
import type { Logger } from 'pino';
import { checkRecords, finalVerdicts, type CheckOutcome, type CheckRecord } from '../guard/index.js';
import type { TraceRecorder } from '../observe/index.js';
import type { ScoreInput } from '../registry/index.js';
import type { ServiceMetrics } from './metrics.js';
import type { ServiceEnv } from './service-env.js';
import type { ChecksListener, FixedInputListener, ServedVersion } from './task-model.js';

/** The listener that records one request's verdicts on its trace and in the metrics. */
export function requestChecks(
  context: Context<ServiceEnv>,
  served: ServedVersion,
  metrics: ServiceMetrics,
): ChecksListener | undefined {
  if (!served.guards) return undefined;
  return (outcomes: CheckOutcome[]) => {
    const trace = context.get('trace');
    if (trace) trace.checks = checkRecords(outcomes);
    for (const outcome of outcomes)
      metrics.countGuardCheck({
        task: served.spec.name,
        version: String(served.version.number),
        validator: outcome.validator,
        outcome: outcome.passed ? 'passed' : outcome.action,
      });
  };
}

/**
 * The listener that keeps on the request's trace the input as its input guards left it (an email
 * masked), in the shape the request sent it, so a guard's fix is not undone by the stored trace:
 * a typed run's fields (or its one string), or the last user message of a chat (the only message the
 * task reads: the others are dropped, counted as `omittedMessages`), or a completion's prompt (a
 * multi-field task's as the JSON object of its fields).
 */
export function fixedInputOnTrace(
  context: Context<ServiceEnv>,
  served: ServedVersion,
): FixedInputListener | undefined {
  if (!served.guards?.input.length) return undefined;
  return (fields) => {
    const trace = context.get('trace');
    if (!trace) return;
    const names = served.spec.input.fields;
    const text = names.length === 1 ? String(fields[names[0]]) : JSON.stringify(fields);
    const sent = trace.input as { messages?: { role: string; content: unknown }[]; prompt?: unknown } | null;
    if (trace.operation === 'run') trace.input = typeof sent === 'string' ? text : fields;
    else if (trace.operation === 'text_completion') trace.input = { ...sent, prompt: text };
    else {
      // the task reads the last user message alone: the others (a system message with a key in it, an
      // earlier turn with a card number) never reach the model and are not kept past the guards either
      const messages = sent?.messages ?? [];
      const last = messages.map((message) => message.role).lastIndexOf('user');
      trace.input = {
        ...sent,
        messages: last >= 0 ? [{ ...messages[last], content: text }] : [],
        ...(messages.length > 1 && { omittedMessages: messages.length - 1 }),
      };
    }
  };
}

/** Adds a `guard.<validator>` score to every stored service trace that has verdicts. */
export function scoreGuardedTraces(
  recorder: TraceRecorder,
  scores: { add(input: ScoreInput): Promise<unknown> },
  logger: Logger,
): void {
  recorder.onWritten((batch) => {
    for (const trace of batch) {
      if (trace.source !== 'service' || !Array.isArray(trace.checks) || trace.checks.length === 0) continue;
      for (const [validator, passed] of finalVerdicts(trace.checks as CheckRecord[]))
        scores
          .add({ traceId: trace.id, name: `guard.${validator}`, value: passed, source: 'guard' })
          .catch((error: unknown) =>
            logger.warn({ err: error, trace: trace.id, validator }, 'could not store a guard score'),
          );
    }
  });
}
