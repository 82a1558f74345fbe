// The text each token adds when it follows other text, for every id of a vocabulary: what constrained
// decoding matches against its automata. A token is decoded after an anchor token, because decoding a
// lone SentencePiece piece drops its leading space. Tokens that add no text (BOS, EOS and other control
// tokens) or only part of a character (a byte of a multi-byte UTF-8 sequence) have no text here.
import type { Tokenizer } from './types.js';

const texts = new WeakMap<Tokenizer, (string | undefined)[]>();

/** Each token's text after other text (undefined: special, empty, or not a whole character); cached per tokenizer. */
export function tokenTexts(tokenizer: Tokenizer): (string | undefined)[] {
  let known = texts.get(tokenizer);
  if (known) return known;
  const anchor = tokenizer.encode('a', { addBos: false });
  const anchorText = tokenizer.decode(anchor);
  known = [];
  for (let id = 0; id < tokenizer.vocabularySize; id++) {
    if (tokenizer.isSpecial(id)) {
      known.push(undefined);
      continue;
    }
    const decoded = tokenizer.decode([...anchor, id]);
    const text = decoded.startsWith(anchorText) ? decoded.slice(anchorText.length) : undefined;
    known.push(text && !text.includes('\uFFFD') ? text : undefined);
  }
  texts.set(tokenizer, known);
  return known;
}
