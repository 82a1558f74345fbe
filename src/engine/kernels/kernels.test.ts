// Conformance: the native kernels agree with the JS reference on random inputs, op by op,
// and the JS reference itself satisfies properties that define each op.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.js';
import { jsKernels } from './js.js';
import { loadNativeKernels } from './native.js';
import { withShapeChecks } from './_checks.js';
import type { Kernels } from './types.js';
import { ShapeError } from '../../errors/index.js';
import { ropeAngles } from '../rope.js';

const random = seededRandom(1234);
const floats = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

const native = loadNativeKernels();

// One case per op: builds inputs, runs `kernels`, returns the outputs to compare.
const cases: Record<string, (k: Kernels) => Float32Array[]> = {};
{
  const [m, n, k] = [7, 5, 9];
  const a = floats(k * m + 3),
    b = floats(n * k + 2),
    c0 = floats(m * n);
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    cases[`gemm ta=${ta} tb=${tb}`] = (kernels) => {
      const c = c0.slice();
      kernels.gemm(ta, tb, m, n, k, 0.7, a, ta ? m : k, b, tb ? k : n, 0.3, c, n);
      return [c];
    };
  }
  const x = floats(6 * 33),
    w = floats(17 * 33),
    bias = floats(17);
  const large = { x: floats(60 * 301), w: floats(203 * 301), bias: floats(203) };
  cases['matmulForward'] = (kernels) => {
    const out = new Float32Array(6 * 17);
    kernels.matmulForward(out, x, w, null, 6, 33, 17);
    const withBias = new Float32Array(6 * 17);
    kernels.matmulForward(withBias, x, w, bias, 6, 33, 17);
    const single = new Float32Array(17);
    kernels.matmulForward(single, x, w, bias, 1, 33, 17);
    // a few rows with enough work for threads (the native streamed path: tiles of 1, 2, 4 and 8 rows, a
    // partly filled tile, an input that starts off a vector boundary), and many rows (sgemm)
    const fewRows = [2, 3, 5, 8, 13, 48].map((rows) => {
      const result = new Float32Array(rows * 203);
      kernels.matmulForward(result, large.x.subarray(1), large.w, null, rows, 301, 203);
      return result;
    });
    const manyRows = new Float32Array(60 * 203);
    kernels.matmulForward(manyRows, large.x, large.w, large.bias, 60, 301, 203);
    return [out, withBias, single, ...fewRows, manyRows];
  };
  // three adapters' products (ranks 3, 16 and 300, the last past the native stack's 256) on rows that
  // use one, none, or the same one as another row; six rows of 301 → 203 have enough work for threads
  const products = [3, 16, 300].map((rank, p) => ({
    a: floats(rank * 301, 0.1),
    b: floats(203 * rank, 0.1),
    rank,
    scale: [2, 0.5, 1][p],
  }));
  const lowRankIn = floats(6 * 301);
  const lowRankStart = floats(6 * 203);
  cases['lowRankRowsForward'] = (kernels) => {
    const many = lowRankStart.slice();
    kernels.lowRankRowsForward(many, lowRankIn, products, Int32Array.of(1, -1, 0, 1, 2, 1), 6, 301, 203);
    const one = lowRankStart.slice(0, 203);
    kernels.lowRankRowsForward(one, lowRankIn, products, Int32Array.of(2), 1, 301, 203);
    return [many, one];
  };
  const table = floats(11 * 8);
  cases['embeddingForward'] = (kernels) => {
    const out = new Float32Array(4 * 8);
    kernels.embeddingForward(out, Int32Array.from([3, 0, 10, 3]), table, 4, 8);
    return [out];
  };
  const normIn = floats(5 * 64, 3),
    normWeight = floats(64);
  cases['rmsnormForward'] = (kernels) => {
    const out = new Float32Array(5 * 64),
      rstd = new Float32Array(5);
    kernels.rmsnormForward(out, rstd, normIn, normWeight, 5, 64, 1e-5);
    return [out, rstd];
  };
  const ropeIn = floats(6 * 3 * 16);
  const positions = Int32Array.from([0, 1, 2, 7, 100, 511]);
  const frequencies = Float32Array.from({ length: 8 }, (_, i) => 10000 ** (-(2 * i) / 16));
  const cosines = new Float32Array(6 * 8);
  const sines = new Float32Array(6 * 8);
  ropeAngles(cosines, sines, positions, frequencies, 6);
  for (const interleaved of [true, false]) {
    cases[`ropeForward interleaved=${interleaved}`] = (kernels) => {
      const out = new Float32Array(ropeIn.length);
      kernels.ropeForward(out, ropeIn, cosines, sines, 6, 3, 16, 16, interleaved);
      const inPlace = ropeIn.slice();
      kernels.ropeForward(inPlace, inPlace, cosines, sines, 6, 3, 16, 16, interleaved);
      return [out, inPlace];
    };
    // partial rotary (Phi-4-mini): 12 of 16 dimensions rotated, with 6 angles per position
    cases[`ropeForward partial interleaved=${interleaved}`] = (kernels) => {
      const partialCosines = new Float32Array(6 * 6);
      const partialSines = new Float32Array(6 * 6);
      ropeAngles(partialCosines, partialSines, positions, frequencies.subarray(0, 6), 6, 1.25);
      const out = new Float32Array(ropeIn.length).fill(9); // pass-through dimensions must be copied
      kernels.ropeForward(out, ropeIn, partialCosines, partialSines, 6, 3, 16, 12, interleaved);
      const inPlace = ropeIn.slice();
      kernels.ropeForward(inPlace, inPlace, partialCosines, partialSines, 6, 3, 16, 12, interleaved);
      return [out, inPlace];
    };
  }
  const [B, T, S, H, KVH, hd] = [3, 4, 10, 6, 2, 8];
  const q = floats(B * T * H * hd),
    keys = floats(B * S * KVH * hd),
    values = floats(B * S * KVH * hd);
  const past = Int32Array.from([0, 3, 6]);
  const mask = Uint8Array.from({ length: B * S }, (_, i) => (i % 7 === 2 ? 0 : 1));
  const plainScale = 1 / Math.sqrt(hd);
  for (const [label, pastLengths, keyMask, window, scale, softcap] of [
    ['no cache', null, null, 0, plainScale, 0],
    ['cache', past, null, 0, plainScale, 0],
    ['cache+mask', past, mask, 0, plainScale, 0],
    ['cache+window', past, null, 3, plainScale, 0],
    // Gemma: another score scale, and soft-capped scores (a cap small enough to bend these scores)
    ['cache+scale+softcap', past, null, 3, 0.8, 0.5],
  ] as const) {
    cases[`attentionForward ${label}`] = (kernels) => {
      const out = new Float32Array(B * T * H * hd);
      const logSumExps = new Float32Array(B * H * T).fill(7); // stale values must be overwritten
      const sizes = [B, T, S, H, KVH, hd, window, scale, softcap] as const;
      kernels.attentionForward(out, logSumExps, q, keys, values, pastLengths, keyMask, ...sizes);
      const outWithoutNormalizers = new Float32Array(B * T * H * hd);
      kernels.attentionForward(outWithoutNormalizers, null, q, keys, values, pastLengths, keyMask, ...sizes);
      return [out, logSumExps, outWithoutNormalizers];
    };
  }
  // sizes past the native kernels' threading threshold, so their parallel loops are compared too
  {
    const [B, T, S, H, KVH, hd] = [4, 40, 64, 8, 2, 16];
    const q = floats(B * T * H * hd);
    const keys = floats(B * S * KVH * hd);
    const values = floats(B * S * KVH * hd);
    const past = Int32Array.from([0, 24, 10, 3]);
    cases['attentionForward large (parallel)'] = (kernels) => {
      const out = new Float32Array(B * T * H * hd);
      const logSumExps = new Float32Array(B * H * T);
      kernels.attentionForward(out, logSumExps, q, keys, values, past, null, B, T, S, H, KVH, hd, 0, 0.25, 0);
      const outWithoutNormalizers = new Float32Array(B * T * H * hd);
      kernels.attentionForward(
        outWithoutNormalizers,
        null,
        q,
        keys,
        values,
        past,
        null,
        B,
        T,
        S,
        H,
        KVH,
        hd,
        16,
        1 / Math.sqrt(hd),
        0,
      );
      return [out, logSumExps, outWithoutNormalizers];
    };
    // a decode step: one query per row over a key cache with holes (each row's own prefix length)
    const decode = { B: 8, S: 48, H: 9, KVH: 3, hd: 64 };
    const decodeQuery = floats(decode.B * decode.H * decode.hd);
    const decodeKeys = floats(decode.B * decode.S * decode.KVH * decode.hd);
    const decodeValues = floats(decode.B * decode.S * decode.KVH * decode.hd, 2);
    const decodePast = Int32Array.from([0, 5, 47, 20, 33, 9, 12, 40]);
    const decodeMask = Uint8Array.from({ length: decode.B * decode.S }, (_, i) => (i % 11 === 4 ? 0 : 1));
    cases['attentionForward decode step (parallel)'] = (kernels) => {
      const { B, S, H, KVH, hd } = decode;
      const out = new Float32Array(B * H * hd);
      const logSumExps = new Float32Array(B * H).fill(7);
      kernels.attentionForward(
        out,
        logSumExps,
        decodeQuery,
        decodeKeys,
        decodeValues,
        decodePast,
        decodeMask,
        B,
        1,
        S,
        H,
        KVH,
        hd,
        0,
        1 / Math.sqrt(hd),
        0,
      );
      const windowed = new Float32Array(B * H * hd);
      kernels.attentionForward(
        windowed,
        null,
        decodeQuery,
        decodeKeys,
        decodeValues,
        decodePast,
        null,
        B,
        1,
        S,
        H,
        KVH,
        hd,
        6,
        1 / Math.sqrt(hd),
        0,
      );
      return [out, logSumExps, windowed];
    };
    const n = 700;
    const x = floats(n * 64, 3);
    const weight = floats(64);
    const big = floats(50_000, 5);
    const other = floats(50_000);
    const logits = floats(n * 64, 10);
    const targets = Int32Array.from({ length: n }, (_, i) => (i * 7) % 64);
    const projection = floats(48 * 64);
    const projectionBias = floats(48);
    cases['elementwise and row ops large (parallel)'] = (kernels) => {
      const normed = new Float32Array(n * 64);
      const rstd = new Float32Array(n);
      kernels.rmsnormForward(normed, rstd, x, weight, n, 64, 1e-5);
      const swiglu = new Float32Array(50_000);
      kernels.swigluForward(swiglu, big, other, 50_000);
      const geglu = new Float32Array(50_000);
      kernels.gegluForward(geglu, big, other, 50_000);
      const capped = new Float32Array(50_000);
      kernels.softcapForward(capped, big, 0.7, 50_000);
      const sum = new Float32Array(50_000);
      kernels.addForward(sum, big, other, 50_000);
      const soft = new Float32Array(n * 64);
      kernels.softmaxForward(soft, logits, n, 64);
      const logSoft = new Float32Array(n * 64);
      kernels.logSoftmaxForward(logSoft, logits, n, 64);
      const losses = new Float32Array(n);
      kernels.crossEntropyForward(losses, logits, targets, n, 64);
      const embedded = new Float32Array(n * 64);
      kernels.embeddingForward(embedded, targets, x, n, 64);
      const projected = new Float32Array(n * 48);
      kernels.matmulForward(projected, x, projection, projectionBias, n, 64, 48);
      return [normed, rstd, swiglu, geglu, capped, sum, soft, logSoft, losses, embedded, projected];
    };
  }
  const gate = floats(100, 6),
    up = floats(100);
  cases['swigluForward'] = (kernels) => {
    const out = new Float32Array(100);
    kernels.swigluForward(out, gate, up, 100);
    return [out];
  };
  cases['gegluForward'] = (kernels) => {
    const out = new Float32Array(100);
    kernels.gegluForward(out, gate, up, 100);
    return [out];
  };
  cases['softcapForward (in place)'] = (kernels) => {
    const out = gate.slice();
    kernels.softcapForward(out, out, 2.5, 100);
    return [out];
  };
  cases['addForward'] = (kernels) => {
    const out = new Float32Array(100);
    kernels.addForward(out, gate, up, 100);
    return [out];
  };
  const logits = floats(4 * 50, 20),
    targets = Int32Array.from([3, -1, 49, 0]);
  cases['softmaxForward'] = (kernels) => {
    const out = new Float32Array(200);
    kernels.softmaxForward(out, logits, 4, 50);
    return [out];
  };
  cases['logSoftmaxForward'] = (kernels) => {
    const out = new Float32Array(200);
    kernels.logSoftmaxForward(out, logits, 4, 50);
    return [out];
  };
  cases['crossEntropyForward'] = (kernels) => {
    const out = new Float32Array(4);
    kernels.crossEntropyForward(out, logits, targets, 4, 50);
    return [out];
  };
}

it('the native addon is built where CI requires it', () => {
  if (process.env.PROMPTUNE_REQUIRE_NATIVE === '1') expect(native).toBeDefined();
});

describe.skipIf(!native)('native kernels agree with the JS reference', () => {
  it.each(Object.keys(cases))('%s', (name) => {
    const expected = cases[name](jsKernels);
    const actual = cases[name](native!);
    expected.forEach((e, i) => {
      const diff = maxAbsDiff(actual[i], e);
      console.log(`${name} output ${i}: max abs diff ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-4);
      expect(actual[i].some((v) => v !== 0)).toBe(true);
    });
  });
});

describe('the JS reference kernels', () => {
  it('gemm matches a hand-computed product', () => {
    const c = new Float32Array(4);
    jsKernels.gemm(
      false,
      false,
      2,
      2,
      2,
      1,
      Float32Array.of(1, 2, 3, 4),
      2,
      Float32Array.of(5, 6, 7, 8),
      2,
      0,
      c,
      2,
    );
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
  });
  it("lowRankRowsForward adds each row's own product, as two gemms of that row would", () => {
    const [inFeatures, outFeatures] = [7, 5];
    const pairs = [2, 4].map((rank) => ({
      a: floats(rank * inFeatures),
      b: floats(outFeatures * rank),
      rank,
      scale: 1.5,
    }));
    const inp = floats(3 * inFeatures);
    const out = floats(3 * outFeatures);
    const start = out.slice();
    jsKernels.lowRankRowsForward(out, inp, pairs, Int32Array.of(1, -1, 0), 3, inFeatures, outFeatures);
    for (const [row, index] of [
      [0, 1],
      [2, 0],
    ]) {
      const { a, b, rank } = pairs[index];
      const reduced = new Float32Array(rank);
      jsKernels.gemm(
        false,
        true,
        1,
        rank,
        inFeatures,
        1,
        inp.subarray(row * inFeatures),
        inFeatures,
        a,
        inFeatures,
        0,
        reduced,
        rank,
      );
      const expected = start.slice(row * outFeatures, (row + 1) * outFeatures);
      jsKernels.gemm(
        false,
        true,
        1,
        outFeatures,
        rank,
        1.5,
        reduced,
        rank,
        b,
        rank,
        1,
        expected,
        outFeatures,
      );
      expect(maxAbsDiff(out.subarray(row * outFeatures, (row + 1) * outFeatures), expected)).toBeLessThan(
        1e-6,
      );
    }
    // a row without a pair is left as it was
    expect(out.subarray(outFeatures, 2 * outFeatures)).toEqual(start.subarray(outFeatures, 2 * outFeatures));
  });
  it('softmax rows sum to one and log-softmax is its log', () => {
    const x = floats(3 * 10, 5),
      soft = new Float32Array(30),
      logSoft = new Float32Array(30);
    jsKernels.softmaxForward(soft, x, 3, 10);
    jsKernels.logSoftmaxForward(logSoft, x, 3, 10);
    for (let r = 0; r < 3; r++)
      expect(soft.subarray(r * 10, r * 10 + 10).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(maxAbsDiff(soft, logSoft.map(Math.exp))).toBeLessThan(1e-6);
  });
  it("rope preserves each pair's norm and is the identity at position 0", () => {
    const x = floats(2 * 8);
    const out = new Float32Array(16);
    const cosines = new Float32Array(8);
    const sines = new Float32Array(8);
    ropeAngles(cosines, sines, Int32Array.of(0, 5), Float32Array.of(1, 0.1, 0.01, 0.001), 2);
    jsKernels.ropeForward(out, x, cosines, sines, 2, 1, 8, 8, true);
    expect(maxAbsDiff(out.subarray(0, 8), x.subarray(0, 8))).toBe(0);
    const norm = (v: Float32Array) => Math.hypot(...v);
    expect(norm(out.subarray(8))).toBeCloseTo(norm(x.subarray(8)), 5);
    // interleaved: the first pair (x0, x1) of position 5 turns by 5 radians
    expect(out[8]).toBeCloseTo(x[8] * Math.cos(5) - x[9] * Math.sin(5), 5);
    expect(out[9]).toBeCloseTo(x[8] * Math.sin(5) + x[9] * Math.cos(5), 5);
  });
  it("attention to a single visible key returns that key's value", () => {
    const out = new Float32Array(4);
    const value = Float32Array.of(1, 2, 3, 4);
    jsKernels.attentionForward(
      out,
      null,
      floats(4),
      floats(4),
      value,
      null,
      null,
      1,
      1,
      1,
      1,
      1,
      4,
      0,
      0.5,
      0,
    );
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
  });
  it('a masked key gets no weight', () => {
    const out = new Float32Array(4);
    const logSumExps = new Float32Array(1);
    // the masked key's value is far outside the others': any weight on it would show
    const values = Float32Array.of(1, 1, 1, 1, 1000, 1000, 1000, 1000, 3, 3, 3, 3);
    jsKernels.attentionForward(
      out,
      logSumExps,
      floats(4),
      floats(12),
      values,
      Int32Array.of(2),
      Uint8Array.of(1, 0, 1),
      1,
      1,
      3,
      1,
      1,
      4,
      0,
      0.5,
      0,
    );
    for (const value of out) expect(value).toBeGreaterThanOrEqual(1 - 1e-6);
    for (const value of out) expect(value).toBeLessThanOrEqual(3 + 1e-6);
    expect(Number.isFinite(logSumExps[0])).toBe(true);
  });
  it('a sliding window of 1 attends only to the current position', () => {
    const out = new Float32Array(4);
    const values = Float32Array.of(9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 4);
    jsKernels.attentionForward(
      out,
      null,
      floats(4),
      floats(12),
      values,
      Int32Array.of(2),
      null,
      1,
      1,
      3,
      1,
      1,
      4,
      1,
      0.5,
      0,
    );
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
  });
});

describe('shape checks', () => {
  const kernels = withShapeChecks(jsKernels);
  it('refuses a buffer that is too small', () => {
    expect(() =>
      kernels.addForward(new Float32Array(2), new Float32Array(3), new Float32Array(3), 3),
    ).toThrow(ShapeError);
  });
  it("refuses a low-rank row index past the products, and a product's matrix too small for its rank", () => {
    const pair = { a: floats(2 * 3), b: floats(4 * 2), rank: 2, scale: 1 };
    const call =
      (indices: Int32Array, pairs = [pair]) =>
      () =>
        kernels.lowRankRowsForward(new Float32Array(8), floats(6), pairs, indices, 2, 3, 4);
    expect(call(Int32Array.of(0, 1))).toThrow(/row 1 names pair 1 of 1/);
    expect(call(Int32Array.of(0, -2))).toThrow(/row 1 names pair -2/);
    expect(call(Int32Array.of(0, -1), [{ ...pair, rank: 3 }])).toThrow(/pairs\[0\]\.a holds 6 values/);
    expect(call(Int32Array.of(0, -1))).not.toThrow();
  });
  it('refuses token ids outside the table', () => {
    expect(() =>
      kernels.embeddingForward(new Float32Array(4), Int32Array.of(5), new Float32Array(8), 1, 4),
    ).toThrow(/outside 0\.\.1/);
  });
  it('refuses a cache overflow', () => {
    expect(() =>
      kernels.attentionForward(
        new Float32Array(8),
        null,
        floats(8),
        floats(8),
        floats(8),
        Int32Array.of(2),
        null,
        1,
        2,
        2,
        1,
        1,
        4,
        0,
        0.5,
        0,
      ),
    ).toThrow(/SHAPE|slots/);
  });
});
