// Reading a failed call's Retry-After as RFC 9110 writes it: whole or fractional seconds, or an HTTP
// date (some gateways send one), and nothing from a header neither reads. One reader serves a run's
// retries, the service's own Retry-After and the rate-limit hint.
import { APICallError } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { retryAfterMs, upstreamError, upstreamRetryAfter } from './index.js';

const limited = (retryAfter?: string) =>
  new APICallError({
    message: 'slow down',
    url: 'http://127.0.0.1/v1/chat/completions',
    requestBodyValues: {},
    statusCode: 429,
    responseHeaders: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
  });

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('Mon, 07 Dec 2026 06:00:00 GMT');
    expect(retryAfterMs(limited('2'), now)).toBe(2000);
    expect(retryAfterMs(limited('0.5'), now)).toBe(500);
    expect(retryAfterMs(limited('Mon, 07 Dec 2026 06:00:30 GMT'), now)).toBe(30_000);
    // a date already past asks for no wait
    expect(retryAfterMs(limited('Mon, 07 Dec 2026 05:59:00 GMT'), now)).toBe(0);
    for (const unreadable of [undefined, '', 'soon', '-3'])
      expect(retryAfterMs(limited(unreadable), now)).toBeUndefined();
    expect(retryAfterMs(new Error('not an API call'), now)).toBeUndefined();
  });
});

describe('upstreamRetryAfter and the hint', () => {
  it('pass the wait on in whole seconds, a date too, at most an hour', () => {
    const now = Date.parse('Mon, 07 Dec 2026 06:00:00 GMT');
    const after = (header: string) => upstreamRetryAfter(upstreamError(limited(header))!, now);
    expect([after('2'), after('0.2'), after('Mon, 07 Dec 2026 06:00:30 GMT'), after('86400')]).toEqual([
      2, 1, 30, 3600,
    ]);
    expect(after('soon')).toBeUndefined();
  });

  it('names the wait asked for in the hint, and nothing for a header it cannot read', () => {
    const hint = (header: string) => upstreamError(limited(header), 'command')!.hint;
    expect(hint('20')).toMatch(/It asked for a wait of 20 s \(Retry-After\)\.$/);
    expect(hint('Mon, 07 Dec 2026 06:00:30 GMT')).toMatch(/wait until Mon, 07 Dec 2026 06:00:30 GMT/);
    expect(hint('soon')).not.toMatch(/Retry-After/);
  });
});
