// A canary rollout's next step, decided from the arms' running metrics: the treatment's share of
// traffic climbs a schedule (for example 1% → 5% → 25% → 50%, and 100% is the promotion), each step
// held for a minimum time and number of treatment requests. Guardrail metrics (error rate, check
// failures, latency; higher is worse) and the primary metric (higher is better) are watched with the
// always-valid sequential test at every look: a guardrail significantly worse, or the primary
// significantly worse, rolls back at once; the primary significantly better promotes. When the schedule
// completes, `promoteWhen: 'no-harm'` promotes (a canary of a version already gated offline) once the
// always-valid confidence sequence shows the primary's difference above minus `margin` (non-inferiority:
// "not significantly worse" alone would promote any treatment on too little data), while `'better'` (the
// default) keeps the last step until the primary metric decides; either concludes with nothing promoted
// when `maximumObservations` is reached first. A sample-ratio mismatch within the current step holds the rollout, since its numbers cannot
// be trusted.
import { sampleRatioCheck, type SampleRatio } from './sample-ratio.js';
import {
  observationsToClear,
  sequentialTest,
  type Moments,
  type SequentialOptions,
  type SequentialResult,
} from './sequential-test.js';

/** One step of the schedule. */
export interface CanaryStep {
  /** The treatment's share of traffic, 0–1. */
  weight: number;
  minimumDurationMs: number;
  /** Treatment requests this step needs before the next. */
  minimumRequests: number;
}

/** 1% → 5% → 25% → 50% (then 100% by promotion), each held an hour and 100 treatment requests. */
export const defaultSchedule: CanaryStep[] = [0.01, 0.05, 0.25, 0.5].map((weight) => ({
  weight,
  minimumDurationMs: 3_600_000,
  minimumRequests: 100,
}));

/** One arm's metrics: the primary (higher is better) and each guardrail (higher is worse). */
export interface ArmMetrics {
  primary: Moments;
  guardrails: Record<string, Moments>;
}

/** Where a rollout stands between looks. */
export interface CanaryState {
  step: number;
  stepStartedAt: number;
  /** Units (users, else keys) each arm received since the step started (for the sample-ratio check). */
  stepCounts: { control: number; treatment: number };
  /** Requests each arm received since the step started (the step's minimum counts the treatment's). */
  stepRequests?: { control: number; treatment: number };
  /** The always-valid p-values so far (they only decrease). */
  pValues: { primary: number; guardrails: Record<string, number> };
}

/** How a rollout is decided. */
export interface CanaryOptions extends SequentialOptions {
  schedule?: CanaryStep[];
  /** `better` (default): promote only on a significantly better primary; `no-harm`: also when the schedule completes. */
  promoteWhen?: 'better' | 'no-harm';
  /** Primary observations (both arms) after which a completed schedule concludes (default 20,000). */
  maximumObservations?: number;
  /**
   * With `no-harm`: how much lower the treatment's primary mean may be (on its scale) for a completed
   * schedule to promote (default 0.05).
   */
  margin?: number;
  /** The mixture's standard deviation for each guardrail, on its own scale (default: `mixture`). */
  guardrailMixtures?: Record<string, number>;
  /** How much higher each guardrail may be before it rolls back (default 0: any significant rise). */
  guardrailMargins?: Record<string, number>;
}

/** What to do now, and the statistics that justify it. */
export interface CanaryDecision {
  /** `conclude`: the schedule completed and the primary never decided; nothing is promoted. */
  action: 'hold' | 'advance' | 'promote' | 'rollback' | 'conclude';
  reason: string;
  state: CanaryState;
  primary: SequentialResult;
  guardrails: Record<string, SequentialResult>;
  sampleRatio: SampleRatio;
}

/** A duration in minutes (seconds under one), for a hold's reason. */
function minutes(milliseconds: number): string {
  return milliseconds < 60_000
    ? `${Math.floor(milliseconds / 1000)} s`
    : `${Math.floor(milliseconds / 60_000)} min`;
}

/** A rollout at its first step. */
export function startCanary(now: number): CanaryState {
  return {
    step: 0,
    stepStartedAt: now,
    stepCounts: { control: 0, treatment: 0 },
    pValues: { primary: 1, guardrails: {} },
  };
}

/** The decision at `now` from the arms' metrics since the rollout began. */
export function canaryDecision(
  state: CanaryState,
  control: ArmMetrics,
  treatment: ArmMetrics,
  now: number,
  options: CanaryOptions = {},
): CanaryDecision {
  const schedule = options.schedule ?? defaultSchedule;
  const step = schedule[Math.min(state.step, schedule.length - 1)];
  const guardrails: Record<string, SequentialResult> = {};
  for (const [name, moments] of Object.entries(treatment.guardrails)) {
    const base = control.guardrails[name];
    if (!base) continue;
    guardrails[name] = sequentialTest(base, moments, state.pValues.guardrails[name] ?? 1, {
      ...options,
      mixture: options.guardrailMixtures?.[name] ?? options.mixture,
    });
  }
  const primary = sequentialTest(control.primary, treatment.primary, state.pValues.primary, options);
  const sampleRatio = sampleRatioCheck(
    [state.stepCounts.control, state.stepCounts.treatment],
    [1 - step.weight, step.weight],
  );
  const next: CanaryState = {
    ...state,
    pValues: {
      primary: primary.pValue,
      guardrails: Object.fromEntries(
        Object.entries(guardrails).map(([name, result]) => [name, result.pValue]),
      ),
    },
  };
  const decide = (action: CanaryDecision['action'], reason: string, state = next): CanaryDecision => ({
    action,
    reason,
    state,
    primary,
    guardrails,
    sampleRatio,
  });
  // a guardrail's "treatment-better" is its metric higher in the treatment: worse; with a margin, worse
  // by more than it (the difference's lower bound above it)
  const margin = (name: string) => options.guardrailMargins?.[name] ?? 0;
  const broken = Object.entries(guardrails).find(
    ([name, result]) =>
      result.decision === 'treatment-better' && (margin(name) === 0 || result.interval[0] > margin(name)),
  );
  if (broken)
    return decide(
      'rollback',
      `guardrail ${broken[0]} is higher in the treatment by ${broken[1].difference.toFixed(4)} (always-valid p ${broken[1].pValue.toFixed(4)}${margin(broken[0]) ? `; more than its margin ${margin(broken[0])}` : `; a guardrail margin tolerates a rise: guardrailMargins, --guardrail-margin ${broken[0]}=<how much>`})`,
    );
  if (primary.decision === 'treatment-worse')
    return decide(
      'rollback',
      `the primary metric is lower by ${(-primary.difference).toFixed(4)} (p ${primary.pValue.toFixed(4)})`,
    );
  if (sampleRatio.mismatch)
    return decide(
      'hold',
      `sample ratio mismatch in step ${state.step + 1} (p ${sampleRatio.pValue.toExponential(2)})`,
    );
  if (primary.decision === 'treatment-better')
    return decide(
      'promote',
      `the primary metric is higher by ${primary.difference.toFixed(4)} (p ${primary.pValue.toFixed(4)})`,
    );
  const elapsed = now - state.stepStartedAt;
  const requests = state.stepRequests?.treatment ?? state.stepCounts.treatment;
  if (elapsed < step.minimumDurationMs || requests < step.minimumRequests)
    return decide(
      'hold',
      `step ${state.step + 1} (${step.weight * 100}%) has not met its minimums: ${minutes(elapsed)} of ${minutes(step.minimumDurationMs)}, ${requests} of ${step.minimumRequests} treatment requests`,
    );
  if (state.step + 1 >= schedule.length)
    return completedSchedule(primary, control, treatment, step.weight, options, decide);
  return decide(
    'advance',
    `step ${state.step + 1} met its minimums with no guardrail or primary metric worse`,
    {
      ...next,
      step: state.step + 1,
      stepStartedAt: now,
      stepCounts: { control: 0, treatment: 0 },
      // counted afresh by whoever looks next (without them, the units count as requests)
      stepRequests: undefined,
    },
  );
}

/**
 * The decision once every step met its minimums: promote on no harm shown within the margin (with
 * `no-harm`), else hold until the primary decides or `maximumObservations`, then conclude.
 */
function completedSchedule(
  primary: SequentialResult,
  control: ArmMetrics,
  treatment: ArmMetrics,
  /** The treatment's share of traffic now (the last step's). */
  weight: number,
  options: CanaryOptions,
  decide: (action: CanaryDecision['action'], reason: string) => CanaryDecision,
): CanaryDecision {
  const observed = control.primary.n + treatment.primary.n;
  const maximum = options.maximumObservations ?? 20_000;
  const counted = `${observed} of at most ${maximum} observations`;
  if (options.promoteWhen !== 'no-harm')
    return observed >= maximum
      ? decide('conclude', `no difference in the primary metric after ${observed} observations`)
      : decide('hold', `the schedule completed; the primary metric has not decided (${counted})`);
  // "no harm" is a finding only where the primary could have shown one: an arm with too few of its
  // scores (a metric nobody records, a name misspelt) holds instead of promoting on nothing
  const minimum = options.minimumPerArm ?? 100;
  if (control.primary.n < minimum || treatment.primary.n < minimum)
    return decide(
      'hold',
      `the schedule completed, but the primary metric has ${control.primary.n} control and ${treatment.primary.n} treatment observations (${minimum} each needed to judge it no worse)`,
    );
  // and "not significantly worse" is not "no worse": the difference's lower bound must clear the margin
  const margin = options.margin ?? 0.05;
  const lowest = primary.interval[0];
  const bound = Number.isFinite(lowest)
    ? `its difference may be as low as ${lowest.toFixed(4)}`
    : 'its scores do not vary yet, so its difference has no bound';
  if (lowest > -margin)
    return decide(
      'promote',
      `the schedule completed with no guardrail worse and the primary metric's difference at least ${lowest.toFixed(4)}, within the margin of ${margin}`,
    );
  return observed >= maximum
    ? decide(
        'conclude',
        `the primary metric was not shown within ${margin} of the control's after ${observed} observations (${bound})`,
      )
    : decide(
        'hold',
        `the schedule completed; the primary metric is not yet shown within ${margin} of the control's: ${bound} (${counted})${stillNeeded(control.primary, treatment.primary, margin, maximum - observed, weight, options)}`,
      );
}

/**
 * What a no-harm hold is waiting for, as an estimate at the difference and variance seen so far and
 * the current split: about how many more observations it needs, or that more would not do (the
 * difference itself is below −margin, or more than `remaining` are needed).
 */
function stillNeeded(
  control: Moments,
  treatment: Moments,
  margin: number,
  remaining: number,
  treatmentShare: number,
  options: CanaryOptions,
): string {
  const difference = treatment.mean - control.mean;
  if (difference <= -margin)
    return `; its difference itself, ${difference.toFixed(4)}, is below −${margin}: more observations would not clear it unless it rises`;
  const more = observationsToClear(control, treatment, -margin, treatmentShare, options);
  if (more === undefined) return '';
  const split = `at ${treatmentShare * 100}% to the treatment`;
  if (more > remaining)
    return `; at this difference and spread it needs about ${more} more observations (${split}), more than the ${remaining} left before it concludes`;
  return `; at this difference and spread, about ${more} more observations (${split})`;
}
