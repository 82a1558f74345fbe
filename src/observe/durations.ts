// Durations and points in time as people write them on a command line or in a query string: `90s`,
// `5m`, `24h`, `7d` for durations; a duration (that long ago) or an ISO-8601 time for points. It does
// not know calendars (no months): windows here are fixed lengths.
import { ValidationError } from '../errors/index.js';

const units: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds in a duration such as `30s`, `5m`, `24h`, `7d` (`what` names it in errors). */
export function parseDuration(text: string, what = 'duration'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0)
    throw new ValidationError(`${what} "${text}" is not a duration`, {
      code: 'INVALID_DURATION',
      hint: 'Write a positive number and a unit: 30s, 5m, 24h, 7d.',
    });
  return Math.round(Number(match[1]) * units[match[2]]);
}

/** Epoch milliseconds of `24h` (that long before `now`) or an ISO-8601 time. */
export function parseTimeReference(text: string, now: number, what = 'time'): number {
  if (/^\d+(?:\.\d+)?(ms|s|m|h|d|w)$/.test(text.trim())) return now - parseDuration(text, what);
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at))
    throw new ValidationError(`${what} "${text}" is neither a duration nor an ISO-8601 time`, {
      code: 'INVALID_TIME',
      hint: 'Write 24h (that long ago) or a time such as 2026-12-01T12:00:00Z.',
    });
  return at;
}
