// Conformance of the products over weights kept in GGML block types: the native kernels (which decode
// blocks in place) against the JS reference (which decodes with the TypeScript codecs first), for every
// block type, on the few-rows path (decode steps) and the tiled sgemm path (prefill, training).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantize, type BlockType } from '../weights/dequantize.js';
import { seededRandom } from '../random.js';
import { jsKernels } from './js.js';
import { loadNativeKernels, setQuantizedLevel } from './native.js';
import { withShapeChecks } from './_checks.js';
import { ShapeError } from '../../errors/index.js';

const native = loadNativeKernels();
const random = seededRandom(77);
const floats = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
const relativeDifference = (a: Float32Array, b: Float32Array) => {
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-12);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0) / scale;
};

const types: BlockType[] = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'];

// every instruction-set path this CPU can run: AVX-512, AVX2 and the portable one
const best = native ? setQuantizedLevel(-1)! : -1;
const levels = [0, 1, 2].filter((level) => level <= best);

describe.skipIf(!native).each(levels)(
  'quantized kernels at instruction-set level %i: native against the JS reference',
  (level) => {
    beforeAll(() => expect(setQuantizedLevel(level)).toBe(level));
    afterAll(() => setQuantizedLevel(-1));
    describe.each(types)('%s', (type) => {
      const inFeatures = 512;
      const outFeatures = 300; // more than one sgemm tile of 256 rows, and a partial one
      const weight = quantize(floats(outFeatures * inFeatures, 0.1), type);

      it('decodes every value as the TypeScript codec does', () => {
        const expected = new Float32Array(outFeatures * inFeatures);
        const actual = new Float32Array(outFeatures * inFeatures);
        jsKernels.dequantize(expected, weight, type, outFeatures, inFeatures);
        native!.dequantize(actual, weight, type, outFeatures, inFeatures);
        expect(relativeDifference(actual, expected)).toBeLessThan(1e-6);
      });

      it.each([1, 3, 8, 12])('forward with %i input rows', (n) => {
        const inp = floats(n * inFeatures);
        const expected = new Float32Array(n * outFeatures);
        const actual = new Float32Array(n * outFeatures);
        // a bias on the tiled path and on one decode-step case, none on the others
        const bias = n === 3 || n === 12 ? floats(outFeatures) : null;
        jsKernels.quantizedMatmulForward(expected, inp, weight, type, bias, n, inFeatures, outFeatures);
        native!.quantizedMatmulForward(actual, inp, weight, type, bias, n, inFeatures, outFeatures);
        expect(relativeDifference(actual, expected)).toBeLessThan(1e-5);
        expect(actual.some((value) => value !== 0)).toBe(true);
      });

      it('backward accumulates the input gradient', () => {
        const n = 5;
        const dout = floats(n * outFeatures);
        const start = floats(n * inFeatures);
        const expected = start.slice();
        const actual = start.slice();
        jsKernels.quantizedMatmulBackward(expected, dout, weight, type, n, inFeatures, outFeatures);
        native!.quantizedMatmulBackward(actual, dout, weight, type, n, inFeatures, outFeatures);
        expect(relativeDifference(actual, expected)).toBeLessThan(1e-5);
      });

      it('looks up embedding rows', () => {
        const ids = Int32Array.from([0, 299, 17, 17]);
        const expected = new Float32Array(4 * inFeatures);
        const actual = new Float32Array(4 * inFeatures);
        jsKernels.quantizedEmbeddingForward(expected, ids, weight, type, 4, inFeatures);
        native!.quantizedEmbeddingForward(actual, ids, weight, type, 4, inFeatures);
        expect(relativeDifference(actual, expected)).toBeLessThan(1e-6);
      });
    });
  },
);

describe('quantized kernels: shape checks', () => {
  const kernels = withShapeChecks(jsKernels);
  it('refuses rows that are not whole blocks, short weights and token ids outside the table', () => {
    const weight = quantize(floats(4 * 256), 'Q4_K');
    const out = new Float32Array(8);
    expect(() => kernels.quantizedMatmulForward(out, floats(200), weight, 'Q4_K', null, 1, 200, 4)).toThrow(
      ShapeError,
    );
    expect(() => kernels.quantizedMatmulForward(out, floats(256), weight, 'Q4_K', null, 1, 256, 8)).toThrow(
      /weight holds/,
    );
    expect(() =>
      kernels.quantizedEmbeddingForward(new Float32Array(256), Int32Array.from([4]), weight, 'Q4_K', 1, 256),
    ).toThrow(/outside 0\.\.3/);
  });
});
