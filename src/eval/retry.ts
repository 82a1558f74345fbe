// Retries of model calls on rate limits (429), server errors (5xx) and timeouts, with exponential
// backoff and jitter, honoring Retry-After; each attempt abandoned after a timeout, and none started (or
// retried) once a stop aborts. Other errors (bad request, auth) fail at once; attempts that all ran out
// of time fail as UPSTREAM_TIMEOUT, not as the bare AbortSignal reason (which reads as a bug).
import { APICallError } from '@ai-sdk/provider';
import { ProviderError, retryAfterMs } from '../errors/index.js';

/** Whether an error is worth retrying. */
export function isRetryable(error: unknown): boolean {
  if (ProviderError.isInstance(error)) return error.code === 'UPSTREAM_TIMEOUT';
  if (APICallError.isInstance(error))
    return error.isRetryable || error.statusCode === 429 || (error.statusCode ?? 0) >= 500;
  const name = (error as Error)?.name ?? '';
  return (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    /ECONNRESET|ETIMEDOUT|socket hang up/i.test(String((error as Error)?.message))
  );
}

/**
 * The longest Retry-After waited for (as OpenAI's own clients): an API that asks for more is out of quota
 * for a while, and a run that sat silent for an hour would look hung; its error is thrown at once instead.
 */
const longestRetryAfterMs = 60_000;

/**
 * Runs `call` with up to `retries` retries; each attempt is given the signal that abandons it (after
 * `timeoutMs`, default 120 s, or at `signal`); `onRetry` sees each failed attempt.
 */
export async function withRetries<T>(
  call: (abortSignal: AbortSignal) => PromiseLike<T>,
  options: {
    retries?: number;
    baseDelayMs?: number;
    /** Told of each failed attempt that will be retried: its error, the retry's number and the wait before it. */
    onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
    /** How long one attempt may take (ms). */
    timeoutMs?: number;
    /** A stop: it aborts the attempt under way, and once it aborts no attempt is retried. */
    signal?: AbortSignal;
    /**
     * A gentler stop: the attempt under way may finish, but once it aborts a failed attempt is not
     * retried and a wait for a retry ends at once (its error is thrown).
     */
    stop?: AbortSignal;
  } = {},
): Promise<T> {
  const { retries = 4, baseDelayMs = 500, timeoutMs = 120_000, signal } = options;
  signal?.throwIfAborted();
  for (let attempt = 0; ; attempt++) {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await call(signal ? AbortSignal.any([timeout, signal]) : timeout);
    } catch (error) {
      const stopped = options.signal?.aborted || options.stop?.aborted;
      const asked = retryAfterMs(error);
      if (attempt >= retries || !isRetryable(error) || stopped || (asked ?? 0) > longestRetryAfterMs)
        throw timeout.aborted && !signal?.aborted ? timedOut(timeoutMs, attempt + 1, error) : error;
      const delay = asked ?? baseDelayMs * 2 ** attempt * (0.5 + Math.random());
      options.onRetry?.(error, attempt + 1, delay);
      // a stop during the wait (a Retry-After of minutes, say) ends it: the last error is thrown
      const stops = [options.signal, options.stop].filter((each) => each !== undefined);
      const waited = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          for (const each of stops) each.removeEventListener('abort', onStop);
          resolve(true);
        }, delay);
        function onStop() {
          clearTimeout(timer);
          for (const each of stops) each.removeEventListener('abort', onStop);
          resolve(false);
        }
        for (const each of stops) each.addEventListener('abort', onStop, { once: true });
      });
      if (!waited) throw error;
    }
  }
}

/** The error of a call whose last attempt ran out of time: the provider's, with a code and a hint. */
function timedOut(timeoutMs: number, attempts: number, cause: unknown): ProviderError {
  return new ProviderError(
    `the model did not answer within ${timeoutMs / 1000} s (${attempts} attempt${attempts === 1 ? '' : 's'})`,
    {
      code: 'UPSTREAM_TIMEOUT',
      hint: "Check that the model's server is answering; a slow one needs a longer timeout (--timeout in seconds on the command line, timeoutMs in code) or fewer calls at once (--concurrency). Run the same command again to resume: answered calls are not asked again.",
      cause,
    },
  );
}

/** Why an attempt is retried, in a few words: "HTTP 429", "HTTP 503", "timed out", or the error's name. */
export function retryReason(error: unknown): string {
  if (APICallError.isInstance(error) && error.statusCode !== undefined) return `HTTP ${error.statusCode}`;
  if (ProviderError.isInstance(error) && error.code === 'UPSTREAM_TIMEOUT') return 'timed out';
  const name = (error as Error | undefined)?.name ?? '';
  if (name === 'TimeoutError' || name === 'AbortError') return 'timed out';
  return name || 'failed';
}
