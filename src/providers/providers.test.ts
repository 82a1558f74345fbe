// The local engine is a real AI SDK model: generateText and streamText from `ai` run on it and give
// the engine's own greedy continuation of stories260K; a repeated prompt start reuses its prefix.
import { generateText, streamText } from 'ai';
import { describe, expect, it } from 'vitest';
import { referenceLogits, stories } from '../../test/models.js';
import { createLocalProvider } from './local-provider.js';
import { keepAliveFetch } from './keep-alive-fetch.js';
import { resolveModel } from './resolve-model.js';

const reference = referenceLogits();
const continuation = reference.greedy_text.slice(reference.prompt.length);

describe('the local engine as an AI SDK language model', () => {
  it('works with generateText', async () => {
    const { model } = await resolveModel(`local:${stories.gguf}`);
    const result = await generateText({
      model,
      prompt: reference.prompt,
      temperature: 0,
      maxOutputTokens: 40,
    });
    expect(result.text).toBe(continuation);
    expect(result.usage.inputTokens).toBe(reference.prompt_ids.length);
    expect(result.usage.outputTokens).toBe(40);
    expect(result.finishReason).toBe('length');
  });

  it('works with streamText, in several deltas', async () => {
    const { model } = await resolveModel(`local:${stories.llama2c}`);
    const stream = streamText({ model, prompt: reference.prompt, temperature: 0, maxOutputTokens: 40 });
    const deltas: string[] = [];
    for await (const delta of stream.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe(continuation);
    expect(deltas.length).toBeGreaterThan(10);
  });

  it('is also an AI SDK provider that loads its model on first use', async () => {
    const local = createLocalProvider();
    const model = local(stories.huggingFace);
    expect(model).toBe(local.languageModel(stories.huggingFace));
    const result = await generateText({
      model,
      prompt: reference.prompt,
      temperature: 0,
      maxOutputTokens: 40,
    });
    expect(result.text).toBe(continuation);
    expect(() => local.embeddingModel('x')).toThrow(/language models only/);
    await expect(generateText({ model: local('/no/such/model.gguf'), prompt: 'x' })).rejects.toThrow(
      /does not exist/,
    );
  });

  it('stops at stop sequences', async () => {
    const { model } = await resolveModel(`local:${stories.gguf}`);
    const result = await generateText({
      model,
      prompt: reference.prompt,
      temperature: 0,
      maxOutputTokens: 40,
      stopSequences: ['.'],
    });
    expect(result.text).toBe(', there was a little girl named Lily');
    expect(result.finishReason).toBe('stop');
  });

  it('reuses the prefix a later prompt shares with an earlier one, and reports the cached tokens', async () => {
    const { model } = await resolveModel(`local:${stories.gguf}`);
    const story =
      'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. One day, she saw a big red ball under a tree.';
    const ask = (ending: string) =>
      generateText({ model, prompt: `${story} ${ending}`, temperature: 0, maxOutputTokens: 12 });
    expect((await ask('Lily ran to the ball and')).usage.inputTokenDetails.cacheReadTokens).toBe(0);
    const again = await ask('Lily ran to the ball and');
    expect(again.usage.inputTokenDetails.cacheReadTokens).toBeGreaterThan(0);
    expect(again.text).toBe((await ask('Lily ran to the ball and')).text);
  });
});

describe('keepAliveFetch', () => {
  it('fails as fetch does: a TypeError whose cause is the network error, which the AI SDK can read', async () => {
    const error = (await keepAliveFetch('http://127.0.0.1:9/v1/chat/completions').catch(
      (caught: unknown) => caught,
    )) as TypeError & { cause: { code: string } };
    expect(error).toBeInstanceOf(TypeError);
    expect([error.message, error.cause.code]).toEqual(['fetch failed', 'ECONNREFUSED']);
    const aborted = new AbortController();
    aborted.abort(new Error('stopped'));
    await expect(keepAliveFetch('http://127.0.0.1:9/', { signal: aborted.signal })).rejects.toThrow(
      'stopped',
    );
  });
});
