// Decoding of stored tensor element types to float32: F32, F16, BF16 and GGML's Q8_0 and Q4_0 blocks,
// plus the encoders the GGUF writer uses. Everything is dequantized once, at load time.
import { WeightLoadError } from '../../errors/index.js';

/** Element types the loaders can read, with GGML's numeric ids where GGUF has them. */
export const tensorTypes = {
  F32: { ggml: 0, blockValues: 1, blockBytes: 4 },
  F16: { ggml: 1, blockValues: 1, blockBytes: 2 },
  Q4_0: { ggml: 2, blockValues: 32, blockBytes: 18 },
  Q8_0: { ggml: 8, blockValues: 32, blockBytes: 34 },
  BF16: { ggml: 30, blockValues: 1, blockBytes: 2 },
} as const;

export type TensorType = keyof typeof tensorTypes;

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

const exponentTable = new Float32Array(32).map((_, e) => 2 ** (e - 15));

/** IEEE half precision bits to a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * exponentTable[exponent] * (1 + mantissa / 1024);
}

const floatView = new Float32Array(1);
const intView = new Uint32Array(floatView.buffer);

/** A number to IEEE half precision bits, rounding to nearest even. */
export function floatToHalf(value: number): number {
  floatView[0] = value;
  const x = intView[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  let mantissa = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    const half = mantissa >> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    return sign | (half + (remainder > midpoint || (remainder === midpoint && half & 1) ? 1 : 0));
  }
  const remainder = mantissa & 0x1fff;
  let result = sign | (exponent << 10) | (mantissa >> 13);
  if (remainder > 0x1000 || (remainder === 0x1000 && result & 1)) result++;
  return result;
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
  const view = new DataView(bytes.buffer, bytes.byteOffset, needed);
  const out = new Float32Array(count);
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
    case 'Q8_0':
      for (let block = 0; block * 32 < count; block++) {
        const base = block * 34;
        const scale = halfToFloat(view.getUint16(base, true));
        for (let j = 0; j < 32 && block * 32 + j < count; j++)
          out[block * 32 + j] = scale * view.getInt8(base + 2 + j);
      }
      break;
    case 'Q4_0':
      for (let block = 0; block * 32 < count; block++) {
        const base = block * 18;
        const scale = halfToFloat(view.getUint16(base, true));
        for (let j = 0; j < 16; j++) {
          const byte = view.getUint8(base + 2 + j);
          out[block * 32 + j] = scale * ((byte & 0x0f) - 8);
          out[block * 32 + j + 16] = scale * ((byte >> 4) - 8);
        }
      }
      break;
  }
  return out;
}

/** Encodes float32 values as `type` (the inverse of dequantize, up to rounding). */
export function quantize(values: Float32Array, type: TensorType): Uint8Array {
  const bytes = new Uint8Array(storedBytes(type, values.length));
  const view = new DataView(bytes.buffer);
  switch (type) {
    case 'F32':
      values.forEach((v, i) => view.setFloat32(4 * i, v, true));
      break;
    case 'F16':
      values.forEach((v, i) => view.setUint16(2 * i, floatToHalf(v), true));
      break;
    case 'BF16':
      values.forEach((v, i) => {
        floatView[0] = v;
        const x = intView[0];
        view.setUint16(2 * i, (x + 0x7fff + ((x >>> 16) & 1)) >>> 16, true);
      });
      break;
    case 'Q8_0':
    case 'Q4_0': {
      const eight = type === 'Q8_0';
      const blockBytes = tensorTypes[type].blockBytes;
      for (let block = 0; block * 32 < values.length; block++) {
        const slice = values.subarray(block * 32, block * 32 + 32);
        const base = block * blockBytes;
        if (eight) {
          const amax = slice.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          const scale = amax / 127;
          view.setUint16(base, floatToHalf(scale), true);
          const inverse = scale ? 1 / scale : 0;
          slice.forEach((v, j) => view.setInt8(base + 2 + j, Math.round(v * inverse)));
        } else {
          // as ggml's quantize_row_q4_0: the value of largest magnitude maps to -8
          let extreme = 0;
          for (const v of slice) if (Math.abs(v) > Math.abs(extreme)) extreme = v;
          const scale = extreme / -8;
          view.setUint16(base, floatToHalf(scale), true);
          const inverse = scale ? 1 / scale : 0;
          const code = (v: number) => Math.min(15, Math.floor(v * inverse + 8.5));
          for (let j = 0; j < 16; j++)
            view.setUint8(base + 2 + j, code(slice[j] ?? 0) | (code(slice[j + 16] ?? 0) << 4));
        }
      }
      break;
    }
  }
  return bytes;
}
