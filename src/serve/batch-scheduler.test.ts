// A mixed-task batch (rows with different soft prompts, sampling settings and lengths, and a row with
// none) returns exactly the tokens each request gets when served alone, also for requests that join a
// batch already decoding.
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { generate, loadModel, seededRandom } from '../engine/index.js';
import { choiceTokenConstraint } from '../guard/constrain/choice-tokens.js';
import { initLoraAdapter } from '../soft/lora-adapter.js';
import { initSoftPrompt } from '../soft/soft-prompt.js';
import { SoftPromptSession } from '../soft/session.js';
import { BatchScheduler, type ScheduledGeneration, type ScheduledRequest } from './batch-scheduler.js';

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

  const alone = async () => {
    const results = [];
    for (const request of requests) results.push((await generate(model, tokenizer, [request]))[0]);
    return results;
  };

  it('returns the tokens each request gets alone, in one batch', async () => {
    const scheduler = new BatchScheduler(model, tokenizer, { maxBatch: 8 });
    const deltas: string[][] = requests.map(() => []);
    const together = await Promise.all(
      requests.map((request, i) =>
        scheduler.submit({ ...request, onDelta: (delta) => deltas[i].push(delta) }),
      ),
    );
    expect(together.map((result) => result.batchSize)).toEqual([4, 4, 4, 4]);
    for (const [i, result] of (await alone()).entries()) {
      expect(together[i].tokens).toEqual(result.tokens);
      expect(together[i].text).toBe(result.text);
      expect(deltas[i].join('')).toBe(result.text);
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

  it('fails only the request whose own adapter overflows, the rest of its batch getting their tokens', async () => {
    const scheduler = new BatchScheduler(model, tokenizer, { maxBatch: 8 });
    // a LoRA scaled by 1e38 (finite in float32) whose products are not: the row's scores are not numbers
    const overflowing = initLoraAdapter(model, { rank: 4, alpha: 4e38 }, seededRandom(5));
    for (const layer of overflowing.layers) for (const pair of Object.values(layer)) pair?.b.fill(1);
    const broken = {
      tokens: tokenizer.encode('Tom had a red ball.'),
      options: { adapter: overflowing, maxTokens: 8 },
    };
    // a label task's row too, decided by the labels' likelihoods rather than token by token
    const labelled = {
      ...broken,
      options: { ...broken.options, constraint: choiceTokenConstraint([' boy', ' girl'], tokenizer)! },
    };
    const results = await Promise.allSettled([
      scheduler.submit(requests[0]),
      scheduler.submit(broken),
      scheduler.submit(requests[2]),
      scheduler.submit(labelled),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
    ]);
    expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'MODEL_OUTPUT_NOT_FINITE' });
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'MODEL_OUTPUT_NOT_FINITE' });
    const [first, , third] = await alone();
    expect((results[0] as PromiseFulfilledResult<ScheduledGeneration>).value.tokens).toEqual(first.tokens);
    expect((results[2] as PromiseFulfilledResult<ScheduledGeneration>).value.tokens).toEqual(third.tokens);
  });

  it('keeps at most maxBatch rows, and a request waiting for a row gets the tokens it gets alone', async () => {
    const scheduler = new BatchScheduler(model, tokenizer, { maxBatch: 3 });
    const results = await Promise.all([...requests, ...requests].map((request) => scheduler.submit(request)));
    expect(Math.max(...results.map((result) => result.batchSize))).toBe(3);
    // the first three start at once; the others wait for a row to free up
    const waits = results.map((result) => result.queueSeconds);
    expect(Math.min(...waits.slice(3))).toBeGreaterThan(Math.max(...waits.slice(0, 3)));
    const expected = await alone();
    results.forEach((result, i) => expect(result.tokens).toEqual(expected[i % requests.length].tokens));
  });

  it('lets a request join a batch that is already decoding, and leave before it', async () => {
    const scheduler = new BatchScheduler(model, tokenizer, { maxBatch: 8 });
    const long = { ...requests[2], options: { maxTokens: 40, stopAtEos: false } };
    const finished: string[] = [];
    let joined: Promise<unknown> | undefined;
    const first = scheduler.submit({
      ...long,
      // the short request arrives once the long one has produced text, i.e. while it decodes
      onDelta: () => {
        joined ??= scheduler.submit(requests[0]).then((result) => {
          finished.push('short');
          return result;
        });
      },
    });
    const longResult = await first.then((result) => {
      finished.push('long');
      return result;
    });
    const shortResult = (await joined) as Awaited<typeof first>;
    expect(finished).toEqual(['short', 'long']);
    expect(longResult.tokens).toHaveLength(40);
    expect(shortResult.batchSize).toBe(2);
    expect(longResult.batchSize).toBe(2);
    expect(shortResult.tokens).toEqual((await alone())[0].tokens);
    expect(longResult.tokens).toEqual((await generate(model, tokenizer, [long]))[0].tokens);
  });

  it('drops a request whose signal fires: from the queue at once, from the batch at its next step', async () => {
    const scheduler = new BatchScheduler(model, tokenizer, { maxBatch: 2 });
    const long = { ...requests[2], options: { maxTokens: 40, stopAtEos: false } };
    const decoding = new AbortController();
    const queued = new AbortController();
    let deltas = 0;
    const settle = (promise: Promise<unknown>) =>
      promise.then(
        () => 'finished',
        (error: Error) => error.message,
      );
    const results = Promise.all([
      settle(
        scheduler.submit({
          ...long,
          signal: decoding.signal,
          onDelta: () => {
            if (++deltas === 2) decoding.abort(new Error('gone while decoding'));
          },
        }),
      ),
      scheduler.submit(requests[0]), // decodes beside it, and must not notice
      settle(scheduler.submit({ ...requests[1], signal: queued.signal })), // waits: maxBatch is 2
    ]);
    queued.abort(new Error('gone while waiting'));
    const [first, beside, third] = await results;
    expect(first).toBe('gone while decoding');
    expect(third).toBe('gone while waiting');
    expect(deltas).toBe(2);
    expect(beside.tokens).toEqual((await alone())[0].tokens);
  });

  it('under a random stream of requests joining and leaving, each gets the tokens it gets alone', async () => {
    const random = seededRandom(42);
    const texts = ['Tom had a red ball.', 'Once upon a time', 'The cat sat on the mat and', 'Lily went'];
    const scheduler = new BatchScheduler(model, tokenizer, { maxBatch: 4 });
    const submitted: { request: ScheduledRequest; result: Promise<ScheduledGeneration> }[] = [];
    for (let i = 0; i < 16; i++) {
      const prefix = [undefined, first.prefix, second.prefix][Math.floor(random() * 3)];
      const request = {
        tokens: tokenizer.encode(texts[Math.floor(random() * texts.length)], { addBos: !prefix }),
        options: {
          prefix,
          maxTokens: 1 + Math.floor(random() * 16),
          ...(random() < 0.5 ? { temperature: 0.8, topP: 0.9, seed: i } : {}),
        },
      };
      submitted.push({ request, result: scheduler.submit(request) });
      // let a few decoding steps pass now and then, so later requests join a batch under way
      if (random() < 0.4) await new Promise((resolve) => setTimeout(resolve, 1 + random() * 5));
    }
    for (const { request, result } of submitted) {
      const [alone] = await generate(model, tokenizer, [request]);
      expect((await result).tokens).toEqual(alone.tokens);
    }
  });
});
