// What the service tells OpenTelemetry about a request and its model call, built from the request's
// context and its finished trace. Plain records (observe's Telemetry turns them into spans and GenAI
// metrics); times are epoch milliseconds from the request's high-resolution start.
import type { Context } from 'hono';
import type { GenerationRecord, RequestRecord } from '../observe/index.js';
import type { TraceRecord } from '../registry/index.js';
import type { ServiceEnv } from './service-env.js';

/** The HTTP request as a record (its route template, status, id, times and incoming trace context). */
export function requestRecord(context: Context<ServiceEnv>, latencyMs: number): RequestRecord {
  const startTime = performance.timeOrigin + context.get('started');
  return {
    method: context.req.method,
    route: context.req.routePath,
    path: context.req.path,
    status: context.res.status,
    requestId: context.get('requestId'),
    startTime,
    endTime: startTime + latencyMs,
    traceparent: context.req.header('traceparent'),
    tracestate: context.req.header('tracestate'),
  };
}

/** The model call of a finished trace. */
export function generationRecord(trace: TraceRecord): GenerationRecord {
  const startTime = trace.at;
  return {
    operation: trace.operation === 'text_completion' ? 'text_completion' : 'chat',
    provider: 'promptune',
    requestModel: trace.model ?? '',
    ...(trace.version ? { responseModel: `${trace.task}@${trace.version.slice(0, 12)}` } : {}),
    ...(trace.id.startsWith('request-') ? {} : { responseId: trace.id }),
    ...(trace.task ? { task: trace.task } : {}),
    ...(trace.version ? { version: trace.version } : {}),
    ...(trace.label ? { label: trace.label } : {}),
    inputTokens: trace.inputTokens,
    outputTokens: trace.outputTokens,
    ...(trace.finishReason ? { finishReasons: [trace.finishReason] } : {}),
    ...(trace.errorCode ? { errorType: trace.errorCode } : {}),
    startTime,
    endTime: startTime + trace.latencyMs,
  };
}
