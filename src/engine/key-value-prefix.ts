// Prefix tuning (Li & Liang 2021; PEFT's PREFIX_TUNING): in every layer, P learned keys and values that
// each query attends to before the row's own positions, as if they were a KV cache of P earlier tokens.
// A row with a prefix runs P placeholder positions first (positions 0..P-1, whose input does not matter):
// the forward op overwrites their keys and values in each layer, after RoPE, with the prefix's, so they
// land in the attention (and the KV cache) exactly where a past of P tokens would, and the row's tokens
// sit at positions P.. as they do after PEFT's prefix. Rows with different prefixes (or none, or a LoRA
// adapter) share one pass. Training, where every row has the same prefix, runs no placeholders: the
// prefix is the past that each row's attention reads before its own keys and values (prefixAsPast), and
// its backward takes d loss / d the prefix's keys and values from there. It does not read or write
// adapter files (soft/prefix-adapter.ts).
import { ValidationError } from '../errors/index.js';
import type { ModelConfig } from './config.js';

/** A key/value prefix over a whole model. */
export interface KeyValuePrefix {
  readonly kind: 'prefix';
  length: number; // P
  /** (L, 2, P, KVH*hd): layer l's P keys (as attention reads them: never rotated), then its P values. */
  values: Float32Array;
}

/** A prefix being trained and where its gradient is summed (the same layout). */
export interface PrefixTraining {
  prefix: KeyValuePrefix;
  gradients: Float32Array;
}

/** The width of one key or value row of `config`'s layers: KVH * hd. */
export function keyValueWidth(config: ModelConfig): number {
  return config.kvHeads * config.headDim;
}

/** Where layer `layer`'s keys (kind 0) or values (kind 1) start in a prefix's values. */
function blockStart(prefix: KeyValuePrefix, width: number, layer: number, kind: 0 | 1): number {
  return (layer * 2 + kind) * prefix.length * width;
}

/**
 * Overwrites, in each row whose prefix is given, the keys and values of its positions below P with the
 * prefix's layer `layer` (key and value are (B, T, width), positions (B, T) absolute).
 */
export function prefixForward(
  key: Float32Array,
  value: Float32Array,
  prefixes: readonly (KeyValuePrefix | null)[],
  positions: Int32Array,
  layer: number,
  time: number,
  width: number,
): void {
  prefixes.forEach((prefix, b) => {
    if (!prefix) return;
    const keys = blockStart(prefix, width, layer, 0);
    const values = blockStart(prefix, width, layer, 1);
    for (let t = 0; t < time; t++) {
      const position = positions[b * time + t];
      if (position >= prefix.length) break; // positions grow along a row
      const at = (b * time + t) * width;
      key.set(prefix.values.subarray(keys + position * width, keys + (position + 1) * width), at);
      value.set(prefix.values.subarray(values + position * width, values + (position + 1) * width), at);
    }
  });
}

/**
 * Fills attention's keys and values (B, P + T, width) for rows that run without placeholders: layer
 * `layer`'s prefix keys and values first in every row, then the row's own T from `key` and `value`
 * (B, T, width), rotated as they are.
 */
export function prefixAsPast(
  keys: Float32Array,
  values: Float32Array,
  key: Float32Array,
  value: Float32Array,
  prefix: KeyValuePrefix,
  layer: number,
  batch: number,
  time: number,
  width: number,
): void {
  const P = prefix.length;
  const block = P * width;
  const prefixKeys = blockStart(prefix, width, layer, 0);
  const prefixValues = blockStart(prefix, width, layer, 1);
  for (let b = 0; b < batch; b++) {
    const row = b * (P + time) * width;
    keys.set(prefix.values.subarray(prefixKeys, prefixKeys + block), row);
    values.set(prefix.values.subarray(prefixValues, prefixValues + block), row);
    const own = b * time * width;
    keys.set(key.subarray(own, own + time * width), row + block);
    values.set(value.subarray(own, own + time * width), row + block);
  }
}

/**
 * The backward of prefixAsPast: from the gradients at attention's keys and values (B, P + T, width),
 * sums every row's first P into `training.gradients`, and writes the rows' own T into dkey and dvalue
 * (B, T, width).
 */
export function prefixAsPastBackward(
  dkey: Float32Array,
  dvalue: Float32Array,
  dkeys: Float32Array,
  dvalues: Float32Array,
  training: PrefixTraining,
  layer: number,
  batch: number,
  time: number,
  width: number,
): void {
  const { prefix, gradients } = training;
  const block = prefix.length * width;
  const keys = blockStart(prefix, width, layer, 0);
  const values = blockStart(prefix, width, layer, 1);
  for (let b = 0; b < batch; b++) {
    const row = b * (prefix.length + time) * width;
    for (let i = 0; i < block; i++) {
      gradients[keys + i] += dkeys[row + i];
      gradients[values + i] += dvalues[row + i];
    }
    const own = b * time * width;
    dkey.set(dkeys.subarray(row + block, row + block + time * width), own);
    dvalue.set(dvalues.subarray(row + block, row + block + time * width), own);
  }
}

/**
 * Refuses to run `prefix` on a row whose first `placed` positions (its cache, or the start of its input)
 * do not cover the prefix's placeholders: its keys and values would overwrite the row's own tokens.
 */
export function checkPrefixPlaced(prefix: KeyValuePrefix, placed: number): void {
  if (placed < prefix.length)
    throw new ValidationError(
      `a prefix of ${prefix.length} positions needs the row to start with as many placeholders; it starts with ${placed}`,
      {
        code: 'ADAPTER_PREFIX_UNPLACED',
        hint: 'Run a prefix through a SoftPromptSession (or loadTrainedAdapter), which puts its placeholders first.',
      },
    );
}

/** Refuses a prefix that does not fit the model (ADAPTER_SHAPE). */
export function checkPrefixFits(prefix: KeyValuePrefix, model: { config: ModelConfig }): void {
  const { config } = model;
  const expected = config.layers * 2 * prefix.length * keyValueWidth(config);
  if (!Number.isInteger(prefix.length) || prefix.length < 1 || prefix.values.length !== expected)
    throw new ValidationError(
      `the prefix does not fit this model: ${prefix.values.length} values for ${prefix.length} virtual tokens, expected ${config.layers} layers x 2 x ${prefix.length} x ${keyValueWidth(config)}`,
      { code: 'ADAPTER_SHAPE', hint: 'Use the prefix with the base model it was trained on.' },
    );
}
