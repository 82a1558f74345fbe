// The local engine's AI SDK model (LocalLanguageModel on stories260K, in this process) passes the
// shared LanguageModelV3 conformance suite; its stream drops what a generation sends after the reader cancelled.
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { languageModelConformance } from './language-model.case.js';
import { textPartStream } from './local-language-model.js';
import { resolveModel } from './resolve-model.js';

languageModelConformance('local engine (stories260K)', async () => ({
  model: (await resolveModel(`local:${stories.gguf}`)).model,
}));

describe('textPartStream', () => {
  it('drops the parts of a generation that arrive after its reader cancelled, instead of throwing', async () => {
    let push!: (delta: string) => void;
    let finish!: () => void;
    const stream = textPartStream(
      (onDelta) =>
        new Promise((resolve) => {
          push = onDelta;
          finish = () => resolve({ finishReason: 'stop', inputTokens: 1, outputTokens: 2 });
        }),
    );
    const reader = stream.getReader();
    expect((await reader.read()).value).toMatchObject({ type: 'stream-start' });
    expect((await reader.read()).value).toMatchObject({ type: 'text-start' });
    push('a');
    expect((await reader.read()).value).toMatchObject({ type: 'text-delta', delta: 'a' });
    await reader.cancel(); // a guard stopped the stream, or its client left
    expect(() => push('b')).not.toThrow();
    expect(() => finish()).not.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
});
