// GGUF model files: metadata through @huggingface/gguf (the values the config uses checked by a schema),
// tensors read and dequantized here. Supports the Llama-family architectures in `ggufArchitectures`;
// the vocabulary is handed to tokenizers/gguf-tokenizer.ts. Does not memory-map: tensors are read once
// into float32.
import { z } from 'zod';
import { parseInput, WeightLoadError } from '../../errors/index.js';
import { endsPeriod, validateConfig, type ModelConfig, type RopeStyle } from '../config.js';
import { assembleWeights, type TensorSource } from './assemble.js';
import { gemmaGgufConfig } from './gguf-gemma.js';
import {
  dequantize,
  isBlockType,
  isTensorType,
  storedBytes,
  tensorTypeFromGgml,
  tensorTypes,
} from './dequantize.js';
import { FileReader } from './file-reader.js';
import { phi3FusedTensors, withFusedParts, type FusedTensor } from './fused-tensors.js';
import { ggufNames, phi3GgufNames, type NameTable } from './names.js';
import type { Matrix, ModelWeights } from './types.js';

/** A GGUF metadata value with its type, as the writer takes it. */
export interface GgufValue {
  type: number;
  value: unknown;
  subType?: number;
}

/** The tokenizer.* entries of typed GGUF metadata, to carry a vocabulary into a written file. */
export function tokenizerMetadata(typed: Record<string, GgufValue>): Record<string, GgufValue> {
  return Object.fromEntries(Object.entries(typed).filter(([key]) => key.startsWith('tokenizer.')));
}

/** GGUF metadata values as parsed (arrays stay arrays). */
export type GgufMetadata = Record<string, unknown>;

/** GGUF `general.architecture` values we run: how each rotates its heads, and where its tensors are. */
export const ggufArchitectures: Record<
  string,
  { ropeStyle: RopeStyle; names?: NameTable; fused?: FusedTensor[] }
> = {
  llama: { ropeStyle: 'interleaved' },
  mistral: { ropeStyle: 'interleaved' },
  qwen2: { ropeStyle: 'half' },
  qwen3: { ropeStyle: 'half' },
  // llama.cpp hard-codes SmolLM3's NoPE period: every fourth layer (no metadata key holds it)
  smollm3: { ropeStyle: 'interleaved' },
  // llama.cpp's Phi-3 keeps Q/K/V in attn_qkv and gate then up in ffn_up
  phi3: { ropeStyle: 'half', names: phi3GgufNames, fused: phi3FusedTensors.gguf },
  gemma2: { ropeStyle: 'half' },
  gemma3: { ropeStyle: 'half' },
};

/**
 * Whether llama.cpp stores `architecture`'s query and key rows in interleaved RoPE order (a llama's GGUF),
 * where its Hugging Face checkpoint stores them rotate-half.
 */
export const ggufInterleaves = (architecture: string): boolean =>
  ggufArchitectures[architecture]?.ropeStyle === 'interleaved';

interface TensorInfo {
  shape: number[]; // (rows, columns): GGUF lists ne0 (columns) first
  type: string;
  offset: number;
  count: number;
}

/** Parses a GGUF file's header; throws WeightLoadError for anything that is not a readable GGUF. */
export async function readGgufHeader(path: string): Promise<{
  metadata: GgufMetadata;
  typedMetadata: Record<string, GgufValue>;
  tensors: Map<string, TensorInfo>;
  reader: FileReader;
}> {
  const reader = new FileReader(path);
  const magic = new TextDecoder().decode(reader.read(0, Math.min(4, reader.size), 'the magic number'));
  if (magic !== 'GGUF') {
    reader.close();
    throw new WeightLoadError(`${path}: starts with ${JSON.stringify(magic)}, not the GGUF magic "GGUF"`, {
      code: 'WEIGHT_BAD_MAGIC',
      hint: 'This is not a GGUF file; pass a .gguf, a llama2.c .bin or a Hugging Face directory.',
    });
  }
  let parsed;
  try {
    // imported here: the parser brings ~80 modules a command without a GGUF model never needs
    const { gguf } = await import('@huggingface/gguf');
    parsed = await gguf(path, { allowLocalFile: true, typedMetadata: true });
  } catch (error) {
    reader.close();
    // reading past the end is a cut file; anything else the parser refused (a version, a count) is a
    // header that is not a GGUF this reader knows
    const cut = error instanceof RangeError;
    throw new WeightLoadError(`${path}: the GGUF header cannot be parsed (${(error as Error).message})`, {
      code: cut ? 'WEIGHT_TRUNCATED' : 'WEIGHT_BAD_HEADER',
      hint: cut
        ? 'The file is truncated (an interrupted download?); fetch it again.'
        : 'The file is corrupt, or a GGUF of a version this reader does not know; fetch or convert it again.',
      cause: error,
    });
  }
  const tensors = new Map<string, TensorInfo>();
  const dataStart = Number(parsed.tensorDataOffset);
  // the parser reads past the end of a cut file without complaint, so check what it found
  const keys = Object.keys(parsed.metadata).length - 3; // version, tensor_count, kv_count
  if (
    keys !== Number(parsed.metadata.kv_count) ||
    parsed.tensorInfos.length !== Number(parsed.metadata.tensor_count) ||
    (parsed.tensorInfos.length > 0 && dataStart > reader.size)
  ) {
    reader.close();
    throw new WeightLoadError(
      `${path}: the GGUF header is incomplete (${keys} of ${parsed.metadata.kv_count} metadata entries, data would start at byte ${dataStart} of ${reader.size})`,
      {
        code: 'WEIGHT_TRUNCATED',
        hint: 'The file is truncated (an interrupted download?); fetch it again.',
      },
    );
  }
  const bad = (what: string) => {
    reader.close();
    return new WeightLoadError(`${path}: ${what}`, {
      code: 'WEIGHT_BAD_HEADER',
      hint: 'The GGUF header contradicts itself; the file is corrupt. Fetch or convert it again.',
    });
  };
  // tensor data sits at multiples of the alignment (llama.cpp refuses a file where it does not)
  const written = (parsed.metadata as Record<string, unknown>)['general.alignment'];
  const alignment = Number(written ?? 32);
  if (!Number.isInteger(alignment) || alignment < 1 || (alignment & (alignment - 1)) !== 0)
    throw bad(`general.alignment is ${String(written)}, expected a power of two`);
  for (const info of parsed.tensorInfos) {
    const dims = info.shape.map(Number);
    const type = tensorTypeFromGgml(info.dtype);
    if (tensors.has(info.name)) throw bad(`tensor ${info.name} is listed twice`);
    if (Number(info.offset) % alignment !== 0)
      throw bad(`tensor ${info.name} starts at ${info.offset}, not a multiple of the alignment ${alignment}`);
    tensors.set(info.name, {
      shape: [...dims].reverse(),
      type: type ?? unreadableTypeNames[info.dtype] ?? `ggml type ${info.dtype}`,
      offset: dataStart + Number(info.offset),
      count: dims.reduce((a, b) => a * b, 1),
    });
  }
  // no two tensors share bytes (a readable type's size is known; others are refused when read)
  const ranges = [...tensors.entries()]
    .flatMap(([name, { type, offset, count }]) =>
      isTensorType(type) ? [{ name, start: offset, end: offset + storedBytes(type, count) }] : [],
    )
    .sort((a, b) => a.start - b.start);
  for (let i = 1; i < ranges.length; i++)
    if (ranges[i].start < ranges[i - 1].end && ranges[i].end > ranges[i].start)
      throw bad(`tensors ${ranges[i - 1].name} and ${ranges[i].name} overlap`);
  const typedMetadata = parsed.typedMetadata as unknown as Record<string, GgufValue>;
  return { metadata: parsed.metadata as unknown as GgufMetadata, typedMetadata, tensors, reader };
}

/** GGML types promptune does not read, named for the error (i-quants need their codebooks; the rest are rare). */
const unreadableTypeNames: Record<number, string> = {
  9: 'Q8_1',
  15: 'Q8_K',
  16: 'IQ2_XXS',
  17: 'IQ2_XS',
  18: 'IQ3_XXS',
  19: 'IQ1_S',
  20: 'IQ4_NL',
  21: 'IQ3_S',
  22: 'IQ2_S',
  23: 'IQ4_XS',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  29: 'IQ1_M',
  34: 'TQ1_0',
  35: 'TQ2_0',
  39: 'MXFP4',
};

/** Reads a tensor source over an opened GGUF file. */
function ggufTensorSource(path: string, tensors: Map<string, TensorInfo>, reader: FileReader): TensorSource {
  const info = (name: string) => tensors.get(name)!;
  return {
    has: (name) => tensors.has(name),
    names: () => [...tensors.keys()],
    shape: (name) => info(name).shape,
    read(name) {
      const { type, offset, count } = info(name);
      if (!isTensorType(type)) {
        throw new WeightLoadError(
          `${path}: tensor ${name} is stored as ${type}, which promptune cannot read`,
          {
            code: 'WEIGHT_UNSUPPORTED_QUANTIZATION',
            hint: `Supported GGUF types: ${Object.keys(tensorTypes).join(', ')}. Download the model in one of them (for example Q4_K_M, Q8_0 or F16), or convert the model's Hugging Face folder with \`promptune model convert\`.`,
          },
        );
      }
      const bytes = reader.read(offset, storedBytes(type, count), `tensor ${name}`);
      return dequantize(bytes, type, count, `${path}: tensor ${name}`);
    },
    readQuantized(name) {
      const { type, offset, count, shape } = info(name);
      if (!isTensorType(type) || !isBlockType(type) || shape.length !== 2) return undefined;
      if (shape[1] % tensorTypes[type].blockValues !== 0) return undefined; // not whole blocks: read as float32
      const bytes = reader.read(offset, storedBytes(type, count), `tensor ${name}`); // a fresh buffer
      return { type, bytes, rows: shape[0], columns: shape[1] };
    },
  };
}

/** A GGUF integer: 64-bit values arrive as bigint. */
export const ggufInteger = z.preprocess(
  (value) => (typeof value === 'bigint' ? Number(value) : value),
  z.number().int().nonnegative(),
);
const ggufPositive = z.preprocess(
  (value) => (typeof value === 'bigint' ? Number(value) : value),
  z.number().positive(),
);

/** The metadata a config is built from, all optional here (missing required keys get their own error). */
function ggufConfigSchema(architecture: string) {
  const key = (name: string) => `${architecture}.${name}`;
  return z.looseObject({
    [key('embedding_length')]: ggufInteger.optional(),
    [key('feed_forward_length')]: ggufInteger.optional(),
    [key('block_count')]: ggufInteger.optional(),
    [key('attention.head_count')]: ggufInteger.optional(),
    [key('attention.head_count_kv')]: ggufInteger.optional(),
    [key('attention.key_length')]: ggufInteger.optional(),
    [key('rope.dimension_count')]: ggufInteger.optional(),
    [key('vocab_size')]: ggufInteger.optional(),
    [key('context_length')]: ggufInteger.optional(),
    [key('attention.layer_norm_rms_epsilon')]: ggufPositive.optional(),
    [key('rope.freq_base')]: ggufPositive.optional(),
    [key('rope.scaling.type')]: z.string().optional(),
    [key('rope.scaling.factor')]: ggufPositive.optional(),
    [key('attention.sliding_window')]: ggufInteger.optional(),
    [key('attention.sliding_window_pattern')]: ggufInteger.optional(),
    [key('attention.scale')]: ggufPositive.optional(),
    [key('attn_logit_softcapping')]: ggufPositive.optional(),
    [key('final_logit_softcapping')]: ggufPositive.optional(),
    [key('rope.freq_base_swa')]: ggufPositive.optional(),
    [key('rope.scaling.attn_factor')]: ggufPositive.optional(),
    [key('rope.scaling.original_context_length')]: ggufInteger.optional(),
    'tokenizer.ggml.bos_token_id': ggufInteger.optional(),
    'tokenizer.ggml.eos_token_id': ggufInteger.optional(),
    'tokenizer.ggml.tokens': z.array(z.unknown()).optional(),
  });
}

/** SmolLM3's NoPE layers as llama.cpp fixes them: 3, 7, 11, … */
export const everyFourthLayer = (layers: number) =>
  Array.from({ length: layers }, (_, layer) => layer).filter((layer) => endsPeriod(layer, 4));

/** Builds a ModelConfig from GGUF metadata. */
export function ggufConfig(
  metadata: GgufMetadata,
  tensors: Map<string, TensorInfo>,
  path: string,
): ModelConfig {
  const architecture = String(metadata['general.architecture'] ?? '');
  const family = Object.hasOwn(ggufArchitectures, architecture) ? ggufArchitectures[architecture] : undefined;
  if (!family) {
    throw new WeightLoadError(`${path}: architecture "${architecture}" is not supported`, {
      code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE',
      hint: `promptune runs Llama-family decoders: ${Object.keys(ggufArchitectures).join(', ')}.`,
    });
  }
  const values = parseInput(ggufConfigSchema(architecture), metadata, {
    where: `GGUF metadata of ${path}`,
    code: 'WEIGHT_BAD_METADATA',
    hint: 'The GGUF file holds a value of the wrong type; convert it again with a recent llama.cpp.',
    kind: WeightLoadError,
  }) as Record<string, unknown>;
  const key = (name: string) => values[`${architecture}.${name}`] as number | undefined;
  const required = (name: string): number => {
    const value = key(name);
    if (typeof value !== 'number') {
      throw new WeightLoadError(`${path}: metadata ${architecture}.${name} is missing`, {
        code: 'WEIGHT_MISSING_METADATA',
        hint: 'The GGUF file is incomplete; convert it again with a recent llama.cpp.',
      });
    }
    return value;
  };
  const hiddenSize = required('embedding_length');
  const heads = required('attention.head_count');
  const layers = required('block_count');
  const tokens = values['tokenizer.ggml.tokens'] as unknown[] | undefined;
  const embeddingShape = tensors.get('token_embd.weight')?.shape;
  const scalingType = key('rope.scaling.type') as unknown;
  // linear is applied, long-RoPE by its factor tensors; another scaling would be run as none
  if (typeof scalingType === 'string' && !['none', 'linear', 'longrope'].includes(scalingType))
    throw new WeightLoadError(`${path}: RoPE scaling "${scalingType}" is not supported`, {
      code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE',
      hint: 'Supported RoPE scalings: none, linear, longrope, and llama3 through rope_freqs.weight.',
    });
  const eos = values['tokenizer.ggml.eos_token_id'];
  const bos = values['tokenizer.ggml.bos_token_id'];
  const headDim =
    key('attention.key_length') ??
    (architecture === 'phi3' ? undefined : key('rope.dimension_count')) ??
    hiddenSize / heads;
  const rotated = key('rope.dimension_count');
  // long-RoPE (Phi-3.5/4): the short factors hold within the original context, which becomes the engine's
  const original = tensors.has('rope_factors_short.weight')
    ? key('rope.scaling.original_context_length')
    : undefined;
  const config: ModelConfig = {
    architecture,
    hiddenSize,
    intermediateSize: required('feed_forward_length'),
    layers,
    heads,
    kvHeads: key('attention.head_count_kv') ?? heads,
    headDim,
    vocabularySize: key('vocab_size') ?? embeddingShape?.[0] ?? tokens?.length ?? 0,
    contextLength: Math.min(required('context_length'), original ?? Infinity),
    rmsNormEps: key('attention.layer_norm_rms_epsilon') ?? 1e-5,
    ropeTheta: key('rope.freq_base') ?? 10000,
    ropeStyle: family.ropeStyle,
    ropeScaling:
      scalingType === 'linear' ? { type: 'linear', factor: key('rope.scaling.factor') ?? 1 } : undefined,
    ...(rotated !== undefined && rotated < headDim && { rotaryDims: rotated }),
    ...(key('rope.scaling.attn_factor') !== undefined && {
      ropeAttentionFactor: key('rope.scaling.attn_factor'),
    }),
    slidingWindow: key('attention.sliding_window') || undefined,
    tiedEmbeddings: !tensors.has('output.weight'),
    attentionBias: tensors.has('blk.0.attn_q.bias'),
    queryKeyNorm: tensors.has('blk.0.attn_q_norm.weight') || undefined,
    layersWithoutRope: architecture === 'smollm3' ? everyFourthLayer(layers) : undefined,
    bosTokenId: typeof bos === 'number' ? bos : undefined,
    eosTokenIds: typeof eos === 'number' ? [eos] : [],
    ...((architecture === 'gemma2' || architecture === 'gemma3') &&
      gemmaGgufConfig(architecture, key, {
        hiddenSize,
        heads,
        headDim,
        layers,
        sandwich: tensors.has('blk.0.post_attention_norm.weight'),
      })),
  };
  // before any tensor is read: sizes of 0 would otherwise surface as confusing shape errors
  validateConfig(config, path);
  return config;
}

/**
 * Loads config, weights and metadata (with the vocabulary) from a GGUF file. With `keepQuantized`,
 * matrices stored in GGML block types stay in them (the native kernels read them in place).
 */
export async function loadGguf(
  path: string,
  options: { keepQuantized?: boolean } = {},
): Promise<{
  config: ModelConfig;
  weights: ModelWeights;
  metadata: GgufMetadata;
  typedMetadata: Record<string, GgufValue>;
}> {
  const { metadata, typedMetadata, tensors, reader } = await readGgufHeader(path);
  try {
    // llama.cpp's vocabulary files (ggml-vocab-*.gguf) hold a tokenizer and no tensor at all
    if (tensors.size === 0)
      throw new WeightLoadError(`${path} holds no tensors: it is a vocabulary-only GGUF, not a model`, {
        code: 'WEIGHT_NO_TENSORS',
        hint: "Pass a GGUF file with the model's weights (llama.cpp's ggml-vocab-*.gguf files hold only a tokenizer).",
      });
    const config = ggufConfig(metadata, tensors, path);
    const source = ggufTensorSource(path, tensors, reader);
    if (tensors.has('rope_freqs.weight')) config.ropeFrequencyFactors = source.read('rope_freqs.weight');
    else if (tensors.has('rope_factors_short.weight'))
      config.ropeFrequencyFactors = source.read('rope_factors_short.weight');
    validateConfig(config, path);
    const family = ggufArchitectures[config.architecture];
    const parts = family.fused ? withFusedParts(source, config, family.fused) : source;
    const weights = assembleWeights(config, family.names ?? ggufNames, parts, path, options);
    // many converters store a tied classifier again as output.weight; share it instead of holding it twice
    if (!config.tiedEmbeddings && sameValues(weights.classifier, weights.embedding)) {
      weights.classifier = weights.embedding;
      config.tiedEmbeddings = true;
    }
    return { config, weights, metadata, typedMetadata };
  } finally {
    reader.close();
  }
}

/**
 * Whether output.weight repeats token_embd.weight byte for byte (as many converters store a tied
 * classifier), read from the file a megabyte at a time so an untied model stops at the first difference.
 */
export function classifierRepeatsEmbedding(tensors: Map<string, TensorInfo>, reader: FileReader): boolean {
  const embedding = tensors.get('token_embd.weight');
  const classifier = tensors.get('output.weight');
  if (!embedding || !classifier || embedding.type !== classifier.type || embedding.count !== classifier.count)
    return false;
  if (!isTensorType(embedding.type)) return false;
  const length = storedBytes(embedding.type, embedding.count);
  const chunk = 1 << 20;
  for (let at = 0; at < length; at += chunk) {
    const size = Math.min(chunk, length - at);
    const a = reader.read(embedding.offset + at, size, 'tensor token_embd.weight');
    const b = reader.read(classifier.offset + at, size, 'tensor output.weight');
    if (Buffer.compare(a, b) !== 0) return false;
  }
  return true;
}

function sameValues(a: Matrix, b: Matrix): boolean {
  if (!(a instanceof Float32Array) || !(b instanceof Float32Array)) {
    if (a instanceof Float32Array || b instanceof Float32Array || a.type !== b.type) return false;
    return Buffer.compare(a.bytes, b.bytes) === 0;
  }
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
