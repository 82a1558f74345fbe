// The in-memory weights of a Llama-family model: float32 matrices stored (out, in) row-major,
// as in Hugging Face and GGUF (ne0 = in). Loaders produce this; the model only reads it.

/** One decoder layer's parameters. */
export interface LayerWeights {
  attentionNorm: Float32Array; // (C)
  query: Float32Array; // (H*hd, C)
  key: Float32Array; // (KVH*hd, C)
  value: Float32Array; // (KVH*hd, C)
  queryBias: Float32Array | null; // (H*hd)
  keyBias: Float32Array | null; // (KVH*hd)
  valueBias: Float32Array | null; // (KVH*hd)
  attentionOutput: Float32Array; // (C, H*hd)
  mlpNorm: Float32Array; // (C)
  gate: Float32Array; // (I, C)
  up: Float32Array; // (I, C)
  down: Float32Array; // (C, I)
}

/** All parameters of the model; `classifier` is `embedding` itself when tied. */
export interface ModelWeights {
  embedding: Float32Array; // (V, C)
  layers: LayerWeights[];
  finalNorm: Float32Array; // (C)
  classifier: Float32Array; // (V, C)
}
