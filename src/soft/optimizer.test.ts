import { describe, expect, it } from 'vitest';
import { seededRandom } from '../engine/index.js';
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

describe('adamStep', () => {
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
          adamStep(ours, gradient, state, options, options.learningRate, decays);
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
    adamStep(
      values,
      new Float32Array(2),
      optimizerState(2),
      { kind: 'adamw', learningRate: 0.1, weightDecay: 0.5 },
      0.1,
    );
    // a zero gradient moves nothing but the decay: each value times 1 - 0.1 × 0.5
    expect(Array.from(values)).toEqual([Math.fround(0.95), Math.fround(-1.9)]);
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
