// The compare-methods page's settings list: methods by their names, when the measurements were made
// (a rerun's measurements come from its journal, some written before measurements kept a time), what
// they were made on (each task's folder and split sizes) and how busy the machine was.
import { describe, expect, it } from 'vitest';
import { comparisonPage } from './method-comparison-page.js';
import { sampleMeasurement } from '../../test/measurements.js';
import type { MethodMeasurement } from './method-measurement.js';

const measurement = (trainExamples: number, measuredAt?: string): MethodMeasurement =>
  sampleMeasurement(trainExamples, measuredAt ? { measuredAt } : {});

const settings = {
  model: 'stories260K.gguf',
  epochs: 6,
  batchSize: 8,
  seed: 0,
  virtualTokens: '16',
  rank: '8',
  writtenAt: '2026-12-05T09:00:00.000Z',
};
const measured = (page: string) => /<dt>measured<\/dt><dd>([^<]*)<\/dd>/.exec(page)?.[1];

describe('the compare-methods page', () => {
  it('says when the measurements were made, apart from when the page was written', () => {
    const page = comparisonPage(
      [measurement(64, '2026-12-04T22:31:00.000Z'), measurement(16, '2026-12-04T22:30:00.000Z')],
      [['method'], ['LoRA']],
      settings,
    );
    expect(measured(page)).toBe('2026-12-04T22:30:00.000Z to 2026-12-04T22:31:00.000Z');
    expect(page).toContain('<dt>page written</dt><dd>2026-12-05T09:00:00.000Z</dd>');
    expect(page).toContain('<dd>LoRA 0.001</dd>');
    expect(page).toContain('<title>LoRA: 0.750</title>');
    const one = comparisonPage([measurement(16, '2026-12-04T22:30:00.000Z')], [['method']], settings);
    expect(measured(one)).toBe('2026-12-04T22:30:00.000Z');
    const older = comparisonPage(
      [measurement(16), measurement(64, '2026-12-04T22:31:00.000Z'), measurement(256)],
      [['method']],
      settings,
    );
    expect(measured(older)).toBe('2026-12-04T22:31:00.000Z; 2 measurements from a journal that kept no time');
  });

  it('names each task folder with its split sizes, marks the whole split on the chart, and flags a busy machine', () => {
    const tasks = [{ name: 'name', directory: '/data/name', train: 64, dev: 16, test: 32 }];
    const page = comparisonPage(
      [
        sampleMeasurement(16, { loadPerCore: 1.2 }),
        sampleMeasurement(64, { loadPerCore: 2.9 }),
        sampleMeasurement(64, { method: 'prompt-tuning', loadPerCore: 3.1 }),
      ],
      [['method']],
      { ...settings, epochs: 1, tasks },
    );
    expect(page).toContain('name: /data/name (train 64, dev 16, test 32 examples)');
    expect(page).toContain('>64 (all)</text>');
    expect(page).toContain('>16</text>');
    expect(page).toContain('1 epoch of batch 8');
    expect(page).toContain(
      '<dt>load per core while training</dt><dd>1.2 to 3.1 (alone, a training reads about 1 to 1.5); 2 measurements above 2: other work shared the cores',
    );
    // a journal without loads says nothing of them
    expect(comparisonPage([measurement(16)], [['method']], settings)).not.toContain('load per core');
  });

  it('says which differences are real when the measurements kept per-example results, and nothing otherwise', () => {
    const page = comparisonPage(
      [
        sampleMeasurement(64, { testAccuracy: 0.9, testCorrect: '1'.repeat(90) + '0'.repeat(10) }),
        sampleMeasurement(64, {
          method: 'prefix-tuning',
          testAccuracy: 0.4,
          testCorrect: '1'.repeat(40) + '0'.repeat(60),
        }),
      ],
      [['method']],
      settings,
    );
    expect(page).toContain('<h2>Which differences are real</h2>');
    expect(page).toContain('<caption>name: exact match on 100 test examples, 64 training examples</caption>');
    expect(page).toMatch(
      /<td>prefix tuning<\/td><td>0\.400 \[[0-9.]+, [0-9.]+\]<\/td><td>−0\.500 \[−[0-9.]+, −[0-9.]+\]<\/td><td>&#60; 0\.001<\/td><td>clearly below<\/td>/,
    );
    expect(comparisonPage([measurement(64)], [['method']], settings)).not.toContain('Which differences');
  });
});
