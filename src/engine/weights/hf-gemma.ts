// What a Gemma 2 / Gemma 3 (text) config.json adds to the Llama-family fields: embedding scaling,
// sandwich norms, GeGLU, query pre-attention scaling, soft-capping, and which layers are local
// (sliding-window, with Gemma 3's own RoPE base) or global. Both the transformers 5 format (layer_types,
// rope_parameters per layer type) and the older one on the Hub (sliding_window_pattern,
// rope_local_base_freq, rope_scaling) are read.
import { WeightLoadError } from '../../errors/index.js';
import { endsPeriod, type ModelConfig } from '../config.js';

/** The config.json fields read here, as hf-directory.ts's schema has parsed them. */
export interface GemmaConfigFields {
  hidden_activation?: string | null;
  hidden_act?: string | null;
  use_bidirectional_attention?: boolean | null;
  sliding_window?: number | null;
  sliding_window_pattern?: number | null;
  layer_types?: string[];
  query_pre_attn_scalar?: number | null;
  attn_logit_softcapping?: number | null;
  final_logit_softcapping?: number | null;
  rope_local_base_freq?: number;
  rope_parameters?: { sliding_attention?: { rope_theta?: number } } | null;
}

/** Gemma's defaults where config.json is silent, as transformers' config classes set them. */
const defaults = {
  gemma2: { pattern: 2, attentionSoftcap: 50, logitSoftcap: 30 },
  gemma3_text: { pattern: 6, attentionSoftcap: undefined, logitSoftcap: undefined },
} as const;

/** The Gemma-specific part of a ModelConfig. */
export function gemmaConfig(
  config: GemmaConfigFields,
  type: 'gemma2' | 'gemma3_text',
  layers: number,
  hiddenSize: number,
  where: string,
): Partial<ModelConfig> {
  const fail = (message: string, hint: string, code = 'WEIGHT_BAD_CONFIG') => {
    throw new WeightLoadError(`${where}: ${message}`, { code, hint });
  };
  const activation = config.hidden_activation ?? config.hidden_act ?? 'gelu_pytorch_tanh';
  if (activation !== 'gelu_pytorch_tanh')
    fail(
      `hidden_activation "${activation}" is not supported`,
      "Gemma 2 and 3 use gelu_pytorch_tanh (GeGLU with GELU's tanh approximation).",
      'WEIGHT_UNSUPPORTED_ARCHITECTURE',
    );
  if (config.use_bidirectional_attention)
    fail(
      'bidirectional attention (an embedding model such as EmbeddingGemma) is not supported',
      'promptune runs causal decoders; use a Gemma text-generation checkpoint.',
      'WEIGHT_UNSUPPORTED_ARCHITECTURE',
    );
  const pattern = type === 'gemma2' ? 2 : (config.sliding_window_pattern ?? defaults[type].pattern);
  const layerTypes =
    config.layer_types ??
    Array.from({ length: layers }, (_, layer) =>
      endsPeriod(layer, pattern) ? 'full_attention' : 'sliding_attention',
    );
  if (layerTypes.length !== layers)
    fail(`layer_types has ${layerTypes.length} entries for ${layers} layers`, 'config.json is damaged.');
  const unknown = layerTypes.find((kind) => kind !== 'full_attention' && kind !== 'sliding_attention');
  if (unknown !== undefined)
    fail(
      `layer type "${unknown}" is not supported`,
      'Gemma layers are full_attention or sliding_attention.',
      'WEIGHT_UNSUPPORTED_ARCHITECTURE',
    );
  const slidingWindowLayers = layerTypes.flatMap((kind, layer) =>
    kind === 'sliding_attention' ? [layer] : [],
  );
  if (slidingWindowLayers.length > 0 && !config.sliding_window)
    fail('sliding-window layers are named but sliding_window is missing', 'config.json is incomplete.');
  // a cap of null means none; a missing one takes the class default (Gemma 2: 50 and 30)
  const cap = (value: number | null | undefined, fallback: number | undefined) =>
    value === null ? undefined : (value ?? fallback);
  const local = config.rope_parameters?.sliding_attention?.rope_theta ?? config.rope_local_base_freq ?? 10000;
  return {
    embeddingScale: Math.sqrt(hiddenSize),
    mlpActivation: 'gelu-tanh',
    postNorms: true,
    queryKeyNorm: type === 'gemma3_text' || undefined,
    attentionScale: (config.query_pre_attn_scalar ?? 256) ** -0.5,
    attentionSoftcap: cap(config.attn_logit_softcapping, defaults[type].attentionSoftcap),
    logitSoftcap: cap(config.final_logit_softcapping, defaults[type].logitSoftcap),
    slidingWindow: slidingWindowLayers.length > 0 ? (config.sliding_window ?? undefined) : undefined,
    slidingWindowLayers: slidingWindowLayers.length > 0 ? slidingWindowLayers : undefined,
    // Gemma 3's local layers rotate with their own base and no scaling; Gemma 2's share the global RoPE
    localRopeTheta: type === 'gemma3_text' ? local : undefined,
  };
}
