// A random-weight Llama-family model of a given shape, reproducible from a seed, for benchmarks.
// Weights ~ normal(0, 0.02) like a freshly initialized transformer; norms are ones.
import {
  LlamaModel,
  seededRandom,
  type Kernels,
  type ModelConfig,
  type ModelWeights,
} from '../src/engine/index.js';
import { parameterShapes } from '../src/engine/weights/assemble.js';

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
      attentionOutput: sampled('attentionOutput'),
      mlpNorm: ones('mlpNorm'),
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
