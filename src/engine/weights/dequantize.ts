// Decoding of stored tensor element types to float32 (F32, F16, BF16 and GGML's block types: Q4_0, Q4_1,
// Q5_0, Q5_1, Q8_0 and the K-quants Q2_K to Q6_K), and the encoders the GGUF writer uses. The JS codecs
// here are the readable reference; loaders dequantize at load time unless a kernel reads the blocks.
import { WeightLoadError } from '../../errors/index.js';
import { floatToBfloat16, floatToHalf, halfToFloat } from './half-float.js';
import { kDecoders } from './quant-k-decode.js';
import { kEncoders } from './quant-k-encode.js';
import { legacyCodecs } from './quant-legacy.js';

export { floatToHalf, halfToFloat } from './half-float.js';

/** Element types the loaders can read, with GGML's numeric ids where GGUF has them. */
export const tensorTypes = {
  F32: { ggml: 0, blockValues: 1, blockBytes: 4 },
  F16: { ggml: 1, blockValues: 1, blockBytes: 2 },
  Q4_0: { ggml: 2, blockValues: 32, blockBytes: 18 },
  Q4_1: { ggml: 3, blockValues: 32, blockBytes: 20 },
  Q5_0: { ggml: 6, blockValues: 32, blockBytes: 22 },
  Q5_1: { ggml: 7, blockValues: 32, blockBytes: 24 },
  Q8_0: { ggml: 8, blockValues: 32, blockBytes: 34 },
  Q2_K: { ggml: 10, blockValues: 256, blockBytes: 84 },
  Q3_K: { ggml: 11, blockValues: 256, blockBytes: 110 },
  Q4_K: { ggml: 12, blockValues: 256, blockBytes: 144 },
  Q5_K: { ggml: 13, blockValues: 256, blockBytes: 176 },
  Q6_K: { ggml: 14, blockValues: 256, blockBytes: 210 },
  BF16: { ggml: 30, blockValues: 1, blockBytes: 2 },
} as const;

/** An element type promptune reads and writes (F32, F16, BF16 and the GGML block types). */
export type TensorType = keyof typeof tensorTypes;

/** The GGML block types (everything but the plain float types). */
export type BlockType = Exclude<TensorType, 'F32' | 'F16' | 'BF16'>;

export const isBlockType = (type: TensorType): type is BlockType => tensorTypes[type].blockValues > 1;

/** True for the element types promptune can read. */
export function isTensorType(name: string): name is TensorType {
  return Object.hasOwn(tensorTypes, name);
}

/** The type named by a GGML id, or undefined when we cannot read it. */
export function tensorTypeFromGgml(id: number): TensorType | undefined {
  return (Object.keys(tensorTypes) as TensorType[]).find((name) => tensorTypes[name].ggml === id);
}

/** Bytes needed to store `count` values of `type`. */
export function storedBytes(type: TensorType, count: number): number {
  const { blockValues, blockBytes } = tensorTypes[type];
  return Math.ceil(count / blockValues) * blockBytes;
}

/** Decodes `count` values of `type` from `bytes` (little-endian) into float32. */
export function dequantize(bytes: Uint8Array, type: TensorType, count: number, where: string): Float32Array {
  const needed = storedBytes(type, count);
  if (bytes.length < needed) {
    throw new WeightLoadError(
      `${where}: ${bytes.length} bytes stored, ${needed} needed for ${count} ${type} values`,
      {
        code: 'WEIGHT_TRUNCATED',
        hint: 'The file is truncated or corrupt; download it again.',
      },
    );
  }
  const out = new Float32Array(count);
  if (isBlockType(type)) {
    const { blockValues, blockBytes } = tensorTypes[type];
    if (count % blockValues !== 0) {
      throw new WeightLoadError(`${where}: ${count} ${type} values are not whole blocks of ${blockValues}`, {
        code: 'WEIGHT_BAD_SHAPE',
        hint: 'The file is corrupt: GGML block types store whole blocks only.',
      });
    }
    const decode = blockDecoder(type, bytes);
    for (let block = 0; block * blockValues < count; block++)
      decode(block * blockBytes, out, block * blockValues);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, needed);
  switch (type) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
  }
  return out;
}

/** One block's decoder over `bytes`: (byte offset, output, output offset). */
function blockDecoder(type: BlockType, bytes: Uint8Array) {
  if (type in kDecoders) {
    const decode = kDecoders[type as keyof typeof kDecoders];
    return (base: number, out: Float32Array, at: number) => decode(bytes, base, out, at);
  }
  const codec = legacyCodecs[type as keyof typeof legacyCodecs];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return (base: number, out: Float32Array, at: number) => codec.decode(view, base, out, at);
}

/**
 * Encodes float32 values as `type` (the inverse of dequantize, up to rounding), as ggml's reference
 * quantizers do. Block types need whole blocks (32 values, 256 for the K-quants): the GGUF writer picks a
 * fallback type for rows that are not.
 */
export function quantize(values: Float32Array, type: TensorType): Uint8Array {
  const bytes = new Uint8Array(storedBytes(type, values.length));
  const view = new DataView(bytes.buffer);
  switch (type) {
    case 'F32':
      values.forEach((v, i) => view.setFloat32(4 * i, v, true));
      return bytes;
    case 'F16':
      values.forEach((v, i) => view.setUint16(2 * i, floatToHalf(v), true));
      return bytes;
    case 'BF16':
      values.forEach((v, i) => view.setUint16(2 * i, floatToBfloat16(v), true));
      return bytes;
  }
  const { blockValues, blockBytes } = tensorTypes[type];
  if (type in kEncoders && values.length % blockValues !== 0)
    throw new RangeError(`${type} stores whole blocks of ${blockValues} values; got ${values.length}`);
  for (let block = 0; block * blockValues < values.length; block++) {
    const slice = values.subarray(block * blockValues, (block + 1) * blockValues);
    if (type in kEncoders) kEncoders[type as keyof typeof kEncoders](slice, bytes, block * blockBytes);
    else legacyCodecs[type as keyof typeof legacyCodecs].encode(slice, view, block * blockBytes);
  }
  return bytes;
}
