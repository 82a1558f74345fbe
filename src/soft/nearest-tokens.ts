// What a soft prompt reads as: for each virtual token, the vocabulary tokens whose input embeddings
// point the same way (cosine similarity, the usual reading of prompt-tuning vectors since Lester et al.
// 2021), or lie closest (Euclidean distance, which also weighs the vectors' lengths). Tokens with no
// text of their own (special ones, partial characters) are left out. One pass over the embedding
// table, whatever its storage type.
import { tokenEmbeddingRow, tokenTexts, type LlamaModel, type Tokenizer } from '../engine/index.js';
import type { SoftPrompt } from './soft-prompt.js';

/** A vocabulary token near a virtual token. */
export interface NearestToken {
  id: number;
  text: string;
  /** Cosine similarity of the token's embedding and the virtual token (-1 to 1). */
  cosine: number;
  /** Euclidean distance between them. */
  distance: number;
}

const norm = (values: Float32Array, from: number, length: number) => {
  let sum = 0;
  for (let i = from; i < from + length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
};

/**
 * The `count` tokens nearest each virtual token of `prompt`, nearest first: by cosine similarity
 * (default), or by Euclidean distance (`l2`).
 */
export function nearestTokens(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompt: SoftPrompt,
  count = 5,
  metric: 'cosine' | 'l2' = 'cosine',
): NearestToken[][] {
  const { virtualTokens, hiddenSize, values } = prompt;
  const texts = tokenTexts(tokenizer);
  const norms = Array.from({ length: virtualTokens }, (_, token) =>
    norm(values, token * hiddenSize, hiddenSize),
  );
  const nearest: NearestToken[][] = Array.from({ length: virtualTokens }, () => []);
  const vocabulary = Math.min(model.config.vocabularySize, texts.length);
  for (let id = 0; id < vocabulary; id++) {
    const text = texts[id];
    if (text === undefined) continue;
    const row = tokenEmbeddingRow(model, id);
    const rowNorm = norm(row, 0, hiddenSize);
    if (rowNorm === 0) continue;
    for (let token = 0; token < virtualTokens; token++) {
      let dot = 0;
      let squares = 0;
      const offset = token * hiddenSize;
      for (let i = 0; i < hiddenSize; i++) {
        dot += values[offset + i] * row[i];
        squares += (values[offset + i] - row[i]) ** 2;
      }
      const cosine = norms[token] === 0 ? 0 : dot / (norms[token] * rowNorm);
      const distance = Math.sqrt(squares);
      const closeness = metric === 'cosine' ? cosine : -distance;
      const list = nearest[token];
      const closenessOf = (entry: NearestToken) => (metric === 'cosine' ? entry.cosine : -entry.distance);
      if (list.length === count && closeness <= closenessOf(list[count - 1])) continue;
      // insertion into a short sorted list
      let at = list.length;
      while (at > 0 && closenessOf(list[at - 1]) < closeness) at--;
      list.splice(at, 0, { id, text, cosine, distance });
      if (list.length > count) list.pop();
    }
  }
  return nearest;
}
