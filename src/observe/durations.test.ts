// Time windows from references: since defaults to 24 hours ago and until to now; durations count back
// from now, ISO times are taken as they are; a window that does not move forward is refused with the
// caller's names and code.
import { describe, expect, it } from 'vitest';
import { timeWindow } from './durations.js';

const now = Date.parse('2026-12-02T12:00:00Z');
const hour = 3_600_000;

describe('timeWindow', () => {
  it('reads durations ago and ISO times, with defaults', () => {
    expect(timeWindow({}, now)).toEqual({ since: now - 24 * hour, until: now + 1 });
    expect(timeWindow({ since: '2h', until: '1h' }, now)).toEqual({
      since: now - 2 * hour,
      until: now - hour,
    });
    expect(timeWindow({ since: '2026-12-02T10:00:00Z' }, now).since).toBe(now - 2 * hour);
  });

  it('refuses a window that ends before it starts, in the words of its caller', () => {
    expect(() => timeWindow({ since: '1h', until: '2h' }, now)).toThrow(
      expect.objectContaining({ code: 'INVALID_QUERY', message: 'since is not before until' }),
    );
    expect(() =>
      timeWindow({ since: '1h', until: '2h' }, now, {
        since: '--since',
        until: '--until',
        code: 'CLI_INVALID_OPTION',
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'CLI_INVALID_OPTION',
        hint: 'Give --since earlier than --until (e.g. --since 24h).',
      }),
    );
    expect(() => timeWindow({ since: 'yesterday' }, now)).toThrow(
      expect.objectContaining({ code: 'INVALID_TIME' }),
    );
  });
});
