// Durations as people write them in configuration files: a whole number and a unit (`500ms`, `30s`,
// `5m`, `1h`, `1d`), optionally several from largest to smallest (`1h30m`), to milliseconds and back.
// A point in time is a duration (that long ago) or an ISO-8601 time. It does not take bare numbers
// (is `300` seconds or milliseconds?), fractions, weeks or months.
import { ValidationError } from '../errors/index.js';

const units = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
] as const;

const wholePattern = /^(?:\d+(?:ms|s|m|h|d))+$/;
const partPattern = /(\d+)(ms|s|m|h|d)/g;

/** Milliseconds of a duration such as `30s`, `5m` or `1h30m`, or undefined when `text` is not one. */
export function durationMilliseconds(text: string): number | undefined {
  if (!wholePattern.test(text)) return undefined;
  let total = 0;
  let previousRank = -1;
  for (const [, amount, unit] of text.matchAll(partPattern)) {
    const rank = units.findIndex(([name]) => name === unit);
    // each unit once, largest first: "30s1m" and "1m1m" are typos more often than intent
    if (rank <= previousRank) return undefined;
    previousRank = rank;
    total += Number(amount) * units[rank][1];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/**
 * Milliseconds of a duration such as `30s`, `5m`, `1h` or `1d`; throws a ValidationError otherwise
 * (`what`, e.g. `--window`, names the value in the message).
 */
export function parseDuration(text: string, what?: string): number {
  const milliseconds = durationMilliseconds(text);
  if (milliseconds === undefined)
    throw new ValidationError(
      `${what ? `${what}: ` : ''}expected a duration such as 30s, 5m, 1h or 1d, found ${JSON.stringify(text)}`,
      {
        code: 'DURATION_INVALID',
        hint: 'Write a whole number and a unit (ms, s, m, h, d), e.g. 30s or 1h30m.',
      },
    );
  return milliseconds;
}

/** A window's length (parseDuration's), refused when it is 0: an empty window holds nothing to test. */
export function parseWindow(text: string, what: string): number {
  const milliseconds = parseDuration(text, what);
  if (milliseconds === 0)
    throw new ValidationError(`${what}: a window of ${text} holds no traffic`, {
      code: 'DURATION_INVALID',
      hint: 'Give a window longer than 0, e.g. 1h or 24h.',
    });
  return milliseconds;
}

/** A duration in milliseconds written the way parseDuration reads it (`90000` -> `1m30s`, `0` -> `0s`). */
export function formatDuration(milliseconds: number): string {
  if (milliseconds <= 0) return '0s';
  let rest = Math.round(milliseconds);
  let text = '';
  for (const [name, size] of units) {
    const amount = Math.floor(rest / size);
    if (amount > 0) text += `${amount}${name}`;
    rest -= amount * size;
  }
  return text;
}

/** Epoch milliseconds of `24h` (that long before `now`) or of an ISO-8601 time such as 2026-12-01T12:00Z. */
export function parseTimeReference(text: string, now: number, what = 'time'): number {
  const ago = durationMilliseconds(text);
  if (ago !== undefined) return now - ago;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at))
    throw new ValidationError(`${what} "${text}" is neither a duration nor an ISO-8601 time`, {
      code: 'INVALID_TIME',
      hint: 'Write 24h (that long ago) or a time such as 2026-12-01T12:00:00Z.',
    });
  return at;
}

/**
 * The window [since, until) that two time references give: `since` defaults to 24 hours before `now`,
 * `until` to now. `names` are how the caller calls the two (query parameters, CLI options) in errors.
 */
export function timeWindow(
  references: { since?: string; until?: string },
  now: number,
  names: { since: string; until: string; code: string } = {
    since: 'since',
    until: 'until',
    code: 'INVALID_QUERY',
  },
): { since: number; until: number } {
  const since = parseTimeReference(references.since ?? '24h', now, names.since);
  const until =
    references.until === undefined ? now + 1 : parseTimeReference(references.until, now, names.until);
  if (since >= until)
    throw new ValidationError(`${names.since} is not before ${names.until}`, {
      code: names.code,
      hint: `Give ${names.since} earlier than ${names.until} (e.g. ${names.since}${names.since.startsWith('-') ? ' ' : '='}24h).`,
    });
  return { since, until };
}
