// A random-weight Llama-family model of a given shape, reproducible from a seed, for benchmarks.
// Weights ~ normal(0, 0.02) like a freshly initialized transformer; norms are ones.
import {
  LlamaModel,
  seededRandom,
  type Kernels,
  type ModelConfig,
  type ModelWeights,
  type Tokenizer,
} from '../src/engine/index.js';
import { GgufType } from '../src/engine/weights/gguf-writer.js';
import { parameterShapes } from '../src/engine/weights/assemble.js';

/** A stand-in tokenizer for generating ids only: benchmarks that compare token ids produce no text. */
export const idsOnlyTokenizer = {
  eosTokenIds: [],
  decode: () => '',
  encode: () => [],
  isSpecial: () => false,
} as unknown as Tokenizer;

/** SmolLM2-135M's shape (hidden 576, 30 layers, 9 heads, 3 KV heads, intermediate 1536, vocab 49152, tied). */
export const smolLm2Shape: ModelConfig = {
  architecture: 'llama',
  hiddenSize: 576,
  intermediateSize: 1536,
  layers: 30,
  heads: 9,
  kvHeads: 3,
  headDim: 64,
  vocabularySize: 49152,
  contextLength: 2048,
  rmsNormEps: 1e-5,
  ropeTheta: 100000,
  ropeStyle: 'half',
  tiedEmbeddings: true,
  attentionBias: false,
  bosTokenId: 1,
  eosTokenIds: [2],
};

/** Random weights for `config`. */
export function randomWeights(config: ModelConfig, seed: number): ModelWeights {
  const random = seededRandom(seed);
  const normal = (size: number, scale = 0.02) => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i += 2) {
      const radius = Math.sqrt(-2 * Math.log(1 - random())) * scale;
      const angle = 2 * Math.PI * random();
      out[i] = radius * Math.cos(angle);
      if (i + 1 < size) out[i + 1] = radius * Math.sin(angle);
    }
    return out;
  };
  const shapes = parameterShapes(config);
  const sampled = (field: keyof typeof shapes) =>
    normal(shapes[field].reduce((a: number, b: number) => a * b, 1));
  const ones = (field: keyof typeof shapes) => new Float32Array(shapes[field][0]).fill(1);
  const embedding = sampled('embedding');
  return {
    embedding,
    classifier: config.tiedEmbeddings ? embedding : sampled('classifier'),
    finalNorm: ones('finalNorm'),
    layers: Array.from({ length: config.layers }, () => ({
      attentionNorm: ones('attentionNorm'),
      query: sampled('query'),
      key: sampled('key'),
      value: sampled('value'),
      queryBias: null,
      keyBias: null,
      valueBias: null,
      queryNorm: null,
      keyNorm: null,
      attentionOutput: sampled('attentionOutput'),
      postAttentionNorm: null,
      mlpNorm: ones('mlpNorm'),
      postMlpNorm: null,
      gate: sampled('gate'),
      up: sampled('up'),
      down: sampled('down'),
    })),
  };
}

/** A random-weight model of `config` on `kernels`. */
export function randomModel(config: ModelConfig, kernels: Kernels, seed = 1): LlamaModel {
  return new LlamaModel(config, randomWeights(config, seed), kernels);
}

/** GGUF metadata for a byte-fallback vocabulary of `size` made-up tokens (the model's weights are random anyway). */
export function syntheticVocabulary(size: number, special: string[] = []) {
  const tokens = [
    '<unk>',
    '<s>',
    '</s>',
    ...Array.from({ length: 256 }, (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`),
    ...special,
  ];
  while (tokens.length < size) tokens.push(`▁t${tokens.length}`);
  return sentencePieceMetadata(tokens);
}

/**
 * GGUF vocabulary metadata of a SentencePiece ('llama') tokenizer: `tokens` are <unk>, <s>, </s>, the
 * 256 byte tokens, then pieces (earlier pieces score higher).
 */
export function sentencePieceMetadata(tokens: string[]) {
  const types = tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1));
  return {
    'tokenizer.ggml.model': { type: GgufType.STRING, value: 'llama' },
    'tokenizer.ggml.tokens': { type: GgufType.ARRAY, subType: GgufType.STRING, value: tokens },
    'tokenizer.ggml.scores': {
      type: GgufType.ARRAY,
      subType: GgufType.FLOAT32,
      value: tokens.map((_, i) => -i),
    },
    'tokenizer.ggml.token_type': { type: GgufType.ARRAY, subType: GgufType.INT32, value: types },
    'tokenizer.ggml.bos_token_id': { type: GgufType.UINT32, value: 1 },
    'tokenizer.ggml.eos_token_id': { type: GgufType.UINT32, value: 2 },
  };
}
