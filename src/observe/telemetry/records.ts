// What the service (or an evaluation run) hands to Telemetry after the fact: plain data about one
// request and one model call, with their times. Nothing here touches OpenTelemetry, so callers can
// build records without importing the SDK; turning them into spans and metrics is telemetry.ts's job.

/** One model call, described after it finished (or failed). Times are epoch milliseconds. */
export interface GenerationRecord {
  /** `gen_ai.operation.name`: chat for chat completions, text_completion for completions. */
  operation: 'chat' | 'text_completion';
  /** `gen_ai.provider.name`: 'promptune' for the local engine, 'openai', 'anthropic', ... upstream. */
  provider: string;
  /** `gen_ai.request.model`: the request's model string (task@label). */
  requestModel: string;
  /** `gen_ai.response.model`: the model that actually answered, when known. */
  responseModel?: string;
  /** `gen_ai.response.id`: the completion's id. */
  responseId?: string;
  task?: string;
  version?: string;
  label?: string;
  /** The sampling parameters the request asked for. */
  request?: { maxTokens?: number; temperature?: number; topP?: number; seed?: number };
  inputTokens?: number;
  outputTokens?: number;
  /** `gen_ai.response.finish_reasons`, one per choice. */
  finishReasons?: string[];
  /** Our error code when the call failed (becomes `error.type` and an ERROR status). */
  errorType?: string;
  /** Epoch milliseconds, fractions welcome (performance.timeOrigin + performance.now()). */
  startTime: number;
  /** Epoch milliseconds. */
  endTime: number;
}

/** One HTTP request the service answered. Times are epoch milliseconds. */
export interface RequestRecord {
  method: string;
  /** The matched route template, e.g. /v1/chat/completions (low cardinality). */
  route: string;
  /** The request's path as sent. */
  path: string;
  status: number;
  requestId: string;
  startTime: number;
  endTime: number;
  /** The incoming W3C `traceparent` header: the spans join the caller's trace. */
  traceparent?: string;
  /** The incoming W3C `tracestate` header, carried along with traceparent. */
  tracestate?: string;
}
