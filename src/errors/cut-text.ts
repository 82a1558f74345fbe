// Text cut to fit a column, an excerpt or a report's cell: between user-perceived characters (grapheme
// clusters), never inside one. A plain `slice` can end between the two halves of a surrogate pair
// (printed as `\ud83d` once the cell is JSON-quoted, as `traces ls` quotes it) or inside an emoji
// sequence, a flag or a letter and its combining accents (showing another character: 👍 for 👍🏽, e for
// é); here each such character is kept whole or left out whole.
let graphemes: Intl.Segmenter | undefined;

/** Below the combining marks and not a carriage return: no grapheme goes on past such a character. */
const plain = (code: number) => code < 0x300 && code !== 0x0d;

/** Units before a cut that the grapheme search looks back over (no grapheme worth showing is longer). */
const window = 64;

/**
 * `text` as it is when it is at most `length` UTF-16 units long; else its longest start of whole
 * graphemes that leaves room for the ellipsis, then the ellipsis (at most `length` units in all).
 */
export function cutText(text: string, length: number, ellipsis = '…'): string {
  if (text.length <= length) return text;
  const room = Math.max(0, length - ellipsis.length);
  // a cut between two plain characters splits none: the common case, without segmenting
  if (room > 0 && plain(text.charCodeAt(room - 1)) && plain(text.charCodeAt(room)))
    return `${text.slice(0, room)}${ellipsis}`;
  // else the graphemes around the cut only, from a plain character a window before it
  let from = Math.max(0, room - window);
  while (from > 0 && !plain(text.charCodeAt(from - 1))) from--;
  let end = from;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const { index, segment } of graphemes.segment(text.slice(from, room + window))) {
    if (from + index + segment.length > room) break;
    end = from + index + segment.length;
  }
  return `${text.slice(0, end)}${ellipsis}`;
}
