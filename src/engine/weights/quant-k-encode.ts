// Encoding of 256 float32 values as one K-quant super-block, following ggml's quantize_row_<type>_ref for
// Q2_K, Q3_K, Q4_K, Q5_K and Q6_K: per sub-block scale searches (quant-search.ts), the scales quantized
// against the largest, then every value re-coded with the stored (rounded) scales. Without an importance
// matrix, as llama-quantize does when none is given. Bytes match libggml's (quant.test.ts).
import { floatToHalf, halfToFloat } from './half-float.js';
import { kLayouts, scaleAndMinimum, threeBitScales } from './quant-k-decode.js';
import {
  f32,
  groupMaxEpsilon,
  nearestInt,
  searchScaleAndMinimum,
  searchSymmetricScale,
  searchThreeBitScale,
} from './quant-search.js';

type Encode = (values: Float32Array, bytes: Uint8Array, base: number) => void;

const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(high, value));

function setHalf(bytes: Uint8Array, at: number, value: number) {
  const bits = floatToHalf(value);
  bytes[at] = bits & 0xff;
  bytes[at + 1] = bits >> 8;
}

const getHalf = (bytes: Uint8Array, at: number) => halfToFloat(bytes[at] | (bytes[at + 1] << 8));

/** Four 2-bit codes per byte: byte l of each 128-value half holds codes l, l+32, l+64 and l+96. */
function packTwoBit(codes: Uint8Array, bytes: Uint8Array, at: number) {
  for (let j = 0; j < 256; j += 128)
    for (let l = 0; l < 32; l++)
      bytes[at + j / 4 + l] =
        codes[j + l] | (codes[j + l + 32] << 2) | (codes[j + l + 64] << 4) | (codes[j + l + 96] << 6);
}

/**
 * Each group's scale and minimum (its codes written into `codes`), as Q2_K, Q4_K and Q5_K search them,
 * weighting each group's values by `weightsOf`; and the largest of each, which the stored scales divide.
 */
function scalesAndMinimums(
  values: Float32Array,
  codes: Uint8Array,
  groupSize: number,
  weightsOf: (group: Float32Array) => Float32Array,
  maxCode: number,
  search: Parameters<typeof searchScaleAndMinimum>[4],
) {
  const groups = values.length / groupSize;
  const scales = new Float32Array(groups);
  const minimums = new Float32Array(groups);
  let maxScale = 0;
  let maxMinimum = 0;
  for (let j = 0; j < groups; j++) {
    const group = values.subarray(groupSize * j, groupSize * (j + 1));
    const groupCodes = codes.subarray(groupSize * j, groupSize * (j + 1));
    const found = searchScaleAndMinimum(group, weightsOf(group), groupCodes, maxCode, search);
    scales[j] = found.scale;
    minimums[j] = found.minimum;
    if (found.scale > maxScale) maxScale = found.scale;
    if (found.minimum > maxMinimum) maxMinimum = found.minimum;
  }
  return { scales, minimums, maxScale, maxMinimum };
}

const encodeQ2K: Encode = (values, bytes, base) => {
  const layout = kLayouts.Q2_K;
  const codes = new Uint8Array(256);
  const { scales, minimums, maxScale, maxMinimum } = scalesAndMinimums(
    values,
    codes,
    16,
    (group) => group.map(Math.abs),
    3,
    { rangeStart: f32(-0.5), rangeStep: f32(0.1), steps: 15, absoluteError: true },
  );
  const packed = bytes.subarray(base + layout.scales, base + layout.scales + 16);
  packed.fill(0);
  if (maxScale > 0) {
    const inverse = f32(15 / maxScale);
    for (let j = 0; j < 16; j++) packed[j] = nearestInt(f32(inverse * scales[j]));
    setHalf(bytes, base + layout.scale, f32(maxScale / 15));
  } else setHalf(bytes, base + layout.scale, 0);
  if (maxMinimum > 0) {
    const inverse = f32(15 / maxMinimum);
    for (let j = 0; j < 16; j++) packed[j] |= nearestInt(f32(inverse * minimums[j])) << 4;
    setHalf(bytes, base + layout.minimum, f32(maxMinimum / 15));
  } else setHalf(bytes, base + layout.minimum, 0);
  const d = getHalf(bytes, base + layout.scale);
  const min = getHalf(bytes, base + layout.minimum);
  for (let j = 0; j < 16; j++) {
    const scale = f32(d * (packed[j] & 0x0f));
    if (!scale) continue;
    const minimum = f32(min * (packed[j] >> 4));
    for (let i = 16 * j; i < 16 * j + 16; i++)
      codes[i] = clamp(nearestInt(f32(f32(values[i] + minimum) / scale)), 0, 3);
  }
  packTwoBit(codes, bytes, base + layout.codes);
};

/** Each 16-value group's scale (its codes written by `search`), as Q3_K and Q6_K search them. */
function sixteenScales(
  values: Float32Array,
  codes: Uint8Array,
  search: (group: Float32Array, groupCodes: Uint8Array) => number,
): Float32Array {
  return Float32Array.from({ length: 16 }, (_, j) =>
    search(values.subarray(16 * j, 16 * j + 16), codes.subarray(16 * j, 16 * j + 16)),
  );
}

/** The scale of largest magnitude, with its sign (the first on ties), and that magnitude. */
function largestScale(scales: Float32Array): { maxScale: number; absoluteMax: number } {
  let maxScale = 0;
  let absoluteMax = 0;
  for (const scale of scales) {
    if (Math.abs(scale) > absoluteMax) {
      absoluteMax = Math.abs(scale);
      maxScale = scale;
    }
  }
  return { maxScale, absoluteMax };
}

const encodeQ3K: Encode = (values, bytes, base) => {
  const layout = kLayouts.Q3_K;
  const codes = new Uint8Array(256);
  const scales = sixteenScales(values, codes, (group, groupCodes) =>
    searchThreeBitScale(group, groupCodes, 4),
  );
  const { maxScale } = largestScale(scales);
  const packed = bytes.subarray(base + layout.scales, base + layout.scales + 12);
  packed.fill(0);
  if (maxScale) {
    const inverse = f32(-32 / maxScale);
    for (let j = 0; j < 16; j++) {
      const code = clamp(nearestInt(f32(inverse * scales[j])), -32, 31) + 32;
      if (j < 8) packed[j] = code & 0x0f;
      else packed[j - 8] |= (code & 0x0f) << 4;
      packed[8 + (j % 4)] |= (code >> 4) << (2 * Math.floor(j / 4));
    }
    setHalf(bytes, base + layout.scale, f32(1 / inverse));
  } else setHalf(bytes, base + layout.scale, 0);
  const d = getHalf(bytes, base + layout.scale);
  const stored = threeBitScales(bytes, base + layout.scales);
  for (let j = 0; j < 16; j++) {
    const scale = f32(d * stored[j]);
    if (!scale) continue;
    for (let i = 16 * j; i < 16 * j + 16; i++)
      codes[i] = clamp(nearestInt(f32(values[i] / scale)), -4, 3) + 4;
  }
  // the third bit of code i goes to bit (i / 32) of highMask[i % 32]
  const highMask = bytes.subarray(base + layout.highMask, base + layout.highMask + 32);
  highMask.fill(0);
  for (let i = 0; i < 256; i++) {
    if (codes[i] > 3) {
      highMask[i % 32] |= 1 << Math.floor(i / 32);
      codes[i] -= 4;
    }
  }
  packTwoBit(codes, bytes, base + layout.codes);
};

/** Q4_K and Q5_K: eight sub-blocks of 32, each weighted by its RMS plus each value's magnitude. */
function encodeFourOrFive(five: boolean): Encode {
  const layout = five ? kLayouts.Q5_K : kLayouts.Q4_K;
  const maxCode = five ? 31 : 15;
  const search = five
    ? { rangeStart: f32(-0.5), rangeStep: f32(0.1), steps: 15, absoluteError: false }
    : { rangeStart: -1, rangeStep: f32(0.1), steps: 20, absoluteError: false };
  return (values, bytes, base) => {
    const codes = new Uint8Array(256);
    const { scales, minimums, maxScale, maxMinimum } = scalesAndMinimums(
      values,
      codes,
      32,
      (group) => {
        let sumSquares = 0;
        for (const value of group) sumSquares = f32(sumSquares + f32(value * value));
        const average = f32(Math.sqrt(f32(sumSquares / 32)));
        return group.map((value) => f32(average + Math.abs(value)));
      },
      maxCode,
      search,
    );
    const inverseScale = maxScale > 0 ? f32(63 / maxScale) : 0;
    const inverseMinimum = maxMinimum > 0 ? f32(63 / maxMinimum) : 0;
    const packed = bytes.subarray(base + layout.scales, base + layout.scales + 12);
    packed.fill(0);
    for (let j = 0; j < 8; j++) {
      const scaleCode = Math.min(63, nearestInt(f32(inverseScale * scales[j])) & 0xff);
      const minimumCode = Math.min(63, nearestInt(f32(inverseMinimum * minimums[j])) & 0xff);
      if (j < 4) {
        packed[j] = scaleCode;
        packed[j + 4] = minimumCode;
      } else {
        packed[j + 4] = (scaleCode & 0x0f) | ((minimumCode & 0x0f) << 4);
        packed[j - 4] |= (scaleCode >> 4) << 6;
        packed[j] |= (minimumCode >> 4) << 6;
      }
    }
    setHalf(bytes, base + layout.scale, f32(maxScale / 63));
    setHalf(bytes, base + layout.minimum, f32(maxMinimum / 63));
    const d = getHalf(bytes, base + layout.scale);
    const min = getHalf(bytes, base + layout.minimum);
    for (let j = 0; j < 8; j++) {
      const [scaleCode, minimumCode] = scaleAndMinimum(bytes, base + layout.scales, j);
      const scale = f32(d * scaleCode);
      if (!scale) continue;
      const minimum = f32(min * minimumCode);
      for (let i = 32 * j; i < 32 * j + 32; i++)
        codes[i] = clamp(nearestInt(f32(f32(values[i] + minimum) / scale)), 0, maxCode);
    }
    const low = base + layout.codes;
    if (five) bytes.fill(0, base + kLayouts.Q5_K.highBits, base + kLayouts.Q5_K.highBits + 32);
    for (let pair = 0; pair < 4; pair++) {
      for (let l = 0; l < 32; l++) {
        let first = codes[64 * pair + l];
        let second = codes[64 * pair + l + 32];
        if (five && first > 15) {
          first -= 16;
          bytes[base + kLayouts.Q5_K.highBits + l] |= 1 << (2 * pair);
        }
        if (five && second > 15) {
          second -= 16;
          bytes[base + kLayouts.Q5_K.highBits + l] |= 2 << (2 * pair);
        }
        bytes[low + 32 * pair + l] = first | (second << 4);
      }
    }
  };
}

const encodeQ6K: Encode = (values, bytes, base) => {
  const layout = kLayouts.Q6_K;
  const codes = new Uint8Array(256);
  const scales = sixteenScales(values, codes, (group, groupCodes) =>
    searchSymmetricScale(group, groupCodes, 32),
  );
  const { maxScale, absoluteMax } = largestScale(scales);
  bytes.fill(0, base, base + layout.bytes);
  if (absoluteMax < groupMaxEpsilon) return; // an all-zero block, scale 0
  const inverse = f32(-128 / maxScale);
  setHalf(bytes, base + layout.scale, f32(1 / inverse));
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  for (let j = 0; j < 16; j++)
    view.setInt8(base + layout.scales + j, Math.min(127, nearestInt(f32(inverse * scales[j]))));
  const d = getHalf(bytes, base + layout.scale);
  for (let j = 0; j < 16; j++) {
    const scale = f32(d * view.getInt8(base + layout.scales + j));
    if (!scale) continue;
    for (let i = 16 * j; i < 16 * j + 16; i++)
      codes[i] = clamp(nearestInt(f32(values[i] / scale)), -32, 31) + 32;
  }
  for (let half = 0; half < 2; half++) {
    const low = base + layout.low + 64 * half;
    const high = base + layout.high + 32 * half;
    const j = 128 * half;
    for (let l = 0; l < 32; l++) {
      const [q1, q2, q3, q4] = [codes[j + l], codes[j + l + 32], codes[j + l + 64], codes[j + l + 96]];
      bytes[low + l] = (q1 & 0x0f) | ((q3 & 0x0f) << 4);
      bytes[low + l + 32] = (q2 & 0x0f) | ((q4 & 0x0f) << 4);
      bytes[high + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
    }
  }
};

export const kEncoders = {
  Q2_K: encodeQ2K,
  Q3_K: encodeQ3K,
  Q4_K: encodeFourOrFive(false),
  Q5_K: encodeFourOrFive(true),
  Q6_K: encodeQ6K,
};
