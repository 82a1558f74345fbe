// Continuation log-likelihoods on stories260K against recomputing each full sequence from scratch:
// the cached, batched, right-padded scoring must give the same sums (to float tolerance).
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { continuationLikelihoods } from './continuation-likelihoods.js';
import { loadModel } from './load-model.js';

describe('continuation log-likelihoods', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const V = model.config.vocabularySize;

  /** The reference: one full forward per sequence, log-softmax at each continuation position. */
  function reference(prompt: number[], continuation: number[]): number {
    const sequence = [...prompt, ...continuation];
    const logits = model.forward({
      batch: 1,
      time: sequence.length,
      tokens: Int32Array.from(sequence),
      logits: 'all',
    });
    let sum = 0;
    for (let j = 0; j < continuation.length; j++) {
      const row = logits.subarray((prompt.length + j - 1) * V, (prompt.length + j) * V);
      const maximum = Math.max(...row);
      const normalizer =
        maximum + Math.log(row.reduce((total, value) => total + Math.exp(value - maximum), 0));
      sum += row[continuation[j]] - normalizer;
    }
    return sum;
  }

  it('equals scoring each whole sequence from scratch, for continuations of different lengths', () => {
    const prompt = tokenizer.encode('Once upon a time, there was a little');
    const continuations = [' dog', ' cat', ' bird', ' girl named Lily', ' x'].map((text) =>
      tokenizer.encode(`a${text}`, { addBos: false }).slice(1),
    );
    const scores = continuationLikelihoods(model, prompt, continuations);
    const expected = continuations.map((continuation) => reference(prompt, continuation));
    for (let i = 0; i < scores.length; i++) expect(Math.abs(scores[i] - expected[i])).toBeLessThan(1e-3);
    expect(scores.every((score) => score < 0)).toBe(true);
  });

  it('refuses empty inputs with a coded error', () => {
    expect(() => continuationLikelihoods(model, [], [[1]])).toThrow(
      expect.objectContaining({ code: 'CONTINUATIONS_EMPTY' }),
    );
    expect(() => continuationLikelihoods(model, [1], [[]])).toThrow(
      expect.objectContaining({ code: 'CONTINUATIONS_EMPTY' }),
    );
  });
});
