// Decoding of GGML's K-quant super-blocks (256 values) to float32: Q2_K, Q3_K, Q4_K, Q5_K and Q6_K, with
// the layouts of ggml-common.h and the arithmetic of ggml's dequantize_row_<type> (float32, same order).
// The readable reference: the native kernels read the same blocks (and must agree with this).
import { halfToFloat } from './half-float.js';
import { f32 } from './quant-search.js';

/** Byte offsets of each type's fields within its block. */
export const kLayouts = {
  Q2_K: { scales: 0, codes: 16, scale: 80, minimum: 82, bytes: 84 },
  Q3_K: { highMask: 0, codes: 32, scales: 96, scale: 108, bytes: 110 },
  Q4_K: { scale: 0, minimum: 2, scales: 4, codes: 16, bytes: 144 },
  Q5_K: { scale: 0, minimum: 2, scales: 4, highBits: 16, codes: 48, bytes: 176 },
  Q6_K: { low: 0, high: 128, scales: 192, scale: 208, bytes: 210 },
} as const;

/** Q4_K/Q5_K's packed 6-bit scale and minimum of sub-block j (ggml's get_scale_min_k4). */
export function scaleAndMinimum(bytes: Uint8Array, at: number, j: number): [number, number] {
  if (j < 4) return [bytes[at + j] & 63, bytes[at + j + 4] & 63];
  return [
    (bytes[at + j + 4] & 0x0f) | ((bytes[at + j - 4] >> 6) << 4),
    (bytes[at + j + 4] >> 4) | ((bytes[at + j] >> 6) << 4),
  ];
}

/** Q3_K's sixteen 6-bit scales (stored as 12 bytes), minus 32. */
export function threeBitScales(bytes: Uint8Array, at: number): Int8Array {
  const scales = new Int8Array(16);
  for (let j = 0; j < 16; j++) {
    const low = j < 8 ? bytes[at + j] & 0x0f : bytes[at + j - 8] >> 4;
    const high = (bytes[at + 8 + (j % 4)] >> (2 * Math.floor(j / 4))) & 3;
    scales[j] = (low | (high << 4)) - 32;
  }
  return scales;
}

type Decode = (bytes: Uint8Array, base: number, out: Float32Array, at: number) => void;

const decodeQ2K: Decode = (bytes, base, out, at) => {
  const layout = kLayouts.Q2_K;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const d = halfToFloat(view.getUint16(base + layout.scale, true));
  const min = halfToFloat(view.getUint16(base + layout.minimum, true));
  let y = at;
  let sub = 0;
  for (let half = 0; half < 2; half++) {
    const codes = base + layout.codes + 32 * half;
    for (let shift = 0; shift < 8; shift += 2) {
      for (const offset of [0, 16]) {
        const packed = bytes[base + layout.scales + sub++];
        const scale = f32(d * (packed & 0x0f));
        const minimum = f32(min * (packed >> 4));
        for (let l = 0; l < 16; l++)
          out[y++] = f32(f32(scale * ((bytes[codes + offset + l] >> shift) & 3)) - minimum);
      }
    }
  }
};

const decodeQ3K: Decode = (bytes, base, out, at) => {
  const layout = kLayouts.Q3_K;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const d = halfToFloat(view.getUint16(base + layout.scale, true));
  const scales = threeBitScales(bytes, base + layout.scales);
  let y = at;
  let sub = 0;
  let mask = 1;
  for (let half = 0; half < 2; half++) {
    const codes = base + layout.codes + 32 * half;
    for (let shift = 0; shift < 8; shift += 2) {
      for (const offset of [0, 16]) {
        const scale = f32(d * scales[sub++]);
        for (let l = 0; l < 16; l++) {
          const low = (bytes[codes + offset + l] >> shift) & 3;
          const high = bytes[base + layout.highMask + offset + l] & mask ? 0 : 4;
          out[y++] = f32(scale * (low - high));
        }
      }
      mask <<= 1;
    }
  }
};

/** Q4_K and Q5_K: eight sub-blocks of 32 with 6-bit scales and minimums; Q5_K adds a fifth bit per code. */
function decodeFourOrFive(five: boolean): Decode {
  const layout = five ? kLayouts.Q5_K : kLayouts.Q4_K;
  return (bytes, base, out, at) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const d = halfToFloat(view.getUint16(base + layout.scale, true));
    const min = halfToFloat(view.getUint16(base + layout.minimum, true));
    let y = at;
    for (let pair = 0; pair < 4; pair++) {
      const codes = base + layout.codes + 32 * pair;
      for (const upper of [false, true]) {
        const [scaleCode, minimumCode] = scaleAndMinimum(
          bytes,
          base + layout.scales,
          2 * pair + (upper ? 1 : 0),
        );
        const scale = f32(d * scaleCode);
        const minimum = f32(min * minimumCode);
        const highMask = 1 << (2 * pair + (upper ? 1 : 0));
        for (let l = 0; l < 32; l++) {
          let code = upper ? bytes[codes + l] >> 4 : bytes[codes + l] & 0x0f;
          if (five && bytes[base + kLayouts.Q5_K.highBits + l] & highMask) code += 16;
          out[y++] = f32(f32(scale * code) - minimum);
        }
      }
    }
  };
}

const decodeQ6K: Decode = (bytes, base, out, at) => {
  const layout = kLayouts.Q6_K;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const d = halfToFloat(view.getUint16(base + layout.scale, true));
  for (let half = 0; half < 2; half++) {
    const low = base + layout.low + 64 * half;
    const high = base + layout.high + 32 * half;
    const scales = base + layout.scales + 8 * half;
    const y = at + 128 * half;
    for (let l = 0; l < 32; l++) {
      const sub = Math.floor(l / 16);
      const h = bytes[high + l];
      const first = bytes[low + l];
      const second = bytes[low + l + 32];
      const scale = (quarter: number) => f32(d * view.getInt8(scales + sub + 2 * quarter));
      out[y + l] = f32(scale(0) * (((first & 0x0f) | ((h & 3) << 4)) - 32));
      out[y + l + 32] = f32(scale(1) * (((second & 0x0f) | (((h >> 2) & 3) << 4)) - 32));
      out[y + l + 64] = f32(scale(2) * (((first >> 4) | (((h >> 4) & 3) << 4)) - 32));
      out[y + l + 96] = f32(scale(3) * (((second >> 4) | (((h >> 6) & 3) << 4)) - 32));
    }
  }
};

export const kDecoders = {
  Q2_K: decodeQ2K,
  Q3_K: decodeQ3K,
  Q4_K: decodeFourOrFive(false),
  Q5_K: decodeFourOrFive(true),
  Q6_K: decodeQ6K,
};
