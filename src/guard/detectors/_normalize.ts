// The view of a text the PII detectors read: NFKC (full-width digits and letters become ASCII), every
// Unicode space separator a plain space, and invisible characters (zero-width spaces and joiners, word
// joiner, byte-order mark, soft hyphen, C0 controls other than tab and line breaks) removed, with the
// changed pieces kept, so spans are reported, masked and filtered in the original text.
// Private to the detectors. It does not fold case nor strip accents: detectors decide that themselves.
import type { DetectedSpan, Detector } from './span.js';

/** A normalized text and the pieces of it that differ from the original, to map offsets back. */
export interface NormalizedText {
  readonly original: string;
  readonly text: string;
  /**
   * The changed pieces in order, four numbers each: start and end in `text`, start and end in the
   * original (a removed character has an empty piece in `text`). Between pieces the texts agree.
   */
  readonly changes: readonly number[];
}

// anything but printable ASCII, tab and line breaks: the only characters that may need a change
const special = /[^\t\n\r\x20-\x7e]/g;
/** Removed: C0 controls but tab/LF/CR, soft hyphen, zero-width (non-)joiner and space, word joiner, BOM. */
function invisible(code: number): boolean {
  if (code < 0x20) return code !== 0x09 && code !== 0x0a && code !== 0x0d;
  return code === 0xad || (code >= 0x200b && code <= 0x200d) || code === 0x2060 || code === 0xfeff;
}
const spaceSeparator = /^\p{Zs}$/u;
const combiningMark = /^\p{M}$/u;

/** The UTF-16 length of the code point at `position`. */
function codePointLength(text: string, position: number): number {
  return text.codePointAt(position)! > 0xffff ? 2 : 1;
}

/** The detectors' view of `original`. Linear; printable ASCII is copied in runs without a look. */
export function normalizeText(original: string): NormalizedText {
  special.lastIndex = 0;
  let found = special.exec(original);
  if (found === null) return { original, text: original, changes: [] };
  const pieces: string[] = [];
  const changes: number[] = [];
  let copied = 0; // the original is in `pieces` up to here
  let length = 0; // the length of `pieces` joined
  while (found !== null) {
    const position = found.index;
    let end = position + codePointLength(original, position);
    const first = original.slice(position, end);
    // a combining mark belongs to the character before it, normalized together (o + U+0308 is ö)
    const start = combiningMark.test(first) && position > copied ? position - 1 : position;
    let replacement = '';
    if (!invisible(original.charCodeAt(position))) {
      while (end < original.length && combiningMark.test(String.fromCodePoint(original.codePointAt(end)!)))
        end += codePointLength(original, end);
      replacement = spaceSeparator.test(first) ? ' ' : original.slice(start, end).normalize('NFKC');
    }
    if (replacement !== original.slice(start, end)) {
      pieces.push(original.slice(copied, start), replacement);
      length += start - copied;
      changes.push(length, length + replacement.length, start, end);
      length += replacement.length;
      copied = end;
    }
    special.lastIndex = end;
    found = special.exec(original);
  }
  pieces.push(original.slice(copied));
  return { original, text: pieces.join(''), changes };
}

/** The original extent [start, end) of the character at `offset` of the normalized text. */
function originalExtent(normalized: NormalizedText, offset: number): [number, number] {
  const { changes } = normalized;
  // the last changed piece starting at or before `offset`
  let low = 0;
  let high = changes.length / 4;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (changes[middle * 4] <= offset) low = middle + 1;
    else high = middle;
  }
  if (low === 0) return [offset, offset + 1];
  const piece = (low - 1) * 4;
  if (offset < changes[piece + 1]) return [changes[piece + 2], changes[piece + 3]];
  const original = changes[piece + 3] + offset - changes[piece + 1];
  return [original, original + 1];
}

/** A span found in the normalized view, placed and worded in the original text. */
export function originalSpan(normalized: NormalizedText, span: DetectedSpan): DetectedSpan {
  if (normalized.changes.length === 0) return span;
  const { text, original } = normalized;
  const start = span.start < text.length ? originalExtent(normalized, span.start)[0] : original.length;
  const end = span.end > span.start ? originalExtent(normalized, span.end - 1)[1] : start;
  return { ...span, start, end, text: original.slice(start, end) };
}

/** A detector of the original text that reads its normalized view; `normalized` reads a view as given. */
export type NormalizingDetector = Detector & { readonly normalized: Detector };

/** The detector of original texts made of one that reads the normalized view. */
export function onNormalizedText(detect: Detector): NormalizingDetector {
  const detector: Detector = (text) => {
    const normalized = normalizeText(text);
    return detect(normalized.text).map((span) => originalSpan(normalized, span));
  };
  return Object.assign(detector, { normalized: detect });
}
