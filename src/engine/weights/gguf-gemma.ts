// What llama.cpp's Gemma 2 / Gemma 3 GGUF files say beyond the Llama-family keys, and what llama.cpp
// fixes in code instead: the embedding scale, GeGLU, the sliding-window period (every other layer for
// Gemma 2, five local layers then a global one for Gemma 3), Gemma 3's local RoPE base (10000), the
// query scale (1/sqrt(head size), or 1/sqrt(hidden/heads) for the 27B models) and Gemma 2's default
// soft caps. Keys our writer adds for what those defaults cannot say are read first.
import { endsPeriod, type ModelConfig } from '../config.js';

/** Layer counts of the 27B models, whose query scale llama.cpp derives from hidden size / heads. */
const layersOf27B = { gemma2: 46, gemma3: 62 } as const;

/** The Gemma-specific part of a ModelConfig from GGUF metadata (`key` reads `<architecture>.<name>`). */
export function gemmaGgufConfig(
  architecture: 'gemma2' | 'gemma3',
  key: (name: string) => number | undefined,
  shape: { hiddenSize: number; heads: number; headDim: number; layers: number; sandwich: boolean },
): Partial<ModelConfig> {
  const gemma2 = architecture === 'gemma2';
  const pattern = key('attention.sliding_window_pattern') ?? (gemma2 ? 2 : 6);
  const slidingWindowLayers = Array.from({ length: shape.layers }, (_, layer) => layer).filter(
    (layer) => !endsPeriod(layer, pattern),
  );
  const queryScalar =
    shape.layers === layersOf27B[architecture] ? shape.hiddenSize / shape.heads : shape.headDim;
  return {
    embeddingScale: Math.sqrt(shape.hiddenSize),
    mlpActivation: 'gelu-tanh',
    postNorms: shape.sandwich || undefined,
    attentionScale: key('attention.scale') ?? 1 / Math.sqrt(queryScalar),
    attentionSoftcap: key('attn_logit_softcapping') ?? (gemma2 ? 50 : undefined),
    logitSoftcap: key('final_logit_softcapping') ?? (gemma2 ? 30 : undefined),
    slidingWindow: key('attention.sliding_window') ?? (gemma2 ? 4096 : undefined),
    slidingWindowLayers: slidingWindowLayers.length > 0 ? slidingWindowLayers : undefined,
    localRopeTheta: gemma2 ? undefined : (key('rope.freq_base_swa') ?? 10000),
  };
}
