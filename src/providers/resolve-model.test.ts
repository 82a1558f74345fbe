// Model strings resolved without a call: the server an openai-compatible model names is part of it (two
// servers of one model name answer apart), and a base URL without its scheme is refused with a code.
import { describe, expect, it } from 'vitest';
import { resolveModel } from './resolve-model.js';

describe('resolveModel', () => {
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

  it('refuses a base URL without its scheme', async () => {
    await expect(resolveModel('openai-compatible:127.0.0.1:8090#stories')).rejects.toMatchObject({
      code: 'MODEL_UNKNOWN',
      message: expect.stringContaining('127.0.0.1:8090 is not an http(s) URL'),
    });
  });
});
