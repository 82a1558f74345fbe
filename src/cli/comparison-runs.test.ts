// A comparison run's summary names the method a user would pick: the best on the largest training set,
// by label accuracy on a label task (as it is served), by exact match otherwise; and which rows are clearly
// below it.
import { describe, expect, it } from 'vitest';
import { comparisonSummary } from './comparison-runs.js';
import type { MethodMeasurement } from './method-measurement.js';

const measurement = (method: MethodMeasurement['method'], trainExamples: number, scores: object) =>
  ({ task: 'gender', method, trainExamples, ...scores }) as MethodMeasurement;

describe('comparisonSummary', () => {
  it('ranks a label task by label accuracy, on the largest training set', () => {
    const summary = comparisonSummary([
      // LoRA's exact match is higher, its label accuracy lower; the small set's numbers do not count
      measurement('lora', 512, { testAccuracy: 0.6, testLabelAccuracy: 0.9 }),
      measurement('prompt-tuning', 512, { testAccuracy: 0.4, testLabelAccuracy: 0.95 }),
      measurement('prefix-tuning', 16, { testAccuracy: 1, testLabelAccuracy: 1 }),
    ]);
    expect(summary).toEqual({
      measurements: 3,
      best: { method: 'prompt-tuning', testAccuracy: 0.95, measure: 'label accuracy', trainExamples: 512 },
      score: 0.95,
    });
  });

  it('ranks a generation task by exact match, the first of a tie, and skips what has no score', () => {
    const summary = comparisonSummary([
      measurement('lora', 64, { testAccuracy: 0.9 }),
      measurement('full-fine-tuning', 64, { testAccuracy: 0.9 }),
      measurement('p-tuning', 64, { testAccuracy: NaN }),
    ]);
    expect(summary.best).toMatchObject({ method: 'lora', measure: 'exact match' });
    expect(comparisonSummary([measurement('lora', 8, { testAccuracy: NaN })])).toEqual({ measurements: 1 });
  });

  it('keeps which rows are clearly below the best when the measurements kept per-example results', () => {
    const summary = comparisonSummary([
      measurement('lora', 64, { testAccuracy: 0.9, testCorrect: '1'.repeat(90) + '0'.repeat(10) }),
      measurement('prefix-tuning', 64, { testAccuracy: 0.88, testCorrect: '1'.repeat(88) + '0'.repeat(12) }),
      measurement('prompt-tuning', 64, { testAccuracy: 0.3, testCorrect: '1'.repeat(30) + '0'.repeat(70) }),
    ]);
    expect(summary.standing).toMatchObject({
      testExamples: 100,
      methods: [
        { name: 'LoRA' },
        { name: 'prefix tuning', difference: { clearlyWorse: false } },
        { name: 'prompt tuning', difference: { clearlyWorse: true } },
      ],
    });
  });
});
