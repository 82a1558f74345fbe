// Runs one global pattern over a text and keeps the matches a check accepts, as spans. Private to the
// detectors. It does not look for overlapping matches: a rejected match resumes after itself.
import type { DetectedSpan } from './span.js';

export type { Detector } from './span.js';

/** The spans `accept` makes of the matches of `pattern` (which must have the `g` flag) in `text`. */
export function scan(
  pattern: RegExp,
  text: string,
  accept: (match: RegExpExecArray) => DetectedSpan | undefined,
): DetectedSpan[] {
  const spans: DetectedSpan[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const span = accept(match);
    if (span) spans.push(span);
  }
  return spans;
}

/** The span of a whole match. */
export function spanOf(match: RegExpExecArray, kind: string, detail?: string): DetectedSpan {
  const span: DetectedSpan = { kind, start: match.index, end: match.index + match[0].length, text: match[0] };
  if (detail !== undefined) span.detail = detail;
  return span;
}

/** The decimal digits of a string, in order (separators dropped). */
export function digitsOf(text: string): string {
  return text.replace(/\D+/g, '');
}
