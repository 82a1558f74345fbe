// Inverted dropout's op pair in plain TypeScript (the reference the native twins are checked against):
// position i of a mask is kept when a 32-bit hash of (key + start + i) reaches probability × 2^32, so the
// mask is drawn again from its key rather than stored (src/engine/dropout.ts).
import type { Buffer } from './types.js';

/** Chris Wellons' lowbias32: a 32-bit integer hash whose output bits each depend on every input bit. */
export function hash32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** out (n) = inp ⊙ keep / (1 - probability); out may be inp. */
export function dropoutForward(
  out: Buffer,
  inp: Buffer,
  probability: number,
  key: number,
  start: number,
  n: number,
): void {
  const threshold = probability * 2 ** 32;
  const scale = 1 / (1 - probability);
  for (let i = 0; i < n; i++) out[i] = hash32(key + start + i) >= threshold ? inp[i] * scale : 0;
}

/** dinp (n) += dout ⊙ keep / (1 - probability), the forward's mask. */
export function dropoutBackward(
  dinp: Buffer,
  dout: Buffer,
  probability: number,
  key: number,
  start: number,
  n: number,
): void {
  const threshold = probability * 2 ** 32;
  const scale = 1 / (1 - probability);
  for (let i = 0; i < n; i++) if (hash32(key + start + i) >= threshold) dinp[i] += dout[i] * scale;
}
