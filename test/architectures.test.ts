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
  tokenEmbeddingRow,
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
    'tiny-qwen2-sliding',
    { architecture: 'qwen2', slidingWindow: 5, slidingWindowLayers: [1, 2], tiedEmbeddings: false },
    (config, weights) => [{ ...config, slidingWindow: undefined, slidingWindowLayers: undefined }, weights],
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
  [
    'tiny-gemma2',
    {
      architecture: 'gemma2',
      embeddingScale: 8,
      mlpActivation: 'gelu-tanh',
      postNorms: true,
      attentionScale: expect.closeTo(24 ** -0.5, 6) as number,
      attentionSoftcap: 5,
      logitSoftcap: 10,
      slidingWindow: 5,
      slidingWindowLayers: [0, 2],
      tiedEmbeddings: true,
    },
    (config, weights) => [{ ...config, attentionSoftcap: undefined, logitSoftcap: undefined }, weights],
  ],
  [
    'tiny-gemma3',
    {
      architecture: 'gemma3',
      queryKeyNorm: true,
      postNorms: true,
      ropeTheta: 1e6,
      ropeScaling: { type: 'linear', factor: 8 },
      localRopeTheta: 10000,
      slidingWindow: 5,
      slidingWindowLayers: [0, 1, 2, 3, 4],
    },
    (config, weights) => [{ ...config, localRopeTheta: undefined }, weights],
  ],
  [
    'tiny-phi4mini',
    {
      architecture: 'phi3',
      headDim: 16,
      rotaryDims: 12,
      contextLength: 64,
      ropeAttentionFactor: expect.closeTo(Math.sqrt(1 + Math.log(4) / Math.log(64)), 6) as number,
      tiedEmbeddings: true,
    },
    (config, weights) => [{ ...config, ropeAttentionFactor: undefined }, weights],
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

  // a window on some layers only, which GGUF (and llama.cpp) apply to every layer or none
  const windowOnSomeLayers = name === 'tiny-qwen2-sliding';

  it.runIf(windowOnSomeLayers)('is refused as a GGUF, which would slide on every layer', () => {
    expect(() => writeGguf(join(directory, `${name}.gguf`), config, weights)).toThrow(
      expect.objectContaining({ code: 'GGUF_WRITE_INVALID' }) as Error,
    );
  });

  it.skipIf(windowOnSomeLayers)("round-trips through GGUF under llama.cpp's names", async () => {
    const path = join(directory, `${name}.gguf`);
    const written = writeGguf(path, config, weights);
    if (expectedConfig.queryKeyNorm)
      expect(written.tensors.map((tensor) => tensor.name)).toContain('blk.0.attn_q_norm.weight');
    const loaded = await loadGguf(path);
    // GGUF holds llama3 scaling as per-frequency factors (rope_freqs.weight), as llama.cpp writes it
    const { ropeScaling, ...rest } = expectedConfig;
    expect(loaded.config).toMatchObject(rest);
    if (ropeScaling?.type === 'llama3')
      expect(loaded.config.ropeFrequencyFactors).toHaveLength(config.headDim / 2);
    else expect(loaded.config.ropeScaling).toEqual(ropeScaling);
    const model = new LlamaModel(loaded.config, loaded.weights, defaultKernels());
    expect(maxAbsDiff(model.forward({ batch: 1, time: tokens.length, tokens }), expected)).toBeLessThan(1e-4);
  });

  it.skipIf(windowOnSomeLayers)(
    'as a Q8_0 GGUF kept quantized, gives the logits of the same file expanded to float32',
    async () => {
      const path = join(directory, `${name}-q8_0.gguf`);
      writeGguf(path, config, weights, { fileType: 'q8_0' });
      const logits = async (keepQuantized: boolean) => {
        const loaded = await loadGguf(path, { keepQuantized });
        if (keepQuantized) expect(isQuantized(loaded.weights.layers[0].query)).toBe(true);
        const model = new LlamaModel(loaded.config, loaded.weights, defaultKernels());
        return model.forward({ batch: 1, time: tokens.length, tokens });
      };
      expect(maxAbsDiff(await logits(true), await logits(false))).toBeLessThan(1e-4);
    },
  );

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
    // Adam (as soft train uses): gradient scales differ between architectures (Gemma's sandwich norms)
    const moment = new Float32Array(prompt.values.length);
    const second = new Float32Array(prompt.values.length);
    for (let step = 1; step <= 30; step++) {
      const batch = buildBatch(model, prompt, examples);
      const result = inputGradients(model, batch);
      losses.push(result.loss);
      const gradient = promptGradient(prompt, batch, result.dembeddings);
      for (let i = 0; i < gradient.length; i++) {
        moment[i] = 0.9 * moment[i] + 0.1 * gradient[i];
        second[i] = 0.999 * second[i] + 0.001 * gradient[i] ** 2;
        const corrected = moment[i] / (1 - 0.9 ** step);
        prompt.values[i] -= (0.05 * corrected) / (Math.sqrt(second[i] / (1 - 0.999 ** step)) + 1e-8);
      }
    }
    console.log(`${name} soft prompt loss: ${losses[0].toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}`);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.7);
  });
});

describe("Gemma's embedding scale", () => {
  it('scales the token embeddings that soft prompts are built from, never the table', () => {
    const { config, weights } = loadHuggingFaceDirectory(
      join(repositoryRoot, 'test', 'fixtures', 'tiny-gemma3'),
    );
    const model = new LlamaModel(config, weights, defaultKernels());
    const table = (weights.embedding as Float32Array).slice(7 * 64, 8 * 64);
    const first = tokenEmbeddingRow(model, 7).slice();
    expect(maxAbsDiff(tokenEmbeddingRow(model, 7), first)).toBe(0);
    expect(
      maxAbsDiff(
        first,
        table.map((value) => value * 8),
      ),
    ).toBeLessThan(1e-6);
    expect(maxAbsDiff((weights.embedding as Float32Array).subarray(7 * 64, 8 * 64), table)).toBe(0);
  });
});

describe('Gemma 3 configs as the Hub has them', () => {
  // google/gemma-3-1b-it's config.json (before transformers 5): a period instead of layer_types, the
  // local RoPE base and the global scaling as separate fields
  const hub = {
    model_type: 'gemma3_text',
    hidden_size: 1152,
    intermediate_size: 6912,
    num_hidden_layers: 26,
    num_attention_heads: 4,
    num_key_value_heads: 1,
    head_dim: 256,
    vocab_size: 262144,
    max_position_embeddings: 32768,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    rope_local_base_freq: 10000,
    rope_scaling: null,
    sliding_window: 512,
    sliding_window_pattern: 6,
    query_pre_attn_scalar: 256,
    final_logit_softcapping: null,
    attn_logit_softcapping: null,
    hidden_activation: 'gelu_pytorch_tanh',
    bos_token_id: 2,
    eos_token_id: [1, 106],
  };
  it('reads the period, the two RoPE bases and the defaults', () => {
    const config = huggingFaceConfig(hub, 'gemma-3-1b config');
    expect(config).toMatchObject({
      architecture: 'gemma3',
      ropeTheta: 1e6,
      localRopeTheta: 10000,
      slidingWindow: 512,
      attentionScale: 1 / 16,
      tiedEmbeddings: true,
      eosTokenIds: [1, 106],
    });
    expect(config.ropeScaling).toBeUndefined();
    expect(config.attentionSoftcap).toBeUndefined();
    expect(config.slidingWindowLayers).toHaveLength(22); // 26 layers, every sixth (5, 11, 17, 23) global
    expect(config.slidingWindowLayers).not.toContain(5);
  });
  it("reads a multimodal checkpoint's text_config (Gemma 3 4B and up)", () => {
    const config = huggingFaceConfig(
      {
        model_type: 'gemma3',
        eos_token_id: [1, 106],
        text_config: { ...hub, model_type: undefined, rope_scaling: { rope_type: 'linear', factor: 8 } },
        vision_config: { model_type: 'siglip_vision_model' },
      },
      'gemma-3-4b config',
    );
    expect(config).toMatchObject({
      architecture: 'gemma3',
      ropeScaling: { type: 'linear', factor: 8 },
      // where PEFT finds its layers (a LoRA written under model.layers applied nothing there)
      layersModule: 'model.language_model.layers',
    });
    expect(huggingFaceConfig({ ...hub }, 'gemma-3-1b config').layersModule).toBeUndefined();
  });
});

describe('what is not supported says so', () => {
  const phi3 = JSON.parse(
    readFileSync(join(repositoryRoot, 'test', 'fixtures', 'tiny-phi3', 'config.json'), 'utf8'),
  );
  const gemma2 = JSON.parse(
    readFileSync(join(repositoryRoot, 'test', 'fixtures', 'tiny-gemma2', 'config.json'), 'utf8'),
  );
  it.each([
    [
      'long-RoPE without its short factors',
      { ...phi3, rope_parameters: { rope_type: 'longrope', rope_theta: 10000 } },
      /longrope needs original_max_position_embeddings and 8 short_factor values/,
    ],
    [
      'another Gemma activation',
      { ...gemma2, hidden_activation: 'gelu' },
      /hidden_activation "gelu" is not supported/,
    ],
    [
      'a bidirectional Gemma (an embedding model)',
      { ...gemma2, use_bidirectional_attention: true },
      /bidirectional attention/,
    ],
    [
      'Gemma layer types of the wrong length',
      { ...gemma2, layer_types: ['sliding_attention'] },
      /layer_types has 1 entries for 4 layers/,
    ],
    [
      // its fields (sliding_window 0) do not fit the schema: the architecture is what to say
      'another architecture whose config does not read as ours',
      { ...phi3, model_type: 'qwen2_moe', sliding_window: 0 },
      /model_type "qwen2_moe" is not supported/,
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
