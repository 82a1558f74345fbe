// Newer architectures against transformers itself (fixtures from tools/reference/transformers_architectures.py):
// the logits of a fixed sequence and the greedy tokens, on both kernel sets; a GGUF round trip under
// llama.cpp's names; input gradients against finite differences; and a soft prompt that trains.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultKernels,
  generate,
  inputGradients,
  isQuantized,
  jsKernels,
  LlamaModel,
  writeGguf,
  type ModelConfig,
  type ModelWeights,
  type Tokenizer,
} from '../src/engine/index.js';
import { loadGguf } from '../src/engine/weights/gguf.js';
import { huggingFaceConfig, loadHuggingFaceDirectory } from '../src/engine/weights/hf-directory.js';
import { buildBatch, promptGradient, type SoftPrompt } from '../src/soft/index.js';
import { maxAbsDiff, repositoryRoot } from './models.js';

const directory = mkdtempSync(join(tmpdir(), 'promptune-architectures-'));

/** Ids in, ids out: these tests need no text. */
const idTokenizer = {
  eosTokenIds: [],
  decode: () => '',
  encode: () => [],
  isSpecial: () => false,
} as unknown as Tokenizer;

/** Each fixture, what its config must say, and the model without the feature under test. */
const cases: [
  string,
  Partial<ModelConfig>,
  (config: ModelConfig, weights: ModelWeights) => [ModelConfig, ModelWeights],
][] = [
  [
    'tiny-qwen3',
    { architecture: 'qwen3', queryKeyNorm: true, headDim: 32, hiddenSize: 64 },
    (config, weights) => [
      config,
      { ...weights, layers: weights.layers.map((layer) => ({ ...layer, queryNorm: null, keyNorm: null })) },
    ],
  ],
  [
    'tiny-smollm3',
    { architecture: 'smollm3', layersWithoutRope: [3, 7], tiedEmbeddings: true },
    (config, weights) => [{ ...config, layersWithoutRope: undefined }, weights],
  ],
  [
    'tiny-phi3',
    { architecture: 'phi3', slidingWindow: 7, tiedEmbeddings: false, headDim: 16 },
    (config, weights) => [{ ...config, slidingWindow: undefined }, weights],
  ],
  [
    'tiny-llama32',
    {
      architecture: 'llama',
      kvHeads: 1,
      headDim: 16,
      tiedEmbeddings: true,
      ropeScaling: {
        type: 'llama3',
        factor: 32,
        lowFrequencyFactor: 1,
        highFrequencyFactor: 4,
        originalContextLength: 64,
      },
    },
    (config, weights) => [{ ...config, ropeScaling: undefined }, weights],
  ],
];

describe.each(cases)('%s', (name, expectedConfig, withoutFeature) => {
  const folder = join(repositoryRoot, 'test', 'fixtures', name);
  const reference = JSON.parse(readFileSync(join(folder, 'reference.json'), 'utf8')) as {
    tokens: number[];
    logits: number[][];
    greedyPrompt: number[];
    greedy: number[];
  };
  const tokens = Int32Array.from(reference.tokens);
  const expected = reference.logits.flat();
  const { config, weights } = loadHuggingFaceDirectory(folder);

  it('reads the config transformers wrote', () => {
    expect(config).toMatchObject(expectedConfig);
  });

  it.each([jsKernels, defaultKernels()].map((kernels) => [kernels.name, kernels] as const))(
    "gives transformers' logits on %s kernels",
    (_name, kernels) => {
      const model = new LlamaModel(config, weights, kernels);
      const diff = maxAbsDiff(model.forward({ batch: 1, time: tokens.length, tokens }), expected);
      console.log(`${name} ${kernels.name}: max abs logit diff ${diff.toExponential(3)}`);
      expect(diff).toBeLessThan(1e-4);
    },
  );

  it("gives transformers' greedy tokens", async () => {
    const model = new LlamaModel(config, weights, defaultKernels());
    const [result] = await generate(model, idTokenizer, [{ tokens: reference.greedyPrompt }], {
      maxTokens: reference.greedy.length,
      stopAtEos: false,
      temperature: 0,
    });
    expect(result.tokens).toEqual(reference.greedy);
  });

  it('depends on the feature under test (the test can fail)', () => {
    const model = new LlamaModel(...withoutFeature(config, weights), defaultKernels());
    expect(maxAbsDiff(model.forward({ batch: 1, time: tokens.length, tokens }), expected)).toBeGreaterThan(
      1e-2,
    );
  });

  it("round-trips through GGUF under llama.cpp's names", async () => {
    const path = join(directory, `${name}.gguf`);
    const written = writeGguf(path, config, weights);
    if (expectedConfig.queryKeyNorm)
      expect(written.tensors.map((tensor) => tensor.name)).toContain('blk.0.attn_q_norm.weight');
    const loaded = await loadGguf(path);
    // GGUF holds llama3 scaling as per-frequency factors (rope_freqs.weight), as llama.cpp writes it
    const { ropeScaling, ...rest } = expectedConfig;
    expect(loaded.config).toMatchObject(rest);
    if (ropeScaling) expect(loaded.config.ropeFrequencyFactors).toHaveLength(config.headDim / 2);
    const model = new LlamaModel(loaded.config, loaded.weights, defaultKernels());
    expect(maxAbsDiff(model.forward({ batch: 1, time: tokens.length, tokens }), expected)).toBeLessThan(1e-4);
  });

  it('as a Q8_0 GGUF kept quantized, gives the logits of the same file expanded to float32', async () => {
    const path = join(directory, `${name}-q8_0.gguf`);
    writeGguf(path, config, weights, { fileType: 'q8_0' });
    const logits = async (keepQuantized: boolean) => {
      const loaded = await loadGguf(path, { keepQuantized });
      if (keepQuantized) expect(isQuantized(loaded.weights.layers[0].query)).toBe(true);
      const model = new LlamaModel(loaded.config, loaded.weights, defaultKernels());
      return model.forward({ batch: 1, time: tokens.length, tokens });
    };
    expect(maxAbsDiff(await logits(true), await logits(false))).toBeLessThan(1e-4);
  });

  it('has input gradients that match finite differences (reference kernels)', () => {
    const model = new LlamaModel(config, weights, jsKernels);
    const C = config.hiddenSize;
    const T = 8;
    const embeddings = Float32Array.from({ length: T * C }, (_, i) => Math.sin(i * 0.37) * 0.5);
    const targets = Int32Array.from({ length: T }, (_, t) => (t * 29 + 3) % config.vocabularySize);
    const { dembeddings } = inputGradients(model, { batch: 1, time: T, embeddings, targets });
    const loss = (values: Float32Array) =>
      inputGradients(model, { batch: 1, time: T, embeddings: values, targets }).loss;
    // the coordinates with the largest gradients, where float32 differences are meaningful
    const coordinates = [...dembeddings.keys()]
      .sort((a, b) => Math.abs(dembeddings[b]) - Math.abs(dembeddings[a]))
      .slice(0, 6);
    for (const i of coordinates) {
      const step = 3e-3;
      const plus = embeddings.slice();
      const minus = embeddings.slice();
      plus[i] += step;
      minus[i] -= step;
      const numerical = (loss(plus) - loss(minus)) / (2 * step);
      expect(Math.abs(numerical - dembeddings[i])).toBeLessThan(0.02 * Math.abs(dembeddings[i]) + 1e-4);
    }
  });

  it('trains a soft prompt (the loss goes down)', () => {
    const model = new LlamaModel(config, weights, defaultKernels());
    const C = config.hiddenSize;
    const prompt: SoftPrompt = {
      virtualTokens: 4,
      hiddenSize: C,
      values: Float32Array.from({ length: 4 * C }, (_, i) => Math.cos(i) * 0.1),
      layout: 'bos-first',
    };
    // a fixed continuation to learn for each of four inputs
    const examples = [0, 1, 2, 3].map((k) => ({
      inputIds: [1, 10 + k, 20 + k, 30 + k],
      targetIds: [50 + 3 * k, 51 + 3 * k],
    }));
    const losses: number[] = [];
    const moment = new Float32Array(prompt.values.length);
    for (let step = 0; step < 30; step++) {
      const batch = buildBatch(model, prompt, examples);
      const result = inputGradients(model, batch);
      losses.push(result.loss);
      const gradient = promptGradient(prompt, batch, result.dembeddings);
      for (let i = 0; i < gradient.length; i++) {
        moment[i] = 0.9 * moment[i] + gradient[i];
        prompt.values[i] -= 0.05 * moment[i];
      }
    }
    console.log(`${name} soft prompt loss: ${losses[0].toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}`);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.7);
  });
});

describe('what is not supported yet says so', () => {
  const phi3 = JSON.parse(
    readFileSync(join(repositoryRoot, 'test', 'fixtures', 'tiny-phi3', 'config.json'), 'utf8'),
  );
  it.each([
    [
      'partial rotary (Phi-4-mini)',
      { ...phi3, rope_parameters: { ...phi3.rope_parameters, partial_rotary_factor: 0.75 } },
      /RoPE on 75% of each head/,
    ],
    [
      'long-RoPE (Phi-3-128k)',
      { ...phi3, rope_parameters: { rope_type: 'longrope', rope_theta: 10000 } },
      /RoPE scaling "longrope" is not supported/,
    ],
    [
      'a NoPE list of the wrong length',
      { ...phi3, model_type: 'smollm3', no_rope_layers: [1, 1, 0] },
      /no_rope_layers has 3 entries for 2 layers/,
    ],
  ])('%s', (_case, raw, message) => {
    expect(() => huggingFaceConfig(raw, 'test config')).toThrow(message);
  });
});
