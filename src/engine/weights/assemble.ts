// Builds ModelWeights from any source of named tensors, checking every shape against the config.
// Formats differ only in their name table and how they read one tensor; see gguf.ts, safetensors.ts.
import { WeightLoadError } from '../../errors/index.js';
import type { ModelConfig } from '../config.js';
import { layerTensorName, type NameTable } from './names.js';
import type { LayerWeights, ModelWeights } from './types.js';

/** A named-tensor reader: shape as (rows, columns) for matrices, (n) for vectors. */
export interface TensorSource {
  has(name: string): boolean;
  /** Shape without reading data. */
  shape(name: string): number[];
  /** Float32 values (dequantized). */
  read(name: string): Float32Array;
}

/** The name of any parameter: a layer field, or one of the model-level tensors. */
export type ParameterName = keyof LayerWeights | 'embedding' | 'finalNorm' | 'classifier';

/** The (out, in) shape of every parameter of a model with this config; vectors are (n). */
export function parameterShapes(config: ModelConfig): Record<ParameterName, number[]> {
  const {
    hiddenSize: C,
    intermediateSize: I,
    heads: H,
    kvHeads: KVH,
    headDim: hd,
    vocabularySize: V,
  } = config;
  return {
    embedding: [V, C],
    finalNorm: [C],
    classifier: [V, C],
    attentionNorm: [C],
    query: [H * hd, C],
    key: [KVH * hd, C],
    value: [KVH * hd, C],
    queryBias: [H * hd],
    keyBias: [KVH * hd],
    valueBias: [KVH * hd],
    attentionOutput: [C, H * hd],
    mlpNorm: [C],
    gate: [I, C],
    up: [I, C],
    down: [C, I],
  };
}

/** Reads every parameter named by `table` from `source`; `where` names the file in errors. */
export function assembleWeights(
  config: ModelConfig,
  table: NameTable,
  source: TensorSource,
  where: string,
): ModelWeights {
  const shapes = parameterShapes(config);
  const read = (name: string, field: keyof typeof shapes): Float32Array => {
    if (!source.has(name)) {
      throw new WeightLoadError(`${where}: tensor ${name} is missing`, {
        code: 'WEIGHT_MISSING_TENSOR',
        hint: 'The file is incomplete or is not a Llama-family checkpoint.',
      });
    }
    const actual = source.shape(name);
    const expected = shapes[field];
    if (actual.length !== expected.length || actual.some((size, i) => size !== expected[i])) {
      throw new WeightLoadError(`${where}: tensor ${name} has shape [${actual}], expected [${expected}]`, {
        code: 'WEIGHT_SHAPE',
        hint: 'The tensor does not fit the model config; the config and weights may come from different models.',
      });
    }
    return source.read(name);
  };
  const optional = (name: string, field: keyof typeof shapes) =>
    source.has(name) ? read(name, field) : null;
  const embedding = read(table.model.embedding, 'embedding');
  const layers: LayerWeights[] = [];
  for (let layer = 0; layer < config.layers; layer++) {
    const name = (field: keyof LayerWeights) => layerTensorName(table, field, layer);
    const biases = config.attentionBias;
    layers.push({
      attentionNorm: read(name('attentionNorm'), 'attentionNorm'),
      query: read(name('query'), 'query'),
      key: read(name('key'), 'key'),
      value: read(name('value'), 'value'),
      queryBias: biases ? read(name('queryBias'), 'queryBias') : optional(name('queryBias'), 'queryBias'),
      keyBias: biases ? read(name('keyBias'), 'keyBias') : optional(name('keyBias'), 'keyBias'),
      valueBias: biases ? read(name('valueBias'), 'valueBias') : optional(name('valueBias'), 'valueBias'),
      attentionOutput: read(name('attentionOutput'), 'attentionOutput'),
      mlpNorm: read(name('mlpNorm'), 'mlpNorm'),
      gate: read(name('gate'), 'gate'),
      up: read(name('up'), 'up'),
      down: read(name('down'), 'down'),
    });
  }
  const finalNorm = read(table.model.finalNorm, 'finalNorm');
  const classifier = config.tiedEmbeddings ? embedding : read(table.model.classifier, 'classifier');
  return { embedding, layers, finalNorm, classifier };
}
