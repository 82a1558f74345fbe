// Retry notices on stderr: the first said at once (the bar's line cleared first), those within the next
// 5 s counted into the line after them.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { retryNotices } from './retry-notices.js';

afterEach(() => vi.useRealTimers());

describe('retryNotices', () => {
  it('says a retry at once, then at most one line every 5 s with how many more came meanwhile', () => {
    vi.useFakeTimers({ now: 0 });
    let written = '';
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, done) => ((written += chunk.toString()), done()),
    });
    const bar = { clear: vi.fn() };
    const notice = retryNotices(bar, stream);
    notice({ line: 3, reason: 'HTTP 429', attempt: 1, delayMs: 1500 });
    vi.setSystemTime(1000);
    notice({ line: 4, reason: 'HTTP 429', attempt: 1, delayMs: 800 });
    notice({ line: 5, reason: 'HTTP 503', attempt: 2, delayMs: 900 });
    vi.setSystemTime(6000);
    notice({ line: 6, reason: 'timed out', attempt: 1, delayMs: 500 });
    expect(written).toBe(
      'retrying line 3: HTTP 429, retry 1 in 1.5 s\n' +
        'retrying line 6: timed out, retry 1 in 0.5 s (2 more retried since the last line)\n',
    );
    expect(bar.clear).toHaveBeenCalledTimes(2);
  });
});
