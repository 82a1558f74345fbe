// The drift report's plumbing over the statistics: which features are tested (lengths always, tokens
// when both sides have them, outputs when asked, scores by name), alpha shared among them, features
// with too few observations skipped with the reason, and what moved; a label task's served answers
// read as its labels.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../engine/index.js';
import { sampleTrace } from '../registry/traces.case.js';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { driftReport, type DriftObservations } from './drift-report.js';
import { traceObservations } from './drift-sources.js';

const random = seededRandom(11);
const sentence = (words: number) => Array.from({ length: words }, () => 'word').join(' ');
function observations(count: number, words: () => number, label: () => string): DriftObservations {
  const inputs = Array.from({ length: count }, () => sentence(words()));
  return {
    inputs,
    outputs: inputs.map(() => label()),
    inputTokens: inputs.map((input) => input.length),
    scores: { helpful: inputs.map(() => (random() < 0.8 ? 1 : 0)) },
  };
}
const around = (center: number) => () => center + Math.floor(random() * 10);
const pick = (labels: string[], weights: number[]) => () => {
  let draw = random();
  for (const [index, weight] of weights.entries()) if ((draw -= weight) < 0) return labels[index];
  return labels.at(-1)!;
};

describe('driftReport', () => {
  it('tests lengths, tokens, outputs and scores, with alpha shared among them', async () => {
    const reference = observations(400, around(20), pick(['cat', 'dog', 'bird'], [0.4, 0.4, 0.2]));
    const same = observations(100, around(20), pick(['cat', 'dog', 'bird'], [0.4, 0.4, 0.2]));
    const report = await driftReport(reference, same, { categoricalOutputs: true, rng: random });
    expect(report.features.map((feature) => feature.feature)).toEqual([
      'input_characters',
      'input_words',
      'input_tokens',
      'output',
      'score:helpful',
    ]);
    expect(report.correctedAlpha).toBeCloseTo(0.01, 12);
    expect(report.features.find((feature) => feature.feature === 'output')?.test).toBe(
      'chi-squared-homogeneity',
    );
    expect(report.drifted).toBe(false);

    const longer = observations(100, around(26), pick(['cat', 'dog', 'bird'], [0.1, 0.1, 0.8]));
    const moved = await driftReport(reference, longer, { categoricalOutputs: true, rng: random });
    expect(moved.moved).toEqual(
      expect.arrayContaining(['input_characters', 'input_words', 'input_tokens', 'output']),
    );
    expect(moved.moved).not.toContain('score:helpful');
    const characters = moved.features.find((feature) => feature.feature === 'input_characters')!;
    expect(characters).toMatchObject({ test: 'kolmogorov-smirnov', drifted: true });
    expect(characters.summary.currentMean as number).toBeGreaterThan(
      characters.summary.referenceMean as number,
    );
  });

  it('skips features with too few observations and refuses a bad alpha', async () => {
    const reference = observations(400, around(20), () => 'a');
    const few = observations(10, around(20), () => 'a');
    const report = await driftReport(reference, few, { rng: random });
    expect(report.features).toEqual([]);
    expect(report.drifted).toBe(false);
    expect(report.skipped.map((skip) => skip.feature)).toEqual([
      'input_characters',
      'input_words',
      'input_tokens',
      'score:helpful',
    ]);
    expect(report.skipped[0].reason).toContain('fewer than 20 observations (400 reference, 10 current)');
    await expect(driftReport(reference, few, { alpha: 1.5 })).rejects.toThrow(/alpha 1.5/);
  });

  it('keeps its level on few-valued scores (star ratings): two-sample chi-squared, not goodness of fit', async () => {
    const stars = () => 1 + Math.floor(random() * 5);
    let alarms = 0;
    for (let trial = 0; trial < 200; trial++) {
      const side = (count: number): DriftObservations => ({
        inputs: Array.from({ length: count }, () => 'same'),
        outputs: [],
        scores: { stars: Array.from({ length: count }, stars) },
      });
      const report = await driftReport(side(200), side(200), { rng: random });
      const feature = report.features.find((candidate) => candidate.feature === 'score:stars')!;
      expect(feature.test).toBe('chi-squared-homogeneity');
      if (feature.drifted) alarms++;
    }
    // alpha 0.05 shared by 3 features: about 0.017 for this one
    expect(alarms / 200).toBeLessThanOrEqual(0.04);
  });
});

describe('traceObservations', () => {
  it("reads a label task's outputs as the service's /run reads them: the label an answer names", async () => {
    const registry = await Registry.open({ path: ':memory:' });
    const spec = taskSpec.parse({
      name: 'qa',
      prompt: { template: '{{input}}' },
      output: { kind: 'label', labels: ['girl', 'boy'] },
    });
    const at = Date.parse('2026-12-01T12:00:00Z');
    await registry.traces.insert(
      [' girl named Lily', ' boy woke up', 'a tree'].map((output, index) =>
        sampleTrace({ id: `t-${index}`, at, task: 'qa', output }),
      ),
    );
    const observed = await traceObservations(registry, spec, { since: at, until: at + 1 });
    // text naming no label stays as it is: a rising share of unreadable answers is drift too
    expect([...observed.outputs].sort()).toEqual(['a tree', 'boy', 'girl']);
    await registry.close();
  });
});
