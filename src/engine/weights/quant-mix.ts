// The file types llama.cpp's quantizer writes (Q4_K_M, Q5_K_S, Q8_0, …) as rules that pick each tensor's
// block type, following llama_tensor_get_type for dense (non-MoE) models: the output matrix (or the tied
// embedding) gets more bits, so do some value and down projections, and rows that are not whole blocks
// fall back to a type whose blocks fit. One deliberate difference: llama.cpp's fallback for Q2_K/Q3_K is
// IQ4_NL, which promptune does not write; Q4_0 (the same 4.5 bits per value) is used instead.
import { tensorTypes, type TensorType } from './dequantize.js';

/** Each file type: its llama.cpp `general.file_type` number and the block type most matrices get. */
export const fileTypes = {
  f32: { number: 0, base: 'F32' },
  f16: { number: 1, base: 'F16' },
  bf16: { number: 32, base: 'BF16' },
  q4_0: { number: 2, base: 'Q4_0' },
  q4_1: { number: 3, base: 'Q4_1' },
  q8_0: { number: 7, base: 'Q8_0' },
  q5_0: { number: 8, base: 'Q5_0' },
  q5_1: { number: 9, base: 'Q5_1' },
  q2_k: { number: 10, base: 'Q2_K' },
  q3_k_s: { number: 11, base: 'Q3_K' },
  q3_k_m: { number: 12, base: 'Q3_K' },
  q3_k_l: { number: 13, base: 'Q3_K' },
  q4_k_s: { number: 14, base: 'Q4_K' },
  q4_k_m: { number: 15, base: 'Q4_K' },
  q5_k_s: { number: 16, base: 'Q5_K' },
  q5_k_m: { number: 17, base: 'Q5_K' },
  q6_k: { number: 18, base: 'Q6_K' },
} as const satisfies Record<string, { number: number; base: TensorType }>;

/** A llama.cpp file type's name in lower case (q4_k_m, q8_0, f16, …). */
export type FileType = keyof typeof fileTypes;

export const isFileType = (name: string): name is FileType => Object.hasOwn(fileTypes, name);

/** What the rules look at: the tensor's role, its layer, its row length, and the model's shape. */
export interface MixedTensor {
  role:
    'embedding' | 'classifier' | 'value' | 'queryKeyValue' | 'down' | 'attentionOutput' | 'matrix' | 'vector';
  layer?: number;
  /** Values per row (GGUF's ne[0]). */
  columns: number;
}

export interface MixedModel {
  layers: number;
  /** Query heads per key/value head. */
  groupSize: number;
  /** The classifier is the embedding (no separate output tensor). */
  tied: boolean;
}

/** llama.cpp's use_more_bits: the first and last eighth of the layers, and every third between. */
function moreBits(layer: number, layers: number): boolean {
  const eighth = Math.floor(layers / 8);
  return layer < eighth || layer >= Math.floor((7 * layers) / 8) || (layer - eighth) % 3 === 2;
}

const fits = (type: TensorType, columns: number) => columns % tensorTypes[type].blockValues === 0;

/** The type llama.cpp falls back to when rows are not whole blocks of `type`. */
function fallback(type: TensorType, columns: number): TensorType {
  const next: Partial<Record<TensorType, TensorType>> = {
    Q2_K: 'Q4_0',
    Q3_K: 'Q4_0',
    Q4_K: 'Q5_0',
    Q5_K: 'Q5_1',
    Q6_K: 'Q8_0',
  };
  const chosen = next[type] ?? 'F16';
  return fits(chosen, columns) ? chosen : 'F16';
}

/** The rule's choice before the fallback for rows that do not fit. */
function ruleType(fileType: FileType, tensor: MixedTensor, model: MixedModel): TensorType {
  const base: TensorType = fileTypes[fileType].base;
  const layer = tensor.layer ?? 0;
  const { layers } = model;
  const isOutput = tensor.role === 'classifier' || (tensor.role === 'embedding' && model.tied);
  if (isOutput) return !fits(base, tensor.columns) ? 'Q8_0' : base === 'Q8_0' ? 'Q8_0' : 'Q6_K';
  if (tensor.role === 'value') {
    if (fileType === 'q2_k') return model.groupSize >= 4 ? 'Q4_K' : 'Q3_K';
    if (fileType === 'q3_k_m') return layer < 2 ? 'Q5_K' : 'Q4_K';
    if (fileType === 'q3_k_l') return 'Q5_K';
    if ((fileType === 'q4_k_m' || fileType === 'q5_k_m') && moreBits(layer, layers)) return 'Q6_K';
    if (fileType === 'q4_k_s' && layer < 4) return 'Q5_K';
  }
  if (tensor.role === 'down') {
    if (fileType === 'q2_k') return 'Q3_K';
    if (fileType === 'q3_k_m') return layer < Math.floor(layers / 16) ? 'Q5_K' : 'Q4_K';
    if (fileType === 'q3_k_l') return 'Q5_K';
    if ((fileType === 'q4_k_m' || fileType === 'q5_k_m') && moreBits(layer, layers)) return 'Q6_K';
    if (fileType === 'q4_k_s' && layer < Math.floor(layers / 8)) return 'Q5_K';
  }
  if (tensor.role === 'queryKeyValue') {
    if (fileType === 'q3_k_m' || fileType === 'q3_k_l') return 'Q4_K';
    if (fileType === 'q4_k_m') return 'Q5_K';
    if (fileType === 'q5_k_m') return 'Q6_K';
  }
  if (tensor.role === 'attentionOutput') {
    if (fileType === 'q2_k') return 'Q3_K';
    if (fileType === 'q3_k_m') return 'Q4_K';
    if (fileType === 'q3_k_l') return 'Q5_K';
  }
  return base;
}

/** The block type a tensor is stored as in a file of `fileType`. Vectors (norms, biases) stay F32. */
export function mixedTensorType(fileType: FileType, tensor: MixedTensor, model: MixedModel): TensorType {
  if (tensor.role === 'vector') return 'F32';
  const base: TensorType = fileTypes[fileType].base;
  if (tensorTypes[base].blockValues === 1) return base; // F32, F16, BF16: every matrix as is
  const type = ruleType(fileType, tensor, model);
  return fits(type, tensor.columns) ? type : fallback(type, tensor.columns);
}

/** The type every matrix gets when one type is asked for: itself where rows are whole blocks of it. */
export function pureTensorType(type: TensorType, columns: number): TensorType {
  return fits(type, columns) ? type : fallback(type, columns);
}
