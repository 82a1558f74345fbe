// The one place where errors become HTTP responses: a status by error kind and code, and OpenAI's
// error body ({ error: { message, type, param, code } }) so OpenAI clients raise their usual errors.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  AuthError,
  EngineError,
  NotFoundError,
  PermissionError,
  PromptuneError,
  ProviderError,
  UnavailableError,
} from '../errors/index.js';

/** An error the service raises itself (rate limits, sizes, scopes), with its HTTP status. */
export class ServiceError extends PromptuneError {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    code: string,
    hint: string,
  ) {
    super(message, { code, hint });
  }
}

/**
 * HTTP statuses by error kind, first match wins: the caller's mistakes are 4xx, failures of the
 * service's own parts 5xx. Any other promptune error is bad input (400); anything else is a bug (500).
 */
const statusByKind: [(error: unknown) => boolean, ContentfulStatusCode][] = [
  [AuthError.isInstance, 401],
  [PermissionError.isInstance, 403],
  [NotFoundError.isInstance, 404],
  [UnavailableError.isInstance, 503],
  [ProviderError.isInstance, 502],
  [EngineError.isInstance, 500],
  [PromptuneError.isInstance, 400],
];

/** The HTTP status for an error. */
export function statusOf(error: unknown): ContentfulStatusCode {
  if (error instanceof ServiceError) return error.status;
  return statusByKind.find(([matches]) => matches(error))?.[1] ?? 500;
}

const types: Partial<Record<number, string>> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
  500: 'server_error',
  503: 'server_error',
};

/** The response for `error` in OpenAI's error shape (internal errors keep their details out). */
export function errorResponse(context: Context, error: unknown): Response {
  const status = statusOf(error);
  const known = PromptuneError.isInstance(error);
  context.set('errorCode' as never, (known ? error.code : 'internal_error') as never);
  const message = known
    ? `${error.message}${error.hint ? ` (${error.hint})` : ''}`
    : 'internal error; see the service log';
  return context.json(
    {
      error: {
        message,
        type: types[status] ?? 'invalid_request_error',
        param: null,
        code: known ? error.code : 'internal_error',
      },
    },
    status,
  );
}
