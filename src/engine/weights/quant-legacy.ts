// GGML's 32-value block types Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0: one block's decoding to float32 and its
// encoding as ggml's quantize_row_<type>_ref does it (float32 arithmetic in ggml's order, so the bytes
// match libggml's; see quant.test.ts). Layouts are ggml-common.h's: a half scale (and a half minimum for
// the _1 types), then, for the 5-bit types, 32 high bits, then the low codes, two per byte.
import { floatToHalf, halfToFloat } from './half-float.js';
import { f32 } from './quant-search.js';

/** One block type: decode writes 32 values at `at`; encode reads 32 values (zeros past the end). */
export interface BlockCodec {
  decode(view: DataView, base: number, out: Float32Array, at: number): void;
  encode(values: Float32Array, view: DataView, base: number): void;
}

const truncate = Math.trunc;

/** The value of largest magnitude, with its sign (the first one on ties). */
function signedExtreme(values: Float32Array): number {
  let absoluteMax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    const value = values[j] ?? 0;
    if (absoluteMax < Math.abs(value)) {
      absoluteMax = Math.abs(value);
      max = value;
    }
  }
  return max;
}

function range(values: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < 32; j++) {
    const value = values[j] ?? 0;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return { min, max };
}

/** The five-bit codes' high bits packed as ggml does: code j's bit 4 at bit j, code j+16's at bit j+16. */
function writeCodes(view: DataView, base: number, codes: number[], fiveBit: boolean) {
  let high = 0;
  for (let j = 0; j < 16; j++) {
    view.setUint8(base + j, (codes[j] & 0x0f) | ((codes[j + 16] & 0x0f) << 4));
    if (fiveBit) high |= (((codes[j] & 0x10) >> 4) << j) | (((codes[j + 16] & 0x10) >> 4) << (j + 16));
  }
  return high >>> 0;
}

function readCodes(view: DataView, base: number, high: number | undefined, codes: Int32Array) {
  for (let j = 0; j < 16; j++) {
    const byte = view.getUint8(base + j);
    codes[j] = (byte & 0x0f) | (high === undefined ? 0 : ((high >>> j) << 4) & 0x10);
    codes[j + 16] = (byte >> 4) | (high === undefined ? 0 : (high >>> (j + 12)) & 0x10);
  }
}

const codes = new Int32Array(32);

/** Symmetric 4- or 5-bit blocks (Q4_0, Q5_0): value = scale * (code - offset). */
function symmetric(bits: 4 | 5): BlockCodec {
  const offset = bits === 4 ? 8 : 16;
  const maxCode = bits === 4 ? 15 : 31;
  const codesAt = bits === 4 ? 2 : 6;
  return {
    decode(view, base, out, at) {
      const scale = halfToFloat(view.getUint16(base, true));
      readCodes(view, base + codesAt, bits === 5 ? view.getUint32(base + 2, true) : undefined, codes);
      for (let j = 0; j < 32; j++) out[at + j] = f32(scale * (codes[j] - offset));
    },
    encode(values, view, base) {
      const scale = f32(signedExtreme(values) / -offset);
      const inverse = scale ? f32(1 / scale) : 0;
      view.setUint16(base, floatToHalf(scale), true);
      const written = Array.from({ length: 32 }, (_, j) =>
        Math.min(maxCode, truncate(f32(f32((values[j] ?? 0) * inverse) + (offset + 0.5)))),
      );
      const high = writeCodes(view, base + codesAt, written, bits === 5);
      if (bits === 5) view.setUint32(base + 2, high, true);
    },
  };
}

/** Blocks with a minimum (Q4_1, Q5_1): value = scale * code + minimum. */
function withMinimum(bits: 4 | 5): BlockCodec {
  const maxCode = bits === 4 ? 15 : 31;
  const codesAt = bits === 4 ? 4 : 8;
  return {
    decode(view, base, out, at) {
      const scale = halfToFloat(view.getUint16(base, true));
      const minimum = halfToFloat(view.getUint16(base + 2, true));
      readCodes(view, base + codesAt, bits === 5 ? view.getUint32(base + 4, true) : undefined, codes);
      for (let j = 0; j < 32; j++) out[at + j] = f32(f32(scale * codes[j]) + minimum);
    },
    encode(values, view, base) {
      const { min, max } = range(values);
      const scale = f32(f32(max - min) / maxCode);
      const inverse = scale ? f32(1 / scale) : 0;
      view.setUint16(base, floatToHalf(scale), true);
      view.setUint16(base + 2, floatToHalf(min), true);
      // Q4_1 clamps to 15; Q5_1's codes cannot pass 31 (ggml does not clamp them)
      const written = Array.from({ length: 32 }, (_, j) =>
        Math.min(maxCode, truncate(f32(f32(f32((values[j] ?? 0) - min) * inverse) + 0.5))),
      );
      const high = writeCodes(view, base + codesAt, written, bits === 5);
      if (bits === 5) view.setUint32(base + 4, high, true);
    },
  };
}

/** C's roundf: half away from zero. */
const roundAway = (value: number) => Math.sign(value) * Math.round(Math.abs(value));

const eightBit: BlockCodec = {
  decode(view, base, out, at) {
    const scale = halfToFloat(view.getUint16(base, true));
    for (let j = 0; j < 32; j++) out[at + j] = f32(scale * view.getInt8(base + 2 + j));
  },
  encode(values, view, base) {
    let absoluteMax = 0;
    for (let j = 0; j < 32; j++) absoluteMax = Math.max(absoluteMax, Math.abs(values[j] ?? 0));
    const scale = f32(absoluteMax / 127);
    const inverse = scale ? f32(1 / scale) : 0;
    view.setUint16(base, floatToHalf(scale), true);
    for (let j = 0; j < 32; j++) view.setInt8(base + 2 + j, roundAway(f32((values[j] ?? 0) * inverse)));
  },
};

export const legacyCodecs = {
  Q4_0: symmetric(4),
  Q4_1: withMinimum(4),
  Q5_0: symmetric(5),
  Q5_1: withMinimum(5),
  Q8_0: eightBit,
};
