// Random weights for a Llama-shaped config, reproducible from a seed: matrices uniform in ±0.1, norms
// ones, no biases. For tests that need a model of a shape no fixture has (whole K-quant blocks, or more
// weights than a fixture holds).
import { seededRandom, type ModelConfig } from '../src/engine/index.js';
import { parameterShapes } from '../src/engine/weights/assemble.js';
import type { ModelWeights } from '../src/engine/weights/types.js';

/** Random weights for `config` (a tied classifier is the embedding itself). */
export function randomWeights(config: ModelConfig, seed: number): ModelWeights {
  const random = seededRandom(seed);
  const shapes = parameterShapes(config);
  const sample = (field: keyof typeof shapes) =>
    Float32Array.from(
      { length: shapes[field].reduce((a: number, b: number) => a * b, 1) },
      () => (random() - 0.5) * 0.2,
    );
  const ones = (field: keyof typeof shapes) => new Float32Array(shapes[field][0]).fill(1);
  const embedding = sample('embedding');
  return {
    embedding,
    classifier: config.tiedEmbeddings ? embedding : sample('classifier'),
    finalNorm: ones('finalNorm'),
    layers: Array.from({ length: config.layers }, () => ({
      attentionNorm: ones('attentionNorm'),
      query: sample('query'),
      key: sample('key'),
      value: sample('value'),
      queryBias: null,
      keyBias: null,
      valueBias: null,
      queryNorm: null,
      keyNorm: null,
      attentionOutput: sample('attentionOutput'),
      postAttentionNorm: null,
      mlpNorm: ones('mlpNorm'),
      postMlpNorm: null,
      gate: sample('gate'),
      up: sample('up'),
      down: sample('down'),
    })),
  };
}
