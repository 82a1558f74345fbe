// Which differences of a comparison are real: the best row at the largest size against each other row on
// the same test examples, paired, with Holm's adjustment; rows from before per-example results were kept
// are named, not tested; a label task is judged by its label picks.
import { describe, expect, it } from 'vitest';
import { sampleMeasurement } from '../../test/measurements.js';
import { comparisonStandings, holm, standingLines } from './comparison-significance.js';
import { measurementSchema } from './method-measurement.js';

/** `right` of `n` examples right: the first `right` of them, unless `from` shifts which. */
const correct = (right: number, n: number, from = 0) =>
  Array.from({ length: n }, (_, index) => ((index - from + n) % n < right ? '1' : '0')).join('');
const accuracy = (digits: string) => digits.split('1').length / digits.length - 1 / digits.length;

describe('comparison standings', () => {
  it('adjusts p-values by Holm: step-down, monotone, capped at 1', () => {
    expect(holm([0.01, 0.04, 0.03])).toEqual([0.03, 0.06, 0.06]);
    expect(holm([0.5, 0.5])).toEqual([1, 1]);
    expect(holm([])).toEqual([]);
  });

  it('names the best, finds a gap of 0.3 on 200 examples real and one of 0.01 not, and tests the frozen model', () => {
    const best = correct(180, 200);
    const near = correct(178, 200, 3);
    const far = correct(120, 200);
    const measurements = [
      sampleMeasurement(16, { method: 'prompt-tuning', testCorrect: correct(10, 200) }),
      sampleMeasurement(64, {
        method: 'lora',
        testAccuracy: accuracy(best),
        testCorrect: best,
        frozen: { testAccuracy: 0.5, testCorrect: correct(100, 200) },
      }),
      sampleMeasurement(64, { method: 'prefix-tuning', testAccuracy: accuracy(near), testCorrect: near }),
      sampleMeasurement(64, { method: 'prompt-tuning', testAccuracy: accuracy(far), testCorrect: far }),
    ];
    const [standing] = comparisonStandings(measurements);
    expect(standing).toMatchObject({
      task: 'name',
      trainExamples: 64,
      testExamples: 200,
      measure: 'exact match',
    });
    expect(standing.methods.map((method) => [method.name, method.difference?.clearlyWorse])).toEqual([
      ['LoRA', undefined],
      ['prefix tuning', false],
      ['prompt tuning', true],
      ['no tuning (the frozen model)', true],
    ]);
    const [lora, prefix, prompt] = standing.methods;
    expect(lora.accuracy).toBeCloseTo(0.9);
    expect(lora.interval[0]).toBeLessThan(0.9);
    expect(lora.interval[1]).toBeGreaterThan(0.9);
    expect(prefix.difference!.value).toBeCloseTo(-0.01);
    expect(prefix.difference!.interval[0]).toBeLessThan(0);
    expect(prefix.difference!.interval[1]).toBeGreaterThan(0);
    expect(prompt.difference!.value).toBeCloseTo(-0.3);
    expect(prompt.difference!.pValue).toBeLessThan(0.05);
    const lines = standingLines(standing);
    expect(lines[0]).toBe(
      'name, 64 training examples, exact match on 200 test examples: best LoRA 0.900 [0.851, 0.934]. Not clearly below it: prefix tuning.',
    );
    // of the best and prefix tuning (the same serving cost here), the best
    expect(standing.pick).toBe('LoRA');
    expect(lines[1]).toBe('Cheapest to serve of the best and those not clearly below it: LoRA.');
    expect(lines[3]).toMatch(
      /^ {2}prompt tuning: 0\.600, −0\.300 \[−0\.\d+, −0\.\d+\], p < 0\.001, clearly below$/,
    );
  });

  it('ranks tied rows by serving cost, picks the cheapest of those not clearly below, and says when none beats the frozen model', () => {
    const all = correct(20, 20);
    const serving = (bytesPerTask: number, sharesModel = true) => ({
      bytesPerTask,
      extraMultiplyAddsPerToken: 1000,
      extraPositionsPerRequest: 0,
      sharesModel,
    });
    const measurements = [
      // listed first, but a model of its own
      sampleMeasurement(64, {
        method: 'full-fine-tuning',
        testAccuracy: 1,
        testCorrect: all,
        serving: serving(1_000_000, false),
        frozen: { testAccuracy: 0.9, testCorrect: correct(18, 20) },
      }),
      sampleMeasurement(64, { method: 'lora', testAccuracy: 1, testCorrect: all, serving: serving(90_000) }),
      sampleMeasurement(64, {
        method: 'prompt-tuning',
        testAccuracy: 0.95,
        testCorrect: correct(19, 20),
        serving: serving(20_000),
      }),
    ];
    const [standing] = comparisonStandings(measurements);
    expect(standing.methods.map((method) => method.name)).toEqual([
      'LoRA',
      'full fine-tuning',
      'prompt tuning',
      'no tuning (the frozen model)',
    ]);
    // every row is within chance of the best on 20 examples: the frozen model, which costs nothing, is
    // the pick, and the lines say that no method is shown to beat it
    expect(standing.pick).toBe('no tuning (the frozen model)');
    const lines = standingLines(standing);
    expect(lines[0]).toContain(
      'best LoRA 1.000 [0.839, 1.000] (tied with full fine-tuning; the cheapest to serve of them). Not clearly below it: full fine-tuning, prompt tuning, no tuning (the frozen model).',
    );
    expect(lines[1]).toBe(
      'Cheapest to serve of the best and those not clearly below it: no tuning (the frozen model) (−0.100 [−0.250, +0.000] from the best).',
    );
    expect(lines[2]).toBe(
      'No method is shown to beat the frozen model on 20 test examples: a larger test split would tell smaller differences apart.',
    );
    // the order of --methods does not choose among tied rows
    expect(comparisonStandings([...measurements].reverse())[0].methods[0].name).toBe('LoRA');
  });

  it('judges a label task by its label picks, and names rows it cannot pair', () => {
    const measurements = [
      sampleMeasurement(64, {
        task: 'animal',
        testAccuracy: 0,
        testCorrect: correct(0, 40),
        testLabelAccuracy: 1,
        testLabelCorrect: correct(40, 40),
      }),
      sampleMeasurement(64, {
        task: 'animal',
        method: 'prefix-tuning',
        testAccuracy: 0,
        testCorrect: correct(0, 40),
        testLabelAccuracy: 0.5,
        testLabelCorrect: correct(20, 40),
      }),
      // from a journal written before: no per-example results
      sampleMeasurement(64, {
        task: 'animal',
        method: 'p-tuning',
        testAccuracy: 0.2,
        testLabelAccuracy: 0.9,
      }),
    ];
    const [standing] = comparisonStandings(measurements);
    expect(standing.measure).toBe('label accuracy');
    expect(standing.methods.map((method) => method.name)).toEqual(['LoRA', 'prefix tuning']);
    expect(standing.methods[1].difference).toMatchObject({ value: -0.5, clearlyWorse: true });
    expect(standing.unpaired).toEqual(['P-tuning']);
    expect(standingLines(standing).at(-1)).toContain(
      'not tested (measured before per-example results were kept',
    );
    // a row measured on another test split (another length than most rows') is named as such
    const resplit = comparisonStandings([
      ...measurements.slice(0, 2),
      sampleMeasurement(64, {
        task: 'animal',
        method: 'p-tuning',
        testAccuracy: 0,
        testCorrect: correct(0, 30),
        testLabelAccuracy: 1,
        testLabelCorrect: correct(30, 30),
      }),
    ])[0];
    expect(resplit.methods.map((method) => method.name)).toEqual(['LoRA', 'prefix tuning']);
    expect(resplit.otherSplit).toEqual(['P-tuning']);
    expect(standingLines(resplit).at(-1)).toBe(
      '  not tested (measured on another test split than the rest; --no-resume measures again): P-tuning',
    );
    // nothing to pair at all: said, not tested
    const old = comparisonStandings(
      measurements.map((measurement) => ({
        ...measurement,
        testCorrect: undefined,
        testLabelCorrect: undefined,
      })),
    );
    expect(standingLines(old[0])).toEqual([
      'animal: differences not tested (measured before per-example results were kept; --no-resume measures again): LoRA, prefix tuning, P-tuning',
    ]);
  });

  it('reads per-example results back from a journal only when they give the accuracy beside them', () => {
    const digits = correct(3, 4);
    const good = { ...sampleMeasurement(16), testAccuracy: 0.75, testCorrect: digits };
    expect(measurementSchema.safeParse(good).success).toBe(true);
    for (const bad of [
      { ...good, testCorrect: correct(2, 4) },
      { ...good, testCorrect: '1102' },
      { ...good, frozen: { testAccuracy: 0.5, testCorrect: '1111' } },
      { ...good, testLabelAccuracy: 0.25, testLabelCorrect: '1100' },
      // a string without the accuracy it stands beside, or an empty one
      { ...good, testLabelCorrect: '1100' },
      { ...good, frozen: { testAccuracy: 0.5, testLabelCorrect: '1100' } },
      { ...good, testAccuracy: null, testCorrect: '' },
    ])
      expect(measurementSchema.safeParse(bad).success).toBe(false);
  });
});
