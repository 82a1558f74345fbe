// The order of each head's query and key dimensions in an adapter's files. A llama's GGUF file runs them
// interleaved (llama.cpp's RoPE order), its Hugging Face copy rotate-half, and a LoRA's q/k rows and a
// prefix's keys follow the order they trained in. promptune writes them rotate-half, as PEFT reads them,
// records that in promptune.json (queryKeyOrder), and reorders them for a model that runs interleaved.
import {
  ggufInterleaves,
  interleaveHeads,
  keyValueWidth,
  rotateHalfHeads,
  type KeyValuePrefix,
  type LlamaModel,
  type LowRankAdapter,
} from '../engine/index.js';

/** How a head's query and key dimensions are paired for RoPE: llama.cpp's interleaved, or rotate-half. */
export type QueryKeyOrder = 'interleaved' | 'rotate-half';

/** The order `model` runs its query and key dimensions in. */
export function modelQueryKeyOrder(model: LlamaModel): QueryKeyOrder {
  return model.config.ropeStyle === 'interleaved' ? 'interleaved' : 'rotate-half';
}

/**
 * Whether `model`'s architecture comes in both orders (a llama: interleaved in GGUF, rotate-half from
 * Hugging Face), so that an adapter's order must be known to use it. A Qwen or Gemma is rotate-half in both.
 */
export function hasBothOrders(model: LlamaModel): boolean {
  return ggufInterleaves(model.config.architecture);
}

/**
 * The order an adapter file's query and key dimensions are in: PEFT's (no promptune.json) and promptune's
 * since the field rotate-half; one written before it, its training model's, which a GGUF or llama2.c file
 * named as its base model tells. `model` stands for the training model's architecture: without --force it
 * has its weights. (A forced load across architectures, or a GGUF not named *.gguf, may be misread.)
 */
export function storedQueryKeyOrder(
  metadata: { queryKeyOrder?: QueryKeyOrder; baseModel: { name: string } } | undefined,
  model: LlamaModel,
): QueryKeyOrder {
  if (!metadata) return 'rotate-half';
  if (metadata.queryKeyOrder) return metadata.queryKeyOrder;
  return hasBothOrders(model) && /\.(gguf|bin)$/i.test(metadata.baseModel.name)
    ? 'interleaved'
    : 'rotate-half';
}

/**
 * Rows of `heads` heads (`columns` values each row) from order `from` to order `to`: a copy, or `rows`
 * itself when the orders agree.
 */
export function reorderHeadRows(
  rows: Float32Array,
  heads: number,
  columns: number,
  from: QueryKeyOrder,
  to: QueryKeyOrder,
): Float32Array {
  if (from === to) return rows;
  return to === 'interleaved' ? interleaveHeads(rows, heads, columns) : rotateHalfHeads(rows, heads, columns);
}

/**
 * A LoRA adapter with the B rows of its query and key products in order `to` (from `from`): a new adapter
 * sharing the other matrices, or `adapter` itself when the orders agree.
 */
export function loraInOrder(
  adapter: LowRankAdapter,
  model: LlamaModel,
  from: QueryKeyOrder,
  to: QueryKeyOrder,
): LowRankAdapter {
  if (from === to) return adapter;
  const { heads, kvHeads } = model.config;
  return {
    ...adapter,
    layers: adapter.layers.map((layer) => {
      const { query, key } = layer;
      return {
        ...layer,
        ...(query && { query: { ...query, b: reorderHeadRows(query.b, heads, adapter.rank, from, to) } }),
        ...(key && { key: { ...key, b: reorderHeadRows(key.b, kvHeads, adapter.rank, from, to) } }),
      };
    }),
  };
}

/**
 * A prefix with each key's dimensions in order `to` (from `from`; the values' are not rotated): a copy, or
 * `prefix` itself when the orders agree. The engine holds a prefix as (layer, key or value, position, width).
 */
export function prefixInOrder(
  prefix: KeyValuePrefix,
  model: LlamaModel,
  from: QueryKeyOrder,
  to: QueryKeyOrder,
): KeyValuePrefix {
  if (from === to) return prefix;
  const width = keyValueWidth(model.config);
  const { kvHeads, layers } = model.config;
  const values = prefix.values.slice();
  for (let layer = 0; layer < layers; layer++)
    for (let position = 0; position < prefix.length; position++) {
      const start = (layer * 2 * prefix.length + position) * width;
      // one key is a column of the heads' rows: each dimension a row of one value
      values.set(reorderHeadRows(values.subarray(start, start + width), kvHeads, 1, from, to), start);
    }
  return { ...prefix, values };
}
