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

const partial = new WeakMap<Tokenizer, (Uint8Array | undefined)[]>();

/**
 * The bytes of each token that holds part of a character (a byte-fallback token such as <0xE6>, which
 * `tokenTexts` gives no text), by id; undefined for the rest, and for every token of a tokenizer that
 * does not tell its tokens' bytes. Cached per tokenizer.
 */
export function partialTokenBytes(tokenizer: Tokenizer): (Uint8Array | undefined)[] {
  let known = partial.get(tokenizer);
  if (known) return known;
  const texts = tokenTexts(tokenizer);
  known = texts.map((text, id) =>
    text === undefined && !tokenizer.isSpecial(id) ? tokenizer.tokenBytes?.(id) : undefined,
  );
  partial.set(tokenizer, known);
  return known;
}

const longest = new WeakMap<Tokenizer, number>();

/**
 * The most characters of text one token can stand for: its longest token's text, a control token's
 * written form included (an input may spell one). Cached per tokenizer.
 */
export function longestTokenText(tokenizer: Tokenizer): number {
  let most = longest.get(tokenizer);
  if (most !== undefined) return most;
  most = 1;
  for (const text of tokenTexts(tokenizer)) if (text && text.length > most) most = text.length;
  for (let id = 0; id < tokenizer.vocabularySize; id++)
    if (tokenizer.isSpecial(id)) most = Math.max(most, tokenizer.decode([id], { keepSpecial: true }).length);
  longest.set(tokenizer, most);
  return most;
}

/**
 * Whether `text` has more tokens than `limit`, told from its length alone (no encoding): a cheap refusal
 * of a prompt far past a model's context, before the tokenizer spends seconds on it. Four times the
 * longest token's text, for normalisations that fold several characters into one. A bound for the
 * tokenizers the engine runs (byte-level BPE, SentencePiece with byte fallback: every character is at
 * least part of a token); a tokenizer that folds a run of unknown characters into one token could
 * exceed it, and for a long context with long control tokens it refuses only the absurd.
 */
export function surelyMoreTokens(tokenizer: Tokenizer, text: string, limit: number): boolean {
  return text.length > 4 * limit * longestTokenText(tokenizer);
}
