// Hugging Face model directories: config.json plus model.safetensors or a sharded index, each read
// through a schema of the fields promptune uses (other fields pass untouched). Maps transformers'
// config fields to ModelConfig (a table per model_type); Q/K use rotate-half RoPE.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import {
  NotFoundError,
  parseInput,
  readJsonFile,
  ValidationError,
  WeightLoadError,
} from '../../errors/index.js';
import { validateConfig, type ModelConfig, type RopeScaling } from '../config.js';
import { assembleWeights } from './assemble.js';
import { phi3FusedTensors, withFusedParts, type FusedTensor } from './fused-tensors.js';
import { gemmaConfig } from './hf-gemma.js';
import {
  gemmaHuggingFaceNames,
  huggingFaceNames,
  phi3HuggingFaceNames,
  withPrefix,
  type NameTable,
} from './names.js';
import { openSafetensors } from './safetensors.js';
import type { LayerWeights, ModelWeights } from './types.js';

/** How a transformers `model_type` is read. */
export interface HuggingFaceFamily {
  /** Whether Q/K/V have biases when config.json is silent. */
  biases: boolean;
  /** Where its tensors are (default: huggingFaceNames). */
  names?: NameTable;
  /** Fused tensors whose parts the table names (Phi-3's qkv_proj and gate_up_proj). */
  fused?: FusedTensor[];
  /** Added to every RMSNorm weight at load (Gemma stores w and scales by 1 + w; GGUF files hold 1 + w). */
  normOffset?: number;
}

/** transformers `model_type`s we run, and how each is read. */
export const huggingFaceArchitectures: Record<string, HuggingFaceFamily> = {
  llama: { biases: false },
  mistral: { biases: false },
  qwen2: { biases: true },
  qwen3: { biases: false },
  smollm3: { biases: false },
  phi3: { biases: false, names: phi3HuggingFaceNames, fused: phi3FusedTensors.huggingFace },
  gemma2: { biases: false, names: gemmaHuggingFaceNames, normOffset: 1 },
  gemma3_text: { biases: false, names: gemmaHuggingFaceNames, normOffset: 1 },
};

const count = z.number().int().positive();
const positive = z.number().positive();
const tokenId = z.number().int().nonnegative();
const ropeBlock = z.looseObject({
  rope_type: z.string().optional(),
  type: z.string().optional(),
  rope_theta: positive.optional(),
  factor: positive.optional(),
  low_freq_factor: positive.optional(),
  high_freq_factor: positive.optional(),
  original_max_position_embeddings: count.optional(),
  partial_rotary_factor: positive.optional(),
  short_factor: z.array(positive).optional(),
  long_factor: z.array(positive).optional(),
  attention_factor: positive.optional(),
});
/** RoPE parameters, flat or (Gemma 3 in transformers 5) one block per layer type. */
const ropeParameters = ropeBlock
  .extend({ full_attention: ropeBlock.optional(), sliding_attention: ropeBlock.optional() })
  .nullable()
  .optional();

/** A RoPE parameter block as read. */
export type RopeBlock = z.output<typeof ropeBlock>;

/** The config.json fields promptune reads; missing required sizes are reported by huggingFaceConfig. */
const configSchema = z.looseObject({
  model_type: z.string().optional(),
  hidden_size: count.optional(),
  intermediate_size: count.optional(),
  num_hidden_layers: count.optional(),
  num_attention_heads: count.optional(),
  num_key_value_heads: count.nullable().optional(),
  head_dim: count.nullable().optional(),
  vocab_size: count.optional(),
  max_position_embeddings: count.optional(),
  rms_norm_eps: positive.optional(),
  rope_theta: positive.optional(),
  rope_parameters: ropeParameters,
  rope_scaling: ropeParameters,
  tie_word_embeddings: z.boolean().optional(),
  attention_bias: z.boolean().optional(),
  mlp_bias: z.boolean().optional(),
  sliding_window: count.nullable().optional(),
  // Qwen2/Qwen3: the window applies only with use_sliding_window, to the layers from max_window_layers on
  use_sliding_window: z.boolean().nullable().optional(),
  max_window_layers: z.number().int().min(0).nullable().optional(),
  no_rope_layers: z.array(z.number().int().min(0).max(1)).optional(),
  partial_rotary_factor: positive.optional(),
  original_max_position_embeddings: count.optional(),
  // Gemma 2/3
  hidden_activation: z.string().nullable().optional(),
  hidden_act: z.string().nullable().optional(),
  query_pre_attn_scalar: positive.nullable().optional(),
  attn_logit_softcapping: positive.nullable().optional(),
  final_logit_softcapping: positive.nullable().optional(),
  layer_types: z.array(z.string()).optional(),
  sliding_window_pattern: count.nullable().optional(),
  rope_local_base_freq: positive.optional(),
  use_bidirectional_attention: z.boolean().nullable().optional(),
  bos_token_id: tokenId.nullable().optional(),
  eos_token_id: z
    .union([tokenId, z.array(tokenId)], { error: 'expected a token id or a list of token ids' })
    .nullable()
    .optional(),
});

type HfConfig = z.output<typeof configSchema>;

/** A shard file name from an index: relative, inside the model directory. */
const shardName = z
  .string()
  .min(1)
  .refine((name) => !isAbsolute(name) && !name.split(/[\\/]/).includes('..'), {
    message: 'expected a file name inside the model directory',
  });

const indexSchema = z.looseObject({ weight_map: z.record(z.string(), shardName) });

function readConfigFile<Schema extends z.ZodType>(
  path: string,
  schema: Schema,
  what: string,
): z.output<Schema> {
  return readJsonFile(path, schema, {
    where: `${what} ${path}`,
    code: 'WEIGHT_BAD_CONFIG',
    hint: `${what} is damaged or incomplete; fetch it again.`,
    notFoundCode: 'MODEL_NOT_FOUND',
    notFoundHint: `A Hugging Face model directory needs ${what}.`,
    kind: WeightLoadError,
  });
}

/** The shard files a model.safetensors.index.json names (each inside its directory). */
export function readSafetensorsIndex(path: string): string[] {
  const index = readConfigFile(path, indexSchema, 'model.safetensors.index.json');
  return [...new Set(Object.values(index.weight_map))];
}

/** The RoPE parameters of the global layers: the flat block, or Gemma 3's full_attention one. */
function globalRope(config: HfConfig): RopeBlock | undefined {
  const parameters = config.rope_parameters ?? config.rope_scaling ?? undefined;
  return parameters?.full_attention ?? parameters;
}

function ropeScaling(config: HfConfig, where: string): RopeScaling | undefined {
  const parameters = globalRope(config);
  const type = parameters?.rope_type ?? parameters?.type;
  // longrope is read by longRope (frequency factors and an attention factor)
  if (!parameters || !type || type === 'default' || type === 'longrope') return undefined;
  const field = (
    name: 'factor' | 'low_freq_factor' | 'high_freq_factor' | 'original_max_position_embeddings',
  ) => {
    const value = parameters[name];
    if (value === undefined)
      throw new WeightLoadError(`${where}: ${type} RoPE scaling needs ${name}, which is missing`, {
        code: 'WEIGHT_BAD_CONFIG',
        hint: 'config.json is incomplete; fetch it again.',
      });
    return value;
  };
  if (type === 'linear') return { type: 'linear', factor: field('factor') };
  if (type === 'llama3') {
    return {
      type: 'llama3',
      factor: field('factor'),
      lowFrequencyFactor: field('low_freq_factor'),
      highFrequencyFactor: field('high_freq_factor'),
      originalContextLength: field('original_max_position_embeddings'),
    };
  }
  throw new WeightLoadError(`${where}: RoPE scaling "${type}" is not supported`, {
    code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE',
    hint: 'Supported RoPE scalings: default, linear, llama3, longrope.',
  });
}

/**
 * Long-RoPE (Phi-3-128k, Phi-3.5, Phi-4-mini): the short factors divide the frequencies and the attention
 * factor multiplies cos and sin, as transformers does for sequences within the original context; the
 * engine's context is that original length (the long factors are for longer ones, not supported).
 */
function longRope(config: HfConfig, rotary: number, where: string): Partial<ModelConfig> {
  const parameters = globalRope(config);
  if ((parameters?.rope_type ?? parameters?.type) !== 'longrope') return {};
  const original = parameters?.original_max_position_embeddings ?? config.original_max_position_embeddings;
  const short = parameters?.short_factor;
  if (!original || !short || short.length !== rotary / 2)
    throw new WeightLoadError(
      `${where}: longrope needs original_max_position_embeddings and ${rotary / 2} short_factor values`,
      { code: 'WEIGHT_BAD_CONFIG', hint: 'config.json is damaged or incomplete; fetch it again.' },
    );
  const factor = parameters?.factor ?? (config.max_position_embeddings ?? original) / original;
  return {
    ropeFrequencyFactors: Float32Array.from(short),
    ropeAttentionFactor:
      parameters?.attention_factor ??
      (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original))),
    contextLength: Math.min(original, config.max_position_embeddings ?? original),
  };
}

/** Converts a transformers config.json (as parsed JSON) to a ModelConfig; `where` names it in errors. */
export function huggingFaceConfig(raw: unknown, where: string): ModelConfig {
  // the architecture first: another one's fields may not fit this schema (qwen2_moe's sliding_window 0
  // read as a damaged config.json)
  const declared = (textModelConfig(raw) as { model_type?: unknown } | null)?.model_type;
  if (typeof declared === 'string' && !Object.hasOwn(huggingFaceArchitectures, declared))
    throw unsupportedArchitecture(where, declared);
  const config = parseInput(configSchema, textModelConfig(raw), {
    where: `config.json ${where}`,
    code: 'WEIGHT_BAD_CONFIG',
    hint: 'config.json is damaged or incomplete; fetch it again.',
    kind: WeightLoadError,
  });
  const type = config.model_type ?? '';
  const rotaryFraction = globalRope(config)?.partial_rotary_factor ?? config.partial_rotary_factor ?? 1;
  const family = Object.hasOwn(huggingFaceArchitectures, type) ? huggingFaceArchitectures[type] : undefined;
  if (!family) throw unsupportedArchitecture(where, type);
  // what the engine would compute otherwise, and silently: MLP biases, another activation than SiLU
  if (config.mlp_bias)
    throw new WeightLoadError(
      `${where}: mlp_bias is set: the MLP has biases, which promptune does not apply`,
      {
        code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE',
        hint: 'promptune runs Llama-family decoders whose MLP has no biases.',
      },
    );
  const activation = config.hidden_act ?? 'silu';
  if (!gemmaFamily(type) && activation !== 'silu' && activation !== 'swish')
    throw new WeightLoadError(`${where}: hidden_act "${activation}" is not supported`, {
      code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE',
      hint: `${type} runs its MLP with SiLU in promptune; a model of another activation would run wrongly.`,
    });
  const number = (
    key:
      | 'hidden_size'
      | 'intermediate_size'
      | 'num_hidden_layers'
      | 'num_attention_heads'
      | 'vocab_size'
      | 'max_position_embeddings',
  ): number => {
    const value = config[key];
    if (value === undefined) {
      throw new WeightLoadError(`${where}: ${key} is missing`, {
        code: 'WEIGHT_BAD_CONFIG',
        hint: 'config.json is incomplete.',
      });
    }
    return value;
  };
  const hiddenSize = number('hidden_size');
  const heads = number('num_attention_heads');
  const headDim = config.head_dim ?? hiddenSize / heads;
  const rotaryDims = Math.floor(headDim * rotaryFraction);
  const eos = config.eos_token_id;
  const gemma = gemmaFamily(type);
  const result: ModelConfig = {
    // Gemma 3's text model is "gemma3" to llama.cpp and in our GGUF files
    architecture: type === 'gemma3_text' ? 'gemma3' : type,
    hiddenSize,
    intermediateSize: number('intermediate_size'),
    layers: number('num_hidden_layers'),
    heads,
    kvHeads: config.num_key_value_heads ?? heads,
    headDim,
    vocabularySize: number('vocab_size'),
    contextLength: number('max_position_embeddings'),
    rmsNormEps: config.rms_norm_eps ?? 1e-6,
    ropeTheta: globalRope(config)?.rope_theta ?? config.rope_theta ?? (type === 'gemma3_text' ? 1e6 : 10000),
    ropeStyle: 'half',
    ropeScaling: ropeScaling(config, where),
    ...(rotaryDims !== headDim && { rotaryDims }),
    ...longRope(config, rotaryDims, where),
    tiedEmbeddings: config.tie_word_embeddings ?? gemma,
    attentionBias: config.attention_bias ?? family.biases,
    queryKeyNorm: type === 'qwen3' || undefined,
    layersWithoutRope: layersWithoutRope(config.no_rope_layers, number('num_hidden_layers'), where),
    slidingWindow: type === 'mistral' || type === 'phi3' ? (config.sliding_window ?? undefined) : undefined,
    ...qwenSlidingWindow(config, type, number('num_hidden_layers'), where),
    bosTokenId: config.bos_token_id ?? undefined,
    eosTokenIds: Array.isArray(eos) ? eos : typeof eos === 'number' ? [eos] : [],
    ...(gemma && gemmaConfig(config, type, number('num_hidden_layers'), hiddenSize, where)),
    // a multimodal Gemma 3's text model sits under language_model in transformers (and PEFT's names)
    ...(textModelConfig(raw) !== raw && { layersModule: 'model.language_model.layers' }),
  };
  validateConfig(result, where);
  return result;
}

/**
 * Qwen2 and Qwen3 name a window (sliding_window) that applies only with use_sliding_window, and then to
 * the layers transformers' layer_types says slide (from max_window_layers on, when it does not list
 * them); with it off (every released checkpoint) attention is full and the window is not read.
 */
function qwenSlidingWindow(
  config: HfConfig,
  type: string,
  layers: number,
  where: string,
): Pick<ModelConfig, 'slidingWindow' | 'slidingWindowLayers'> {
  if ((type !== 'qwen2' && type !== 'qwen3') || !config.use_sliding_window || !config.sliding_window)
    return {};
  const start = config.max_window_layers ?? 0;
  const layerTypes =
    config.layer_types ??
    Array.from({ length: layers }, (_, layer) => (layer >= start ? 'sliding_attention' : 'full_attention'));
  const unknown = layerTypes.find((kind) => kind !== 'full_attention' && kind !== 'sliding_attention');
  if (layerTypes.length !== layers || unknown !== undefined)
    throw new WeightLoadError(
      `${where}: layer_types ${unknown === undefined ? `lists ${layerTypes.length} layers of ${layers}` : `has "${unknown}"`}`,
      {
        code: 'WEIGHT_BAD_CONFIG',
        hint: `${type} layers are full_attention or sliding_attention, one per layer.`,
      },
    );
  const sliding = layerTypes.flatMap((kind, layer) => (kind === 'sliding_attention' ? [layer] : []));
  return sliding.length === 0 ? {} : { slidingWindow: config.sliding_window, slidingWindowLayers: sliding };
}

/** A model_type the engine does not run, with those it does. */
function unsupportedArchitecture(where: string, type: string): WeightLoadError {
  return new WeightLoadError(`${where}: model_type "${type}" is not supported`, {
    code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE',
    hint: `promptune runs Llama-family decoders: ${Object.keys(huggingFaceArchitectures).join(', ')}.`,
  });
}

/** Gemma 2 and 3, whose MLP activation their config reads (gemmaConfig). */
const gemmaFamily = (type: string) => type === 'gemma2' || type === 'gemma3_text';

/**
 * A multimodal Gemma 3 checkpoint (Gemma3ForConditionalGeneration, 4B and up) keeps its language model's
 * config in text_config: that is the model promptune runs (the vision tower is not read).
 */
function textModelConfig(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const outer = raw as Record<string, unknown>;
  const text = outer.text_config;
  if (outer.model_type !== 'gemma3' || typeof text !== 'object' || text === null) return raw;
  const { bos_token_id, eos_token_id } = outer;
  return { bos_token_id, eos_token_id, ...(text as object), model_type: 'gemma3_text' };
}

/** SmolLM3's no_rope_layers (1: the layer uses RoPE, 0: it does not) as the indices of the NoPE layers. */
function layersWithoutRope(flags: number[] | undefined, layers: number, where: string): number[] | undefined {
  if (!flags) return undefined;
  if (flags.length !== layers)
    throw new WeightLoadError(`${where}: no_rope_layers has ${flags.length} entries for ${layers} layers`, {
      code: 'WEIGHT_BAD_CONFIG',
      hint: 'config.json is damaged: no_rope_layers needs one 0 or 1 per layer.',
    });
  const without = flags.flatMap((flag, layer) => (flag === 0 ? [layer] : []));
  if (without.length === 0) return undefined;
  if (without.length === flags.length)
    throw new WeightLoadError(`${where}: no_rope_layers turns RoPE off in every layer`, {
      code: 'WEIGHT_BAD_CONFIG',
      hint: 'config.json is damaged: a model without positions in any layer is not one promptune runs.',
    });
  return without;
}

/** The safetensors files of a directory: one file, or the shards an index names. */
export function safetensorsFiles(directory: string): string[] {
  const single = join(directory, 'model.safetensors');
  if (existsSync(single)) return [single];
  const indexPath = join(directory, 'model.safetensors.index.json');
  if (existsSync(indexPath)) return readSafetensorsIndex(indexPath).map((file) => join(directory, file));
  throw new NotFoundError(`${directory} has neither model.safetensors nor model.safetensors.index.json`, {
    code: 'MODEL_NOT_FOUND',
    hint: 'promptune reads safetensors checkpoints; convert PyTorch .bin weights with transformers first.',
  });
}

const adapterConfigSchema = z.looseObject({ base_model_name_or_path: z.string().min(1).optional() });

/** The error for an adapter's folder (PEFT's adapter_config.json, no config.json) given as a model. */
function adapterNotModel(directory: string): ValidationError {
  let base: string | undefined;
  try {
    const read = adapterConfigSchema.safeParse(
      JSON.parse(readFileSync(join(directory, 'adapter_config.json'), 'utf8')),
    );
    base = read.success ? read.data.base_model_name_or_path : undefined;
  } catch {
    // unreadable: the message says what the folder is without the base model's name
  }
  return new ValidationError(`${directory} holds an adapter (adapter_config.json), not a model`, {
    code: 'MODEL_IS_ADAPTER',
    hint: `Pass the base model${base ? ` it was trained on (${base})` : ''} as the model, and the adapter with --adapter (soft eval, soft generate); to serve it, serve the base model with the adapter registered (soft train --push).`,
  });
}

/** The config.json of a Hugging Face directory, as read and as a ModelConfig. */
export function readHuggingFaceConfig(directory: string): {
  config: ModelConfig;
  raw: Record<string, unknown>;
} {
  const path = join(directory, 'config.json');
  // no config.json: say what the folder holds instead, when it is an adapter's or a GGUF file's
  if (!existsSync(path) && existsSync(directory)) {
    if (existsSync(join(directory, 'adapter_config.json'))) throw adapterNotModel(directory);
    const ggufFiles = readdirSync(directory).filter((file) => file.endsWith('.gguf'));
    if (ggufFiles.length)
      throw new NotFoundError(`${directory} has no config.json: it is not a Hugging Face model folder`, {
        code: 'MODEL_NOT_FOUND',
        hint: `It holds ${ggufFiles.join(', ')}: pass that file as the model (${join(directory, ggufFiles[0])}).`,
      });
  }
  const raw = readConfigFile(path, z.record(z.string(), z.unknown()), 'config.json');
  return { config: huggingFaceConfig(raw, path), raw };
}

/** Loads config.json and the safetensors weights of a Hugging Face directory. */
export function loadHuggingFaceDirectory(directory: string): {
  config: ModelConfig;
  weights: ModelWeights;
  raw: Record<string, unknown>;
} {
  const { config, raw } = readHuggingFaceConfig(directory);
  const source = openSafetensors(safetensorsFiles(directory));
  try {
    // the family huggingFaceConfig accepted (a multimodal Gemma 3 is read as its text model)
    const family =
      huggingFaceArchitectures[String((textModelConfig(raw) as { model_type?: unknown }).model_type)];
    let names = family.names ?? huggingFaceNames;
    // multimodal Gemma 3: the text model under language_model (Hub files) or model.language_model (transformers 5)
    for (const root of ['language_model.model.', 'model.language_model.'])
      if (!source.has(names.model.embedding) && source.has(`${root}embed_tokens.weight`))
        names = withPrefix(names, 'model.', root);
    // Phi-3 fuses Q/K/V and gate/up: each part is read as rows of the fused tensor
    const tensors = family.fused ? withFusedParts(source, config, family.fused) : source;
    const weights = assembleWeights(config, names, tensors, directory);
    if (family.normOffset) offsetNorms(weights, family.normOffset);
    return { config, weights, raw };
  } finally {
    source.close();
  }
}

/** A layer's RMSNorm weights: what a norm offset (Gemma's 1 + w) applies to. */
export const LAYER_NORMS = new Set<keyof LayerWeights>([
  'attentionNorm',
  'mlpNorm',
  'postAttentionNorm',
  'postMlpNorm',
  'queryNorm',
  'keyNorm',
]);

/** Adds `offset` to every RMSNorm weight (Gemma's 1 + w), so the engine's norms stay plain. */
function offsetNorms(weights: ModelWeights, offset: number): void {
  const add = (values: Float32Array | null) => {
    if (values) for (let i = 0; i < values.length; i++) values[i] += offset;
  };
  add(weights.finalNorm);
  for (const layer of weights.layers) for (const norm of LAYER_NORMS) add(layer[norm] as Float32Array | null);
}
