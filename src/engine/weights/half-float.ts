// IEEE half precision (binary16) to and from numbers, as GGML stores block scales: round to nearest even,
// the way F16C's conversion and ggml's own fallback do. Not vectorized; loaders call it per value.
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

/** A number to bfloat16 bits (the high half of its float32), rounding to nearest even. */
export function floatToBfloat16(value: number): number {
  floatView[0] = value;
  const x = intView[0];
  return (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}
