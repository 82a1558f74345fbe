// What the service keeps on each request's Hono context, typed once: routes, middleware and the error
// mapper read these through `context.get` (not `context.var`, which copies them all at each read)
// instead of casting untyped keys. It holds per-request facts only; configuration stays in the
// closures that build the routes.
import type { Logger } from 'pino';
import type { CheckRecord } from '../guard/index.js';
import type { AccessKey, TraceRecord, TraceSampling } from '../registry/index.js';

/** The Hono environment of the service's apps (`new Hono<ServiceEnv>()`). */
export interface ServiceEnv {
  Variables: {
    /** The request's id: a sane incoming x-request-id, else a fresh UUID; sent back on every response. */
    requestId: string;
    /** Where the request's internal errors are logged (with the request id). */
    logger: Logger;
    /** performance.now() when the request arrived. */
    started: number;
    /** The task that served the request, once resolved. */
    task?: string;
    /** The registry version id that served the request, once resolved. */
    version?: string;
    /** That version as people name it (`task@number`): the answer's `model`. */
    versionName?: string;
    /** The experiment arm the request was put in (`<experiment>:<arm>`), when its label has one running. */
    arm?: string;
    /** Whether that version is a soft prompt (run on the local engine, priced at nothing). */
    soft?: boolean;
    /** The verified API key (set by requireScope). */
    accessKey?: AccessKey;
    /** The code of the error the request was answered with (metrics). */
    errorCode?: string;
    /** What the error said (without its hint), for the trace. */
    errorMessage?: string;
    /** A model request's trace, filled by its route (request-trace.ts). */
    trace?: TraceDraft;
  };
}

/** What a route fills in of its request's trace. */
export interface TraceDraft {
  /** The response id the client gets. */
  id: string | undefined;
  /** What kind of request it is: the shape of its stored input. */
  readonly operation: TraceRecord['operation'];
  model: string | null;
  label: string | null;
  user: string | null;
  input: unknown;
  output: string | null;
  inputTokens: number;
  outputTokens: number;
  finishReason: string | null;
  /** The guards' verdicts on this request (null without guards). */
  checks: CheckRecord[] | null;
  /** The engine's first-token margin, when the backend gives one. */
  confidence: number | null;
  /** The settings the call sampled with (null until it made one). */
  sampling: TraceSampling | null;
  /** A streamed response: the stream ends the trace. */
  streaming: boolean;
  /** The error a stream ended with after its 200 went out. */
  streamError: { status: number; code: string } | undefined;
  /** Notes the first text of a stream. */
  firstText(): void;
  /** Finishes the trace (once). */
  end(): void;
}
