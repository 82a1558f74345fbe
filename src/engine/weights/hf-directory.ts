// Hugging Face model directories: config.json plus model.safetensors or a sharded index.
// Maps transformers' config fields to ModelConfig (a table per model_type); Q/K use rotate-half RoPE.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, WeightLoadError } from '../../errors/index.js';
import type { ModelConfig, RopeScaling } from '../config.js';
import { assembleWeights } from './assemble.js';
import { huggingFaceNames } from './names.js';
import { openSafetensors } from './safetensors.js';
import type { ModelWeights } from './types.js';

/** transformers `model_type`s we run; `biases` says whether Q/K/V have biases when config is silent. */
export const huggingFaceArchitectures: Record<string, { biases: boolean }> = {
  llama: { biases: false },
  mistral: { biases: false },
  qwen2: { biases: true },
};

type HfConfig = Record<string, unknown>;

function readJson(path: string, what: string): HfConfig {
  if (!existsSync(path)) {
    throw new NotFoundError(`${path} does not exist`, {
      code: 'MODEL_NOT_FOUND',
      hint: `A Hugging Face model directory needs ${what}.`,
    });
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as HfConfig;
  } catch (error) {
    throw new WeightLoadError(`${path} is not valid JSON: ${(error as Error).message}`, {
      code: 'WEIGHT_BAD_CONFIG',
      hint: 'Fetch the file again.',
      cause: error,
    });
  }
}

function ropeScaling(config: HfConfig): RopeScaling | undefined {
  const parameters = (config.rope_parameters ?? config.rope_scaling) as
    Record<string, number | string> | undefined;
  const type = parameters?.rope_type ?? parameters?.type;
  if (!parameters || !type || type === 'default') return undefined;
  if (type === 'linear') return { type: 'linear', factor: Number(parameters.factor) };
  if (type === 'llama3') {
    return {
      type: 'llama3',
      factor: Number(parameters.factor),
      lowFrequencyFactor: Number(parameters.low_freq_factor),
      highFrequencyFactor: Number(parameters.high_freq_factor),
      originalContextLength: Number(parameters.original_max_position_embeddings),
    };
  }
  throw new WeightLoadError(`RoPE scaling "${type}" is not supported`, {
    code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE',
    hint: 'Supported RoPE scalings: default, linear, llama3.',
  });
}

/** Converts a transformers config.json to a ModelConfig. */
export function huggingFaceConfig(config: HfConfig, where: string): ModelConfig {
  const type = String(config.model_type ?? '');
  const family = huggingFaceArchitectures[type];
  if (!family) {
    throw new WeightLoadError(`${where}: model_type "${type}" is not supported`, {
      code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE',
      hint: `promptune runs Llama-family decoders: ${Object.keys(huggingFaceArchitectures).join(', ')}.`,
    });
  }
  const number = (key: string, fallback?: number): number => {
    const value = config[key] ?? fallback;
    if (typeof value !== 'number') {
      throw new WeightLoadError(`${where}: ${key} is missing`, {
        code: 'WEIGHT_BAD_CONFIG',
        hint: 'config.json is incomplete.',
      });
    }
    return value;
  };
  const hiddenSize = number('hidden_size');
  const heads = number('num_attention_heads');
  const parameters = config.rope_parameters as Record<string, number> | undefined;
  const eos = config.eos_token_id;
  return {
    architecture: type,
    hiddenSize,
    intermediateSize: number('intermediate_size'),
    layers: number('num_hidden_layers'),
    heads,
    kvHeads: number('num_key_value_heads', heads),
    headDim: number('head_dim', hiddenSize / heads),
    vocabularySize: number('vocab_size'),
    contextLength: number('max_position_embeddings'),
    rmsNormEps: number('rms_norm_eps', 1e-6),
    ropeTheta: parameters?.rope_theta ?? number('rope_theta', 10000),
    ropeStyle: 'half',
    ropeScaling: ropeScaling(config),
    tiedEmbeddings: Boolean(config.tie_word_embeddings ?? false),
    attentionBias: Boolean(config.attention_bias ?? family.biases),
    // Qwen2 names a window but applies it only with use_sliding_window (and then per layer): not supported
    slidingWindow:
      type === 'mistral' && typeof config.sliding_window === 'number' ? config.sliding_window : undefined,
    bosTokenId: typeof config.bos_token_id === 'number' ? config.bos_token_id : undefined,
    eosTokenIds: Array.isArray(eos) ? (eos as number[]) : typeof eos === 'number' ? [eos] : [],
  };
}

/** The safetensors files of a directory: one file, or the shards an index names. */
export function safetensorsFiles(directory: string): string[] {
  const single = join(directory, 'model.safetensors');
  if (existsSync(single)) return [single];
  const indexPath = join(directory, 'model.safetensors.index.json');
  if (existsSync(indexPath)) {
    const index = readJson(indexPath, 'model.safetensors.index.json') as {
      weight_map?: Record<string, string>;
    };
    return [...new Set(Object.values(index.weight_map ?? {}))].map((file) => join(directory, file));
  }
  throw new NotFoundError(`${directory} has neither model.safetensors nor model.safetensors.index.json`, {
    code: 'MODEL_NOT_FOUND',
    hint: 'promptune reads safetensors checkpoints; convert PyTorch .bin weights with transformers first.',
  });
}

/** The config.json of a Hugging Face directory, as read and as a ModelConfig. */
export function readHuggingFaceConfig(directory: string): { config: ModelConfig; raw: HfConfig } {
  const raw = readJson(join(directory, 'config.json'), 'config.json');
  return { config: huggingFaceConfig(raw, join(directory, 'config.json')), raw };
}

/** Loads config.json and the safetensors weights of a Hugging Face directory. */
export function loadHuggingFaceDirectory(directory: string): {
  config: ModelConfig;
  weights: ModelWeights;
  raw: HfConfig;
} {
  const { config, raw } = readHuggingFaceConfig(directory);
  const source = openSafetensors(safetensorsFiles(directory));
  try {
    return { config, weights: assembleWeights(config, huggingFaceNames, source, directory), raw };
  } finally {
    source.close();
  }
}
