// DecodingBatch on stories260K: a long prompt is prefilled a chunk per step while the rows already
// decoding keep producing a token every step, and it then generates what an unchunked prefill gives;
// each result carries its first token's log-probability margin over the runner-up.
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { continuationLikelihoods } from './continuation-likelihoods.js';
import { DecodingBatch } from './decoding-batch.js';
import { generate } from './generate.js';
import { loadModel } from './load-model.js';

describe('DecodingBatch on stories260K', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const long = tokenizer.encode(
    'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. One day, she saw a big red ball under a tree.',
  );
  const short = tokenizer.encode('Tom had a red ball.');
  const options = { maxTokens: 12, temperature: 0, stopAtEos: false };

  it('prefills a long prompt a chunk per step while the other rows keep decoding', () => {
    const chunk = 16;
    const batch = new DecodingBatch(model, tokenizer, 4, chunk);
    batch.admit([{ id: 0, prompt: { tokens: short, options: { ...options, maxTokens: 30 } } }]);
    const tokensOf = (events: ReturnType<DecodingBatch['sample']>, id: number) =>
      events.filter((event) => event.row === id && 'token' in event).length;
    expect(tokensOf(batch.sample(), 0)).toBe(1);
    batch.admit([{ id: 1, prompt: { tokens: long, options } }]);
    const chunks = Math.ceil(long.length / chunk);
    const generated: number[] = [];
    for (let step = 1; step <= chunks + 12; step++) {
      batch.advance();
      const events = batch.sample();
      expect(tokensOf(events, 0)).toBe(1); // the decoding row never waits for the whole prompt
      for (const event of events) if (event.row === 1 && 'token' in event) generated.push(event.token);
      // the long prompt starts generating right after its last chunk
      if (step < chunks) expect(generated).toEqual([]);
      if (step === chunks) expect(generated).toHaveLength(1);
    }
    expect(generated).toHaveLength(12);
  });

  it('gives a chunk-prefilled prompt the tokens of a whole prefill', async () => {
    const whole = await generate(model, tokenizer, [{ tokens: long, options }]);
    const batch = new DecodingBatch(model, tokenizer, 1, 16);
    batch.admit([{ id: 0, prompt: { tokens: long, options } }]);
    let done;
    while (batch.size > 0) {
      for (const event of batch.sample()) if ('done' in event) done = event.done;
      batch.advance();
    }
    expect(done!.tokens).toEqual(whole[0].tokens);
    expect(long.length).toBeGreaterThan(16 * 2);
  });

  it("reports the first token's log-probability margin over the runner-up", () => {
    // the two likeliest first tokens, from a whole forward pass, and their log-probabilities
    const logits = model.forward({
      batch: 1,
      time: short.length,
      tokens: Int32Array.from(short),
      logits: 'last',
    });
    const ranked = [...logits.keys()].sort((a, b) => logits[b] - logits[a]);
    const [first, second] = continuationLikelihoods(model, short, [[ranked[0]], [ranked[1]]]);
    const batch = new DecodingBatch(model, tokenizer, 2);
    batch.admit([{ id: 0, prompt: { tokens: short, options } }]);
    let done;
    while (batch.size > 0) {
      for (const event of batch.sample()) if ('done' in event) done = event.done;
      batch.advance();
    }
    expect(done!.tokens[0]).toBe(ranked[0]);
    expect(done!.margin).toBeCloseTo(first - second, 4);
    expect(done!.margin).toBeGreaterThan(0);
  });

  it("reports a label set's margin: the likeliest label's log-likelihood over the runner-up's", () => {
    const labels = [' ball', ' cat', ' dog'].map((label) => tokenizer.encode(label, { addBos: false }));
    const scores = continuationLikelihoods(model, short, labels);
    const constraint = {
      sequences: labels,
      start: () => {
        throw new Error('a label set is decided whole, never token by token');
      },
    };
    const batch = new DecodingBatch(model, tokenizer, 1);
    const events = batch.admit([{ id: 0, prompt: { tokens: short, options: { ...options, constraint } } }]);
    const done = events.find((event) => 'done' in event)!.done!;
    const [first, second] = [...scores].sort((a, b) => b - a);
    expect(done.tokens).toEqual(labels[scores.indexOf(first)]);
    expect(done.margin).toBeCloseTo(first - second, 5);
    expect(done.margin).toBeGreaterThan(0);
  });
});
