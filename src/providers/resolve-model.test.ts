// Model strings resolved without a call: the server an openai-compatible model names is part of it (two
// servers of one model name answer apart, each with its own key when one is set), and a base URL
// without its scheme is refused with a code.
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { generateText } from 'ai';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { bareModelName, compatibleKeyVariables, resolveModel } from './resolve-model.js';

describe('resolveModel', () => {
  it('names a bare AI SDK model as its model strings are written, not by its provider id', async () => {
    const openai = createOpenAI({ apiKey: 'k' });
    expect(openai('gpt-4o-mini').provider).toBe('openai.responses');
    expect(bareModelName(openai('gpt-4o-mini'))).toBe('openai:gpt-4o-mini');
    expect(bareModelName(openai.chat('gpt-4o-mini'))).toBe('openai:gpt-4o-mini');
    expect(bareModelName(createAnthropic({ apiKey: 'k' })('claude-haiku-4-5'))).toBe(
      'anthropic:claude-haiku-4-5',
    );
    const resolved = await resolveModel('ollama:llama3', { environment: {} });
    expect(bareModelName(resolved.model)).toBe(resolved.name);
  });

  it("keeps an openai-compatible model's base URL as its endpoint, and a set Ollama server's", async () => {
    const environment = { OPENAI_COMPATIBLE_API_KEY: 'k' };
    const first = await resolveModel('openai-compatible:http://127.0.0.1:8090/v1#stories', { environment });
    const second = await resolveModel('openai-compatible:http://10.0.0.2:9999/v1#stories', { environment });
    expect([first.modelId, second.modelId]).toEqual(['stories', 'stories']);
    expect([first.endpoint, second.endpoint]).toEqual([
      'http://127.0.0.1:8090/v1',
      'http://10.0.0.2:9999/v1',
    ]);
    expect((await resolveModel('ollama:llama3', { environment: {} })).endpoint).toBeUndefined();
    expect(
      (await resolveModel('ollama:llama3', { environment: { OLLAMA_BASE_URL: 'http://gpu:11434/api' } }))
        .endpoint,
    ).toBe('http://gpu:11434/api');
  });

  it("reads an openai-compatible server's own key before the shared one", async () => {
    expect(compatibleKeyVariables('https://api.together.xyz/v1')).toEqual([
      'OPENAI_COMPATIBLE_API_KEY_API_TOGETHER_XYZ',
      'OPENAI_COMPATIBLE_API_KEY',
    ]);
    expect(compatibleKeyVariables('http://[::1]:8090/v1')).toEqual([
      'OPENAI_COMPATIBLE_API_KEY_1_8090',
      'OPENAI_COMPATIBLE_API_KEY_1',
      'OPENAI_COMPATIBLE_API_KEY',
    ]);
    // two servers: each answers only its own key (what the AI SDK provider really sends)
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers.authorization ?? '');
      request.resume();
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          id: 'chat-1',
          object: 'chat.completion',
          created: 0,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const environment = {
        OPENAI_COMPATIBLE_API_KEY: 'shared',
        [`OPENAI_COMPATIBLE_API_KEY_127_0_0_1_${port}`]: 'this-port',
        OPENAI_COMPATIBLE_API_KEY_LOCALHOST: 'this-host',
      };
      for (const base of [`http://127.0.0.1:${port}/v1`, `http://localhost:${port}/v1`]) {
        const { model } = await resolveModel(`openai-compatible:${base}#m`, { environment });
        expect((await generateText({ model, prompt: 'hi' })).text).toBe('ok');
      }
      const { model } = await resolveModel(`openai-compatible:http://127.0.0.1:${port}/v1#m`, {
        environment: { OPENAI_COMPATIBLE_API_KEY: 'shared', OPENAI_COMPATIBLE_API_KEY_127_0_0_1: '' },
      });
      await generateText({ model, prompt: 'hi' });
      expect(seen).toEqual(['Bearer this-port', 'Bearer this-host', 'Bearer shared']);
    } finally {
      server.close();
    }
  });

  it('tells a model file written without local: to write it with', async () => {
    const path = fileURLToPath(import.meta.url); // any file that exists
    await expect(resolveModel(path)).rejects.toMatchObject({
      code: 'MODEL_UNKNOWN',
      hint: `Write local:${path} for a model file or folder on this machine.`,
    });
    await expect(resolveModel('nothing-here.gguf')).rejects.toMatchObject({
      hint: expect.stringContaining('Write a model as one of'),
    });
  });

  it('refuses a base URL without its scheme', async () => {
    await expect(resolveModel('openai-compatible:127.0.0.1:8090#stories')).rejects.toMatchObject({
      code: 'MODEL_UNKNOWN',
      message: expect.stringContaining('127.0.0.1:8090 is not an http(s) URL'),
    });
  });
});
