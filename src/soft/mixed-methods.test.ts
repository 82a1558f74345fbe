// One batch, many methods: rows with a soft prompt, two different LoRA adapters, a LoRA adapter with a
// soft prompt, two key/value prefixes and the frozen model share each forward pass, and every row gets
// exactly the tokens it gets when generated alone (greedy and sampled). Also: the batched low-rank product
// of a row equals the adapter merged into the weights (W + scale B A), and a prefix row equals attending
// over a KV cache that holds the prefix as its past, so nothing leaks between rows.
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, stories } from '../../test/models.js';
import {
  continuationLikelihoods,
  generate,
  loadModel,
  seededRandom,
  tokenEmbeddingRow,
  type LowRankAdapter,
  type TokenConstraint,
} from '../engine/index.js';
import { initLoraAdapter } from './lora-adapter.js';
import { noPrompt } from './lora-training.js';
import { initPrefix, prefixPlaceholders } from './prefix-adapter.js';
import { SoftPromptSession } from './session.js';
import { initSoftPrompt } from './soft-prompt.js';

describe('mixed batches of soft prompts, prefixes and LoRA adapters', async () => {
  const { model, tokenizer } = await loadModel(stories.huggingFace);
  /** A LoRA adapter with random B too (a fresh one starts at B = 0 and changes nothing). */
  const randomAdapter = (seed: number, rank: number): LowRankAdapter => {
    const random = seededRandom(seed);
    const adapter = initLoraAdapter(model, { rank }, random);
    for (const layer of adapter.layers)
      for (const pair of Object.values(layer))
        for (let i = 0; i < pair.b.length; i++) pair.b[i] = (random() - 0.5) * 0.4;
    return adapter;
  };
  const first = randomAdapter(1, 4);
  const second = randomAdapter(2, 8);
  const prompt = initSoftPrompt(model, tokenizer, 8, { kind: 'sample-vocab' }, seededRandom(3));
  const randomPrefix = initPrefix(model, tokenizer, 6, { kind: 'normal' }, seededRandom(4));
  const textPrefix = initPrefix(
    model,
    tokenizer,
    5,
    { kind: 'text', text: 'The cat sat on the mat.' },
    seededRandom(5),
  );
  const prefixSession = (prefix: typeof randomPrefix) =>
    new SoftPromptSession(model, tokenizer, prefixPlaceholders(model, prefix), prefix);
  const sessions = [
    new SoftPromptSession(model, tokenizer, prompt),
    new SoftPromptSession(model, tokenizer, noPrompt(model), first),
    new SoftPromptSession(model, tokenizer, noPrompt(model), second),
    new SoftPromptSession(model, tokenizer, prompt, second),
    new SoftPromptSession(model, tokenizer, noPrompt(model)),
    prefixSession(randomPrefix),
    prefixSession(textPrefix),
  ];
  const texts = [
    'Tom had a red ball.',
    'Lily saw a cat',
    'Once upon a time',
    'The dog ran',
    'Sue',
    'A bird',
    'Max and Mia',
  ];

  it.each([
    ['greedy', { temperature: 0 }],
    ['sampled', { temperature: 0.9, seed: 7 }],
  ])('gives each row its own tokens (%s)', async (_, sampling) => {
    const options = { maxTokens: 16, stopAtEos: false, ...sampling };
    const requests = texts.map((text, i) => ({
      tokens: tokenizer.encode(text, { addBos: false }),
      options: { ...options, prefix: sessions[i].prefix, adapter: sessions[i].adapter },
    }));
    const together = await generate(model, tokenizer, requests);
    const alone = await Promise.all(requests.map((request) => generate(model, tokenizer, [request])));
    together.forEach((generation, i) => expect(generation.tokens).toEqual(alone[i][0].tokens));
    // and the methods differ: the adapters change what the model says
    const outputs = new Set(together.map((generation) => generation.tokens.join()));
    expect(outputs.size).toBe(texts.length);
    const plain = await generate(model, tokenizer, [
      { ...requests[1], options: { ...options, prefix: sessions[4].prefix } },
    ]);
    expect(plain[0].tokens).not.toEqual(together[1].tokens);
  });

  it('chooses among a label set with the adapter too', async () => {
    const labels = [' cat', ' ball', ' dog', ' tree', ' girl'].map((label) =>
      tokenizer.encode(label, { addBos: false }),
    );
    // a label set is chosen by likelihood, never decoded token by token
    const constraint = {
      sequences: labels,
      start: () => {
        throw new Error('decoded token by token');
      },
    } as unknown as TokenConstraint;
    const session = sessions[1];
    let differs = 0;
    for (const text of ['Tom had a', 'Lily saw a big', 'The dog ran to the', 'Once upon a time, a']) {
      const tokens = tokenizer.encode(text, { addBos: false });
      const [chosen] = await generate(model, tokenizer, [
        { tokens, options: { prefix: session.prefix, adapter: first, constraint, temperature: 0 } },
      ]);
      const scores = continuationLikelihoods(model, tokens, labels, session.prefix, first);
      expect(chosen.tokens).toEqual(labels[scores.indexOf(Math.max(...scores))]);
      const frozen = continuationLikelihoods(model, tokens, labels, sessions[4].prefix);
      if (frozen.indexOf(Math.max(...frozen)) !== scores.indexOf(Math.max(...scores))) differs++;
    }
    expect(differs).toBeGreaterThan(0); // the adapter changes which label wins
  });

  it('runs a LoRA adapter alone on a model without BOS (no prefix at all)', async () => {
    const withoutBos = Object.create(tokenizer) as typeof tokenizer;
    Object.defineProperty(withoutBos, 'bosTokenId', { value: undefined });
    const session = new SoftPromptSession(model, withoutBos, noPrompt(model), first);
    expect(session.prefix).toBeUndefined();
    const [generated] = await session.generate(['Tom had a red ball.'], { maxTokens: 6, stopAtEos: false });
    const tokens = tokenizer.encode('Tom had a red ball.', { addBos: false });
    const [direct] = await generate(model, tokenizer, [{ tokens }], {
      maxTokens: 6,
      stopAtEos: false,
      adapter: first,
    });
    expect(generated.tokens).toEqual(direct.tokens);
  });

  it('runs a prefix row as attention over a KV cache holding the prefix as its past', () => {
    const tokens = Int32Array.from(tokenizer.encode('Tom had a red ball and a cat'));
    const T = tokens.length;
    const P = randomPrefix.length;
    const C = model.config.hiddenSize;
    const V = model.config.vocabularySize;
    const width = model.config.kvHeads * model.config.headDim;
    // two rows of P placeholders (zeros) then the tokens: the first with the prefix, the second frozen
    const embeddings = new Float32Array(2 * (P + T) * C);
    for (const row of [0, 1])
      tokens.forEach((id, t) => embeddings.set(tokenEmbeddingRow(model, id), (row * (P + T) + P + t) * C));
    const batched = model.forward({
      batch: 2,
      time: P + T,
      embeddings,
      adapters: [randomPrefix, null],
    });
    // the reference: a one-row cache whose first P positions hold the prefix's keys and values
    const cache = model.createCache(1, P + T);
    for (let l = 0; l < model.config.layers; l++) {
      cache.keys[l].set(randomPrefix.values.subarray(l * 2 * P * width, (l * 2 + 1) * P * width));
      cache.values[l].set(randomPrefix.values.subarray((l * 2 + 1) * P * width, (l * 2 + 2) * P * width));
    }
    cache.lengths[0] = P;
    const reference = model.forward({ batch: 1, time: T, tokens, cache });
    const diff = maxAbsDiff(batched.subarray(P * V, (P + T) * V), reference);
    console.log(`prefix row vs a KV cache holding the prefix: logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
    // and the frozen row beside it attends to its placeholders only as any tokens: not the prefix's logits
    expect(maxAbsDiff(batched.subarray((P + T + P) * V, 2 * (P + T) * V), reference)).toBeGreaterThan(0.01);
  });

  it('refuses a prefix on a row that does not start with its placeholders', async () => {
    const tokens = tokenizer.encode('Tom had a red ball.');
    // its keys and values would overwrite the row's own first tokens
    expect(() => new SoftPromptSession(model, tokenizer, noPrompt(model), randomPrefix)).toThrow(
      /ADAPTER_PREFIX_UNPLACED|placeholders/,
    );
    await expect(generate(model, tokenizer, [{ tokens }], { adapter: randomPrefix })).rejects.toMatchObject({
      code: 'ADAPTER_PREFIX_UNPLACED',
    });
    expect(() => continuationLikelihoods(model, tokens, [[5]], undefined, randomPrefix)).toThrow(
      /placeholders/,
    );
  });

  it('adds the same product as the adapter merged into the weights', () => {
    const tokens = Int32Array.from(tokenizer.encode('Tom had a red ball and a cat'));
    const T = tokens.length;
    const batched = model.forward({
      batch: 2,
      time: T,
      tokens: Int32Array.from([...tokens, ...tokens]),
      adapters: [first, null],
    });
    const V = model.config.vocabularySize;
    // merge: W' = W + scale * B A, for every adapted projection of every layer, on a copy of the weights
    const merged = { ...model.weights, layers: model.weights.layers.map((layer) => ({ ...layer })) };
    first.layers.forEach((layer, l) => {
      for (const [name, pair] of Object.entries(layer)) {
        const weight = (model.weights.layers[l] as unknown as Record<string, Float32Array>)[name].slice();
        const inFeatures = pair.a.length / first.rank;
        const outFeatures = pair.b.length / first.rank;
        for (let o = 0; o < outFeatures; o++)
          for (let i = 0; i < inFeatures; i++) {
            let sum = 0;
            for (let r = 0; r < first.rank; r++)
              sum += pair.b[o * first.rank + r] * pair.a[r * inFeatures + i];
            weight[o * inFeatures + i] += first.scale * sum;
          }
        (merged.layers[l] as unknown as Record<string, Float32Array>)[name] = weight;
      }
    });
    const mergedModel = Object.assign(
      Object.create(Object.getPrototypeOf(model) as object) as typeof model,
      model,
      {
        weights: merged,
      },
    );
    const reference = mergedModel.forward({ batch: 1, time: T, tokens });
    const diff = maxAbsDiff(batched.subarray(0, T * V), reference);
    console.log(`LoRA row vs merged weights: logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
    const frozen = model.forward({ batch: 1, time: T, tokens });
    expect(maxAbsDiff(batched.subarray(T * V, 2 * T * V), frozen)).toBeLessThan(1e-5);
    expect(maxAbsDiff(frozen, reference)).toBeGreaterThan(0.01);
  });
});
