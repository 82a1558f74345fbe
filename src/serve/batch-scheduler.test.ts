// A mixed-task batch (rows with different soft prompts, sampling settings and lengths, and a row with
// none) returns exactly the tokens each request gets when served alone.
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { generate, loadModel, seededRandom } from '../engine/index.js';
import { initSoftPrompt } from '../soft/soft-prompt.js';
import { SoftPromptSession } from '../soft/session.js';
import { BatchScheduler } from './batch-scheduler.js';

describe('BatchScheduler on stories260K', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const session = (seed: number) =>
    new SoftPromptSession(
      model,
      tokenizer,
      initSoftPrompt(model, tokenizer, 4 + seed, { kind: 'sample-vocab' }, seededRandom(seed)),
    );
  const [first, second] = [session(1), session(2)];
  const requests = [
    {
      tokens: tokenizer.encode('Tom had a red ball.', { addBos: false }),
      options: { prefix: first.prefix, maxTokens: 12 },
    },
    {
      tokens: tokenizer.encode('Once upon a time', { addBos: false }),
      options: { prefix: second.prefix, maxTokens: 9, temperature: 0.9, topK: 20, seed: 3 },
    },
    { tokens: tokenizer.encode('The cat sat on the mat and'), options: { maxTokens: 10 } },
    {
      tokens: tokenizer.encode('Lily went to the park.', { addBos: false }),
      options: { prefix: first.prefix, maxTokens: 6, stop: ['.'] },
    },
  ];

  it('returns the tokens each request gets alone, in one batch', async () => {
    const scheduler = new BatchScheduler(model, tokenizer, { maxBatch: 8 });
    const deltas: string[][] = requests.map(() => []);
    const together = await Promise.all(
      requests.map((request, i) =>
        scheduler.submit({ ...request, onDelta: (delta) => deltas[i].push(delta) }),
      ),
    );
    expect(scheduler.batchSizes).toEqual([4]);
    for (const [i, request] of requests.entries()) {
      const [alone] = await generate(model, tokenizer, [request]);
      expect(together[i].tokens).toEqual(alone.tokens);
      expect(together[i].text).toBe(alone.text);
      expect(deltas[i].join('')).toBe(alone.text);
    }
    expect(together[1].tokens).toHaveLength(9);
  });

  it('fails only the request the model refuses', async () => {
    const scheduler = new BatchScheduler(model, tokenizer, { maxBatch: 8 });
    const tooLong = { tokens: new Array(model.config.contextLength + 8).fill(5), options: { maxTokens: 4 } };
    const results = await Promise.allSettled([
      scheduler.submit(requests[0]),
      scheduler.submit(tooLong),
      scheduler.submit(requests[2]),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toContain('exceeds the context');
  });

  it('takes at most maxBatch requests per batch', async () => {
    const scheduler = new BatchScheduler(model, tokenizer, { maxBatch: 3 });
    await Promise.all([...requests, ...requests].map((request) => scheduler.submit(request)));
    expect(scheduler.batchSizes).toEqual([3, 3, 2]);
  });
});
