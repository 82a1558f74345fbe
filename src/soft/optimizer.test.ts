import { describe, expect, it } from 'vitest';
import { defaultKernels, jsKernels, seededRandom } from '../engine/index.js';
import { adamStep, clipGradient, optimizerState, type OptimizerOptions } from './optimizer.js';

/** Adam and AdamW as torch.optim writes them (its documentation's algorithm), one value at a time. */
function textbookStep(
  parameters: Float32Array,
  gradient: Float32Array,
  moments: { step: number; m: number[]; v: number[] },
  options: Required<OptimizerOptions>,
  decays: Uint8Array,
): void {
  const { kind, learningRate, beta1, beta2, eps, weightDecay } = options;
  moments.step++;
  for (let i = 0; i < parameters.length; i++) {
    const decay = decays[i] ? weightDecay : 0;
    let theta = parameters[i];
    let g = gradient[i];
    if (kind === 'adam') g += decay * theta;
    else theta = Math.fround(theta - learningRate * decay * theta);
    moments.m[i] = beta1 * moments.m[i] + (1 - beta1) * g;
    moments.v[i] = beta2 * moments.v[i] + (1 - beta2) * g * g;
    const mHat = moments.m[i] / (1 - beta1 ** moments.step);
    const vHat = moments.v[i] / (1 - beta2 ** moments.step);
    parameters[i] = theta - (learningRate * mHat) / (Math.sqrt(vHat) + eps);
  }
}

const kernelsUnderTest = [jsKernels, ...(defaultKernels().name === 'js' ? [] : [defaultKernels()])];

describe.each(kernelsUnderTest.map((kernels) => [kernels.name, kernels] as const))(
  'adamStep on %s kernels',
  (_, kernels) => {
    const size = 257;
    for (const kind of ['adam', 'adamw'] as const)
      for (const weightDecay of [0, 0.1])
        it(`follows ${kind} with weight decay ${weightDecay} over several steps, decaying only where the mask says`, () => {
          const random = seededRandom(5);
          const ours = Float32Array.from({ length: size }, () => random() * 2 - 1);
          const theirs = ours.slice();
          const decays = Uint8Array.from({ length: size }, (_, i) => i % 3 && 1);
          const options = { kind, learningRate: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay };
          const state = optimizerState(size);
          const moments = { step: 0, m: new Array<number>(size).fill(0), v: new Array<number>(size).fill(0) };
          for (let step = 0; step < 5; step++) {
            const gradient = Float32Array.from({ length: size }, () => random() - 0.5);
            expect(adamStep(ours, gradient, state, options, options.learningRate, decays, kernels)).toBe(-1);
            textbookStep(theirs, gradient, moments, options, decays);
          }
          expect(state.step).toBe(5);
          for (let i = 0; i < size; i++) {
            expect(ours[i]).toBeCloseTo(theirs[i], 6);
            expect(state.m[i]).toBeCloseTo(moments.m[i], 12);
          }
        });

    it('decays every value without a mask', () => {
      const values = Float32Array.of(1, -2);
      const options = { kind: 'adamw', learningRate: 0.1, weightDecay: 0.5 } as const;
      adamStep(values, new Float32Array(2), optimizerState(2), options, 0.1, undefined, kernels);
      // a zero gradient moves nothing but the decay: each value times 1 - 0.1 × 0.5
      expect(Array.from(values)).toEqual([Math.fround(0.95), Math.fround(-1.9)]);
    });

    it('names the first value that stopped being finite', () => {
      const size = 100_000;
      const values = new Float32Array(size).fill(0.5);
      const gradient = new Float32Array(size).fill(0.1);
      gradient[70_000] = NaN;
      gradient[7] = Infinity;
      const options = { kind: 'adamw', learningRate: 0.01 } as const;
      expect(adamStep(values, gradient, optimizerState(size), options, 0.01, undefined, kernels)).toBe(7);
    });
  },
);

describe.skipIf(kernelsUnderTest.length < 2)('adamStep natively', () => {
  it("gives the JS reference's floats and moments exactly, over enough values to run in parallel", () => {
    const size = 100_003;
    const random = seededRandom(8);
    const start = Float32Array.from({ length: size }, () => random() * 2 - 1);
    const decays = Uint8Array.from({ length: size }, (_, i) => i % 5 && 1);
    const gradients = Array.from({ length: 3 }, () =>
      Float32Array.from({ length: size }, () => random() - 0.5),
    );
    for (const options of [
      { kind: 'adamw', learningRate: 0.003, weightDecay: 0.01 },
      { kind: 'adam', learningRate: 0.003, weightDecay: 0.01 },
      { kind: 'adam', learningRate: 0.003 },
    ] as const) {
      const run = (kernels: (typeof kernelsUnderTest)[number]) => {
        const values = start.slice();
        const state = optimizerState(size);
        for (const gradient of gradients) adamStep(values, gradient, state, options, 0.003, decays, kernels);
        return [values, state.m, state.v];
      };
      const [reference, native] = kernelsUnderTest.map(run);
      // the same bytes (a deep comparison of 100,000 values one by one takes seconds)
      reference.forEach((array, i) =>
        expect(Buffer.from(native[i].buffer).equals(Buffer.from(array.buffer)), `${options.kind} ${i}`).toBe(
          true,
        ),
      );
    }
  });
});

describe('clipGradient', () => {
  it('returns the norm and scales down only above the bound', () => {
    const gradient = Float32Array.of(3, 4);
    expect(clipGradient(gradient, 10)).toBe(5);
    expect(Array.from(gradient)).toEqual([3, 4]);
    expect(clipGradient(gradient, 1)).toBe(5);
    expect(gradient[0]).toBeCloseTo(0.6, 6);
    expect(gradient[1]).toBeCloseTo(0.8, 6);
    expect(clipGradient(gradient, undefined)).toBeCloseTo(1, 6);
  });
});
