// The nearest vocabulary tokens of a soft prompt on stories260K: a prompt initialized from a text reads
// back as that text's tokens at cosine 1 and distance 0; lists are sorted and hold only tokens with text; a vector
// pointing away from a token never has it among its nearest.
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { loadModel, seededRandom, tokenEmbeddingRow, tokenTexts } from '../engine/index.js';
import { nearestTokens } from './nearest-tokens.js';
import { initSoftPrompt } from './soft-prompt.js';

describe('nearestTokens', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);

  it('reads a prompt initialized from a text as that text', () => {
    const text = 'Once upon a time there was a little girl';
    const ids = tokenizer.encode(text, { addBos: false });
    const prompt = initSoftPrompt(model, tokenizer, ids.length, { kind: 'text', text }, seededRandom(0));
    const nearest = nearestTokens(model, tokenizer, prompt, 3);
    expect(nearest).toHaveLength(ids.length);
    const texts = tokenTexts(tokenizer);
    nearest.forEach((list, index) => {
      expect(list[0].id).toBe(ids[index]);
      expect(list[0].text).toBe(texts[ids[index]]);
      expect(list[0].cosine).toBeCloseTo(1, 5);
      expect(list.map((token) => token.cosine)).toEqual(
        [...list.map((token) => token.cosine)].sort((a, b) => b - a),
      );
      for (const token of list) expect(texts[token.id]).toBeDefined();
    });
    // by distance too: the token itself at distance 0, the rest farther, in order
    nearestTokens(model, tokenizer, prompt, 3, 'l2').forEach((list, index) => {
      expect(list[0].id).toBe(ids[index]);
      expect(list[0].distance).toBeCloseTo(0, 5);
      expect(list.map((token) => token.distance)).toEqual(
        [...list.map((token) => token.distance)].sort((a, b) => a - b),
      );
    });
  });

  it('ranks by direction: a negated embedding has its token last, not first', () => {
    const id = tokenizer.encode(' girl', { addBos: false })[0];
    const row = tokenEmbeddingRow(model, id);
    const prompt = {
      virtualTokens: 1,
      hiddenSize: row.length,
      values: row.map((value) => -value),
      layout: 'bos-first' as const,
    };
    const [list] = nearestTokens(model, tokenizer, prompt, 5);
    expect(list).toHaveLength(5);
    expect(list.map((token) => token.id)).not.toContain(id);
    expect(list[0].cosine).toBeLessThan(1);
  });
});
