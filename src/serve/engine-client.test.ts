// The engine worker drops a request whose caller aborts: the call fails at once, and its row leaves
// the batch at the next step, so the next request decodes alone instead of beside it. It reuses the
// computed prefix of a prompt that starts like an earlier one, with the same text as without, and it
// starts a worker that died again. Errors keep their kind across the worker boundary.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot, sharedModels, stories } from '../../test/models.js';
import { evaluate, ResponseCache } from '../eval/index.js';
import { loadSplit, loadTask } from '../tasks/index.js';
import { adapterSource } from './adapter-source.js';
import { EngineError, UnavailableError, ValidationError } from '../errors/index.js';
import { EngineClient, type AdapterFiles, type SoftPromptSource } from './engine-client.js';
import { statusOf } from './errors.js';

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
        () => undefined,
        (error: unknown) => error,
      );
    // an AbortError with the signal's reason, and what the generation had spent by its last delta
    const error = (await aborted) as { name: string; message: string; usage: Record<string, number> };
    expect(error).toMatchObject({ name: 'AbortError', message: 'client went away' });
    expect(error.usage.inputTokens).toBeGreaterThan(2);
    expect(error.usage.outputTokens).toBeGreaterThanOrEqual(1);
    const next = await engine.generate({
      prompt: prompt('Tom had a red ball.'),
      raw: true,
      options: { maxTokens: 8, temperature: 0 },
    });
    expect(next.batchSize).toBe(1); // the aborted request no longer decodes
    expect(next.outputTokens).toBeGreaterThan(0);
    expect(deltas).toBeLessThan(5); // no more text reached the aborted caller
  });

  it('reuses the prefix of a prompt it has seen, reporting the cached tokens, with the same text', async () => {
    const story =
      'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. One day, she saw a big red ball under a tree.';
    const ask = (client: EngineClient, ending: string) =>
      client.generate({
        prompt: prompt(`${story} ${ending}`),
        raw: true,
        options: { maxTokens: 16, temperature: 0 },
      });
    const first = await ask(engine, 'Lily ran to the ball and');
    const second = await ask(engine, 'Her friend Tom said');
    expect(first.cachedTokens).toBe(0); // computed on the way and kept, not read from the cache
    expect(second.cachedTokens).toBe(32); // the story's first whole blocks
    // what is kept, as the worker last said (the story's prefix, and any an earlier test left)
    const kept = engine.prefixes;
    expect(kept).toMatchObject({ limit: 256 * 1024 * 1024, evicted: 0 });
    expect(kept.prefixes).toBeGreaterThanOrEqual(1);
    expect(kept.bytes).toBeGreaterThan(0);
    const uncached = await EngineClient.start(stories.gguf, { prefixCacheBytes: 0 });
    // a budget below one prefix keeps the latest alone
    const tight = await EngineClient.start(stories.gguf, { prefixCacheBytes: 1 });
    try {
      const plain = await ask(uncached, 'Her friend Tom said');
      expect(plain.cachedTokens).toBe(0);
      expect(second.text).toBe(plain.text);
      expect(second.inputTokens).toBe(plain.inputTokens);
      expect(uncached.prefixes).toEqual({ bytes: 0, limit: 0, prefixes: 0, evicted: 0 });
      await ask(tight, 'Lily ran to the ball and');
      const one = tight.prefixes;
      await tight.generate({ prompt: prompt(`Tom and Sue ${story}`), raw: true, options: { maxTokens: 1 } });
      expect(tight.prefixes).toMatchObject({ limit: 1, prefixes: 1, evicted: 1 });
      expect(one).toMatchObject({ prefixes: 1, evicted: 0 });
    } finally {
      await uncached.close();
      await tight.close();
    }
  });

  it('restarts a worker that dies: requests fail with a 503 to retry instead of hanging, then work again', async () => {
    // on the JS kernels: a thread killed while OpenMP's threads spin takes the whole process down (the
    // worker's own close waits for them), and this test kills it mid-request
    const native = process.env.PROMPTUNE_NATIVE_ADDON;
    process.env.PROMPTUNE_NATIVE_ADDON = join(tmpdir(), 'no-addon-here.node');
    const supervised = await EngineClient.start(stories.gguf, { restartDelayMs: 50 }).finally(() => {
      if (native === undefined) delete process.env.PROMPTUNE_NATIVE_ADDON;
      else process.env.PROMPTUNE_NATIVE_ADDON = native;
    });
    try {
      const request = {
        prompt: prompt('Once upon a time'),
        raw: true,
        options: { maxTokens: 200, temperature: 0 },
      };
      const inFlight = supervised.generate(request).then(
        () => 'finished',
        (error: unknown) => `${statusOf(error)} ${(error as { code?: string }).code}`,
      );
      // the worker dies (an out-of-memory kill, a native crash)
      await (supervised as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      expect(await inFlight).toBe('503 ENGINE_RESTARTING');
      expect(supervised.ready).toBe(false);
      await expect(supervised.generate(request)).rejects.toMatchObject({ code: 'ENGINE_RESTARTING' });
      while (!supervised.ready) await new Promise((resolve) => setTimeout(resolve, 20));
      const again = await supervised.generate({ ...request, options: { maxTokens: 4, temperature: 0 } });
      expect(again.outputTokens).toBe(4);
    } finally {
      await supervised.close();
    }
  });

  it('keeps an error’s kind across the worker: a context overflow is bad input, a fault is the engine’s', async () => {
    const overflow = await engine
      .generate({
        prompt: prompt('Once upon a time '.repeat(200)), // 802 tokens: with 2000 more, past the 2048 context
        raw: true,
        options: { maxTokens: 2000 },
      })
      .catch((error: unknown) => error);
    expect(ValidationError.isInstance(overflow)).toBe(true);
    expect([statusOf(overflow), (overflow as ValidationError).code]).toEqual([400, 'CONTEXT_OVERFLOW']);
    // a megabyte of text is refused from its length (far past what 2048 tokens can hold), not tokenized
    const huge = await engine
      .generate({ prompt: prompt('Once upon a time '.repeat(60_000)), raw: true, options: { maxTokens: 8 } })
      .catch((error: unknown) => error);
    expect((huge as ValidationError).code).toBe('CONTEXT_OVERFLOW');
    expect((huge as Error).message).toBe(
      "the prompt has 1020000 characters: more tokens than the model's context of 2048 can hold",
    );
    // a prompt the worker cannot read (no content array) throws a TypeError inside the worker: a fault
    const fault = await engine
      .generate({
        prompt: [{ role: 'user', content: null }] as never,
        raw: true,
        options: { maxTokens: 8 },
      })
      .catch((error: unknown) => error);
    expect(EngineError.isInstance(fault)).toBe(true);
    expect([statusOf(fault), (fault as EngineError).code]).toEqual([500, 'ENGINE_FAILED']);
    // the worker's stack travels as the cause, for the service log
    expect(((fault as EngineError).cause as Error).stack).toMatch(/TypeError[\s\S]*engine-worker/);
    // and the worker still serves
    const after = await engine.generate({ prompt: prompt('Tom'), raw: true, options: { maxTokens: 2 } });
    expect(after.outputTokens).toBe(2);
  });

  it("names a soft prompt's model apart from the base model's, so one response cache keeps their answers apart", async () => {
    const folder = join(sharedModels, 'stories260K-hf', 'peft-prompt-tuning-example');
    const plain = engine.languageModel();
    const soft = engine.languageModel(adapterSource(folder));
    expect(plain.modelId).toBe('stories260K.gguf');
    expect(soft.modelId).toMatch(/^stories260K\.gguf\+adapter-[0-9a-f]{16}$/);
    expect(engine.languageModel(adapterSource(folder, 'name@v2')).modelId).toBe('stories260K.gguf+name@v2');
    // one cache, the base model evaluated first: the soft prompt's run makes its own calls
    const cache = new ResponseCache(':memory:');
    const task = loadTask(join(repositoryRoot, 'examples', 'name.yaml'));
    const examples = loadSplit(task, 'dev').slice(0, 4);
    const run = (model: typeof plain) =>
      evaluate({
        task,
        split: 'dev',
        examples,
        model,
        cache,
        stateDirectory: mkdtempSync(join(tmpdir(), 'pt-')),
      });
    expect((await run(plain)).calls).toBe(4);
    const second = await run(soft);
    expect([second.calls, second.cacheHits]).toEqual([4, 0]);
    cache.close();
  });

  it('keeps at most maxAdapters versions loaded, evicting the least recently used, and says what they hold', async () => {
    await expect(EngineClient.start(stories.gguf, { maxAdapters: 0 })).rejects.toMatchObject({
      code: 'ENGINE_BAD_OPTION',
    });
    const folder = join(sharedModels, 'stories260K-hf', 'peft-prompt-tuning-example');
    const single = await EngineClient.start(stories.gguf, { maxAdapters: 1 });
    try {
      expect(single.adapters).toEqual({ loaded: 0, limit: 1, bytes: 0, evicted: 0 });
      const ask = (key: string) =>
        single.generate({
          prompt: prompt('Once upon a time'),
          softPrompt: adapterSource(folder, key),
          raw: true,
          options: { maxTokens: 2 },
        });
      await ask('first');
      const one = single.adapters;
      // 16 virtual tokens of 64 floats, and the KV prefix the session computed for them
      expect(one).toMatchObject({ loaded: 1, limit: 1, evicted: 0 });
      expect(one.bytes).toBeGreaterThan(16 * 64 * 4);
      await ask('second');
      expect(single.adapters).toEqual({ loaded: 1, limit: 1, bytes: one.bytes, evicted: 1 });
      await ask('first'); // evicted, loaded again from its files
      expect(single.adapters).toMatchObject({ loaded: 1, evicted: 2 });
    } finally {
      await single.close();
    }
  });

  it("reads an adapter's files once, for the first of concurrent requests, then serves it from the worker's disk even when they cannot be read", async () => {
    const folder = join(sharedModels, 'stories260K-hf', 'peft-prompt-tuning-example');
    const files = adapterSource(folder).files as AdapterFiles;
    const request = { prompt: prompt('Once upon a time'), raw: true, options: { maxTokens: 3 } };
    const alone = await engine.generate({ ...request, softPrompt: adapterSource(folder) });
    const adapterDirectory = mkdtempSync(join(tmpdir(), 'pt-adapters-'));
    let reads = 0;
    const readable = (key: string): SoftPromptSource => ({
      key,
      files: async () => {
        reads++;
        await new Promise((resolve) => setTimeout(resolve, 30));
        return files;
      },
    });
    const away = new UnavailableError('the registry is away', { code: 'REGISTRY_UNAVAILABLE' });
    const unreadable = (key: string): SoftPromptSource => ({ key, files: () => Promise.reject(away) });
    const client = await EngineClient.start(stories.gguf, { adapterDirectory, maxAdapters: 1 });
    try {
      const three = await Promise.all(
        [1, 2, 3].map(() => client.generate({ ...request, softPrompt: readable('a') })),
      );
      expect(three.map((answer) => answer.text)).toEqual([alone.text, alone.text, alone.text]);
      expect(reads).toBe(1);
      await client.generate({ ...request, softPrompt: readable('b') }); // evicts a
      const again = await client.generate({ ...request, softPrompt: readable('a') }); // from the worker's disk
      expect([again.text, reads, client.adapters.evicted]).toEqual([alone.text, 2, 2]);
      // b's folder removed while evicted (a cleaner of temporary files, another service's pruning): its
      // next request is sent its files again, not failed
      rmSync(join(adapterDirectory, 'b'), { recursive: true });
      const resent = await client.generate({ ...request, softPrompt: readable('b') });
      expect([resent.text, reads]).toEqual([alone.text, 3]);
    } finally {
      await client.close();
    }
    // a service started again while the registry is away: what the worker's disk holds is served, the
    // rest fails with the read's failure, and is read again on the next request
    const restarted = await EngineClient.start(stories.gguf, { adapterDirectory });
    try {
      const served = await restarted.generate({ ...request, softPrompt: unreadable('a') });
      expect(served.text).toBe(alone.text);
      await expect(restarted.generate({ ...request, softPrompt: unreadable('c') })).rejects.toBe(away);
      const later = await restarted.generate({ ...request, softPrompt: readable('c') });
      expect([later.text, reads]).toEqual([alone.text, 4]);
    } finally {
      await restarted.close();
    }
  });

  it("lets requests waiting on a stalled read of an adapter's files leave when their clients do, the read going on for the rest", async () => {
    const folder = join(sharedModels, 'stories260K-hf', 'peft-prompt-tuning-example');
    const files = adapterSource(folder).files as AdapterFiles;
    const request = { prompt: prompt('Once upon a time'), raw: true, options: { maxTokens: 3 } };
    const alone = await engine.generate({ ...request, softPrompt: adapterSource(folder) });
    let reads = 0;
    let finishRead!: () => void;
    const stalled: SoftPromptSource = {
      key: 'stalled',
      files: () => {
        reads++;
        return new Promise((resolve) => (finishRead = () => resolve(files)));
      },
    };
    const first = new AbortController();
    const second = new AbortController();
    const reading = engine.generate({ ...request, softPrompt: stalled }, undefined, first.signal);
    const waiting = engine.generate({ ...request, softPrompt: stalled }, undefined, second.signal);
    const staying = engine.generate({ ...request, softPrompt: stalled });
    second.abort(new Error('the second client left'));
    await expect(waiting).rejects.toThrow('the second client left');
    first.abort(new Error('the first client left'));
    await expect(reading).rejects.toMatchObject({ name: 'AbortError', message: 'the first client left' });
    finishRead();
    expect((await staying).text).toBe(alone.text);
    const later = await engine.generate({ ...request, softPrompt: stalled });
    expect([later.text, reads]).toEqual([alone.text, 1]);
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
