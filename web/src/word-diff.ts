// A word-level diff of two texts: the longest common subsequence of their words, spaces and punctuation
// marks (each its own token, so "animal." and "animal " share "animal"; a number, an emoji, a Chinese
// character is one token), as runs of kept, removed and added text. Texts too long for the quadratic
// table are compared line by line instead.

/** A run of text that is in both, only the first (removed), or only the second (added). */
export interface DiffPart {
  kind: 'same' | 'removed' | 'added';
  text: string;
}

const largestTable = 4_000_000;

// a number (0.8359375, -1e-5) is one token: two numbers differ whole, not digit by digit after the point;
// a word keeps its accents (a decomposed é is one letter changed, not a lone accent); each Chinese
// character or kana is a word of its own (unspaced writing: one character changed in a sentence is not
// the whole sentence); an emoji with its modifiers, its joined parts or a flag's two letters is one token
const unspaced = '[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}]';
const tokenPattern = new RegExp(
  [
    '\\s+',
    '-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?(?![\\p{L}_])',
    unspaced,
    `(?:(?!${unspaced})[\\p{L}\\p{M}\\p{N}_])+`,
    '\\p{Extended_Pictographic}(?:\\p{Emoji_Modifier}|\\uFE0F|\\u200D\\p{Extended_Pictographic})*',
    '\\p{Regional_Indicator}{2}',
    '[^\\s\\p{L}\\p{N}_]',
  ].join('|'),
  'gu',
);

function tokens(text: string, byLine: boolean): string[] {
  return byLine ? text.split(/(?<=\n)/) : (text.match(tokenPattern) ?? []);
}

/** The parts that turn `before` into `after`, adjacent parts of a kind merged. */
export function wordDiff(before: string, after: string): DiffPart[] {
  let a = tokens(before, false);
  let b = tokens(after, false);
  if (a.length * b.length > largestTable) {
    a = tokens(before, true);
    b = tokens(after, true);
  }
  const width = b.length + 1;
  // lengths[i][j]: the common subsequence length of a[i..] and b[j..]
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lengths[i * width + j] =
        a[i] === b[j]
          ? lengths[(i + 1) * width + j + 1] + 1
          : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1]);
  const parts: DiffPart[] = [];
  const push = (kind: DiffPart['kind'], text: string) => {
    const last = parts[parts.length - 1];
    if (last?.kind === kind) last.text += text;
    else parts.push({ kind, text });
  };
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      push('same', a[i]);
      i++;
      j++;
    } else if (lengths[(i + 1) * width + j] >= lengths[i * width + j + 1]) push('removed', a[i++]);
    else push('added', b[j++]);
  }
  while (i < a.length) push('removed', a[i++]);
  while (j < b.length) push('added', b[j++]);
  return grouped(parts);
}

/**
 * Changes separated only by spaces or punctuation read as one replacement: "~~What~~Who is" rather than
 * interleaved single words. Each such stretch becomes one removed run and one added run.
 */
function grouped(parts: DiffPart[]): DiffPart[] {
  const result: DiffPart[] = [];
  let removed = '';
  let added = '';
  const flush = () => {
    if (removed) result.push({ kind: 'removed', text: removed });
    if (added) result.push({ kind: 'added', text: added });
    removed = added = '';
  };
  parts.forEach((part, index) => {
    if (part.kind === 'removed') removed += part.text;
    else if (part.kind === 'added') added += part.text;
    else if ((removed || added) && index < parts.length - 1 && /^[\s\p{P}]*$/u.test(part.text)) {
      removed += part.text;
      added += part.text;
    } else {
      flush();
      result.push(part);
    }
  });
  flush();
  return result;
}

/**
 * Whether `parts` rewrite the text rather than edit it: fewer than a third of the words
 * of the shorter text kept ("prompt tuning: learned vectors…" against "LoRA: low-rank adapters…" keeps
 * a word); a text grown around what it had (a seed prompt given demos) is an edit.
 * A rewrite reads better as the old text struck through whole, then the new one, than interleaved.
 */
export function isRewrite(parts: DiffPart[]): boolean {
  const words = (kinds: DiffPart['kind'][]) =>
    parts
      .filter((part) => kinds.includes(part.kind))
      .reduce((sum, part) => sum + (part.text.match(/[\p{L}\p{N}_]+/gu)?.length ?? 0), 0);
  const kept = words(['same']);
  return kept < Math.min(words(['same', 'removed']), words(['same', 'added'])) / 3;
}
