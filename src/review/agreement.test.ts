// Agreement statistics against published values: Cohen's kappa on Wikipedia's worked example (0.4),
// Krippendorff's alpha on the reliability data of Krippendorff (2011), four observers and twelve units
// with missing values (nominal 0.743, interval 0.849); intervals that hold the value; degenerate data
// answered with a reason instead of a number; a queue's report choosing kappa or alpha.
import { describe, expect, it } from 'vitest';
import { cohenKappa, krippendorffAlpha } from './agreement.js';
import type { ReviewDecision } from '../registry/index.js';
import { queueAgreement } from './queue-agreement.js';

describe('cohenKappa', () => {
  it('gives 0.4 on the textbook table (20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no)', () => {
    const pairs: [string, string][] = [
      ...Array.from({ length: 20 }, (): [string, string] => ['yes', 'yes']),
      ...Array.from({ length: 5 }, (): [string, string] => ['yes', 'no']),
      ...Array.from({ length: 10 }, (): [string, string] => ['no', 'yes']),
      ...Array.from({ length: 15 }, (): [string, string] => ['no', 'no']),
    ];
    const kappa = cohenKappa(pairs);
    expect(kappa.value).toBeCloseTo(0.4, 12);
    expect(kappa.items).toBe(50);
    expect(kappa.interval![0]).toBeLessThan(0.4);
    expect(kappa.interval![1]).toBeGreaterThan(0.4);
    expect(cohenKappa(pairs, 7).interval).not.toEqual(kappa.interval); // the seed is used
    expect(cohenKappa(pairs).interval).toEqual(kappa.interval); // and reproducible
  });

  it('drops pairs with a missing label, and explains when it cannot say', () => {
    expect(
      cohenKappa([
        ['a', 'a'],
        ['a', null],
        ['b', 'b'],
      ]).items,
    ).toBe(2);
    expect(
      cohenKappa([
        ['a', 'a'],
        ['a', 'a'],
      ]),
    ).toMatchObject({ value: null, reason: expect.stringContaining('chance') });
    expect(cohenKappa([[null, 'a']])).toMatchObject({ value: null, items: 0 });
  });
});

describe('krippendorffAlpha', () => {
  // Krippendorff (2011), section C: observers A-D (rows) by units 1-12 (columns), '.' missing
  const observers = [
    '1 2 3 3 2 1 4 1 2 . . .',
    '1 2 3 3 2 2 4 1 2 5 . 3',
    '. 3 3 3 2 3 4 2 2 5 1 .',
    '1 2 3 3 2 4 4 1 2 5 1 .',
  ].map((row) => row.split(' ').map((value) => (value === '.' ? null : Number(value))));
  const units = observers[0].map((_, unit) => observers.map((row) => row[unit]));

  it('gives the published nominal (0.743) and interval (0.849) values', () => {
    const nominal = krippendorffAlpha(units, 'nominal');
    expect(nominal.value).toBeCloseTo(0.743, 3);
    expect(nominal.items).toBe(11); // unit 12 has one rating: not pairable
    expect(krippendorffAlpha(units, 'interval').value).toBeCloseTo(0.849, 3);
    expect(nominal.interval![0]).toBeLessThan(0.743);
    expect(nominal.interval![1]).toBeGreaterThanOrEqual(0.743);
  });

  it('equals 1 for perfect agreement, and explains when there is nothing to agree on', () => {
    expect(
      krippendorffAlpha([
        ['a', 'a', 'a'],
        ['b', 'b', null],
      ]).value,
    ).toBeCloseTo(1, 12);
    expect(
      krippendorffAlpha([
        ['a', 'a'],
        ['a', 'a'],
      ]),
    ).toMatchObject({ value: null, reason: expect.any(String) });
    expect(
      krippendorffAlpha([
        ['a', null],
        [null, 'b'],
      ]),
    ).toMatchObject({ value: null, items: 0 });
  });
});

describe('queueAgreement', () => {
  const queue = {
    name: 'q',
    task: 'name',
    actor: 'ada',
    createdAt: 0,
    reviewsPerItem: 2,
    reservationMs: 60_000,
    reviewers: [],
    rules: [],
    rubric: [
      { name: 'fluency', kind: 'numeric' as const, minimum: 1, maximum: 5 },
      { name: 'harmful', kind: 'boolean' as const },
    ],
  };
  const decision = (
    item: string,
    reviewer: string,
    kind: 'approve' | 'correct' | 'skip',
    fluency?: number,
  ): ReviewDecision => ({
    item,
    reviewer,
    decision: kind,
    rubric: fluency === undefined ? {} : { fluency, harmful: false },
    at: 0,
    firstAt: 0,
  });

  it('uses kappa for two reviewers and alpha for more, skips counting as no rating', () => {
    const two = [
      decision('1', 'alice', 'approve', 5),
      decision('1', 'bob', 'approve', 4),
      decision('2', 'alice', 'correct', 2),
      decision('2', 'bob', 'correct', 2),
      decision('3', 'alice', 'approve', 4),
      decision('3', 'bob', 'correct', 3),
      decision('4', 'alice', 'skip'),
      decision('4', 'bob', 'approve', 5),
    ];
    const report = queueAgreement(queue, two);
    expect(report.reviewers).toEqual(['alice', 'bob']);
    // items 1-3 rated by both: 2 of 3 agree; chance (2/3 approve by alice, 1/3 by bob): kappa = 0.4
    expect(report.decision).toMatchObject({ statistic: 'cohen-kappa', items: 3 });
    expect(report.decision.value).toBeCloseTo(
      (2 / 3 - (2 / 3) * (1 / 3) - (1 / 3) * (2 / 3)) / (1 - 4 / 9),
      12,
    );
    expect(report.rubric.fluency.statistic).toBe('krippendorff-alpha'); // numeric: interval alpha
    expect(report.rubric.harmful).toMatchObject({ value: null }); // everyone said false
    const three = queueAgreement(queue, [...two, decision('1', 'carol', 'approve', 5)]);
    expect(three.decision.statistic).toBe('krippendorff-alpha');
  });
});
