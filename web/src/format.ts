// How numbers, times and values read on the dashboard.

/** A share or score to 3 decimals ("–" when absent). */
export const score = (value: unknown): string => (typeof value === 'number' ? value.toFixed(3) : '–');

/** Dollars, small amounts with more digits. */
export const dollars = (value: unknown): string =>
  typeof value === 'number' ? `$${value < 0.01 && value > 0 ? value.toPrecision(2) : value.toFixed(2)}` : '–';

/** Milliseconds as ms or s. */
export const duration = (ms: unknown): string =>
  typeof ms !== 'number'
    ? '–'
    : ms < 1000
      ? `${Math.round(ms)} ms`
      : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** A time as local date and time; epoch ms or ISO text. */
export const time = (value: number | string | null | undefined): string =>
  value === null || value === undefined ? '–' : new Date(value).toLocaleString(undefined, { hour12: false });

/** How long ago, roughly. */
export function ago(value: number | string): string {
  const seconds = Math.max(0, (Date.now() - new Date(value).getTime()) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

/** Any value as text: strings as they are, the rest as JSON. */
export const text = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);

/** A version id, short. */
export const shortId = (id: string | null | undefined): string => (id ? id.slice(0, 8) : '–');

/**
 * A run id, short: the random part of run-<time>-<hex>, with the step a loop's step runs name after it
 * (`28733f.retune.1`), else its first 8 characters.
 */
export const shortRunId = (id: string): string =>
  /^run-\d+-([0-9a-f]+(?:\.[\w.-]+)?)$/.exec(id)?.[1] ?? id.slice(0, 8);

/** Below the combining marks and not a carriage return: no grapheme goes on past such a character. */
const plain = (code: number) => code < 0x300 && code !== 0x0d;

/**
 * Where to cut `line` to at most `room` units between graphemes: the graphemes around the cut only (a
 * browser without Intl.Segmenter, Firefox before 125, keeps surrogate pairs whole at least).
 */
function graphemeCut(line: string, room: number): number {
  if (plain(line.charCodeAt(room - 1)) && plain(line.charCodeAt(room))) return room;
  if (typeof Intl.Segmenter !== 'function') {
    const code = line.charCodeAt(room - 1);
    return code >= 0xd800 && code <= 0xdbff ? room - 1 : room;
  }
  let from = Math.max(0, room - 64);
  while (from > 0 && !plain(line.charCodeAt(from - 1))) from--;
  let end = from;
  const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const { index, segment } of graphemes.segment(line.slice(from, room + 64))) {
    if (from + index + segment.length > room) break;
    end = from + index + segment.length;
  }
  return end;
}

/**
 * Any value as text on one line, cut to `length` characters with an ellipsis: between graphemes, so a
 * cut never leaves half a surrogate pair (a lone surrogate shows as �) or part of an emoji sequence or
 * of a letter with its accents (👍 for 👍🏽, e for é).
 */
export function excerpt(value: unknown, length = 160): string {
  const line = text(value).replace(/\s+/g, ' ').trim();
  if (line.length <= length) return line;
  return `${line.slice(0, graphemeCut(line, length - 1))}…`;
}
