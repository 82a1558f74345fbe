// Generation on stories260K: the reference greedy continuation, batched = one by one, cached
// decoding vs recomputing from scratch, sampling reproducibility, stop strings and streaming.
import { describe, expect, it } from 'vitest';
import { referenceLogits, stories } from '../../test/models.js';
import { generate, generateStream } from './generate.js';
import { loadModel } from './load-model.js';
import { argmax } from './sampling.js';
import type { Generation } from './generation-types.js';

const reference = referenceLogits();

describe('generation on stories260K', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const prompt = tokenizer.encode(reference.prompt);

  it('greedy decoding gives the reference continuation', async () => {
    expect(prompt).toEqual(reference.prompt_ids);
    const [result] = await generate(model, tokenizer, [{ tokens: prompt }], { maxTokens: 40 });
    expect(result.tokens).toEqual(reference.greedy_new_ids);
    expect(reference.prompt + result.text).toBe(reference.greedy_text);
    expect(result.finishReason).toBe('length');
  });

  it("stops at the step after its signal aborts, with the signal's reason, and never starts once aborted", async () => {
    const controller = new AbortController();
    const deltas: string[] = [];
    const stream = generateStream(model, tokenizer, [{ tokens: prompt }], {
      maxTokens: 40,
      signal: controller.signal,
    });
    await expect(
      (async () => {
        for await (const event of stream)
          if ('delta' in event) {
            deltas.push(event.delta);
            if (deltas.length === 3) controller.abort();
          }
      })(),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(deltas).toHaveLength(3);
    // already aborted, with a reason of the caller's: nothing runs
    const timedOut = AbortSignal.abort(new Error('too slow'));
    await expect(
      generate(model, tokenizer, [{ tokens: prompt }], { maxTokens: 40, signal: timedOut }),
    ).rejects.toThrow('too slow');
  });

  it('cached generation equals recomputing the whole sequence each step', async () => {
    const [cached] = await generate(model, tokenizer, [{ tokens: prompt }], { maxTokens: 12 });
    const sequence = [...prompt];
    for (let i = 0; i < 12; i++) {
      const logits = model.forward({
        batch: 1,
        time: sequence.length,
        tokens: Int32Array.from(sequence),
        logits: 'last',
      });
      sequence.push(argmax(logits));
    }
    expect(cached.tokens).toEqual(sequence.slice(prompt.length));
  });

  it('a padded batch generates what each prompt generates alone, greedy and sampled', async () => {
    const prompts = [
      'Once upon a time',
      'Tom had a big red',
      'The sun',
      'Lily and her mom went to the park to play. They saw',
    ].map((text) => ({ tokens: tokenizer.encode(text) }));
    for (const options of [
      { maxTokens: 20 },
      { maxTokens: 20, temperature: 0.9, topK: 40, topP: 0.95, seed: 7 },
    ]) {
      const together = await generate(model, tokenizer, prompts, options);
      for (const [row, prompt] of prompts.entries()) {
        const [alone] = await generate(model, tokenizer, [prompt], options);
        expectSameGeneration(together[row], alone);
      }
    }
  });

  it('sampling is reproducible from its seed and differs across seeds', async () => {
    const options = { maxTokens: 30, temperature: 1, seed: 1 };
    const [first] = await generate(model, tokenizer, [{ tokens: prompt }], options);
    const [again] = await generate(model, tokenizer, [{ tokens: prompt }], options);
    const [other] = await generate(model, tokenizer, [{ tokens: prompt }], { ...options, seed: 2 });
    expect(again.tokens).toEqual(first.tokens);
    expect(other.tokens).not.toEqual(first.tokens);
  });

  it('a prompt given as input embeddings generates like its tokens (the soft-prompt path)', async () => {
    const C = model.config.hiddenSize;
    const embeddings = new Float32Array(prompt.length * C);
    prompt.forEach((token, t) =>
      embeddings.set((model.weights.embedding as Float32Array).subarray(token * C, (token + 1) * C), t * C),
    );
    const other = { tokens: tokenizer.encode('Tom had a big red') };
    const [fromEmbeddings, alongside] = await generate(
      model,
      tokenizer,
      [{ tokens: prompt, embeddings }, other],
      { maxTokens: 40 },
    );
    expect(fromEmbeddings.tokens).toEqual(reference.greedy_new_ids);
    expectSameGeneration(alongside, (await generate(model, tokenizer, [other], { maxTokens: 40 }))[0]);
  });

  it('no prompts, no results', async () => {
    expect(await generate(model, tokenizer, [])).toEqual([]);
  });

  it('zero new tokens finishes at once', async () => {
    expect(
      await generate(model, tokenizer, [{ tokens: prompt }, { tokens: prompt }], { maxTokens: 0 }),
    ).toEqual([
      { tokens: [], text: '', finishReason: 'length' },
      { tokens: [], text: '', finishReason: 'length' },
    ]);
  });

  it('top-k 1 is greedy whatever the temperature', async () => {
    const [sampled] = await generate(model, tokenizer, [{ tokens: prompt }], {
      maxTokens: 40,
      temperature: 1.5,
      topK: 1,
      seed: 3,
    });
    expect(sampled.tokens).toEqual(reference.greedy_new_ids);
  });

  it('a repetition penalty changes the greedy continuation', async () => {
    const [penalized] = await generate(model, tokenizer, [{ tokens: prompt }], {
      maxTokens: 40,
      repetitionPenalty: 1.5,
    });
    expect(penalized.tokens).not.toEqual(reference.greedy_new_ids);
  });

  it('stops at a stop string and leaves it out', async () => {
    const [result] = await generate(model, tokenizer, [{ tokens: prompt }], {
      maxTokens: 40,
      stop: ['Lily'],
    });
    expect(result.text).toBe(', there was a little girl named ');
    expect(result.finishReason).toBe('stop');
  });

  it('stops at an end-of-sequence token and leaves it out', async () => {
    // stories260K ends stories with BOS, not EOS; declare "." (426) the end token to exercise the rule
    const period = Object.create(tokenizer, { eosTokenIds: { value: [426] } });
    const [result] = await generate(model, period, [{ tokens: prompt }], { maxTokens: 40 });
    expect(result.finishReason).toBe('eos');
    expect(result.text).toBe(', there was a little girl named Lily');
    const [ignored] = await generate(model, period, [{ tokens: prompt }], {
      maxTokens: 40,
      stopAtEos: false,
    });
    expect(ignored.tokens).toEqual(reference.greedy_new_ids);
  });

  it('streamed deltas add up to the final text', async () => {
    let streamed = '';
    let final = '';
    for await (const event of generateStream(model, tokenizer, [{ tokens: prompt }], {
      maxTokens: 40,
      stop: ['park'],
    })) {
      if ('delta' in event) streamed += event.delta;
      else final = event.done.text;
    }
    expect(streamed).toBe(final);
    expect(final.endsWith('in the ')).toBe(true);
  });
});

/** The same tokens, text and finish; the first token's margin equal up to rounding (padding moves it). */
function expectSameGeneration(actual: Generation, expected: Generation): void {
  const { margin, ...rest } = actual;
  const { margin: expectedMargin, ...expectedRest } = expected;
  expect(rest).toEqual(expectedRest);
  expect(margin).toBeCloseTo(expectedMargin!, 4);
}
