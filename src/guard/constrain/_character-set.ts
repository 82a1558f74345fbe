// Sets of Unicode code points as sorted, merged, inclusive ranges: what one regex atom (a literal, `.`,
// `\d`, a bracket class) matches. Only the operations the regex compiler needs: building, union,
// complement and membership. No case folding and no Unicode property classes.

/** Sorted, non-overlapping, non-adjacent inclusive ranges, flattened: [low0, high0, low1, high1, ...]. */
export type CharacterSet = readonly number[];

/** The highest Unicode code point. */
export const maximumCodePoint = 0x10ffff;

/** The set of every code point. */
export const anyCharacter: CharacterSet = [0, maximumCodePoint];

/** `.` without the s flag: every code point but the line terminators. */
export const anyButNewline: CharacterSet = complement(
  fromRanges([
    [0x0a, 0x0a],
    [0x0d, 0x0d],
    [0x2028, 0x2029],
  ]),
);

/** `\d`. */
export const digitCharacters: CharacterSet = [0x30, 0x39];

/** `\w`. */
export const wordCharacters: CharacterSet = fromRanges([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);

/** `\s`: JavaScript's white space and line terminators. */
export const spaceCharacters: CharacterSet = fromRanges([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);

/** The set of one code point. */
export function singleCharacter(codePoint: number): CharacterSet {
  return [codePoint, codePoint];
}

/** A set from (possibly unsorted, overlapping) inclusive ranges. */
export function fromRanges(ranges: readonly (readonly [number, number])[]): CharacterSet {
  const sorted = ranges.filter(([low, high]) => low <= high).sort((a, b) => a[0] - b[0]);
  const merged: number[] = [];
  for (const [low, high] of sorted) {
    const last = merged.length - 1;
    if (last > 0 && low <= merged[last] + 1) merged[last] = Math.max(merged[last], high);
    else merged.push(low, high);
  }
  return merged;
}

/** The union of sets. */
export function union(...sets: CharacterSet[]): CharacterSet {
  const ranges: [number, number][] = [];
  for (const set of sets) for (let i = 0; i < set.length; i += 2) ranges.push([set[i], set[i + 1]]);
  return fromRanges(ranges);
}

/** Every code point not in the set. */
export function complement(set: CharacterSet): CharacterSet {
  const result: number[] = [];
  let next = 0;
  for (let i = 0; i < set.length; i += 2) {
    if (set[i] > next) result.push(next, set[i] - 1);
    next = set[i + 1] + 1;
  }
  if (next <= maximumCodePoint) result.push(next, maximumCodePoint);
  return result;
}

/** True when the code point is in the set (binary search over the ranges). */
export function contains(set: CharacterSet, codePoint: number): boolean {
  let low = 0;
  let high = set.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (codePoint < set[2 * middle]) high = middle - 1;
    else if (codePoint > set[2 * middle + 1]) low = middle + 1;
    else return true;
  }
  return false;
}

/** True when some code point from `low` to `high` (inclusive) is in the set. */
export function intersects(set: CharacterSet, low: number, high: number): boolean {
  // the first range that ends at or after `low`
  let first = 0;
  let last = set.length / 2;
  while (first < last) {
    const middle = (first + last) >> 1;
    if (set[2 * middle + 1] < low) first = middle + 1;
    else last = middle;
  }
  return first < set.length / 2 && set[2 * first] <= high;
}
