// Failures of a model called through the AI SDK (an upstream API: the service's hard-prompt backend, or
// eval's and optimize's model) as ProviderErrors: what upstream answered, in a message safe to show. It
// never carries the request sent, its URL's path or query, or anything shaped like a key; the original
// error stays as the cause for a log. Errors that are not the AI SDK's pass by. The service's callers
// and a command's user can do different things about them: the hints are each their own.
import { AISDKError, APICallError } from '@ai-sdk/provider';
import { ProviderError } from './provider-error.js';

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

/**
 * Who reads the error: a caller of the service, or whoever ran the work (a command: eval, optimize, …;
 * or the library's evaluate and optimizers, which journal their answers the same way).
 */
export type UpstreamAudience = 'service' | 'command';

/** What a caller may do about an upstream HTTP status. */
function hintFor(status: number | undefined, audience: UpstreamAudience): string {
  const command = audience === 'command';
  // a command (or a library call) journals its answers: run again, and what was answered is not asked again
  const resume =
    ' Run it again to resume (the same command, or from code the same call with the same stateDirectory): answered calls are not asked again.';
  if (status === undefined)
    return command
      ? `Check the model's address and that its server runs.${resume}`
      : 'The backend model could not be reached; retry later.';
  if (status === 401 || status === 403)
    return command
      ? 'Check the API key the model string reads: OPENAI_API_KEY, ANTHROPIC_API_KEY, or for an openai-compatible server the first set of OPENAI_COMPATIBLE_API_KEY_<HOST>_<PORT>, OPENAI_COMPATIBLE_API_KEY_<HOST> and OPENAI_COMPATIBLE_API_KEY (the host in capitals, other characters as _).'
      : "The backend model refused the service's credentials; the service's operator must fix its configuration.";
  if (status === 429)
    return command
      ? `The model's API is rate limiting: wait, or lower the concurrency (--concurrency; from code, concurrency).${resume}`
      : 'The backend model is rate limiting the service; retry later.';
  if (status >= 500)
    return command ? `The model's API failed.${resume}` : "The backend model's API failed; retry later.";
  return command
    ? 'The model refused the request: see its reason (a model name its server does not serve, say).'
    : "The backend model refused the request the task rendered; see upstream's reason.";
}

/**
 * The wait a failed call's Retry-After asks for (ms): seconds, or an HTTP date (RFC 9110 allows both);
 * undefined for anything but an APICallError, without one, or with one neither reads.
 */
export function retryAfterMs(error: unknown, now = Date.now()): number | undefined {
  if (!APICallError.isInstance(error)) return undefined;
  const header = error.responseHeaders?.['retry-after']?.trim();
  if (!header) return undefined;
  if (/^\d+(\.\d+)?$/.test(header)) return Number(header) * 1000;
  // an HTTP date names its day and month in words ("Mon, 07 Dec 2026 06:00:30 GMT"); "-3" is no date
  const date = /[a-z]{3}/i.test(header) ? Date.parse(header) : NaN;
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/**
 * The whole seconds upstream asked to wait before a retry (its Retry-After, rounded up; at most an hour),
 * from a ProviderError made of an APICallError, or undefined.
 */
export function upstreamRetryAfter(error: ProviderError, now = Date.now()): number | undefined {
  const wait = retryAfterMs(error.cause, now);
  return wait === undefined ? undefined : Math.min(Math.ceil(wait / 1000), 3600);
}

/** The hint for an answer that could not be read. */
const unreadableHint = (audience: UpstreamAudience) =>
  audience === 'command'
    ? 'The model answered something promptune cannot read: check that its server speaks the API the model string names (OpenAI-compatible chat completions, say).'
    : 'The backend model answered something the service cannot read; retry, or check the backend model.';

/**
 * The ProviderError for an AI SDK error (APICallError and friends; a RetryError by its last error), or
 * undefined for any other error.
 */
export function upstreamError(
  error: unknown,
  audience: UpstreamAudience = 'service',
): ProviderError | undefined {
  // the AI SDK's RetryError (its retries spent) by the last error it wraps ('ai' itself is not loaded
  // for this: a command's start would pay for it)
  const last = (error as { lastError?: unknown } | null)?.lastError;
  if (AISDKError.isInstance(error) && AISDKError.isInstance(last)) return upstreamError(last, audience);
  if (!AISDKError.isInstance(error)) return undefined;
  const reason = redactSecrets(error.message);
  const who = audience === 'command' ? 'the model' : 'the backend model';
  // an answer with a success status that could not be read is unreadable, not refused
  if (APICallError.isInstance(error) && !(error.statusCode !== undefined && error.statusCode < 400)) {
    const host = hostOf(error.url);
    const status = error.statusCode;
    return new ProviderError(
      status === undefined
        ? `${who} at ${host} could not be reached: ${reason}`
        : `${who} at ${host} answered HTTP ${status}: ${reason}`,
      {
        code:
          status === undefined
            ? 'UPSTREAM_UNREACHABLE'
            : status === 429
              ? 'UPSTREAM_RATE_LIMITED'
              : 'UPSTREAM_ERROR',
        hint: hintFor(status, audience) + askedWait(error),
        cause: error,
      },
    );
  }
  return new ProviderError(`${who}'s answer could not be used (${error.name}): ${reason}`, {
    code: 'UPSTREAM_INVALID_RESPONSE',
    hint: unreadableHint(audience),
    cause: error,
  });
}

/** " It asked for a wait of 3600 s (Retry-After)." when a refusal said how long to wait, else nothing. */
function askedWait(error: APICallError): string {
  if (retryAfterMs(error) === undefined) return '';
  const header = error.responseHeaders!['retry-after']!.trim();
  return ` It asked for a wait ${/^\d/.test(header) ? `of ${header} s` : `until ${header}`} (Retry-After).`;
}
