// The OpenAI-compatible routes with the official `openai` client on 127.0.0.1: chat and text
// completions, streamed and not, over the local engine; errors in OpenAI's error shape.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceLogits, stories } from '../../test/models.js';
import { resolveModel } from '../providers/index.js';
import { listen, type RunningServer } from './listen.js';
import { openAiRoutes } from './openai-routes.js';

const reference = referenceLogits();
const continuation = reference.greedy_text.slice(reference.prompt.length);
let server: RunningServer;
let client: OpenAI;

beforeAll(async () => {
  const { model } = await resolveModel(`local:${stories.gguf}`);
  server = await listen(openAiRoutes({ stories260K: model }));
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(() => server?.close());

describe('OpenAI-compatible routes', () => {
  it('chat completions, plain and streamed', async () => {
    const request = {
      model: 'stories260K',
      messages: [{ role: 'user' as const, content: reference.prompt }],
      max_tokens: 40,
      temperature: 0,
    };
    const plain = await client.chat.completions.create(request);
    expect(plain.choices[0].message.content).toBe(continuation);
    expect(plain.choices[0].finish_reason).toBe('length');
    expect(plain.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 40 });
    expect(plain.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    const roles: (string | undefined)[] = [];
    for await (const chunk of stream) {
      if (chunk.usage)
        usage = chunk.usage; // the last chunk: no choices, the usage
      else {
        roles.push(chunk.choices[0].delta.role);
        text += chunk.choices[0].delta.content ?? '';
        finish = chunk.choices[0].finish_reason ?? finish;
      }
    }
    expect(text).toBe(continuation);
    // the first chunk says who speaks, as OpenAI's does; the others do not repeat it
    expect(roles[0]).toBe('assistant');
    expect(roles.slice(1).every((role) => role === undefined)).toBe(true);
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 40, total_tokens: 45 });
  });

  it('text completions continue the raw prompt', async () => {
    const result = await client.completions.create({
      model: 'stories260K',
      prompt: reference.prompt,
      max_tokens: 40,
      temperature: 0,
      stop: ['.'],
    });
    expect(result.choices[0].text).toBe(', there was a little girl named Lily');
    expect(result.choices[0].finish_reason).toBe('stop');
    // a list of one prompt, as LangChain's OpenAI LLM sends even one: the same answer
    const listed = await client.completions.create({
      model: 'stories260K',
      prompt: [reference.prompt],
      max_tokens: 40,
      temperature: 0,
      stop: ['.'],
    });
    expect(listed.choices.map((choice) => choice.text)).toEqual([', there was a little girl named Lily']);
  });

  it('samples from the top_k likeliest tokens: top_k 1 at a high temperature is the greedy text', async () => {
    const sampled = {
      model: 'stories260K',
      prompt: reference.prompt,
      max_tokens: 40,
      temperature: 1.5,
      seed: 7,
    };
    const wild = await client.completions.create(sampled);
    expect(wild.choices[0].text).not.toBe(continuation);
    // top_k is not in OpenAI's types; vLLM and Ollama take it, and the engine samples with it
    const narrowed = await client.completions.create({ ...sampled, top_k: 1 } as typeof sampled);
    expect(narrowed.choices[0].text).toBe(continuation);
  });

  it('lists models and answers errors in OpenAI’s shape', async () => {
    expect((await client.models.list()).data.map((model) => model.id)).toEqual(['stories260K']);
    const missing = await client.chat.completions
      .create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('MODEL_NOT_FOUND');
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'INVALID_JSON' },
    });
  });
});
