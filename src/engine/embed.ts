// Text embeddings from the decoder: the mean over positions of the final-normed hidden states (the
// classifier's input), one forward pass per text, truncated to `maximumTokens`. Good enough to tell two
// input distributions apart (drift), not a retrieval model; it does not batch texts of unequal length.
import type { Tokenizer } from './tokenizers/types.js';
import type { LlamaModel } from './llama.js';

/** One mean-pooled hidden-state vector (length: the hidden size) per text. */
export function meanPooledEmbeddings(
  model: LlamaModel,
  tokenizer: Tokenizer,
  texts: readonly string[],
  maximumTokens = 128,
): Float32Array[] {
  const C = model.config.hiddenSize;
  return texts.map((text) => {
    const ids = tokenizer
      .encode(text, { addBos: true })
      .slice(0, Math.min(maximumTokens, model.config.contextLength));
    const tokens = Int32Array.from(ids.length ? ids : [tokenizer.bosTokenId ?? 0]);
    const T = tokens.length;
    const hidden = model.forward({ tokens, batch: 1, time: T, logits: 'hidden' });
    const pooled = new Float32Array(C);
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) pooled[c] += hidden[t * C + c] / T;
    return pooled;
  });
}
