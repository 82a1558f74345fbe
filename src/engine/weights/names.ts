// Weight-name mappings, as data: where each parameter of ModelWeights lives in Hugging Face
// checkpoints and in GGUF files. `{layer}` is replaced by the layer index.
import type { LayerWeights, ModelWeights } from './types.js';

/** Parameters only some architectures have, and only some formats name (Gemma's sandwich norms). */
export type OptionalParameter = 'postAttentionNorm' | 'postMlpNorm';

/** Maps each parameter to the tensor name a file format uses for it. */
export interface NameTable {
  model: Record<Exclude<keyof ModelWeights, 'layers'>, string>;
  layer: Record<Exclude<keyof LayerWeights, OptionalParameter>, string> &
    Partial<Record<OptionalParameter, string>>;
}

export const huggingFaceNames: NameTable = {
  model: {
    embedding: 'model.embed_tokens.weight',
    finalNorm: 'model.norm.weight',
    classifier: 'lm_head.weight',
  },
  layer: {
    attentionNorm: 'model.layers.{layer}.input_layernorm.weight',
    query: 'model.layers.{layer}.self_attn.q_proj.weight',
    key: 'model.layers.{layer}.self_attn.k_proj.weight',
    value: 'model.layers.{layer}.self_attn.v_proj.weight',
    queryBias: 'model.layers.{layer}.self_attn.q_proj.bias',
    keyBias: 'model.layers.{layer}.self_attn.k_proj.bias',
    valueBias: 'model.layers.{layer}.self_attn.v_proj.bias',
    queryNorm: 'model.layers.{layer}.self_attn.q_norm.weight',
    keyNorm: 'model.layers.{layer}.self_attn.k_norm.weight',
    attentionOutput: 'model.layers.{layer}.self_attn.o_proj.weight',
    mlpNorm: 'model.layers.{layer}.post_attention_layernorm.weight',
    gate: 'model.layers.{layer}.mlp.gate_proj.weight',
    up: 'model.layers.{layer}.mlp.up_proj.weight',
    down: 'model.layers.{layer}.mlp.down_proj.weight',
  },
};

export const ggufNames: NameTable = {
  model: {
    embedding: 'token_embd.weight',
    finalNorm: 'output_norm.weight',
    classifier: 'output.weight',
  },
  layer: {
    attentionNorm: 'blk.{layer}.attn_norm.weight',
    query: 'blk.{layer}.attn_q.weight',
    key: 'blk.{layer}.attn_k.weight',
    value: 'blk.{layer}.attn_v.weight',
    queryBias: 'blk.{layer}.attn_q.bias',
    keyBias: 'blk.{layer}.attn_k.bias',
    valueBias: 'blk.{layer}.attn_v.bias',
    queryNorm: 'blk.{layer}.attn_q_norm.weight',
    keyNorm: 'blk.{layer}.attn_k_norm.weight',
    attentionOutput: 'blk.{layer}.attn_output.weight',
    mlpNorm: 'blk.{layer}.ffn_norm.weight',
    postAttentionNorm: 'blk.{layer}.post_attention_norm.weight',
    postMlpNorm: 'blk.{layer}.post_ffw_norm.weight',
    gate: 'blk.{layer}.ffn_gate.weight',
    up: 'blk.{layer}.ffn_up.weight',
    down: 'blk.{layer}.ffn_down.weight',
  },
};

/**
 * Gemma 2/3 in Hugging Face checkpoints: post_attention_layernorm is the attention block's output norm
 * (in Llama it is the MLP's input norm), pre_feedforward_layernorm the MLP's input norm.
 */
export const gemmaHuggingFaceNames: NameTable = {
  model: huggingFaceNames.model,
  layer: {
    ...huggingFaceNames.layer,
    postAttentionNorm: 'model.layers.{layer}.post_attention_layernorm.weight',
    mlpNorm: 'model.layers.{layer}.pre_feedforward_layernorm.weight',
    postMlpNorm: 'model.layers.{layer}.post_feedforward_layernorm.weight',
  },
};

/** A table with every name under another root (Gemma 3's multimodal checkpoints keep the text model in one). */
export function withPrefix(table: NameTable, from: string, to: string): NameTable {
  const move = (name: string) => (name.startsWith(from) ? to + name.slice(from.length) : name);
  const map = <T extends object>(names: T): T =>
    Object.fromEntries(Object.entries(names).map(([field, name]) => [field, move(name as string)])) as T;
  return { model: map(table.model), layer: map(table.layer) };
}

/** Phi-3 in Hugging Face checkpoints: Q/K/V and gate/up are fused (parts read by fused-tensors.ts). */
export const phi3HuggingFaceNames: NameTable = {
  model: huggingFaceNames.model,
  layer: {
    ...huggingFaceNames.layer,
    query: 'model.layers.{layer}.self_attn.qkv_proj.weight#query',
    key: 'model.layers.{layer}.self_attn.qkv_proj.weight#key',
    value: 'model.layers.{layer}.self_attn.qkv_proj.weight#value',
    gate: 'model.layers.{layer}.mlp.gate_up_proj.weight#gate',
    up: 'model.layers.{layer}.mlp.gate_up_proj.weight#up',
  },
};

/** Phi-3 in GGUF: llama.cpp's attn_qkv, and ffn_up holding gate then up. */
export const phi3GgufNames: NameTable = {
  model: ggufNames.model,
  layer: {
    ...ggufNames.layer,
    query: 'blk.{layer}.attn_qkv.weight#query',
    key: 'blk.{layer}.attn_qkv.weight#key',
    value: 'blk.{layer}.attn_qkv.weight#value',
    gate: 'blk.{layer}.ffn_up.weight#gate',
    up: 'blk.{layer}.ffn_up.weight#up',
  },
};

/** The tensor name for a layer parameter (a placeholder that no file holds for one the format does not name). */
export function layerTensorName(table: NameTable, field: keyof LayerWeights, layer: number): string {
  const pattern = table.layer[field];
  if (pattern === undefined) return `(no ${field} in this format)`; // reported as a missing tensor
  return pattern.replace('{layer}', String(layer));
}
