// Backward ops: each checked against finite differences of its forward op (JS reference), and the
// native versions against the JS reference on random inputs, including sizes that run in parallel.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.js';
import { ropeAngles } from '../rope.js';
import { jsKernels } from './js.js';
import { loadNativeKernels } from './native.js';
import type { Kernels } from './types.js';

const random = seededRandom(99);
const floats = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/**
 * Checks d(sum(weights * forward(x)))/dx from `backward` against central differences on some entries of x.
 * forward writes its output for input x; backward returns dx given dout = weights.
 */
function finiteDifferenceCheck(
  x: Float32Array,
  outputSize: number,
  forward: (x: Float32Array) => Float32Array,
  backward: (dout: Float32Array) => Float32Array,
) {
  const weights = floats(outputSize);
  const loss = (input: Float32Array) => forward(input).reduce((sum, value, i) => sum + value * weights[i], 0);
  const analytic = backward(weights);
  const step = 1e-2;
  let worst = 0;
  for (let trial = 0; trial < 24; trial++) {
    const i = Math.floor(random() * x.length);
    const plus = x.slice();
    plus[i] += step;
    const minus = x.slice();
    minus[i] -= step;
    const numeric = (loss(plus) - loss(minus)) / (2 * step);
    worst = Math.max(worst, Math.abs(numeric - analytic[i]));
  }
  const scale = Math.max(maxAbs(analytic), 1e-3);
  expect(worst / scale).toBeLessThan(2e-2);
}

const k = jsKernels;

describe('backward ops match finite differences of their forward ops', () => {
  it('matmul', () => {
    const [n, input, output] = [3, 7, 5];
    const weight = floats(output * input);
    finiteDifferenceCheck(
      floats(n * input),
      n * output,
      (x) => {
        const out = new Float32Array(n * output);
        k.matmulForward(out, x, weight, null, n, input, output);
        return out;
      },
      (dout) => {
        const dx = new Float32Array(n * input);
        k.matmulBackward(dx, dout, weight, n, input, output);
        return dx;
      },
    );
  });
  it('rmsnorm', () => {
    const [n, channels] = [4, 16];
    const weight = floats(channels);
    const x = floats(n * channels, 2);
    const rstd = new Float32Array(n);
    k.rmsnormForward(new Float32Array(n * channels), rstd, x, weight, n, channels, 1e-5);
    finiteDifferenceCheck(
      x,
      n * channels,
      (input) => {
        const out = new Float32Array(n * channels);
        k.rmsnormForward(out, null, input, weight, n, channels, 1e-5);
        return out;
      },
      (dout) => {
        const dx = new Float32Array(n * channels);
        k.rmsnormBackward(dx, dout, x, weight, rstd, n, channels);
        return dx;
      },
    );
  });
  it('rmsnorm weight', () => {
    const [n, channels] = [4, 16];
    const x = floats(n * channels, 2);
    const rstd = new Float32Array(n);
    k.rmsnormForward(new Float32Array(n * channels), rstd, x, floats(channels), n, channels, 1e-5);
    finiteDifferenceCheck(
      floats(channels),
      n * channels,
      (weight) => {
        const out = new Float32Array(n * channels);
        k.rmsnormForward(out, null, x, weight, n, channels, 1e-5);
        return out;
      },
      (dout) => {
        const dweight = new Float32Array(channels);
        k.rmsnormWeightBackward(dweight, dout, x, rstd, n, channels);
        return dweight;
      },
    );
  });
  it.each([
    [true, 8],
    [false, 8],
    [true, 6],
    [false, 6],
  ])('rope (interleaved=%s, %i of 8 dimensions rotated)', (interleaved, rotary) => {
    const [n, heads, headDim] = [3, 2, 8];
    const cosines = new Float32Array((n * rotary) / 2);
    const sines = new Float32Array((n * rotary) / 2);
    const frequencies = Float32Array.of(1, 0.3, 0.1, 0.01).subarray(0, rotary / 2);
    ropeAngles(cosines, sines, Int32Array.of(1, 5, 9), frequencies, n, rotary < headDim ? 1.2 : 1);
    finiteDifferenceCheck(
      floats(n * heads * headDim),
      n * heads * headDim,
      (x) => {
        const out = new Float32Array(x.length);
        k.ropeForward(out, x, cosines, sines, n, heads, headDim, rotary, interleaved);
        return out;
      },
      (dout) => {
        const dx = new Float32Array(dout.length);
        k.ropeBackward(dx, dout, cosines, sines, n, heads, headDim, rotary, interleaved);
        return dx;
      },
    );
  });
  describe.each([
    ['plain', 0.5, 0, 0, null],
    // Gemma: another scale, soft-capped scores (a cap that bends them) and a sliding window
    ['scaled, soft-capped, windowed', 0.8, 1.5, 3, null],
    // a past before each row's queries (a prefix), one slot more than any row sees
    ['after a past of 3 and 1 keys, windowed', 0.5, 0, 4, Int32Array.of(3, 1)],
  ])(
    'attention (%s), with respect to each of query, keys and values',
    (_label, scale, softcap, window, past) => {
      const [B, T, H, KVH, hd] = [2, 5, 4, 2, 4];
      const S = past ? Math.max(...past) + T + 1 : T;
      const q = floats(B * T * H * hd, 2);
      const keys = floats(B * S * KVH * hd, 2);
      const values = floats(B * S * KVH * hd);
      /** The forward's output, keeping its log normalizers in `logSumExps` when given. */
      const run = (
        query: Float32Array,
        key: Float32Array,
        value: Float32Array,
        logSumExps: Float32Array | null = null,
      ) => {
        const out = new Float32Array(B * T * H * hd);
        k.attentionForward(
          out,
          logSumExps,
          query,
          key,
          value,
          past,
          null,
          B,
          T,
          S,
          H,
          KVH,
          hd,
          window,
          scale,
          softcap,
        );
        return out;
      };
      const gradients = (dout: Float32Array) => {
        const logSumExps = new Float32Array(B * H * T);
        run(q, keys, values, logSumExps);
        const dq = new Float32Array(q.length);
        const dk = new Float32Array(keys.length);
        const dv = new Float32Array(values.length);
        k.attentionBackward(
          dq,
          dk,
          dv,
          dout,
          logSumExps,
          q,
          keys,
          values,
          past,
          B,
          T,
          S,
          H,
          KVH,
          hd,
          window,
          scale,
          softcap,
        );
        if (past) {
          // the slot after each row's last query is seen by none: no gradient
          for (let b = 0; b < B; b++) {
            const unseen = (b * S + past[b] + T) * KVH * hd;
            expect(dk.subarray(unseen, unseen + KVH * hd).every((value) => value === 0)).toBe(true);
          }
        }
        return { dq, dk, dv };
      };
      it('query', () =>
        finiteDifferenceCheck(
          q,
          B * T * H * hd,
          (x) => run(x, keys, values),
          (dout) => gradients(dout).dq,
        ));
      it('keys', () =>
        finiteDifferenceCheck(
          keys,
          B * T * H * hd,
          (x) => run(q, x, values),
          (dout) => gradients(dout).dk,
        ));
      it('values', () =>
        finiteDifferenceCheck(
          values,
          B * T * H * hd,
          (x) => run(q, keys, x),
          (dout) => gradients(dout).dv,
        ));
    },
  );
  it.each(['swiglu', 'geglu'] as const)('%s, with respect to gate and up', (op) => {
    const n = 40;
    const gate = floats(n, 4);
    const up = floats(n);
    const forward = (g: Float32Array, u: Float32Array) => {
      const out = new Float32Array(n);
      k[`${op}Forward`](out, g, u, n);
      return out;
    };
    const grads = (dout: Float32Array) => {
      const dgate = new Float32Array(n);
      const dup = new Float32Array(n);
      k[`${op}Backward`](dgate, dup, dout, gate, up, n);
      return { dgate, dup };
    };
    finiteDifferenceCheck(
      gate,
      n,
      (x) => forward(x, up),
      (dout) => grads(dout).dgate,
    );
    finiteDifferenceCheck(
      up,
      n,
      (x) => forward(gate, x),
      (dout) => grads(dout).dup,
    );
  });
  it('soft-capping', () => {
    const n = 30;
    const x = floats(n, 6);
    finiteDifferenceCheck(
      x,
      n,
      (input) => {
        const out = new Float32Array(n);
        k.softcapForward(out, input, 2.5, n);
        return out;
      },
      (dout) => {
        const out = new Float32Array(n);
        k.softcapForward(out, x, 2.5, n);
        const dx = new Float32Array(n);
        k.softcapBackward(dx, dout, out, 2.5, n);
        return dx;
      },
    );
  });
  it('dropout (the mask drawn again from its key)', () => {
    const n = 40;
    const x = floats(n, 7);
    finiteDifferenceCheck(
      x,
      n,
      (input) => {
        const out = new Float32Array(n);
        k.dropoutForward(out, input, 0.3, 0x9e3779b9, 11, n);
        return out;
      },
      (dout) => {
        const dx = new Float32Array(n);
        k.dropoutBackward(dx, dout, 0.3, 0x9e3779b9, 11, n);
        return dx;
      },
    );
  });
  it('cross-entropy (ignored rows get no gradient)', () => {
    const [n, vocabulary] = [3, 11];
    const targets = Int32Array.of(4, -1, 0);
    const logits = floats(n * vocabulary, 3);
    finiteDifferenceCheck(
      logits,
      1,
      (x) => {
        const losses = new Float32Array(n);
        k.crossEntropyForward(losses, x, targets, n, vocabulary);
        return Float32Array.of(0.5 * (losses[0] + losses[1] + losses[2]));
      },
      (dout) => {
        const dx = new Float32Array(n * vocabulary);
        k.crossEntropyBackward(dx, new Float32Array(n).fill(0.5 * dout[0]), logits, targets, n, vocabulary);
        expect(dx.subarray(vocabulary, 2 * vocabulary).every((value) => value === 0)).toBe(true);
        return dx;
      },
    );
  });
});

const native = loadNativeKernels();
/** The longest past the native comparison puts before a row's queries. */
const PAST = 19;

/** Runs every backward op with fresh outputs (pre-filled, to check accumulation) and returns them. */
function runBackward(
  kernels: Kernels,
  sizes: { B: number; T: number; H: number; KVH: number; hd: number; C: number; I: number; V: number },
  inputs: Record<string, Float32Array>,
  targets: Int32Array,
  pastLengths: Int32Array,
) {
  const { B, T, H, KVH, hd, C, I, V } = sizes;
  const N = B * T;
  const seeded = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i)); // same start for both
  const matmul = seeded(N * C);
  kernels.matmulBackward(matmul, inputs.dhidden, inputs.weight, N, C, I);
  const rms = seeded(N * C);
  kernels.rmsnormBackward(rms, inputs.dnormed, inputs.x, inputs.normWeight, inputs.rstd, N, C);
  const rmsWeight = seeded(C);
  kernels.rmsnormWeightBackward(rmsWeight, inputs.dnormed, inputs.x, inputs.rstd, N, C);
  const rope = new Float32Array(N * H * hd);
  kernels.ropeBackward(rope, inputs.dq, inputs.cosines, inputs.sines, N, H, hd, hd, true);
  const ropeHalf = inputs.dq.slice();
  kernels.ropeBackward(ropeHalf, ropeHalf, inputs.cosines, inputs.sines, N, H, hd, hd, false);
  // partial rotary: the first half of each head rotated (the angles' first hd/4 columns per position)
  const ropePartial = new Float32Array(N * H * hd).fill(3);
  kernels.ropeBackward(ropePartial, inputs.dq, inputs.cosines, inputs.sines, N, H, hd, hd / 2, false);
  const dq = seeded(N * H * hd);
  const dk = seeded(N * KVH * hd);
  const dv = seeded(N * KVH * hd);
  kernels.attentionBackward(
    dq,
    dk,
    dv,
    inputs.dq,
    inputs.logSumExps,
    inputs.q,
    inputs.k,
    inputs.v,
    null,
    B,
    T,
    T,
    H,
    KVH,
    hd,
    0,
    1 / Math.sqrt(hd),
    0,
  );
  // Gemma: a window, another scale and soft-capped scores (the op is compared as a function of its inputs,
  // which need not come from the same forward)
  const [cappedQuery, cappedKeys, cappedValues] = [
    seeded(N * H * hd),
    seeded(N * KVH * hd),
    seeded(N * KVH * hd),
  ];
  kernels.attentionBackward(
    cappedQuery,
    cappedKeys,
    cappedValues,
    inputs.dq,
    inputs.logSumExps,
    inputs.q,
    inputs.k,
    inputs.v,
    null,
    B,
    T,
    T,
    H,
    KVH,
    hd,
    3,
    0.6,
    1.5,
  );
  // after a past (a prefix) of a different length per row, in slots beyond the longest row
  const S = T + PAST + 2;
  const [pastQuery, pastKeys, pastValues] = [
    seeded(N * H * hd),
    seeded(B * S * KVH * hd),
    seeded(B * S * KVH * hd),
  ];
  kernels.attentionBackward(
    pastQuery,
    pastKeys,
    pastValues,
    inputs.dq,
    inputs.pastLogSumExps,
    inputs.q,
    inputs.pastK,
    inputs.pastV,
    pastLengths,
    B,
    T,
    S,
    H,
    KVH,
    hd,
    0,
    1 / Math.sqrt(hd),
    0,
  );
  const dgate = seeded(N * I);
  const dup = seeded(N * I);
  kernels.swigluBackward(dgate, dup, inputs.dhidden, inputs.gate, inputs.up, N * I);
  const gegluGate = seeded(N * I);
  const gegluUp = seeded(N * I);
  kernels.gegluBackward(gegluGate, gegluUp, inputs.dhidden, inputs.gate, inputs.up, N * I);
  const dlogits = seeded(N * V);
  kernels.crossEntropyBackward(dlogits, inputs.dlosses, inputs.logits, targets, N, V);
  const capped = new Float32Array(N * V);
  kernels.softcapForward(capped, inputs.logits, 3, N * V);
  const dcapped = inputs.logits.slice();
  kernels.softcapBackward(dcapped, dcapped, capped, 3, N * V);
  return {
    matmul,
    rms,
    rmsWeight,
    rope,
    ropeHalf,
    ropePartial,
    dq,
    dk,
    dv,
    cappedQuery,
    cappedKeys,
    cappedValues,
    pastQuery,
    pastKeys,
    pastValues,
    dgate,
    dup,
    gegluGate,
    gegluUp,
    dlogits,
    capped,
    dcapped,
  };
}

describe.skipIf(!native)('native backward ops agree with the JS reference', () => {
  it.each([
    ['small', { B: 2, T: 5, H: 4, KVH: 2, hd: 8, C: 16, I: 24, V: 19 }],
    ['large (parallel)', { B: 4, T: 37, H: 6, KVH: 2, hd: 16, C: 96, I: 128, V: 300 }],
    // heads past the small-head kernels' size take the sgemm path
    ['larger heads', { B: 2, T: 21, H: 4, KVH: 2, hd: 32, C: 64, I: 48, V: 40 }],
  ] as const)('%s', (_label, sizes) => {
    const { B, T, H, KVH, hd, C, I, V } = sizes;
    const N = B * T;
    const q = floats(N * H * hd);
    const keysInput = floats(N * KVH * hd);
    const values = floats(N * KVH * hd);
    const logSumExps = new Float32Array(B * H * T);
    jsKernels.attentionForward(
      new Float32Array(N * H * hd),
      logSumExps,
      q,
      keysInput,
      values,
      null,
      null,
      B,
      T,
      T,
      H,
      KVH,
      hd,
      0,
      1 / Math.sqrt(hd),
      0,
    );
    // the same queries after a past: row b's keys start PAST - b slots earlier
    const S = T + PAST + 2;
    const pastLengths = Int32Array.from({ length: B }, (_, b) => Math.max(0, PAST - b));
    const pastK = floats(B * S * KVH * hd);
    const pastV = floats(B * S * KVH * hd);
    const pastLogSumExps = new Float32Array(B * H * T);
    jsKernels.attentionForward(
      new Float32Array(N * H * hd),
      pastLogSumExps,
      q,
      pastK,
      pastV,
      pastLengths,
      null,
      B,
      T,
      S,
      H,
      KVH,
      hd,
      0,
      1 / Math.sqrt(hd),
      0,
    );
    const x = floats(N * C, 2);
    const normWeight = floats(C);
    const rstd = new Float32Array(N);
    jsKernels.rmsnormForward(new Float32Array(N * C), rstd, x, normWeight, N, C, 1e-5);
    const cosines = new Float32Array((N * hd) / 2);
    const sines = new Float32Array((N * hd) / 2);
    ropeAngles(
      cosines,
      sines,
      Int32Array.from({ length: N }, (_, i) => i % T),
      Float32Array.from({ length: hd / 2 }, (_, i) => 10000 ** (-(2 * i) / hd)),
      N,
    );
    const inputs = {
      q,
      k: keysInput,
      v: values,
      logSumExps,
      pastK,
      pastV,
      pastLogSumExps,
      x,
      normWeight,
      rstd,
      cosines,
      sines,
      dq: floats(N * H * hd),
      dnormed: floats(N * C),
      dhidden: floats(N * I),
      weight: floats(I * C),
      gate: floats(N * I, 4),
      up: floats(N * I),
      logits: floats(N * V, 5),
      dlosses: floats(N),
    };
    const targets = Int32Array.from({ length: N }, (_, i) => (i % 3 === 0 ? -1 : (i * 7) % V));
    const expected = runBackward(jsKernels, sizes, inputs, targets, pastLengths);
    const actual = runBackward(native!, sizes, inputs, targets, pastLengths);
    for (const name of Object.keys(expected) as (keyof typeof expected)[]) {
      const diff = maxAbsDiff(actual[name], expected[name]);
      console.log(`${_label} ${name}: max abs diff ${diff.toExponential(2)}`);
      expect(diff, name).toBeLessThan(1e-4 * Math.max(1, maxAbs(expected[name])));
    }
  });
});
