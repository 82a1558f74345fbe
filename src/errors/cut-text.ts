// Text cut to fit a column, an excerpt or a report's cell: between user-perceived characters (grapheme
// clusters), never inside one. A plain `slice` can end between the two halves of a surrogate pair (printed as `\ud83d`
// once the cell is JSON-quoted, as `traces ls` quotes it) or inside an emoji sequence, a flag or a
// letter and its combining accents (showing another character: 👍 for 👍🏽, e for é); here each such
// character is kept whole or left out whole.
let graphemes: Intl.Segmenter | undefined;

/**
 * `text` as it is when it is at most `length` UTF-16 units long; else its longest start of whole
 * graphemes that leaves room for the ellipsis, then the ellipsis (at most `length` units in all).
 */
export function cutText(text: string, length: number, ellipsis = '…'): string {
  if (text.length <= length) return text;
  const room = Math.max(0, length - ellipsis.length);
  let end = 0;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const { index, segment } of graphemes.segment(text)) {
    if (index + segment.length > room) break;
    end = index + segment.length;
  }
  return `${text.slice(0, end)}${ellipsis}`;
}
