// The engine worker drops a request whose caller aborts: the call fails at once, and its row leaves
// the batch at the next step, so the next request decodes alone instead of beside it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { EngineClient } from './engine-client.js';

let engine: EngineClient;
beforeAll(async () => {
  engine = await EngineClient.start(stories.gguf);
}, 60_000);
afterAll(async () => {
  await engine?.close();
});

const prompt = (text: string) => [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }];

describe('EngineClient', () => {
  it('cancels an aborted request in the worker, freeing its row', async () => {
    const controller = new AbortController();
    let deltas = 0;
    const aborted = engine
      .generate(
        { prompt: prompt('Once upon a time'), raw: true, options: { maxTokens: 200, temperature: 0 } },
        () => {
          if (++deltas === 1) controller.abort(new Error('client went away'));
        },
        controller.signal,
      )
      .then(
        () => 'finished',
        (error: Error) => error.message,
      );
    expect(await aborted).toBe('client went away');
    const next = await engine.generate({
      prompt: prompt('Tom had a red ball.'),
      raw: true,
      options: { maxTokens: 8, temperature: 0 },
    });
    expect(next.batchSize).toBe(1); // the aborted request no longer decodes
    expect(next.outputTokens).toBeGreaterThan(0);
    expect(deltas).toBeLessThan(5); // no more text reached the aborted caller
  });

  it('refuses a request whose signal has already fired, without sending it', async () => {
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(
      engine.generate(
        { prompt: prompt('x'), raw: true, options: { maxTokens: 4 } },
        undefined,
        controller.signal,
      ),
    ).rejects.toThrow('too late');
  });
});
