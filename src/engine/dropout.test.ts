// Dropout masks and the kernels' op pair: a mask drawn from a key keeps about 1 - p of the positions, the
// same key draws the same mask (and a shifted start the rest of it), dropoutKeeps names the kernels'
// choice, and the native kernels give the JS reference's floats exactly (a key near 2^32 wrapping, and
// enough values to run in parallel). The backward's finite-difference check is in kernels/backward.test.ts.
import { describe, expect, it } from 'vitest';
import { dropoutKey, dropoutKeeps, hash32 } from './dropout.js';
import { defaultKernels, type Kernels } from './kernels/index.js';
import { jsKernels } from './kernels/js.js';
import { seededRandom } from './random.js';

const native = defaultKernels().name === 'js' ? undefined : defaultKernels();

/** The kept positions of `count` values under (probability, key, start) on `kernels`, as 1 and 0. */
function maskOf(kernels: Kernels, probability: number, key: number, count: number, start = 0): number[] {
  const out = new Float32Array(count);
  kernels.dropoutForward(out, new Float32Array(count).fill(1), probability, key, start, count);
  return Array.from(out, (value) => (value ? 1 : 0));
}

describe('dropout masks', () => {
  it('hashes as lowbias32 does', () => {
    // a BigInt transcription of the published C (x ^= x >> 16; x *= 0x7feb352d; …), wrapped to 32 bits
    const reference = (value: number) => {
      let x = BigInt(value);
      const mask = 0xffffffffn;
      x ^= x >> 16n;
      x = (x * 0x7feb352dn) & mask;
      x ^= x >> 15n;
      x = (x * 0x846ca68bn) & mask;
      x ^= x >> 16n;
      return Number(x);
    };
    for (const value of [0, 1, 2, 0xdeadbeef, 0xffffffff, 123456789])
      expect(hash32(value)).toBe(reference(value));
  });

  it('keeps about 1 - p of the positions, scaled by 1 / (1 - p)', () => {
    for (const probability of [0.1, 0.5, 0.9]) {
      const count = 20000;
      const out = new Float32Array(count);
      jsKernels.dropoutForward(out, new Float32Array(count).fill(1), probability, dropoutKey(3, 7), 0, count);
      const kept = out.filter((value) => value !== 0);
      expect(kept.length / count).toBeGreaterThan(1 - probability - 0.02);
      expect(kept.length / count).toBeLessThan(1 - probability + 0.02);
      expect(kept.every((value) => value === Math.fround(1 / (1 - probability)))).toBe(true);
    }
    // p = 0 keeps every value as it was
    const values = Float32Array.of(0.1, -2, 3.5);
    const out = new Float32Array(3);
    jsKernels.dropoutForward(out, values, 0, 5, 0, 3);
    expect(out).toEqual(values);
  });

  it('draws each key its own mask, and a shifted start the rest of the same one', () => {
    const count = 64;
    const key = dropoutKey(1, 2);
    expect(maskOf(jsKernels, 0.5, key, count)).toEqual(maskOf(jsKernels, 0.5, dropoutKey(1, 2), count));
    expect(maskOf(jsKernels, 0.5, key, count)).not.toEqual(maskOf(jsKernels, 0.5, dropoutKey(2, 1), count));
    expect(maskOf(jsKernels, 0.5, key, count, 10).slice(0, 54)).toEqual(
      maskOf(jsKernels, 0.5, key, count).slice(10),
    );
    expect(maskOf(jsKernels, 0.5, key, count)).toEqual(
      Array.from({ length: count }, (_, i) => (dropoutKeeps({ probability: 0.5, key }, i) ? 1 : 0)),
    );
  });
});

describe.skipIf(!native)('native dropout agrees with the JS reference exactly', () => {
  it.each([
    ['small', 100, dropoutKey(4), 0],
    ['large (parallel), a key that wraps past 2^32', 100_000, 0xffffff00, 7],
  ] as const)('%s', (_label, count, key, start) => {
    const random = seededRandom(2);
    const x = Float32Array.from({ length: count }, () => random() * 2 - 1);
    const dout = Float32Array.from({ length: count }, () => random() * 2 - 1);
    for (const probability of [0.1, 0.3, 0.999]) {
      const run = (kernels: Kernels) => {
        const out = new Float32Array(count);
        kernels.dropoutForward(out, x, probability, key, start, count);
        const dinp = Float32Array.from(x); // the backward adds to what is there
        kernels.dropoutBackward(dinp, dout, probability, key, start, count);
        return [out, dinp];
      };
      const [out, dinp] = run(jsKernels);
      const [nativeOut, nativeDinp] = run(native!);
      // the same bytes (a deep comparison of 100,000 values one by one takes seconds)
      const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
      expect(same(nativeOut, out)).toBe(true);
      expect(same(nativeDinp, dinp)).toBe(true);
      // and the mask kept some (p = 0.999 keeps about 1 in 1000)
      if (count * (1 - probability) > 50) expect(out.some((value) => value !== 0)).toBe(true);
    }
  });
});
