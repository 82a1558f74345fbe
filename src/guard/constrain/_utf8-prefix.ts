// UTF-8 read a byte at a time, for tokens that hold part of a character (a byte-fallback token such as
// <0xE6>): which characters a token's bytes complete after the incomplete character before it, which
// bytes it leaves incomplete, and which code points those may still become. Anything that is not UTF-8
// (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF) is refused.

/** The bytes of a character by its first byte (0: no character starts with it). */
const lengthOf = (lead: number): number =>
  lead < 0x80 ? 1 : lead < 0xc2 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf5 ? 4 : 0;
/** The smallest and largest code point each length writes (shorter forms of smaller ones are not UTF-8). */
const smallest = [0, 0, 0x80, 0x800, 0x10000];
const largest = [0, 0x7f, 0x7ff, 0xffff, 0x10ffff];

/** The value of a character's bytes so far (its first byte's payload, then six bits a byte). */
function valueOf(bytes: readonly number[], length: number): number {
  let value = bytes[0] & (0xff >> (length + 1));
  for (let i = 1; i < bytes.length; i++) value = (value << 6) | (bytes[i] & 0x3f);
  return value;
}

/**
 * The code points an incomplete character (1 to 3 of its bytes) may still become, lowest and highest,
 * surrogates aside; undefined when it can become none.
 */
export function prefixRange(prefix: readonly number[]): [number, number] | undefined {
  const length = lengthOf(prefix[0]);
  if (length < 2 || prefix.length >= length) return undefined;
  for (let i = 1; i < prefix.length; i++) if ((prefix[i] & 0xc0) !== 0x80) return undefined;
  const free = 6 * (length - prefix.length);
  const value = valueOf(prefix, length);
  const low = Math.max(value * 2 ** free, smallest[length]);
  const high = Math.min(value * 2 ** free + 2 ** free - 1, largest[length]);
  if (low > high || (low >= 0xd800 && high <= 0xdfff)) return undefined;
  return [low, high];
}

/**
 * Reads `bytes` after `pending` (the incomplete character before them): the code points completed, in
 * order, and the bytes of the character left incomplete (empty when none); undefined when they are not
 * UTF-8 or leave a character that can become none.
 */
export function readUtf8(
  pending: readonly number[],
  bytes: Uint8Array,
): { codes: number[]; rest: number[] } | undefined {
  const codes: number[] = [];
  let rest = [...pending];
  for (const byte of bytes) {
    if (rest.length === 0) {
      if (byte < 0x80) codes.push(byte);
      else if (lengthOf(byte) === 0) return undefined;
      else rest = [byte];
      continue;
    }
    if ((byte & 0xc0) !== 0x80) return undefined;
    rest.push(byte);
    const length = lengthOf(rest[0]);
    if (rest.length < length) {
      if (!prefixRange(rest)) return undefined;
      continue;
    }
    const value = valueOf(rest, length);
    if (value < smallest[length] || value > largest[length] || (value >= 0xd800 && value <= 0xdfff))
      return undefined;
    codes.push(value);
    rest = [];
  }
  if (rest.length > 0 && !prefixRange(rest)) return undefined;
  return { codes, rest };
}

/** The bytes an incomplete character (1 to 3 of its bytes) still needs. */
export function bytesToFinish(prefix: readonly number[]): number {
  return prefix.length === 0 ? 0 : lengthOf(prefix[0]) - prefix.length;
}
