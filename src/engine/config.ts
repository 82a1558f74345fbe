// The Llama-family model configuration, and the engine's shape letters, defined once here:
//   B batch rows, T time steps (tokens) per row, S key/value slots (cache capacity), C hidden channels,
//   H query heads, KVH key/value heads, hd head dimension, I MLP intermediate size, V vocabulary, L layers.
// The letters are used only inside src/engine; everywhere else, full words.
import { ValidationError } from '../errors/index.js';

/** How RoPE pairs the dimensions of a head. */
export type RopeStyle = 'interleaved' | 'half';

/** RoPE frequency scaling for long-context variants. */
export type RopeScaling =
  | {
      type: 'llama3';
      factor: number;
      lowFrequencyFactor: number;
      highFrequencyFactor: number;
      originalContextLength: number;
    }
  | { type: 'linear'; factor: number };

/** Everything the decoder needs to know about a Llama-family model's shape. */
export interface ModelConfig {
  /** Family name as the source file called it: llama, mistral, qwen2, ... */
  architecture: string;
  hiddenSize: number; // C
  intermediateSize: number; // I
  layers: number; // L
  heads: number; // H
  kvHeads: number; // KVH (grouped-query attention when < heads)
  headDim: number; // hd (usually hiddenSize / heads)
  vocabularySize: number; // V
  contextLength: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeStyle: RopeStyle;
  ropeScaling?: RopeScaling;
  /**
   * Per-frequency divisors, length rotaryDims / 2: GGUF `rope_freqs.weight` (llama 3.1+), or long-RoPE's
   * short factors (Phi-3.5/4, whose context is then the original one the short factors are for).
   */
  ropeFrequencyFactors?: Float32Array;
  /** Multiplies RoPE's cosines and sines (long-RoPE's attention factor); default 1. */
  ropeAttentionFactor?: number;
  /** The dimensions RoPE rotates at the start of each head (Phi-4-mini: 3/4 of it); default headDim. */
  rotaryDims?: number;
  /**
   * Where transformers keeps the decoder layers, as PEFT names modules: `model.layers` (undefined, every
   * causal LM) or `model.language_model.layers` (a multimodal Gemma 3, whose text model promptune runs).
   */
  layersModule?: string;
  /** Attend only to the last this-many positions (Mistral v0.1); undefined: the whole context. */
  slidingWindow?: number;
  /** The layers slidingWindow applies to (Gemma: the local layers); undefined: every layer. */
  slidingWindowLayers?: number[];
  /** RoPE base of the sliding-window layers, which take no RoPE scaling (Gemma 3's local layers). */
  localRopeTheta?: number;
  /** Token embeddings are multiplied by this as they enter the residual stream (Gemma: sqrt(hiddenSize)). */
  embeddingScale?: number;
  /** The MLP's gate activation: SiLU (SwiGLU, the default) or GELU's tanh approximation (GeGLU, Gemma). */
  mlpActivation?: 'silu' | 'gelu-tanh';
  /** An RMSNorm also on each block's output before its residual add (Gemma 2/3's sandwich norms). */
  postNorms?: boolean;
  /** Query-key scores are multiplied by this; default 1/sqrt(headDim) (Gemma: query_pre_attn_scalar^-1/2). */
  attentionScale?: number;
  /** Attention scores become cap * tanh(score / cap) (Gemma 2). */
  attentionSoftcap?: number;
  /** Logits become cap * tanh(logit / cap) (Gemma 2). */
  logitSoftcap?: number;
  /** The classifier reuses the token embedding. */
  tiedEmbeddings: boolean;
  /** Q, K and V projections have biases (Qwen2). */
  attentionBias: boolean;
  /** Each query and key head is RMS-normalized (its own weights, over headDim) before RoPE (Qwen3). */
  queryKeyNorm?: boolean;
  /** Layers whose queries and keys are not rotated (SmolLM3's NoPE layers: every fourth). */
  layersWithoutRope?: number[];
  bosTokenId?: number;
  eosTokenIds: number[];
}

/** Throws a ValidationError naming the first inconsistent field. */
export function validateConfig(config: ModelConfig, where: string): void {
  const positive: (keyof ModelConfig)[] = [
    'hiddenSize',
    'intermediateSize',
    'layers',
    'heads',
    'kvHeads',
    'headDim',
    'vocabularySize',
    'contextLength',
  ];
  for (const field of positive) {
    const value = config[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new ValidationError(`${where}: ${field} is ${String(value)}, expected a positive integer`, {
        code: 'CONFIG_INVALID',
        hint: 'The model file is incomplete or not a Llama-family model.',
      });
    }
  }
  const finitePositive: [string, number | undefined][] = [
    ['rmsNormEps', config.rmsNormEps],
    ['ropeTheta', config.ropeTheta],
    ['ropeScaling.factor', config.ropeScaling?.factor ?? 1],
    ['ropeAttentionFactor', config.ropeAttentionFactor ?? 1],
    ['localRopeTheta', config.localRopeTheta ?? 1],
    ['embeddingScale', config.embeddingScale ?? 1],
    ['attentionScale', config.attentionScale ?? 1],
    ['attentionSoftcap', config.attentionSoftcap ?? 1],
    ['logitSoftcap', config.logitSoftcap ?? 1],
  ];
  if (config.ropeScaling?.type === 'llama3')
    finitePositive.push(
      ['ropeScaling.lowFrequencyFactor', config.ropeScaling.lowFrequencyFactor],
      ['ropeScaling.highFrequencyFactor', config.ropeScaling.highFrequencyFactor],
      ['ropeScaling.originalContextLength', config.ropeScaling.originalContextLength],
    );
  for (const [field, value] of finitePositive) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ValidationError(`${where}: ${field} is ${String(value)}, expected a finite positive number`, {
        code: 'CONFIG_INVALID',
        hint: 'The model file holds an impossible value; fetch or convert it again.',
      });
    }
  }
  const slidingWindow = config.slidingWindow;
  if (slidingWindow !== undefined && (!Number.isInteger(slidingWindow) || slidingWindow <= 0)) {
    throw new ValidationError(`${where}: slidingWindow is ${slidingWindow}, expected a positive integer`, {
      code: 'CONFIG_INVALID',
      hint: 'The model file holds an impossible value; fetch or convert it again.',
    });
  }
  if (config.heads % config.kvHeads !== 0) {
    throw new ValidationError(
      `${where}: ${config.heads} heads are not a multiple of ${config.kvHeads} key/value heads`,
      {
        code: 'CONFIG_INVALID',
        hint: 'Grouped-query attention needs heads to be a multiple of key/value heads.',
      },
    );
  }
  if (config.headDim % 2 !== 0) {
    throw new ValidationError(`${where}: head dimension ${config.headDim} is odd`, {
      code: 'CONFIG_INVALID',
      hint: 'RoPE rotates pairs of dimensions, so the head dimension must be even.',
    });
  }
  const rotary = rotaryDims(config);
  if (!Number.isInteger(rotary) || rotary <= 0 || rotary % 2 !== 0 || rotary > config.headDim) {
    throw new ValidationError(
      `${where}: RoPE on ${rotary} dimensions of heads of ${config.headDim}, expected an even number up to it`,
      {
        code: 'CONFIG_INVALID',
        hint: 'The model file holds an impossible value; fetch or convert it again.',
      },
    );
  }
  const factors = config.ropeFrequencyFactors;
  if (factors && factors.length !== rotary / 2) {
    throw new ValidationError(
      `${where}: ${factors.length} RoPE frequency factors for ${rotary / 2} frequencies`,
      { code: 'CONFIG_INVALID', hint: 'The model file is damaged: one factor per rotated pair is expected.' },
    );
  }
  // a special token past the vocabulary would be a prompt no embedding exists for (or an end never met)
  const special = [config.bosTokenId, ...(config.eosTokenIds ?? [])].find(
    (id) => id !== undefined && id >= config.vocabularySize,
  );
  if (special !== undefined)
    throw new ValidationError(
      `${where}: special token id ${special} is past the vocabulary of ${config.vocabularySize}`,
      {
        code: 'CONFIG_INVALID',
        hint: 'The model file holds an impossible value; fetch or convert it again.',
      },
    );
  for (const [field, layers] of [
    ['slidingWindowLayers', config.slidingWindowLayers],
    ['layersWithoutRope', config.layersWithoutRope],
  ] as const) {
    const outside = layers?.find((layer) => !Number.isInteger(layer) || layer < 0 || layer >= config.layers);
    if (outside !== undefined)
      throw new ValidationError(`${where}: ${field} names layer ${outside} of ${config.layers}`, {
        code: 'CONFIG_INVALID',
        hint: 'The model file is damaged: layer indices run from 0 to the layer count - 1.',
      });
  }
}

/** The dimensions RoPE rotates at the start of each head. */
export function rotaryDims(config: ModelConfig): number {
  return config.rotaryDims ?? config.headDim;
}

/**
 * Whether `layer` is the last of its run of `period` layers (period - 1, 2 period - 1, …): how llama.cpp
 * and transformers place SmolLM3's layers without RoPE (every fourth) and Gemma's global layers.
 */
export function endsPeriod(layer: number, period: number): boolean {
  return (layer + 1) % period === 0;
}

/** Whether layer `layer` attends within the sliding window. */
export function usesSlidingWindow(config: ModelConfig, layer: number): boolean {
  return config.slidingWindow !== undefined && (config.slidingWindowLayers?.includes(layer) ?? true);
}

/** Parameter count of a Llama-family model with this config (the tied classifier counted once). */
export function parameterCount(config: ModelConfig): number {
  const {
    hiddenSize: C,
    intermediateSize: I,
    headDim: hd,
    heads: H,
    kvHeads: KVH,
    vocabularySize: V,
  } = config;
  const attention = C * H * hd * 2 + C * KVH * hd * 2 + (config.attentionBias ? H * hd + 2 * KVH * hd : 0);
  const perLayer =
    attention + 3 * C * I + (config.postNorms ? 4 : 2) * C + (config.queryKeyNorm ? 2 * hd : 0);
  return V * C * (config.tiedEmbeddings ? 1 : 2) + config.layers * perLayer + C;
}
