// How far reviewers agree: Cohen's kappa for two reviewers who rated the same items (Cohen 1960), and
// Krippendorff's alpha for any number of reviewers with missing ratings, nominal or interval
// (Krippendorff 2011, "Computing Krippendorff's alpha-reliability", coincidence matrices), each with a
// percentile bootstrap interval over the items (seeded, so a report is reproducible).
import { seededRandom } from '../engine/index.js';

/** A statistic with its 95% interval; null when the data cannot give it (and why). */
export interface AgreementEstimate {
  value: number | null;
  interval: [number, number] | null;
  /** Items (units) that entered the statistic. */
  items: number;
  /** Why the value is null, when it is. */
  reason?: string;
}

const resamples = 2000;

/** Cohen's kappa of two raters' labels on the same items (pairs with a missing label are dropped). */
export function cohenKappa(pairs: [string | null, string | null][], seed = 0): AgreementEstimate {
  const complete = pairs.filter((pair): pair is [string, string] => pair[0] !== null && pair[1] !== null);
  const value = kappaOf(complete);
  if (value === null)
    return {
      value: null,
      interval: null,
      items: complete.length,
      reason:
        complete.length === 0
          ? 'no item rated by both'
          : 'every rating is the same label: chance agreement is 1',
    };
  return { value, interval: bootstrap(complete, kappaOf, seed), items: complete.length };
}

function kappaOf(pairs: [string, string][]): number | null {
  if (pairs.length === 0) return null;
  const first = new Map<string, number>();
  const second = new Map<string, number>();
  let agreed = 0;
  for (const [a, b] of pairs) {
    if (a === b) agreed++;
    first.set(a, (first.get(a) ?? 0) + 1);
    second.set(b, (second.get(b) ?? 0) + 1);
  }
  const observed = agreed / pairs.length;
  let chance = 0;
  for (const [label, count] of first)
    chance += (count / pairs.length) * ((second.get(label) ?? 0) / pairs.length);
  return chance >= 1 ? null : (observed - chance) / (1 - chance);
}

/** How unlike two values are: nominal (equal or not) or interval (squared difference). */
export type AlphaMetric = 'nominal' | 'interval';

/**
 * Krippendorff's alpha of `units` (an item's ratings by every reviewer, null where one did not rate
 * it); units with fewer than two ratings carry no information and are left out.
 */
export function krippendorffAlpha(
  units: (string | number | null)[][],
  metric: AlphaMetric = 'nominal',
  seed = 0,
): AgreementEstimate {
  const pairable = units
    .map((unit) => unit.filter((value): value is string | number => value !== null))
    .filter((unit) => unit.length >= 2);
  const value = alphaOf(pairable, metric);
  if (value === null)
    return {
      value: null,
      interval: null,
      items: pairable.length,
      reason:
        pairable.length === 0
          ? 'no item rated by two reviewers'
          : 'every rating is the same: no variation to agree on',
    };
  return {
    value,
    interval: bootstrap(pairable, (sample) => alphaOf(sample, metric), seed),
    items: pairable.length,
  };
}

function alphaOf(units: (string | number)[][], metric: AlphaMetric): number | null {
  const distance = (a: string | number, b: string | number) =>
    metric === 'nominal' ? (a === b ? 0 : 1) : (Number(a) - Number(b)) ** 2;
  // the coincidence matrix: each unit's ordered pairs of different raters, weighted 1 / (m - 1)
  const coincidences = new Map<string | number, Map<string | number, number>>();
  for (const unit of units) {
    const weight = 1 / (unit.length - 1);
    for (let i = 0; i < unit.length; i++)
      for (let j = 0; j < unit.length; j++) {
        if (i === j) continue;
        const row = coincidences.get(unit[i]) ?? new Map<string | number, number>();
        row.set(unit[j], (row.get(unit[j]) ?? 0) + weight);
        coincidences.set(unit[i], row);
      }
  }
  const totals = new Map<string | number, number>();
  for (const [value, row] of coincidences)
    totals.set(
      value,
      [...row.values()].reduce((sum, count) => sum + count, 0),
    );
  const n = [...totals.values()].reduce((sum, count) => sum + count, 0);
  let observed = 0;
  for (const [c, row] of coincidences) for (const [k, count] of row) observed += count * distance(c, k);
  let expected = 0;
  for (const [c, nc] of totals) for (const [k, nk] of totals) expected += nc * nk * distance(c, k);
  if (n <= 1 || expected === 0) return null;
  return 1 - ((n - 1) * observed) / expected;
}

/** The 2.5th and 97.5th percentiles of `statistic` over resamples of `units` (null resamples left out). */
function bootstrap<T>(
  units: T[],
  statistic: (sample: T[]) => number | null,
  seed: number,
): [number, number] | null {
  const random = seededRandom(seed);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const sample = Array.from({ length: units.length }, () => units[Math.floor(random() * units.length)]);
    const value = statistic(sample);
    if (value !== null) values.push(value);
  }
  if (values.length < resamples / 2) return null; // too many degenerate resamples to say
  values.sort((a, b) => a - b);
  const at = (share: number) => values[Math.min(values.length - 1, Math.floor(share * values.length))];
  return [at(0.025), at(0.975)];
}
