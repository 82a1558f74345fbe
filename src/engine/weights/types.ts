// The in-memory weights of a Llama-family model: matrices stored (out, in) row-major, as in Hugging Face
// and GGUF (ne0 = in), either float32 or kept in the GGML block type the file stores them in (the kernels
// read the blocks in place). Norms and biases are float32. Loaders produce this; the model only reads it.
import type { BlockType } from './dequantize.js';

/** A matrix kept in a GGML block type: `bytes` holds `rows` rows of `columns` values, whole blocks each. */
export interface QuantizedMatrix {
  readonly type: BlockType;
  readonly bytes: Uint8Array;
  readonly rows: number;
  readonly columns: number;
}

/** A weight matrix: float32 values, or blocks of a GGML type. */
export type Matrix = Float32Array | QuantizedMatrix;

/** One decoder layer's parameters. */
export interface LayerWeights {
  attentionNorm: Float32Array; // (C)
  query: Matrix; // (H*hd, C)
  key: Matrix; // (KVH*hd, C)
  value: Matrix; // (KVH*hd, C)
  queryBias: Float32Array | null; // (H*hd)
  keyBias: Float32Array | null; // (KVH*hd)
  valueBias: Float32Array | null; // (KVH*hd)
  queryNorm: Float32Array | null; // (hd) per-head RMSNorm of queries before RoPE (Qwen3)
  keyNorm: Float32Array | null; // (hd) the same for keys
  attentionOutput: Matrix; // (C, H*hd)
  /** (C) RMSNorm of the attention block's output before the residual add (Gemma's sandwich norms) */
  postAttentionNorm: Float32Array | null;
  mlpNorm: Float32Array; // (C)
  /** (C) RMSNorm of the MLP's output before the residual add (Gemma) */
  postMlpNorm: Float32Array | null;
  gate: Matrix; // (I, C)
  up: Matrix; // (I, C)
  down: Matrix; // (C, I)
}

/** All parameters of the model; `classifier` is `embedding` itself when tied. */
export interface ModelWeights {
  embedding: Matrix; // (V, C)
  layers: LayerWeights[];
  finalNorm: Float32Array; // (C)
  classifier: Matrix; // (V, C)
}
