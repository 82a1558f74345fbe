// PrefixCache on stories260K: a prompt continued from a cached prefix gets the tokens of a full
// prefill; a prompt that shares only part of a kept prefix reuses that part; short prompts are left
// alone; past the byte budget the least recently used prefix goes.
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { generate } from './generate.js';
import { loadModel } from './load-model.js';
import { PrefixCache } from './prefix-cache.js';

describe('PrefixCache on stories260K', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const story =
    'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. One day, she saw a big red ball under a tree.';
  const first = tokenizer.encode(`${story} Lily ran to the ball and`);
  const second = tokenizer.encode(`${story} Her friend Tom said`);
  const greedy = async (tokens: number[], prefix?: ReturnType<PrefixCache['prefixFor']>) =>
    (
      await generate(
        model,
        tokenizer,
        [prefix ? { tokens: prefix.rest, options: { prefix: prefix.prefix } } : { tokens, options: {} }],
        { maxTokens: 24, temperature: 0 },
      )
    )[0].tokens;

  it('continues a prompt from its cached prefix with the tokens of a full prefill', async () => {
    const cache = new PrefixCache(model, { blockTokens: 16 });
    const computed = cache.prefixFor(first)!;
    expect(computed.length).toBe(Math.floor((first.length - 1) / 16) * 16);
    expect(computed.rest).toEqual(first.slice(computed.length));
    expect(await greedy(first, computed)).toEqual(await greedy(first));
    // the same prompt again: the same prefix, nothing new kept
    const size = cache.size;
    expect(cache.prefixFor(first)!.prefix).toBe(computed.prefix);
    expect(cache.size).toBe(size);
  });

  it('reuses the shared part of a kept prefix for a prompt that goes on differently', async () => {
    const cache = new PrefixCache(model, { blockTokens: 16 });
    cache.prefixFor(first);
    const size = cache.size;
    let shared = 0;
    while (first[shared] === second[shared]) shared++;
    const hit = cache.prefixFor(second)!;
    expect(hit.length).toBe(Math.floor(shared / 16) * 16);
    expect(hit.prefix.lengths[0]).toBe(hit.length);
    expect(cache.size).toBe(size); // a view of the kept prefix, not a copy
    expect(await greedy(second, hit)).toEqual(await greedy(second));
  });

  it('leaves prompts of one block or less alone, and drops the least recently used past its budget', () => {
    const cache = new PrefixCache(model, { blockTokens: 16, maxBytes: 1 });
    expect(cache.prefixFor(first.slice(0, 16))).toBeUndefined();
    expect(cache.prefixFor(new Array(model.config.contextLength + 1).fill(5))).toBeUndefined();
    const kept = cache.prefixFor(first)!;
    cache.prefixFor(
      tokenizer.encode('Tom and his dog went to the big green park to play with a ball all day long.'),
    );
    expect(cache.prefixFor(first)!.prefix).not.toBe(kept.prefix); // evicted, computed again
  });
});
