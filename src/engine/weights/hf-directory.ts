// Hugging Face model directories: config.json plus model.safetensors or a sharded index, each read
// through a schema of the fields promptune uses (other fields pass untouched). Maps transformers'
// config fields to ModelConfig (a table per model_type); Q/K use rotate-half RoPE.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { NotFoundError, parseInput, readJsonFile, WeightLoadError } from '../../errors/index.js';
import { validateConfig, type ModelConfig, type RopeScaling } from '../config.js';
import { assembleWeights } from './assemble.js';
import { phi3FusedTensors, withFusedParts } from './fused-tensors.js';
import { huggingFaceNames, phi3HuggingFaceNames } from './names.js';
import { openSafetensors } from './safetensors.js';
import type { ModelWeights } from './types.js';

/** transformers `model_type`s we run; `biases` says whether Q/K/V have biases when config is silent. */
export const huggingFaceArchitectures: Record<string, { biases: boolean }> = {
  llama: { biases: false },
  mistral: { biases: false },
  qwen2: { biases: true },
  qwen3: { biases: false },
  smollm3: { biases: false },
  phi3: { biases: false },
};

const count = z.number().int().positive();
const positive = z.number().positive();
const tokenId = z.number().int().nonnegative();
const ropeParameters = z
  .looseObject({
    rope_type: z.string().optional(),
    type: z.string().optional(),
    rope_theta: positive.optional(),
    factor: positive.optional(),
    low_freq_factor: positive.optional(),
    high_freq_factor: positive.optional(),
    original_max_position_embeddings: count.optional(),
    partial_rotary_factor: positive.optional(),
  })
  .nullable()
  .optional();

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
  sliding_window: count.nullable().optional(),
  no_rope_layers: z.array(z.number().int().min(0).max(1)).optional(),
  partial_rotary_factor: positive.optional(),
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

function ropeScaling(config: HfConfig, where: string): RopeScaling | undefined {
  const parameters = config.rope_parameters ?? config.rope_scaling;
  const type = parameters?.rope_type ?? parameters?.type;
  if (!parameters || !type || type === 'default') return undefined;
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
    hint: 'Supported RoPE scalings: default, linear, llama3 (not yet longrope, as Phi-3-128k and Phi-3.5/4 use).',
  });
}

/** Converts a transformers config.json (as parsed JSON) to a ModelConfig; `where` names it in errors. */
export function huggingFaceConfig(raw: unknown, where: string): ModelConfig {
  const config = parseInput(configSchema, raw, {
    where: `config.json ${where}`,
    code: 'WEIGHT_BAD_CONFIG',
    hint: 'config.json is damaged or incomplete; fetch it again.',
    kind: WeightLoadError,
  });
  const type = config.model_type ?? '';
  const rotary = config.rope_parameters?.partial_rotary_factor ?? config.partial_rotary_factor ?? 1;
  if (rotary !== 1)
    throw new WeightLoadError(
      `${where}: RoPE on ${rotary * 100}% of each head (partial_rotary_factor) is not supported yet`,
      {
        code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE',
        hint: 'Phi-4-mini rotates part of each head; promptune runs models whose RoPE covers the whole head (Phi-3-mini does).',
      },
    );
  const family = Object.hasOwn(huggingFaceArchitectures, type) ? huggingFaceArchitectures[type] : undefined;
  if (!family) {
    throw new WeightLoadError(`${where}: model_type "${type}" is not supported`, {
      code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE',
      hint: `promptune runs Llama-family decoders: ${Object.keys(huggingFaceArchitectures).join(', ')}.`,
    });
  }
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
  const eos = config.eos_token_id;
  const result: ModelConfig = {
    architecture: type,
    hiddenSize,
    intermediateSize: number('intermediate_size'),
    layers: number('num_hidden_layers'),
    heads,
    kvHeads: config.num_key_value_heads ?? heads,
    headDim: config.head_dim ?? hiddenSize / heads,
    vocabularySize: number('vocab_size'),
    contextLength: number('max_position_embeddings'),
    rmsNormEps: config.rms_norm_eps ?? 1e-6,
    ropeTheta: config.rope_parameters?.rope_theta ?? config.rope_theta ?? 10000,
    ropeStyle: 'half',
    ropeScaling: ropeScaling(config, where),
    tiedEmbeddings: config.tie_word_embeddings ?? false,
    attentionBias: config.attention_bias ?? family.biases,
    queryKeyNorm: type === 'qwen3' || undefined,
    layersWithoutRope: layersWithoutRope(config.no_rope_layers, number('num_hidden_layers'), where),
    // Qwen2 names a window but applies it only with use_sliding_window (and then per layer): not supported
    slidingWindow: type === 'mistral' || type === 'phi3' ? (config.sliding_window ?? undefined) : undefined,
    bosTokenId: config.bos_token_id ?? undefined,
    eosTokenIds: Array.isArray(eos) ? eos : typeof eos === 'number' ? [eos] : [],
  };
  validateConfig(result, where);
  return result;
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

/** The config.json of a Hugging Face directory, as read and as a ModelConfig. */
export function readHuggingFaceConfig(directory: string): {
  config: ModelConfig;
  raw: Record<string, unknown>;
} {
  const path = join(directory, 'config.json');
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
    // Phi-3 fuses Q/K/V and gate/up: read each part as rows of the fused tensor
    const phi3 = config.architecture === 'phi3';
    const names = phi3 ? phi3HuggingFaceNames : huggingFaceNames;
    const tensors = phi3 ? withFusedParts(source, config, phi3FusedTensors.huggingFace) : source;
    return { config, weights: assembleWeights(config, names, tensors, directory), raw };
  } finally {
    source.close();
  }
}
