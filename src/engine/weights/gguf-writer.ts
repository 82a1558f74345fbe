// Writes a model as a GGUF v3 file (llama.cpp's format): metadata, tensor infos, aligned data.
// Matrices can be stored in every type promptune reads, one type for all or as llama.cpp's file types
// mix them (Q4_K_M, …; quant-mix.ts); norms stay F32. Used to hand our weights to llama.cpp (benchmarks),
// to export and by `promptune model convert`. Written to a temporary file, then renamed.
import { ValidationError } from '../../errors/index.js';
import { endsPeriod, rotaryDims, type ModelConfig } from '../config.js';
import { quantize, tensorTypes, type TensorType } from './dequantize.js';
import { matrixFloat32 } from './matrix-float32.js';
import { fileTypes, mixedTensorType, pureTensorType, type FileType, type MixedTensor } from './quant-mix.js';
import { inverseFrequencies } from '../rope.js';
import { everyFourthLayer, ggufArchitectures, type GgufValue } from './gguf.js';
import { writeFileAtomically } from './atomic-file.js';
import { parameterShapes } from './assemble.js';
import { layerTensorName, ggufNames } from './names.js';
import type { LayerWeights, Matrix, ModelWeights } from './types.js';

/** GGUF value type ids. */
export const GgufType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

/** Options for writeGguf. */
export interface GgufWriteOptions {
  /**
   * Storage type of every matrix (default F32). Rows that are not whole blocks of it fall back as
   * llama.cpp's quantizer does (Q4_K to Q5_0, Q6_K to Q8_0, …, else F16).
   */
  type?: TensorType;
  /** A llama.cpp file type (q4_k_m, q8_0, …): matrices get its mix of types; overrides `type`. */
  fileType?: FileType;
  /** Extra metadata, e.g. the tokenizer.* entries of the source GGUF. */
  metadata?: Record<string, GgufValue>;
  name?: string;
}

class ByteWriter {
  private chunks: Uint8Array[] = [];
  length = 0;
  push(bytes: Uint8Array) {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  number(
    kind: 'u32' | 'i32' | 'f32' | 'u64' | 'u8' | 'i8' | 'u16' | 'i16' | 'f64' | 'i64',
    value: number | bigint,
  ) {
    const sizes = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8 };
    const view = new DataView(new ArrayBuffer(sizes[kind]));
    if (kind === 'u8') view.setUint8(0, Number(value));
    else if (kind === 'i8') view.setInt8(0, Number(value));
    else if (kind === 'u16') view.setUint16(0, Number(value), true);
    else if (kind === 'i16') view.setInt16(0, Number(value), true);
    else if (kind === 'u32') view.setUint32(0, Number(value), true);
    else if (kind === 'i32') view.setInt32(0, Number(value), true);
    else if (kind === 'f32') view.setFloat32(0, Number(value), true);
    else if (kind === 'f64') view.setFloat64(0, Number(value), true);
    else if (kind === 'u64') view.setBigUint64(0, BigInt(value), true);
    else view.setBigInt64(0, BigInt(value), true);
    this.push(new Uint8Array(view.buffer));
  }
  string(text: string) {
    const bytes = new TextEncoder().encode(text);
    this.number('u64', bytes.length);
    this.push(bytes);
  }
  value(type: number, value: unknown, subType?: number) {
    const scalar: Record<number, Parameters<ByteWriter['number']>[0]> = {
      0: 'u8',
      1: 'i8',
      2: 'u16',
      3: 'i16',
      4: 'u32',
      5: 'i32',
      6: 'f32',
      10: 'u64',
      11: 'i64',
      12: 'f64',
    };
    if (type === GgufType.STRING) this.string(String(value));
    else if (type === GgufType.BOOL) this.number('u8', value ? 1 : 0);
    else if (type === GgufType.ARRAY) {
      const items = value as unknown[];
      this.number('u32', subType!);
      this.number('u64', items.length);
      for (const item of items) this.value(subType!, item);
    } else this.number(scalar[type], value as number | bigint);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

/** Reorders the rows of each head from rotate-half to interleaved RoPE pairing (HF -> GGUF llama). */
export function interleaveHeads(matrix: Float32Array, heads: number, columns: number): Float32Array {
  return reorderHeads(matrix, heads, columns, true);
}

/** Reorders the rows of each head from interleaved to rotate-half RoPE pairing (GGUF llama -> HF). */
export function rotateHalfHeads(matrix: Float32Array, heads: number, columns: number): Float32Array {
  return reorderHeads(matrix, heads, columns, false);
}

/** Row i and i + half of each head become rows 2i and 2i + 1 (`interleave`), or back. */
function reorderHeads(
  matrix: Float32Array,
  heads: number,
  columns: number,
  interleave: boolean,
): Float32Array {
  const rows = matrix.length / columns;
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Float32Array(matrix.length);
  const row = (h: number, index: number) =>
    matrix.subarray((h * headDim + index) * columns, (h * headDim + index + 1) * columns);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (const [halved, interleaved] of [
        [i, 2 * i],
        [i + half, 2 * i + 1],
      ]) {
        const [from, to] = interleave ? [halved, interleaved] : [interleaved, halved];
        out.set(row(h, from), (h * headDim + to) * columns);
      }
    }
  }
  return out;
}

/** Writes config and weights as a GGUF file at `path` (atomically). */
/** Float32 arrays end to end. */
function concatenate(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** What writeGguf wrote: each tensor's type and stored bytes, and the file's size. */
export interface GgufWriteSummary {
  bytes: number;
  tensors: { name: string; shape: number[]; type: TensorType; bytes: number }[];
}

/**
 * Writes `weights` as a GGUF v3 file at `path` (atomically): matrices in `options.type` or the mix of
 * `options.fileType`, norms as F32, with the tokenizer and extra metadata given. Returns what it wrote.
 */
export function writeGguf(
  path: string,
  config: ModelConfig,
  weights: ModelWeights,
  options: GgufWriteOptions = {},
): GgufWriteSummary {
  // Mistral-style models are written as llama, as llama.cpp's converter does; the other
  // architectures GGUF knows keep their names
  const architecture =
    Object.hasOwn(ggufArchitectures, config.architecture) && config.architecture !== 'mistral'
      ? config.architecture
      : 'llama';
  const gemma = architecture === 'gemma2' || architecture === 'gemma3';
  const noPe = config.layersWithoutRope ?? [];
  const fourth = everyFourthLayer(config.layers);
  if (noPe.length > 0 && (architecture !== 'smollm3' || noPe.join() !== fourth.join()))
    throw new ValidationError(`layers ${noPe.join(', ')} have no RoPE, which GGUF cannot say`, {
      code: 'GGUF_WRITE_INVALID',
      hint: "llama.cpp knows NoPE layers only as SmolLM3's every fourth layer (3, 7, 11, …).",
    });
  // outside Gemma, GGUF's window applies to every layer: a model sliding on some layers only (Qwen2 with
  // use_sliding_window) would be read back, and run by llama.cpp, with the window everywhere
  if (
    !gemma &&
    config.slidingWindow !== undefined &&
    config.slidingWindowLayers !== undefined &&
    config.slidingWindowLayers.length !== config.layers
  )
    throw new ValidationError(
      `only layers ${config.slidingWindowLayers.join(', ')} of ${config.layers} attend through a sliding window, which a ${architecture} GGUF cannot say`,
      {
        code: 'GGUF_WRITE_INVALID',
        hint: 'Keep the model as its Hugging Face folder (promptune reads it directly): llama.cpp applies a window to every layer or none.',
      },
    );
  const needsInterleave =
    ggufArchitectures[architecture].ropeStyle === 'interleaved' && config.ropeStyle === 'half';
  const a = (key: string) => `${architecture}.${key}`;
  const metadata: Record<string, GgufValue> = {
    'general.architecture': { type: GgufType.STRING, value: architecture },
    'general.name': { type: GgufType.STRING, value: options.name ?? architecture },
    'general.alignment': { type: GgufType.UINT32, value: 32 },
    'general.quantization_version': { type: GgufType.UINT32, value: 2 },
    ...(options.fileType && {
      'general.file_type': { type: GgufType.UINT32, value: fileTypes[options.fileType].number },
    }),
    [a('context_length')]: { type: GgufType.UINT32, value: config.contextLength },
    [a('embedding_length')]: { type: GgufType.UINT32, value: config.hiddenSize },
    [a('feed_forward_length')]: { type: GgufType.UINT32, value: config.intermediateSize },
    [a('block_count')]: { type: GgufType.UINT32, value: config.layers },
    [a('attention.head_count')]: { type: GgufType.UINT32, value: config.heads },
    [a('attention.head_count_kv')]: { type: GgufType.UINT32, value: config.kvHeads },
    [a('attention.key_length')]: { type: GgufType.UINT32, value: config.headDim },
    [a('attention.value_length')]: { type: GgufType.UINT32, value: config.headDim },
    [a('rope.dimension_count')]: { type: GgufType.UINT32, value: rotaryDims(config) },
    [a('rope.freq_base')]: { type: GgufType.FLOAT32, value: config.ropeTheta },
    [a('attention.layer_norm_rms_epsilon')]: { type: GgufType.FLOAT32, value: config.rmsNormEps },
    [a('vocab_size')]: { type: GgufType.UINT32, value: config.vocabularySize },
    ...(config.slidingWindow
      ? { [a('attention.sliding_window')]: { type: GgufType.UINT32, value: config.slidingWindow } }
      : {}),
    ...(config.ropeAttentionFactor !== undefined && {
      [a('rope.scaling.attn_factor')]: { type: GgufType.FLOAT32, value: config.ropeAttentionFactor },
    }),
    ...(gemma && gemmaMetadata(config, a)),
    ...(config.ropeScaling?.type === 'linear'
      ? {
          [a('rope.scaling.type')]: { type: GgufType.STRING, value: 'linear' },
          [a('rope.scaling.factor')]: { type: GgufType.FLOAT32, value: config.ropeScaling.factor },
        }
      : {}),
    ...options.metadata,
  };

  const tied = weights.classifier === weights.embedding;
  const mix = { layers: config.layers, groupSize: config.heads / config.kvHeads, tied };
  const tensors: { name: string; shape: number[]; type: TensorType; data: Uint8Array }[] = [];
  const add = (name: string, matrix: Matrix, shape: number[], role: MixedTensor['role'], layer?: number) => {
    const tensor = {
      role: shape.length === 1 ? 'vector' : role,
      layer,
      columns: shape[shape.length - 1],
    } as const;
    const type = options.fileType
      ? mixedTensorType(options.fileType, tensor, mix)
      : tensor.role === 'vector'
        ? 'F32'
        : pureTensorType(options.type ?? 'F32', tensor.columns);
    // a matrix kept in the type asked for is written as it is (no decode and re-encode)
    const data =
      !(matrix instanceof Float32Array) && matrix.type === type
        ? matrix.bytes
        : quantize(matrixFloat32(matrix), type);
    tensors.push({ name, shape, type, data });
  };
  const { heads: H, kvHeads: KVH, hiddenSize: C } = config;
  const shapes = parameterShapes(config);
  // HF checkpoints pair RoPE dimensions by halves; llama-architecture GGUF expects adjacent pairs
  const rotated = (values: Matrix, heads: number, columns: number) =>
    needsInterleave ? interleaveHeads(matrixFloat32(values), heads, columns) : values;
  add(ggufNames.model.embedding, weights.embedding, shapes.embedding, 'embedding');
  const roles: Partial<Record<keyof LayerWeights, MixedTensor['role']>> = {
    value: 'value',
    down: 'down',
    attentionOutput: 'attentionOutput',
  };
  weights.layers.forEach((layer, l) => {
    const put = (field: keyof LayerWeights, values: Matrix | null) => {
      if (values)
        add(layerTensorName(ggufNames, field, l), values, shapes[field], roles[field] ?? 'matrix', l);
    };
    put('attentionNorm', layer.attentionNorm);
    if (architecture === 'phi3') {
      // llama.cpp's Phi-3 keeps Q/K/V in one tensor and gate/up in ffn_up
      const fused = (name: string, parts: Matrix[], role: MixedTensor['role']) => {
        const values = concatenate(parts.map(matrixFloat32));
        add(name.replace('{layer}', String(l)), values, [values.length / C, C], role, l);
      };
      fused('blk.{layer}.attn_qkv.weight', [layer.query, layer.key, layer.value], 'queryKeyValue');
      fused('blk.{layer}.ffn_up.weight', [layer.gate, layer.up], 'matrix');
    } else {
      put('query', rotated(layer.query, H, C));
      put('key', rotated(layer.key, KVH, C));
      put('value', layer.value);
    }
    put('queryBias', layer.queryBias && rotated(layer.queryBias, H, 1));
    put('keyBias', layer.keyBias && rotated(layer.keyBias, KVH, 1));
    put('valueBias', layer.valueBias);
    put('queryNorm', layer.queryNorm);
    put('keyNorm', layer.keyNorm);
    put('attentionOutput', layer.attentionOutput);
    put('postAttentionNorm', layer.postAttentionNorm);
    put('mlpNorm', layer.mlpNorm);
    put('postMlpNorm', layer.postMlpNorm);
    if (architecture !== 'phi3') {
      put('gate', layer.gate);
      put('up', layer.up);
    }
    put('down', layer.down);
  });
  add(ggufNames.model.finalNorm, weights.finalNorm, shapes.finalNorm, 'vector');
  if (!tied) add(ggufNames.model.classifier, weights.classifier, shapes.classifier, 'classifier');
  // llama3 scaling is stored as llama.cpp does: per-frequency divisors in rope_freqs.weight
  const factors =
    config.ropeScaling?.type === 'llama3' ? llama3FrequencyFactors(config) : config.ropeFrequencyFactors;
  // llama.cpp's Phi-3 reads long-RoPE's short factors from rope_factors_short, every other model rope_freqs
  const factorsName = architecture === 'phi3' ? 'rope_factors_short.weight' : 'rope_freqs.weight';
  if (factors) add(factorsName, factors, [rotaryDims(config) / 2], 'vector');

  const header = new ByteWriter();
  header.push(new TextEncoder().encode('GGUF'));
  header.number('u32', 3);
  header.number('u64', tensors.length);
  header.number('u64', Object.keys(metadata).length);
  for (const [key, entry] of Object.entries(metadata)) {
    header.string(key);
    header.number('u32', entry.type);
    header.value(entry.type, entry.value, entry.subType);
  }
  // tensor data is aligned as the file says (extra metadata may set general.alignment); offsets count bytes
  const alignment = Number(metadata['general.alignment'].value);
  if (!Number.isInteger(alignment) || alignment < 1 || (alignment & (alignment - 1)) !== 0)
    throw new ValidationError(`general.alignment is ${String(alignment)}, expected a power of two`, {
      code: 'GGUF_WRITE_INVALID',
      hint: 'Leave general.alignment out of the extra metadata (32 is the default), or use 8, 16, 32, 64...',
    });
  const align = (n: number) => Math.ceil(n / alignment) * alignment;
  let offset = 0;
  for (const tensor of tensors) {
    header.string(tensor.name);
    header.number('u32', tensor.shape.length);
    for (const size of [...tensor.shape].reverse()) header.number('u64', size);
    header.number('u32', tensorTypes[tensor.type].ggml);
    header.number('u64', offset);
    offset = align(offset + tensor.data.length);
  }
  const head = header.bytes();
  writeFileAtomically(path, (write) => {
    write(head);
    write(new Uint8Array(align(head.length) - head.length));
    for (const tensor of tensors) {
      write(tensor.data);
      write(new Uint8Array(align(tensor.data.length) - tensor.data.length));
    }
  });
  return {
    bytes: align(head.length) + offset,
    tensors: tensors.map(({ name, shape, type, data }) => ({ name, shape, type, bytes: data.length })),
  };
}

/** Divisors that turn plain RoPE frequencies into the llama3-scaled ones (with any existing factors). */
function llama3FrequencyFactors(config: ModelConfig): Float32Array {
  const plain = inverseFrequencies({ ...config, ropeScaling: undefined, ropeFrequencyFactors: undefined });
  const scaled = inverseFrequencies(config);
  return plain.map((frequency, i) => frequency / scaled[i]);
}

/**
 * Gemma's keys: the soft caps and window as llama.cpp reads them, and (for what llama.cpp fixes in code:
 * the query scale, the local RoPE base, the period of global layers) keys our reader takes first.
 */
function gemmaMetadata(config: ModelConfig, key: (name: string) => string): Record<string, GgufValue> {
  const sliding = new Set(config.slidingWindowLayers ?? []);
  const period = [...Array(config.layers + 1).keys()]
    .slice(1)
    .find((candidate) =>
      [...Array(config.layers).keys()].every((layer) => sliding.has(layer) !== endsPeriod(layer, candidate)),
    );
  if (config.slidingWindow !== undefined && period === undefined)
    throw new ValidationError(
      `sliding-window layers ${[...sliding].join(', ')} follow no period, which GGUF cannot say`,
      {
        code: 'GGUF_WRITE_INVALID',
        hint: 'llama.cpp knows Gemma layers as runs of local layers each followed by one global layer.',
      },
    );
  const float = (value: number) => ({ type: GgufType.FLOAT32, value });
  return {
    ...(config.attentionScale !== undefined && { [key('attention.scale')]: float(config.attentionScale) }),
    ...(config.attentionSoftcap !== undefined && {
      [key('attn_logit_softcapping')]: float(config.attentionSoftcap),
    }),
    ...(config.logitSoftcap !== undefined && {
      [key('final_logit_softcapping')]: float(config.logitSoftcap),
    }),
    ...(period !== undefined &&
      config.slidingWindow !== undefined && {
        [key('attention.sliding_window_pattern')]: { type: GgufType.UINT32, value: period },
      }),
    ...(config.localRopeTheta !== undefined && { [key('rope.freq_base_swa')]: float(config.localRopeTheta) }),
  };
}
