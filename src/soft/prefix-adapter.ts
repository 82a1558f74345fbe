// PEFT-compatible prefix-tuning adapters: adapter_config.json (peft_type PREFIX_TUNING) and
// adapter_model.safetensors holding `prompt_embeddings` [P, L * 2 * token_dim], PEFT's past key values
// flattened per virtual token (layer by layer, key then value, head by head), where token_dim is the
// width of a key row (KV heads x head dim, as PEFT sizes it for grouped-query attention). The engine holds
// a prefix layer by layer instead (key-value-prefix.ts); this file converts. A prefix starts random (as
// PEFT's) or from the KV cache of a text (the start that did best in PEFT's method comparison).
// promptune.json records the rest.
import { z } from 'zod';
import { ValidationError, WeightLoadError } from '../errors/index.js';
import {
  checkPrefixFits,
  firstNonFinite,
  keyValueWidth,
  type KeyValuePrefix,
  type LlamaModel,
  type Random,
  type Tokenizer,
} from '../engine/index.js';
import {
  adapterTensorPath,
  checkBaseModel,
  readAdapterMetadata,
  readPeftConfig,
  readPromptEmbeddings,
  writeAdapterFiles,
  type AdapterMetadata,
  type BaseModelNames,
} from './peft-adapter.js';
import { modelFingerprint } from './model-fingerprint.js';
import { modelQueryKeyOrder, prefixInOrder, storedQueryKeyOrder } from './query-key-order.js';
import { initTokenIds, standardNormal, type PromptInit, type SoftPrompt } from './soft-prompt.js';

/** The fields of a prefix-tuning adapter_config.json that loading depends on. */
const prefixConfigSchema = z.looseObject({
  peft_type: z.literal('PREFIX_TUNING'),
  num_virtual_tokens: z.number().int().positive().max(65_536),
  num_layers: z.number().int().positive().max(1024),
  token_dim: z
    .number()
    .int()
    .positive()
    .max(1 << 20),
  num_attention_heads: z.number().int().positive().nullable().optional(),
  num_transformer_submodules: z.number().int().positive().nullable().optional(),
  prefix_projection: z.boolean().nullable().optional(),
  encoder_hidden_size: z.number().int().positive().nullable().optional(),
  base_model_name_or_path: z.string().nullable().optional(),
});
/** A prefix-tuning adapter_config.json as read (the fields loading depends on; the rest pass through). */
export type PrefixConfig = z.output<typeof prefixConfigSchema>;

/** Reads a prefix-tuning adapter_config.json through its schema; an encoder-decoder's is refused. */
export function readPrefixConfig(directory: string): PrefixConfig {
  return readPeftConfig(directory, prefixConfigSchema);
}

/** A loaded prefix-tuning adapter folder. */
export interface LoadedPrefix {
  prefix: KeyValuePrefix;
  config: PrefixConfig;
  metadata: AdapterMetadata | undefined;
}

/** PEFT's flat past key values (P, L * 2 * width) as the engine's (L, 2, P, width). */
export function prefixFromPeft(
  flat: Float32Array,
  length: number,
  layers: number,
  width: number,
): KeyValuePrefix {
  const values = new Float32Array(flat.length);
  for (let p = 0; p < length; p++)
    for (let block = 0; block < layers * 2; block++) {
      const from = (p * layers * 2 + block) * width;
      values.set(flat.subarray(from, from + width), (block * length + p) * width);
    }
  return { kind: 'prefix', length, values };
}

/** The engine's prefix as PEFT's flat past key values (P, L * 2 * width). */
export function prefixToPeft(prefix: KeyValuePrefix, layers: number, width: number): Float32Array {
  const flat = new Float32Array(prefix.values.length);
  const { length } = prefix;
  for (let p = 0; p < length; p++)
    for (let block = 0; block < layers * 2; block++) {
      const from = (block * length + p) * width;
      flat.set(prefix.values.subarray(from, from + width), (p * layers * 2 + block) * width);
    }
  return flat;
}

/**
 * Reads and checks a prefix-tuning folder without a model: its config, one prompt_embeddings tensor of
 * [num_virtual_tokens, num_layers * 2 * token_dim], every value finite.
 */
export function readPrefixFolder(directory: string): LoadedPrefix {
  const tensorPath = adapterTensorPath(directory, 'promptune soft train --method prefix-tuning');
  const config = readPrefixConfig(directory);
  const metadata = readAdapterMetadata(directory);
  const corrupt = (what: string) =>
    new WeightLoadError(`${tensorPath}: ${what}`, {
      code: 'ADAPTER_CORRUPT',
      hint: 'The adapter file is damaged or its config belongs to another; train or download it again.',
    });
  const { values: flat } = readPromptEmbeddings(tensorPath, (shape) => {
    const width = config.num_layers * 2 * config.token_dim;
    if (shape.length !== 2 || shape[0] !== config.num_virtual_tokens || shape[1] !== width)
      throw corrupt(
        `prompt_embeddings is [${shape}]; the config says [${config.num_virtual_tokens}, ${config.num_layers} x 2 x ${config.token_dim}]`,
      );
  });
  const bad = firstNonFinite(flat);
  if (bad >= 0) throw corrupt(`prompt_embeddings holds ${flat[bad]} at ${bad}`);
  const prefix = prefixFromPeft(flat, config.num_virtual_tokens, config.num_layers, config.token_dim);
  return { prefix, config, metadata };
}

/**
 * Reads a prefix-tuning folder for `model` (readPrefixFolder's checks): its layers and key width must be
 * the model's; one made for other weights (promptune.json's fingerprint) is refused unless `force`.
 */
export function loadPrefixAdapter(
  directory: string,
  model: LlamaModel,
  options: { force?: boolean } = {},
): LoadedPrefix {
  const loaded = readPrefixFolder(directory);
  const { config, metadata } = loaded;
  if (!options.force) checkBaseModel(metadata, model);
  if (config.num_layers !== model.config.layers || config.token_dim !== keyValueWidth(model.config))
    throw new ValidationError(
      `the prefix has ${config.num_layers} layers of key width ${config.token_dim}; the model ${model.config.layers} of ${keyValueWidth(model.config)}`,
      {
        code: 'ADAPTER_SHAPE',
        hint: `It was made for ${config.base_model_name_or_path ?? 'another model'}; load that model.`,
      },
    );
  // with the layers and key width the model's, the prefix read to the config's shape fits it; its keys'
  // dimensions as the model runs them (a llama's GGUF interleaves them)
  const order = storedQueryKeyOrder(metadata, model);
  return { ...loaded, prefix: prefixInOrder(loaded.prefix, model, order, modelQueryKeyOrder(model)) };
}

/**
 * The prompt a prefix's rows run with: P placeholder vectors (zeros) first, then the row, so the row's
 * tokens sit after the prefix as they do after PEFT's past key values.
 */
export function prefixPlaceholders(model: LlamaModel, prefix: KeyValuePrefix): SoftPrompt {
  const C = model.config.hiddenSize;
  return {
    virtualTokens: prefix.length,
    hiddenSize: C,
    values: new Float32Array(prefix.length * C),
    layout: 'peft',
  };
}

/**
 * A new prefix of `length` virtual tokens. Random (normal: PEFT's start, standard normal), or made of
 * tokens (sampled vocabulary, a text, the label words; the best start in PEFT's comparison): the keys and values the model
 * computes for them, at the positions the prefix takes.
 */
export function initPrefix(
  model: LlamaModel,
  tokenizer: Tokenizer,
  length: number,
  init: PromptInit,
  random: Random,
): KeyValuePrefix {
  if (!Number.isInteger(length) || length < 1 || length >= model.config.contextLength)
    throw new ValidationError(`virtual tokens: ${length}`, {
      code: 'SOFT_PROMPT_SIZE',
      hint: `Use a whole number of virtual tokens from 1 to ${model.config.contextLength - 1} (10-30 is usual for prefixes).`,
    });
  const { layers: L } = model.config;
  const width = keyValueWidth(model.config);
  const size = L * 2 * length * width;
  if (init.kind === 'normal')
    return {
      kind: 'prefix',
      length,
      values: Float32Array.from({ length: size }, () => standardNormal(random)),
    };
  if (init.kind === 'random') {
    const scale = init.scale ?? 0.5;
    return {
      kind: 'prefix',
      length,
      values: Float32Array.from({ length: size }, () => (random() * 2 - 1) * scale),
    };
  }
  const ids = initTokenIds(model, tokenizer, length, init, random);
  const tokens = Int32Array.from({ length }, (_, i) => ids[i % ids.length]);
  const cache = model.createCache(1, length);
  model.forward({ batch: 1, time: length, tokens, cache, logits: 'last' });
  const values = new Float32Array(size);
  for (let l = 0; l < L; l++) {
    values.set(cache.keys[l].subarray(0, length * width), l * 2 * length * width);
    values.set(cache.values[l].subarray(0, length * width), (l * 2 + 1) * length * width);
  }
  const bad = firstNonFinite(values);
  if (bad >= 0)
    throw new ValidationError(`the ${init.kind} initialization of the prefix holds ${values[bad]}`, {
      code: 'SOFT_PROMPT_INIT',
      hint: "The model's weights give non-finite keys or values; load the model again from a good file.",
    });
  return { kind: 'prefix', length, values };
}

/** Writes a prefix-tuning folder PEFT loads (each file via a temporary name, then renamed). */
export function savePrefixAdapter(
  directory: string,
  prefix: KeyValuePrefix,
  model: LlamaModel,
  metadata: Omit<AdapterMetadata, 'format' | 'layout' | 'baseModel'> & BaseModelNames,
): void {
  const bad = firstNonFinite(prefix.values);
  if (bad >= 0)
    throw new ValidationError(`the prefix to save in ${directory} holds ${prefix.values[bad]}`, {
      code: 'ADAPTER_NOT_FINITE',
      hint: 'Training diverged; lower the learning rate or clip the gradient, and train again.',
    });
  checkPrefixFits(prefix, model);
  const { layers: L } = model.config;
  const width = keyValueWidth(model.config);
  const { baseModelName, baseModelPath, ...rest } = metadata;
  // the prefix itself, whatever trained it: a reparameterization is not kept (PEFT saves its output too)
  const config = {
    auto_mapping: null,
    base_model_name_or_path: baseModelPath ?? baseModelName,
    encoder_hidden_size: width,
    inference_mode: true,
    num_attention_heads: model.config.kvHeads,
    num_layers: L,
    num_transformer_submodules: 1,
    num_virtual_tokens: prefix.length,
    peft_type: 'PREFIX_TUNING',
    prefix_projection: false,
    revision: null,
    task_type: 'CAUSAL_LM',
    token_dim: width,
  };
  const sidecar: AdapterMetadata = {
    format: 'promptune-soft-prompt',
    layout: 'peft',
    baseModel: { name: baseModelName, sha256: modelFingerprint(model) },
    ...rest,
    queryKeyOrder: 'rotate-half',
  };
  // the keys written in Hugging Face's order of their dimensions, which PEFT reads
  const stored = prefixInOrder(prefix, model, modelQueryKeyOrder(model), 'rotate-half');
  writeAdapterFiles(
    directory,
    { prompt_embeddings: { shape: [prefix.length, L * 2 * width], data: prefixToPeft(stored, L, width) } },
    config,
    sidecar,
  );
}
