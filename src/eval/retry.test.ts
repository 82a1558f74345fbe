// Reading a failed call's Retry-After as RFC 9110 writes it: whole or fractional seconds, or an HTTP
// date (some gateways send one), and nothing from a header neither reads.
import { APICallError } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './retry.js';

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
