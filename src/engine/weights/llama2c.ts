// llama2.c checkpoints: the legacy (v0) layout and the version-1 float32 export ("ak42" magic).
// The tensor order of each layout is data (a list); Q/K are in Meta's interleaved RoPE order.
import { WeightLoadError } from '../../errors/index.js';
import { validateConfig, type ModelConfig } from '../config.js';
import { assembleWeights, parameterShapes, type TensorSource } from './assemble.js';
import { dequantize } from './dequantize.js';
import { FileReader } from './file-reader.js';
import type { NameTable } from './names.js';
import type { LayerWeights, ModelWeights } from './types.js';

type Field = keyof LayerWeights | 'embedding' | 'finalNorm' | 'classifier' | 'frequencies';

/** Tensor order of the legacy export (llama2.c `legacy_export`); `frequencies` is skipped. */
const legacyOrder: Field[] = [
  'embedding',
  'attentionNorm',
  'query',
  'key',
  'value',
  'attentionOutput',
  'mlpNorm',
  'gate',
  'down',
  'up',
  'finalNorm',
  'frequencies',
  'classifier',
];
/** Tensor order of `version1_export`. */
const version1Order: Field[] = [
  'attentionNorm',
  'mlpNorm',
  'finalNorm',
  'embedding',
  'query',
  'key',
  'value',
  'attentionOutput',
  'gate',
  'down',
  'up',
  'classifier',
];

const perLayer = new Set<Field>([
  'attentionNorm',
  'query',
  'key',
  'value',
  'attentionOutput',
  'mlpNorm',
  'gate',
  'down',
  'up',
]);

/** Synthetic names: llama2.c files have none, so `layers.3.query` etc. stand for positions. */
const llama2cNames: NameTable = {
  model: { embedding: 'embedding', finalNorm: 'finalNorm', classifier: 'classifier' },
  layer: Object.fromEntries(
    [
      'attentionNorm',
      'query',
      'key',
      'value',
      'queryBias',
      'keyBias',
      'valueBias',
      'attentionOutput',
      'mlpNorm',
      'gate',
      'up',
      'down',
    ].map((f) => [f, `layers.{layer}.${f}`]),
  ) as NameTable['layer'],
};

const MAGIC = 0x616b3432; // "ak42"

/** The config (and export version) in a llama2.c checkpoint's header, read without its weights. */
function readLlama2cHeader(reader: FileReader, path: string): { config: ModelConfig; version: number } {
  const head = new DataView(reader.read(0, Math.min(reader.size, 40), 'the header').buffer);
  if (reader.size < 28) throw truncated(path, reader.size);
  let version = 0;
  let offset = 0;
  if (head.getUint32(0, true) === MAGIC) {
    version = head.getInt32(4, true);
    if (version !== 1) {
      throw new WeightLoadError(`${path}: llama2.c export version ${version} is not supported`, {
        code: 'WEIGHT_UNSUPPORTED_QUANTIZATION',
        hint: 'Use a float32 export (legacy or version 1), or convert to GGUF.',
      });
    }
    offset = 8;
    if (reader.size < 256) throw truncated(path, reader.size, 256);
  }
  const values = Array.from({ length: 7 }, (_, i) => head.getInt32(offset + 4 * i, true));
  const [dim, hiddenDim, layers, heads, kvHeads, signedVocabulary, contextLength] = values;
  const sane =
    dim > 0 &&
    dim < 65536 &&
    hiddenDim > 0 &&
    layers > 0 &&
    layers < 1024 &&
    heads > 0 &&
    kvHeads > 0 &&
    contextLength > 0;
  if (!sane || signedVocabulary === 0 || Math.abs(signedVocabulary) > 10_000_000 || dim % heads !== 0) {
    throw new WeightLoadError(`${path}: header [${values}] is not a llama2.c checkpoint header`, {
      code: 'WEIGHT_BAD_MAGIC',
      hint: 'This is not a llama2.c .bin; pass a .gguf, a llama2.c .bin or a Hugging Face directory.',
    });
  }
  const tied = version === 1 ? head.getUint8(36) !== 0 : signedVocabulary > 0;
  const config: ModelConfig = {
    architecture: 'llama',
    hiddenSize: dim,
    intermediateSize: hiddenDim,
    layers,
    heads,
    kvHeads,
    headDim: dim / heads,
    vocabularySize: Math.abs(signedVocabulary),
    contextLength,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeStyle: 'interleaved',
    tiedEmbeddings: tied,
    attentionBias: false,
    bosTokenId: 1,
    eosTokenIds: [2],
  };
  validateConfig(config, path);
  return { config, version };
}

/** Reads the config of a llama2.c `.bin` checkpoint from its header alone. */
export function readLlama2cConfig(path: string): ModelConfig {
  const reader = new FileReader(path);
  try {
    return readLlama2cHeader(reader, path).config;
  } finally {
    reader.close();
  }
}

/** Loads a llama2.c `.bin` checkpoint. */
export function loadLlama2c(path: string): { config: ModelConfig; weights: ModelWeights; version: number } {
  const reader = new FileReader(path);
  try {
    const { config, version } = readLlama2cHeader(reader, path);
    const { layers, contextLength, tiedEmbeddings: tied } = config;
    // Lay out every tensor's byte range in file order.
    const ranges = new Map<string, { start: number; shape: number[] }>();
    let position = version === 1 ? 256 : 28;
    for (const field of version === 1 ? version1Order : legacyOrder) {
      if (field === 'classifier' && tied) continue;
      const shape =
        field === 'frequencies' ? [contextLength, config.headDim] : parameterShapes(config)[field];
      const count = shape.reduce((a, b) => a * b, 1);
      for (let layer = 0; layer < (perLayer.has(field) ? layers : 1); layer++) {
        ranges.set(perLayer.has(field) ? `layers.${layer}.${field}` : field, { start: position, shape });
        position += 4 * count;
      }
    }
    if (position > reader.size) throw truncated(path, reader.size, position);
    const source: TensorSource = {
      has: (name) => ranges.has(name),
      shape: (name) => ranges.get(name)!.shape,
      read(name) {
        const { start, shape } = ranges.get(name)!;
        const count = shape.reduce((a, b) => a * b, 1);
        return dequantize(reader.read(start, 4 * count, name), 'F32', count, `${path}: ${name}`);
      },
    };
    return { config, weights: assembleWeights(config, llama2cNames, source, path), version };
  } finally {
    reader.close();
  }
}

function truncated(path: string, size: number, needed?: number): WeightLoadError {
  return new WeightLoadError(
    `${path}: the file has ${size} bytes${needed ? `, the header implies ${needed}` : ''}`,
    {
      code: 'WEIGHT_TRUNCATED',
      hint: 'The checkpoint is truncated (an interrupted download?); fetch it again.',
    },
  );
}
