// The one place where errors become HTTP responses: a status by error kind, OpenAI's error body
// ({ error: { message, type, param, code, hint } }) so OpenAI clients raise their usual errors, and the
// log line of every failure that is not the caller's (with its stack and the request id). It does not
// decide what is wrong with a request; the readers and routes throw the right kind.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  AuthError,
  ConflictError,
  EngineError,
  EnvironmentError,
  GuardError,
  NotFoundError,
  PermissionError,
  PromptuneError,
  ProviderError,
  QualityGateError,
  UnavailableError,
  upstreamError,
  upstreamRetryAfter,
  type PromptuneErrorOptions,
} from '../errors/index.js';
import { unservableVersionCodes } from '../experiments/index.js';
import { isConnectionLost } from '../registry/index.js';
import { spentBy } from './client-signal.js';
import type { ServiceEnv } from './service-env.js';

const serviceMarker = Symbol.for('promptune.error.service-error');

/** An error the service raises itself (rate limits, sizes, unusable output), with its HTTP status. */
export class ServiceError extends PromptuneError {
  readonly status: ContentfulStatusCode;
  private readonly [serviceMarker] = true;

  /** True for a ServiceError, even one from another copy of the package. */
  static override isInstance(error: unknown): error is ServiceError {
    return PromptuneError.hasMarker(error, serviceMarker);
  }

  constructor(message: string, options: PromptuneErrorOptions & { status: ContentfulStatusCode }) {
    super(message, options);
    this.status = options.status;
  }
}

/**
 * HTTP statuses by error kind, first match wins: the caller's mistakes are 4xx, failures of the
 * service's own parts 5xx. Any other promptune error is bad input (400); anything else is a bug (500).
 */
const unservable = new Set<string>(unservableVersionCodes);

const statusByKind: [(error: unknown) => boolean, ContentfulStatusCode][] = [
  // the version it names cannot run on this service (its guards, constraint, adapter or a backend it
  // needs): not served here, as GET /v1/models/{id} says of it. Not a 409, which OpenAI's and the AI
  // SDK's clients retry (three calls, seconds apart) for a state that will not change by itself
  [(error) => PromptuneError.isInstance(error) && unservable.has(error.code), 404],
  [AuthError.isInstance, 401],
  [PermissionError.isInstance, 403],
  [NotFoundError.isInstance, 404],
  [UnavailableError.isInstance, 503],
  // upstream is rate limiting the service, not this caller: unavailable for now (a 429 would tell the
  // caller its own key is over its limit), with upstream's Retry-After passed on
  [(error) => ProviderError.isInstance(error) && error.code === 'UPSTREAM_RATE_LIMITED', 503],
  [ProviderError.isInstance, 502],
  [EngineError.isInstance, 500],
  // a guard refused the input or the answer: the request was understood, its content was not acceptable
  [GuardError.isInstance, 422],
  // a gate refused it (a label move the task's audit policy does not allow)
  [QualityGateError.isInstance, 409],
  // the state changed under it (an experiment already running on the label, or changed meanwhile)
  [ConflictError.isInstance, 409],
  // the machine around the service failed (a full disk, a folder it may not write): not the caller's
  [EnvironmentError.isInstance, 500],
  [PromptuneError.isInstance, 400],
];

/** The registry's database unreachable for now: the service is briefly unavailable, not broken. */
function databaseUnavailable(error: unknown): UnavailableError | undefined {
  // the registry's own (a query's lost connection) already says so, with the driver's error as its cause
  if (UnavailableError.isInstance(error) && error.code === 'REGISTRY_UNAVAILABLE') return error;
  if (isConnectionLost(error))
    return new UnavailableError('the registry database is unreachable for now', {
      code: 'REGISTRY_UNAVAILABLE',
      hint: 'Retry shortly: the service reconnects on its next query.',
      cause: error,
    });
  return undefined;
}

/** The error as the service reports it: the AI SDK's upstream failures become ProviderErrors. */
function classify(error: unknown): unknown {
  return upstreamError(error) ?? databaseUnavailable(error) ?? error;
}

/** The HTTP status for an error. */
export function statusOf(error: unknown): ContentfulStatusCode {
  const classified = classify(error);
  if (ServiceError.isInstance(classified)) return classified.status;
  return statusByKind.find(([matches]) => matches(classified))?.[1] ?? 500;
}

const types: Partial<Record<number, string>> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
};

/**
 * Errors that are no fault of the request: the version's model answered something the task refuses (an
 * output that does not parse, or that a guard blocks). Typed apart from invalid_request_error so a
 * client does not retry a "fixed" request, nor blame its caller.
 */
const typesByCode: Partial<Record<string, string>> = {
  OUTPUT_INVALID: 'model_output_error',
  GUARD_OUTPUT_REFUSED: 'model_output_error',
};

/** OpenAI's error body. */
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string; hint: string | null };
}

/**
 * The status and body for `error`, logging what is not the caller's fault: a bug (any error that is
 * not a PromptuneError) or an engine fault with its stack, an upstream failure as a warning, each with
 * the request id, which the 500 body names. Nothing about a bug reaches the body beyond that id.
 */
export function describeError(
  context: Context<ServiceEnv>,
  error: unknown,
): { status: ContentfulStatusCode; body: ErrorBody; retryAfter?: number } {
  const classified = classify(error);
  const status = statusOf(classified);
  const requestId = context.get('requestId') ?? 'unknown';
  const known = PromptuneError.isInstance(classified) ? classified : undefined;
  const code = known?.code ?? 'INTERNAL';
  context.set('errorCode', code);
  // a refused answer was still generated: its trace keeps the tokens (and so the cost) it took. Not its
  // text: it was refused for what it says (PII, a banned phrase), and traces are readable by read keys;
  // the verdicts in the trace's checks say why
  const trace = context.get('trace');
  const spent = spentBy(error);
  if (trace && spent) ({ inputTokens: trace.inputTokens, outputTokens: trace.outputTokens } = spent);
  const logger = context.get('logger');
  // a caller that went away ends its own request: not a failure of the service
  const abandoned = context.req.raw.signal.aborted;
  if (!known || EngineError.isInstance(known)) {
    if (abandoned) logger?.info({ requestId, reason: String(error) }, 'request abandoned by its client');
    else logger?.error({ err: classified, requestId }, known ? 'engine failure' : 'internal error');
  } else if (ProviderError.isInstance(known))
    // its message, not its cause: upstream's raw answer may echo the service's key
    logger?.warn({ requestId, code: known.code, upstream: known.message }, 'backend model failed');
  let message: string;
  if (!known) message = `internal error; see the service log, request id ${requestId}`;
  else if (EngineError.isInstance(known))
    message = `the local engine failed (${known.code}); see the service log, request id ${requestId}`;
  else message = known.message;
  // the trace keeps what the error said; the answer adds the hint for OpenAI clients, which print only this
  context.set('errorMessage', message.slice(0, 500));
  if (known && !EngineError.isInstance(known) && known.hint) message = `${message} (${known.hint})`;
  const param = (known as { param?: unknown } | undefined)?.param;
  const retryAfter =
    ProviderError.isInstance(known) && known.code === 'UPSTREAM_RATE_LIMITED'
      ? upstreamRetryAfter(known)
      : undefined;
  return {
    status,
    ...(retryAfter === undefined ? {} : { retryAfter }),
    body: {
      error: {
        message,
        type:
          typesByCode[code] ?? types[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
        param: typeof param === 'string' ? param : null,
        code,
        hint: known ? (known.hint ?? null) : 'Retry; if it keeps failing, report the request id.',
      },
    },
  };
}

/** The response for `error` in OpenAI's error shape (see describeError). */
export function errorResponse(context: Context<ServiceEnv>, error: unknown): Response {
  const { status, body, retryAfter } = describeError(context, error);
  if (retryAfter !== undefined) context.header('Retry-After', String(retryAfter));
  return context.json(body, status);
}
