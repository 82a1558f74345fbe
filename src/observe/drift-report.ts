// Drift between a reference and a current sample of a task's traffic, feature by feature: input length
// in characters and words (and tokens where both sides have them), the output distribution when outputs
// are labels, input embeddings (maximum mean discrepancy) when an embedder is given, and scores.
// Evidently's tests and thresholds are the defaults, except that categories are compared with the
// two-sample chi-squared test: Evidently's goodness of fit treats the reference's shares as exact and,
// at similar sizes, raises 20-30% false alarms. Tests share alpha by Bonferroni, so the report's false
// alarm rate stays at or below alpha. Pure: samples in, report out.
import { ValidationError } from '../errors/index.js';
import {
  categoricalDrift,
  embeddingDrift,
  numericDrift,
  type FeatureDriftResult,
  type Vector,
} from './drift/index.js';

/** What was seen on one side: input texts, outputs, and optionally token counts and scores. */
export interface DriftObservations {
  inputs: string[];
  /** Outputs (model answers for traffic, targets for a dataset); null where there was none. */
  outputs: (string | null)[];
  /** Input token counts, where this side has them. */
  inputTokens?: number[];
  /** Score values by name (booleans as 1/0). */
  scores?: Record<string, number[]>;
}

/** How drift is tested. */
export interface DriftOptions {
  /** The family-wise false alarm rate (default 0.05). */
  alpha?: number;
  /** Compare output distributions (labels: a task whose outputs are categories). */
  categoricalOutputs?: boolean;
  /** Turns texts into vectors (e.g. the local engine's mean-pooled hidden states). */
  embed?: (texts: string[]) => Promise<Vector[]>;
  /** Most texts per side embedded (default 300, sampled with `rng`). */
  maximumEmbedded?: number;
  /** Fewest observations per side for a feature to be tested (default 20). */
  minimumCount?: number;
  rng?: () => number;
}

/** One feature's result. */
export interface FeatureDrift extends FeatureDriftResult {
  feature: string;
  /** Reference and current means (numeric) or shares of the top categories. */
  summary: Record<string, unknown>;
}

/** The drift report. */
export interface DriftReport {
  alpha: number;
  /** alpha divided among the features tested with a p-value (Bonferroni). */
  correctedAlpha: number;
  drifted: boolean;
  /** The features that moved. */
  moved: string[];
  features: FeatureDrift[];
  /** Features not tested, and why. */
  skipped: { feature: string; reason: string }[];
  referenceCount: number;
  currentCount: number;
}

const words = (text: string) => (text.trim() ? text.trim().split(/\s+/).length : 0);
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

function topShares(values: string[], count = 5): Record<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return Object.fromEntries(
    [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([value, seen]) => [value, Math.round((seen / values.length) * 1000) / 1000]),
  );
}

function sample<T>(values: T[], size: number, rng: () => number): T[] {
  if (values.length <= size) return values;
  const copy = [...values];
  for (let index = 0; index < size; index++) {
    const pick = index + Math.floor(rng() * (copy.length - index));
    [copy[index], copy[pick]] = [copy[pick], copy[index]];
  }
  return copy.slice(0, size);
}

type Planned =
  | { feature: string; kind: 'numeric'; reference: number[]; current: number[] }
  | { feature: string; kind: 'categorical'; reference: string[]; current: string[] }
  | { feature: string; kind: 'embedding'; reference: string[]; current: string[] };

/** Tests every feature both sides have; returns which moved. */
export async function driftReport(
  reference: DriftObservations,
  current: DriftObservations,
  options: DriftOptions = {},
): Promise<DriftReport> {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1))
    throw new ValidationError(`alpha ${alpha} is not between 0 and 1`, {
      code: 'DRIFT_INVALID_OPTION',
      hint: 'Use e.g. 0.05.',
    });
  const minimum = options.minimumCount ?? 20;
  const rng = options.rng ?? Math.random;
  const planned: Planned[] = [
    {
      feature: 'input_characters',
      kind: 'numeric',
      reference: reference.inputs.map((text) => text.length),
      current: current.inputs.map((text) => text.length),
    },
    {
      feature: 'input_words',
      kind: 'numeric',
      reference: reference.inputs.map(words),
      current: current.inputs.map(words),
    },
  ];
  if (reference.inputTokens && current.inputTokens)
    planned.push({
      feature: 'input_tokens',
      kind: 'numeric',
      reference: reference.inputTokens,
      current: current.inputTokens,
    });
  const skippedAtStart: DriftReport['skipped'] = [];
  if (!reference.inputTokens !== !current.inputTokens)
    skippedAtStart.push({
      feature: 'input_tokens',
      reason: 'only one side has token counts (a dataset has none; compare with a window for tokens)',
    });
  if (options.categoricalOutputs) {
    const present = (outputs: (string | null)[]) =>
      outputs.filter((output): output is string => output !== null).map((output) => output.trim());
    planned.push({
      feature: 'output',
      kind: 'categorical',
      reference: present(reference.outputs),
      current: present(current.outputs),
    });
  }
  if (options.embed)
    planned.push({
      feature: 'input_embedding',
      kind: 'embedding',
      reference: reference.inputs,
      current: current.inputs,
    });
  for (const [name, values] of Object.entries(reference.scores ?? {}))
    if (current.scores?.[name])
      planned.push({
        feature: `score:${name}`,
        kind: 'numeric',
        reference: values,
        current: current.scores[name],
      });

  const skipped: DriftReport['skipped'] = skippedAtStart;
  const testable = planned.filter((plan) => {
    const enough = plan.reference.length >= minimum && plan.current.length >= minimum;
    if (!enough)
      skipped.push({
        feature: plan.feature,
        reason: `fewer than ${minimum} observations (${plan.reference.length} reference, ${plan.current.length} current)`,
      });
    return enough;
  });
  // distances (large references) have their own thresholds; alpha is shared among p-value tests only,
  // which is every feature when the reference holds 1,000 rows or fewer
  const correctedAlpha = alpha / Math.max(1, testable.length);
  const features: FeatureDrift[] = [];
  for (const plan of testable) {
    if (plan.kind === 'numeric') {
      // few distinct values (star ratings, 0/1 scores) are compared as categories, two-sample as below
      const distinct = new Set([...plan.reference, ...plan.current]).size;
      const small = plan.reference.length <= 1000;
      const result = numericDrift(
        plan.reference,
        plan.current,
        small
          ? {
              threshold: correctedAlpha,
              ...(distinct > 2 && distinct <= 5 ? { test: 'chi-squared-homogeneity' as const } : {}),
            }
          : {},
      );
      features.push({
        feature: plan.feature,
        ...result,
        summary: { referenceMean: mean(plan.reference), currentMean: mean(plan.current) },
      });
    } else if (plan.kind === 'categorical') {
      const categories = new Set([...plan.reference, ...plan.current]).size;
      const small = plan.reference.length <= 1000;
      const result = categoricalDrift(
        plan.reference,
        plan.current,
        small
          ? {
              threshold: correctedAlpha,
              ...(categories > 2 ? { test: 'chi-squared-homogeneity' as const } : {}),
            }
          : {},
      );
      features.push({
        feature: plan.feature,
        ...result,
        summary: { reference: topShares(plan.reference), current: topShares(plan.current) },
      });
    } else {
      const size = options.maximumEmbedded ?? 300;
      const referenceVectors = await options.embed!(sample(plan.reference, size, rng));
      const currentVectors = await options.embed!(sample(plan.current, size, rng));
      const result = embeddingDrift(referenceVectors, currentVectors, { rng, threshold: correctedAlpha });
      features.push({
        feature: plan.feature,
        ...result,
        summary: { embedded: [referenceVectors.length, currentVectors.length] },
      });
    }
  }
  const moved = features.filter((feature) => feature.drifted).map((feature) => feature.feature);
  return {
    alpha,
    correctedAlpha,
    drifted: moved.length > 0,
    moved,
    features,
    skipped,
    referenceCount: reference.inputs.length,
    currentCount: current.inputs.length,
  };
}
