// How many terminal columns text takes, for aligning columns of text: a Chinese, Japanese or Korean
// character and an emoji take two, a combining accent or a zero-width character none, the rest one
// (UTF-16 length counts 👍🏽 as four and an accent as one more). An approximation of the Unicode East Asian
// Width property (its wide and fullwidth blocks, and emoji shown as pictures), as terminals draw them.

let graphemes: Intl.Segmenter | undefined;

/** Wide and fullwidth blocks: Hangul Jamo, CJK symbols to Yi, Hangul syllables, compatibility ideographs, fullwidth forms, CJK extensions. */
const wideRanges: readonly [number, number][] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x20000, 0x3fffd],
];

/** A grapheme that draws nothing: marks, format characters (zero-width space, joiners, BOM) or controls. */
const invisible = /^[\p{M}\p{Cf}\p{Cc}]+$/u;
/** An emoji drawn as a picture (its default presentation, or asked for with U+FE0F), a flag's letter pair. */
const pictured = /\p{Emoji_Presentation}|\uFE0F|\p{Regional_Indicator}/u;

/** The columns one grapheme takes. */
function graphemeWidth(grapheme: string): number {
  if (invisible.test(grapheme)) return 0;
  const code = grapheme.codePointAt(0)!;
  if (pictured.test(grapheme)) return 2;
  return wideRanges.some(([low, high]) => code >= low && code <= high) ? 2 : 1;
}

/** The terminal columns `text` takes (one line of it). */
export function displayWidth(text: string): number {
  // ASCII, the common case, is one column a character
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** `text` with spaces after it up to `width` columns (as padEnd counts UTF-16 units). */
export function padToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}
