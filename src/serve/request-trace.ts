// The trace of one model request as the service builds it: started by middleware when a key has been
// verified, filled by the route (response id, input, output, tokens, finish reason, first text), and
// ended once: by the middleware when the response is complete, or by the stream when it finishes,
// fails or its client leaves. Ending hands the finished record to the recorder; it never waits.
import type { Context, MiddlewareHandler } from 'hono';
import type { CheckRecord } from '../guard/index.js';
import type { TraceRecord, TraceSampling } from '../registry/index.js';
import type { ServiceEnv, TraceDraft } from './service-env.js';

/** A trace being built. */
export class RequestTrace implements TraceDraft {
  /** The response id (set by the route; requests that fail before one exists use the request id). */
  id: string | undefined;
  readonly at = Date.now();
  model: string | null = null;
  label: string | null = null;
  user: string | null = null;
  input: unknown = null;
  output: string | null = null;
  inputTokens = 0;
  outputTokens = 0;
  finishReason: string | null = null;
  firstTokenMs: number | null = null;
  checks: CheckRecord[] | null = null;
  /** The engine's first-token margin (TraceRecord.confidence), when the backend gives one. */
  confidence: number | null = null;
  /** The settings the call sampled with (TraceRecord.sampling). */
  sampling: TraceSampling | null = null;
  /** A streamed response: ended by the stream, not by the middleware. */
  streaming = false;
  /** The error a stream ended with, after its 200 went out. */
  streamError: { status: number; code: string } | undefined;
  private ended = false;

  constructor(
    readonly operation: TraceRecord['operation'],
    private readonly context: Context<ServiceEnv>,
    private readonly onEnd: (trace: TraceRecord, context: Context<ServiceEnv>) => void,
  ) {}

  /** Notes the first text of a stream (time to first token). */
  firstText(): void {
    if (this.firstTokenMs === null) this.firstTokenMs = performance.now() - this.context.get('started');
  }

  /** Finishes the trace (once; later calls do nothing). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const context = this.context;
    // a client that left ends its own request: the service did not fail (499, as nginx writes it),
    // and error rates leave it out; what was generated until then is kept
    const abandoned =
      context.req.raw.signal.aborted && (this.streamError !== undefined || context.res.status >= 500);
    const status = abandoned ? 499 : (this.streamError?.status ?? context.res.status);
    this.onEnd(
      {
        id: this.id ?? `request-${context.get('requestId')}`,
        at: this.at,
        source: 'service',
        run: null,
        operation: this.operation,
        model: this.model,
        task: context.get('task') ?? null,
        version: context.get('version') ?? null,
        label: this.label,
        keyId: context.get('accessKey')?.id ?? null,
        user: this.user,
        input: this.input,
        output: this.output,
        inputTokens: this.inputTokens,
        outputTokens: this.outputTokens,
        cost: null,
        latencyMs: performance.now() - context.get('started'),
        firstTokenMs: this.firstTokenMs,
        finishReason: abandoned ? 'client-closed' : this.finishReason,
        status,
        errorCode: abandoned
          ? null
          : (this.streamError?.code ?? (status >= 400 ? (context.get('errorCode') ?? String(status)) : null)),
        errorMessage: !abandoned && status >= 400 ? (context.get('errorMessage') ?? null) : null,
        checks: this.checks,
        confidence: this.confidence,
        sampling: this.sampling,
      },
      context,
    );
  }
}

/**
 * Middleware for a model route: starts the request's trace and ends it when the response is complete
 * (a streamed response ends its own).
 */
export function tracing(
  operation: TraceRecord['operation'],
  onEnd: (trace: TraceRecord, context: Context<ServiceEnv>) => void,
): MiddlewareHandler<ServiceEnv> {
  return async (context, next) => {
    const trace = new RequestTrace(operation, context, onEnd);
    context.set('trace', trace);
    try {
      await next();
    } finally {
      if (!trace.streaming) trace.end();
    }
  };
}
