// Builds ModelWeights from any source of named tensors, checking every shape against the config and
// that the embedding and the norms hold only finite numbers (cheap: they are a small part of a model;
// the large matrices are not scanned). Formats differ only in their name table and how they read one
// tensor; see gguf.ts, safetensors.ts.
import { WeightLoadError } from '../../errors/index.js';
import type { ModelConfig } from '../config.js';
import { layerTensorName, type NameTable } from './names.js';
import { firstNonFiniteBlock } from './quant-scales.js';
import type { LayerWeights, Matrix, ModelWeights, QuantizedMatrix } from './types.js';

/** A named-tensor reader: shape as (rows, columns) for matrices, (n) for vectors. */
export interface TensorSource {
  has(name: string): boolean;
  /** Shape without reading data. */
  shape(name: string): number[];
  /** Float32 values (dequantized). */
  read(name: string): Float32Array;
  /** The stored blocks of a matrix kept in a GGML block type, or undefined for other types. */
  readQuantized?(name: string): QuantizedMatrix | undefined;
  /** The file holding a tensor, when the source spans several (sharded safetensors). */
  file?(name: string): string;
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
    queryNorm: [hd],
    keyNorm: [hd],
    attentionOutput: [C, H * hd],
    postAttentionNorm: [C],
    mlpNorm: [C],
    postMlpNorm: [C],
    gate: [I, C],
    up: [I, C],
    down: [C, I],
  };
}

/**
 * Reads every parameter named by `table` from `source`; `where` names the file in errors. With
 * `keepQuantized`, matrices stored in a GGML block type stay in it (the kernels read the blocks).
 */
export function assembleWeights(
  config: ModelConfig,
  table: NameTable,
  source: TensorSource,
  where: string,
  options: { keepQuantized?: boolean } = {},
): ModelWeights {
  const shapes = parameterShapes(config);
  const check = (name: string, field: keyof typeof shapes) => {
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
  };
  const read = (name: string, field: keyof typeof shapes): Float32Array => {
    check(name, field);
    return source.read(name);
  };
  const matrix = (name: string, field: keyof typeof shapes): Matrix => {
    check(name, field);
    const quantized = options.keepQuantized ? source.readQuantized?.(name) : undefined;
    return quantized ?? source.read(name);
  };
  const optional = (name: string, field: keyof typeof shapes) =>
    source.has(name) ? read(name, field) : null;
  /** Reads a tensor that must hold finite numbers: a NaN in the embedding would spread to every prompt. */
  const finite = <T extends Matrix>(
    name: string,
    field: keyof typeof shapes,
    reader: (name: string, field: keyof typeof shapes) => T,
  ): T => {
    const values = reader(name, field);
    if (!(values instanceof Float32Array)) {
      // a block's values are finite exactly when its scales are (the codes are integers)
      const block = firstNonFiniteBlock(values);
      if (block >= 0)
        throw new WeightLoadError(
          `${source.file?.(name) ?? where}: tensor ${name} has a scale that is not finite in block ${block}`,
          {
            code: 'WEIGHT_NOT_FINITE',
            hint: 'The weights are corrupt; fetch or convert the model again.',
          },
        );
      return values;
    }
    const index = firstNonFinite(values);
    if (index >= 0) {
      const columns = shapes[field].length === 2 ? shapes[field][1] : values.length;
      throw new WeightLoadError(
        `${source.file?.(name) ?? where}: tensor ${name} holds ${values[index]} at index ${index} (row ${Math.floor(index / columns)}, column ${index % columns})`,
        {
          code: 'WEIGHT_NOT_FINITE',
          hint: 'The weights are corrupt (or were saved from a diverged run); fetch or convert the model again.',
        },
      );
    }
    return values;
  };
  const embedding = finite(table.model.embedding, 'embedding', matrix);
  const layers: LayerWeights[] = [];
  for (let layer = 0; layer < config.layers; layer++) {
    const name = (field: keyof LayerWeights) => layerTensorName(table, field, layer);
    const biases = config.attentionBias;
    layers.push({
      attentionNorm: finite(name('attentionNorm'), 'attentionNorm', read),
      query: matrix(name('query'), 'query'),
      key: matrix(name('key'), 'key'),
      value: matrix(name('value'), 'value'),
      queryBias: biases ? read(name('queryBias'), 'queryBias') : optional(name('queryBias'), 'queryBias'),
      keyBias: biases ? read(name('keyBias'), 'keyBias') : optional(name('keyBias'), 'keyBias'),
      valueBias: biases ? read(name('valueBias'), 'valueBias') : optional(name('valueBias'), 'valueBias'),
      queryNorm: config.queryKeyNorm ? finite(name('queryNorm'), 'queryNorm', read) : null,
      keyNorm: config.queryKeyNorm ? finite(name('keyNorm'), 'keyNorm', read) : null,
      attentionOutput: matrix(name('attentionOutput'), 'attentionOutput'),
      postAttentionNorm: config.postNorms
        ? finite(name('postAttentionNorm'), 'postAttentionNorm', read)
        : null,
      mlpNorm: finite(name('mlpNorm'), 'mlpNorm', read),
      postMlpNorm: config.postNorms ? finite(name('postMlpNorm'), 'postMlpNorm', read) : null,
      gate: matrix(name('gate'), 'gate'),
      up: matrix(name('up'), 'up'),
      down: matrix(name('down'), 'down'),
    });
  }
  const finalNorm = finite(table.model.finalNorm, 'finalNorm', read);
  const classifier = config.tiedEmbeddings ? embedding : matrix(table.model.classifier, 'classifier');
  return { embedding, layers, finalNorm, classifier };
}

/** The index of the first NaN or infinite value, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value - value !== 0) return i; // NaN and ±Infinity give NaN; one comparison per value
  }
  return -1;
}
