// Label sets at the token level, on both tokenizer families: each label as the model spells it after
// other text, walks that end on exactly one label's canonical tokens, and in generation the label the
// model finds most likely as a whole (the engine's sequence choice), drawn by likelihood when sampling.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedModels, stories } from '../../../test/models.js';
import { continuationLikelihoods, generate, loadModel, loadTokenizerJson } from '../../engine/index.js';
import { choiceTokenConstraint } from './choice-tokens.js';

describe('label sets as token sequences', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const gpt2 = await loadTokenizerJson(join(sharedModels, 'gpt2-tokenizer'));
  const labels = [' dog', ' cat', ' bird', 'yes', 'no thanks'];

  it('spells each label as the tokenizer does after other text', () => {
    for (const vocabulary of [tokenizer, gpt2]) {
      const constraint = choiceTokenConstraint(labels, vocabulary)!;
      expect(constraint.sequences).toHaveLength(labels.length);
      constraint.sequences!.forEach((sequence, index) => {
        const anchor = vocabulary.encode('a', { addBos: false });
        expect(vocabulary.decode([...anchor, ...sequence])).toBe(vocabulary.decode(anchor) + labels[index]);
      });
    }
    // " bird" is " b" "ir" "d" in stories260K, never " " "b" "i" "rd"
    expect(choiceTokenConstraint([' bird'], tokenizer)!.sequences![0]).toEqual(
      tokenizer.encode('The bird', { addBos: false }).slice(1),
    );
  });

  it('walks only along the labels, and ends exactly at one', () => {
    for (const vocabulary of [tokenizer, gpt2]) {
      const constraint = choiceTokenConstraint(labels, vocabulary)!;
      for (let walk = 0; walk < 20; walk++) {
        const state = constraint.start();
        const tokens: number[] = [];
        while (!state.finished) {
          const logits = Float32Array.from({ length: vocabulary.vocabularySize }, () => Math.random());
          state.mask(logits);
          const allowed = [...logits.keys()].filter((id) => logits[id] > -Infinity);
          const token = allowed[Math.floor(Math.random() * allowed.length)];
          if (vocabulary.eosTokenIds.includes(token)) break;
          state.advance(token);
          tokens.push(token);
        }
        expect(state.complete).toBe(true);
        expect(constraint.sequences!.map((sequence) => sequence.join(','))).toContain(tokens.join(','));
      }
      expect(() => constraint.start().advance(vocabulary.encode('zebra', { addBos: false })[0])).toThrow(
        expect.objectContaining({ code: 'CONSTRAINT_VIOLATED' }),
      );
    }
  });

  it('generates the label the model finds most likely as a whole, and samples labels by likelihood', async () => {
    const constraint = choiceTokenConstraint([' dog', ' cat', ' bird'], tokenizer)!;
    const prompt = tokenizer.encode('Once upon a time, there was a little bird. The bird liked to fly. The');
    const scores = continuationLikelihoods(
      model,
      prompt,
      constraint.sequences!.map((sequence) => [...sequence]),
    );
    const best = [' dog', ' cat', ' bird'][scores.indexOf(Math.max(...scores))];
    const [greedy] = await generate(model, tokenizer, [{ tokens: prompt }], { constraint, maxTokens: 8 });
    expect(greedy).toMatchObject({ text: best, finishReason: 'stop' });
    const drawn = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const [sampled] = await generate(model, tokenizer, [{ tokens: prompt }], {
        constraint,
        maxTokens: 8,
        temperature: 3,
        seed,
      });
      expect([' dog', ' cat', ' bird']).toContain(sampled.text);
      drawn.add(sampled.text);
    }
    expect(drawn.size).toBeGreaterThan(1);
  });

  it('decodes token by token when one label begins another, and when the labels would overflow the context', async () => {
    const nested = choiceTokenConstraint([' cat', ' cats', ' dog'], tokenizer)!;
    expect(nested.sequences).toBeUndefined();
    const prompt = tokenizer.encode('Once upon a time, there was a little');
    const [result] = await generate(model, tokenizer, [{ tokens: prompt }], {
      constraint: nested,
      maxTokens: 8,
    });
    expect([' cat', ' cats', ' dog']).toContain(result.text);
    // a prompt that leaves room for one new token but not for a whole label
    const long = tokenizer.encode('Once upon a time '.repeat(200)).slice(0, model.config.contextLength - 1);
    const labels = choiceTokenConstraint([' dog', ' cat', ' bird'], tokenizer)!;
    const [cut] = await generate(model, tokenizer, [{ tokens: long }], { constraint: labels, maxTokens: 1 });
    expect(cut.finishReason).toBe('length');
    expect(cut.tokens).toHaveLength(1);
  });

  it('ignores stop strings, which could cut a valid output short', async () => {
    const prompt = tokenizer.encode('Once upon a time, there was a little');
    const [result] = await generate(model, tokenizer, [{ tokens: prompt }], {
      constraint: choiceTokenConstraint([' big dog', ' small cat'], tokenizer)!,
      stop: [' '],
      maxTokens: 8,
    });
    expect([' big dog', ' small cat']).toContain(result.text);
  });
});
