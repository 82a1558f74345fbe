// The span every detector reports (UTF-16 offsets into the scanned text, end exclusive) and the
// masking that replaces spans in the text. It does not decide what a span means for pass or fail:
// the guard's validators do that with the spans they are given.
import { ValidationError } from '../../errors/index.js';

/** A piece of text a detector found: what kind it is, where it is, and what it says. */
export interface DetectedSpan {
  /** What was found, such as `email`, `national-id`, `refusal` or `banned`. */
  kind: string;
  /** UTF-16 offset of the first character. */
  start: number;
  /** UTF-16 offset just past the last character. */
  end: number;
  /** The text between start and end. */
  text: string;
  /** The finer scheme, when the kind has several (`us-ssn`, `visa`, `openai`, `ipv6`). */
  detail?: string;
}

/** A detector: every span of one kind of thing in a text, in order of position. */
export type Detector = (text: string) => DetectedSpan[];

/** The default mask of a span: its kind in capitals and brackets, such as `[EMAIL]`. */
export function kindMask(span: DetectedSpan): string {
  return `[${span.kind.toUpperCase()}]`;
}

/**
 * Returns `text` with every span replaced by `replacement(span)` (by default `[KIND]`). Overlapping
 * spans are merged into one (keeping the kind of the one that starts first); adjacent spans stay
 * separate; empty spans are ignored.
 */
export function maskSpans(
  text: string,
  spans: readonly DetectedSpan[],
  replacement: (span: DetectedSpan) => string = kindMask,
): string {
  for (const span of spans) checkSpan(text, span);
  const ordered = spans.filter((span) => span.end > span.start).sort((a, b) => a.start - b.start);
  const pieces: string[] = [];
  let cursor = 0;
  let index = 0;
  while (index < ordered.length) {
    const first = ordered[index];
    let end = first.end;
    index += 1;
    while (index < ordered.length && ordered[index].start < end) {
      end = Math.max(end, ordered[index].end);
      index += 1;
    }
    const merged: DetectedSpan = { ...first, end, text: text.slice(first.start, end) };
    pieces.push(text.slice(cursor, first.start), replacement(merged));
    cursor = end;
  }
  pieces.push(text.slice(cursor));
  return pieces.join('');
}

function checkSpan(text: string, span: DetectedSpan): void {
  const { start, end } = span;
  if (Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= text.length) {
    return;
  }
  throw new ValidationError(
    `A ${span.kind} span runs from ${start} to ${end}, outside the text's 0..${text.length}.`,
    {
      code: 'GUARD_SPAN_OUT_OF_RANGE',
      hint: 'Mask the same text the spans were detected in; offsets are UTF-16 code units, end exclusive.',
    },
  );
}
