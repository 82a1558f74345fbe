// Failures of the hard-prompt backend model (an upstream API called through the AI SDK) as
// ProviderErrors (502): what upstream answered, in a message safe to send to the caller. It never
// carries the request the service sent, its URL's path or query, or anything shaped like a key; the
// original error stays as the cause for the service log. Errors that are not the AI SDK's pass by.
import { AISDKError, APICallError } from '@ai-sdk/provider';
import { ProviderError } from '../errors/index.js';

/** Long enough to leave upstream's reason readable, short enough to keep bodies small. */
const maximumReasonLength = 300;

/**
 * Removes what could be a credential from upstream's text: bearer tokens, `sk-...`-style keys, and any
 * long unbroken run of key characters (upstream APIs echo a masked or partial key in auth errors).
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/bearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(/\b(?:sk|pk|rk|key|api[-_]?key)[-_:=][^\s"',;]{6,}/gi, '[redacted]')
    .replace(/[A-Za-z0-9_\-+/=*]{32,}/g, '[redacted]')
    .slice(0, maximumReasonLength);
}

/** The host of an upstream URL (never its path or query, which may hold a key). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the backend model';
  }
}

/** What a caller may do about an upstream HTTP status. */
function hintFor(status: number | undefined): string {
  if (status === undefined) return 'The backend model could not be reached; retry later.';
  if (status === 401 || status === 403)
    return "The backend model refused the service's credentials; the service's operator must fix its configuration.";
  if (status === 429) return 'The backend model is rate limiting the service; retry later.';
  if (status >= 500) return "The backend model's API failed; retry later.";
  return "The backend model refused the request the task rendered; see upstream's reason.";
}

/** The ProviderError for an AI SDK error (APICallError and friends), or undefined for any other error. */
export function upstreamError(error: unknown): ProviderError | undefined {
  if (!AISDKError.isInstance(error)) return undefined;
  const reason = redactSecrets(error.message);
  if (APICallError.isInstance(error)) {
    const host = hostOf(error.url);
    const status = error.statusCode;
    return new ProviderError(
      status === undefined
        ? `the backend model at ${host} could not be reached: ${reason}`
        : `the backend model at ${host} answered HTTP ${status}: ${reason}`,
      {
        code: status === undefined ? 'UPSTREAM_UNREACHABLE' : 'UPSTREAM_ERROR',
        hint: hintFor(status),
        cause: error,
      },
    );
  }
  return new ProviderError(`the backend model's answer could not be used (${error.name}): ${reason}`, {
    code: 'UPSTREAM_INVALID_RESPONSE',
    hint: 'The backend model answered something the service cannot read; retry, or check the backend model.',
    cause: error,
  });
}
