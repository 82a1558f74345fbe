// The compare-methods page's settings list: methods by their names, and when the measurements were made
// (a rerun's measurements come from its journal, some written before measurements kept a time).
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
});
