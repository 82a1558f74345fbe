// Weight-name mappings, as data: where each parameter of ModelWeights lives in Hugging Face
// checkpoints and in GGUF files. `{layer}` is replaced by the layer index.
import type { LayerWeights, ModelWeights } from './types.js';

/** Maps each parameter to the tensor name a file format uses for it. */
export interface NameTable {
  model: Record<Exclude<keyof ModelWeights, 'layers'>, string>;
  layer: Record<keyof LayerWeights, string>;
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
    gate: 'blk.{layer}.ffn_gate.weight',
    up: 'blk.{layer}.ffn_up.weight',
    down: 'blk.{layer}.ffn_down.weight',
  },
};

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

/** The tensor name for a layer parameter. */
export function layerTensorName(table: NameTable, field: keyof LayerWeights, layer: number): string {
  return table.layer[field].replace('{layer}', String(layer));
}
