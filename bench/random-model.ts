// A random-weight Llama-family model of a given shape, reproducible from a seed, for benchmarks.
// Weights ~ normal(0, 0.02) like a freshly initialized transformer; norms are ones.
import {
  LlamaModel,
  seededRandom,
  type Kernels,
  type ModelConfig,
  type ModelWeights,
} from '../src/engine/index.js';

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
  const {
    hiddenSize: C,
    intermediateSize: I,
    heads: H,
    kvHeads: KVH,
    headDim: hd,
    vocabularySize: V,
  } = config;
  const embedding = normal(V * C);
  return {
    embedding,
    classifier: embedding,
    finalNorm: new Float32Array(C).fill(1),
    layers: Array.from({ length: config.layers }, () => ({
      attentionNorm: new Float32Array(C).fill(1),
      query: normal(H * hd * C),
      key: normal(KVH * hd * C),
      value: normal(KVH * hd * C),
      queryBias: null,
      keyBias: null,
      valueBias: null,
      attentionOutput: normal(C * H * hd),
      mlpNorm: new Float32Array(C).fill(1),
      gate: normal(I * C),
      up: normal(I * C),
      down: normal(C * I),
    })),
  };
}

/** A random-weight model of `config` on `kernels`. */
export function randomModel(config: ModelConfig, kernels: Kernels, seed = 1): LlamaModel {
  return new LlamaModel(config, randomWeights(config, seed), kernels);
}
