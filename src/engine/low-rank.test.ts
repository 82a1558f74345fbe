// The low-rank op pair: lowRankBackward's input, A and B gradients against central differences of
// lowRankForward (the product is linear in each, so the differences are exact up to rounding), on the JS
// reference and the native kernels; and lowRankForward's rows: each run of rows gets its own adapter,
// a null row or an adapter without this projection is left alone, and a decode step's gathered call
// adds what the runs' products add.
import { describe, expect, it } from 'vitest';
import { defaultKernels } from './kernels/index.js';
import { jsKernels } from './kernels/js.js';
import { lowRankBackward, lowRankForward, packAdapter, type LowRankAdapter } from './low-rank.js';
import { seededRandom } from './random.js';

const random = seededRandom(7);
const floats = (n: number) => Float32Array.from({ length: n }, () => random() * 2 - 1);
const [T, inFeatures, outFeatures, rank] = [3, 6, 5, 2];
const adapterOf = (): LowRankAdapter => ({
  rank,
  scale: 1.5,
  layers: [{ up: { a: floats(rank * inFeatures), b: floats(outFeatures * rank) } }],
});

describe.each([
  ['js', jsKernels],
  [defaultKernels().name, defaultKernels()],
])('the low-rank ops on %s kernels', (_, kernels) => {
  it.each([0, 0.4])(
    'backward matches central differences of forward for the input, A and B (dropout %s)',
    (probability) => {
      // with dropout, both passes draw the same mask from the key: the loss stays a linear function of each
      const adapter = { ...adapterOf(), dropout: { probability, key: 12345 } };
      const rows = 2;
      const n = rows * T;
      const x = floats(n * inFeatures);
      const weights = floats(n * outFeatures); // loss = sum(weights * out)
      const loss = () => {
        const out = new Float32Array(n * outFeatures);
        lowRankForward(kernels, out, x, [adapter, adapter], 0, 'up', T, inFeatures, outFeatures);
        return out.reduce((sum, value, i) => sum + value * weights[i], 0);
      };
      const gradients = packAdapter(adapter, 'zero');
      const dx = new Float32Array(n * inFeatures);
      const training = { adapter, gradients: gradients.adapter };
      lowRankBackward(kernels, dx, weights, x, training, 0, 'up', n, inFeatures, outFeatures);
      const pair = adapter.layers[0].up!;
      const gradient = gradients.adapter.layers[0].up!;
      for (const [values, analytic] of [
        [x, dx],
        [pair.a, gradient.a],
        [pair.b, gradient.b],
      ] as const) {
        let worst = 0;
        for (let i = 0; i < values.length; i++) {
          const kept = values[i];
          values[i] = kept + 0.01;
          const plus = loss();
          values[i] = kept - 0.01;
          const minus = loss();
          values[i] = kept;
          worst = Math.max(worst, Math.abs((plus - minus) / 0.02 - analytic[i]));
        }
        expect(worst).toBeLessThan(2e-3);
      }
      // the input's gradient is zero exactly where the mask dropped every product's input (only with dropout)
      expect(dx.some((value) => value === 0)).toBe(probability > 0);
    },
  );

  it('drops only while the adapter says so, each layer and projection with its own mask', () => {
    const x = floats(2 * T * inFeatures);
    const product = (adapter: LowRankAdapter, layer = 0) => {
      const out = new Float32Array(2 * T * outFeatures);
      const layers = [adapter.layers[0], adapter.layers[0]];
      lowRankForward(kernels, out, x, [{ ...adapter, layers }], layer, 'up', T, inFeatures, outFeatures);
      return out;
    };
    const adapter = adapterOf();
    const plain = product(adapter);
    expect(product({ ...adapter, dropout: { probability: 0, key: 1 } })).toEqual(plain);
    const dropped = product({ ...adapter, dropout: { probability: 0.5, key: 1 } });
    expect(dropped).not.toEqual(plain);
    expect(product({ ...adapter, dropout: { probability: 0.5, key: 1 } })).toEqual(dropped);
    expect(product({ ...adapter, dropout: { probability: 0.5, key: 2 } })).not.toEqual(dropped);
    expect(product({ ...adapter, dropout: { probability: 0.5, key: 1 } }, 1)).not.toEqual(dropped);
  });

  it("adds each row's own product and leaves other rows as they were", () => {
    const [first, second] = [adapterOf(), adapterOf()];
    const x = floats(4 * T * inFeatures);
    const base = floats(4 * T * outFeatures);
    const out = base.slice();
    // rows 0-1 share an adapter, row 2 has none, row 3 another
    lowRankForward(kernels, out, x, [first, first, null, second], 0, 'up', T, inFeatures, outFeatures);
    const alone = (adapter: LowRankAdapter, row: number) => {
      const one = base.slice(row * T * outFeatures, (row + 1) * T * outFeatures);
      lowRankForward(
        kernels,
        one,
        x.subarray(row * T * inFeatures),
        [adapter],
        0,
        'up',
        T,
        inFeatures,
        outFeatures,
      );
      return one;
    };
    const rowOf = (row: number) => out.subarray(row * T * outFeatures, (row + 1) * T * outFeatures);
    // BLAS may block a two-row product differently from a one-row one: equal to rounding, not bit for bit
    const close = (a: Float32Array, b: Float32Array) =>
      expect(a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)).toBeLessThan(1e-6);
    close(rowOf(0), alone(first, 0));
    close(rowOf(1), alone(first, 1));
    expect(rowOf(2)).toEqual(base.subarray(2 * T * outFeatures, 3 * T * outFeatures));
    close(rowOf(3), alone(second, 3));
    expect(rowOf(3)).not.toEqual(alone(first, 3));
    // a projection the adapter does not change is left alone
    const untouched = base.slice();
    lowRankForward(
      kernels,
      untouched,
      x,
      [first, first, null, second],
      0,
      'down',
      T,
      inFeatures,
      outFeatures,
    );
    expect(untouched).toEqual(base);
  });

  it("takes a decode step's rows in one gathered call: the runs' products, each row's bits as alone", () => {
    const [first, second] = [adapterOf(), adapterOf()];
    const x = floats(4 * inFeatures);
    const base = floats(4 * outFeatures);
    const out = base.slice();
    lowRankForward(kernels, out, x, [first, first, null, second], 0, 'up', 1, inFeatures, outFeatures);
    const rowOf = (values: Float32Array, row: number) =>
      values.subarray(row * outFeatures, (row + 1) * outFeatures);
    // the same rows as positions of one sequence (T = 2: sgemm over the run)
    const asRun = (adapter: LowRankAdapter, rows: [number, number]) => {
      const input = new Float32Array(2 * inFeatures);
      const result = new Float32Array(2 * outFeatures);
      rows.forEach((row, position) => {
        input.set(x.subarray(row * inFeatures, (row + 1) * inFeatures), position * inFeatures);
        result.set(rowOf(base, row), position * outFeatures);
      });
      lowRankForward(kernels, result, input, [adapter], 0, 'up', 2, inFeatures, outFeatures);
      return result;
    };
    const close = (a: Float32Array, b: Float32Array) =>
      expect(a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)).toBeLessThan(1e-6);
    const run = asRun(first, [0, 1]);
    close(rowOf(out, 0), rowOf(run, 0));
    close(rowOf(out, 1), rowOf(run, 1));
    expect(rowOf(out, 2)).toEqual(rowOf(base, 2));
    close(rowOf(out, 3), rowOf(asRun(second, [3, 3]), 0));
    // a row decoded alone gets exactly the bits it gets beside others
    const alone = base.slice(3 * outFeatures, 4 * outFeatures);
    lowRankForward(kernels, alone, x.subarray(3 * inFeatures), [second], 0, 'up', 1, inFeatures, outFeatures);
    expect(alone).toEqual(rowOf(out, 3));
  });
});
