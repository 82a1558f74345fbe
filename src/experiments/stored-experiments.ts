// Experiments kept in the registry: starting one on a label (control: the version the label serves;
// treatment: the version under test), looking at one (the arms' metrics read from the service's traces
// and scores, the canary's decision, and its step applied: the treatment's share changed, the label
// moved on promotion with the statistics in its history, or the experiment ended), and stopping one by
// hand. A look decided on an old revision is not applied, so replicas may all look.
import {
  ConflictError,
  nearestName,
  NotFoundError,
  parseInput,
  PermissionError,
  QualityGateError,
  ValidationError,
} from '../errors/index.js';
import type {
  Actor,
  ArmSums,
  ExperimentRecord,
  ExperimentStatus,
  MetricSums,
  PromptVersion,
  Registry,
} from '../registry/index.js';
import type { TaskSpec } from '../tasks/index.js';
import {
  canaryDecision,
  startCanary,
  type ArmMetrics,
  type CanaryDecision,
  type CanaryState,
} from './canary.js';
import {
  experimentConfigSchema,
  newConfigProblem,
  type ExperimentConfig,
  type ExperimentConfigInput,
} from './experiment-config.js';
import type { Moments, SequentialResult } from './sequential-test.js';

/** Moments of a metric from its sums. */
export function momentsOf(sums: MetricSums): Moments {
  if (sums.n === 0) return { n: 0, mean: 0, squares: 0 };
  const mean = sums.sum / sums.n;
  return { n: sums.n, mean, squares: Math.max(0, sums.sumOfSquares - sums.n * mean * mean) };
}

/** A stored experiment's configuration, read through the schema. */
export function experimentConfig(experiment: ExperimentRecord): ExperimentConfig {
  return parseInput(experimentConfigSchema, experiment.config, {
    where: `experiment ${experiment.id}'s configuration`,
    code: 'EXPERIMENT_BAD_CONFIG',
    hint: 'The stored experiment is damaged; stop it and start a new one.',
  });
}

/** How many of a task's latest scores the primary's name is looked for in (a bounded read). */
const scoresLookedAt = 5000;

/**
 * What to say when none of `task`'s latest 5,000 scores is named `primary` and no score config defines
 * it: an experiment deciding on it has nothing to decide on until such scores arrive, and the name is
 * often misspelt (the nearest name among those scores is suggested). Undefined when the name is known,
 * or when the registry cannot tell: the warning is advice, never a reason for a start to fail.
 */
export async function unknownPrimaryWarning(
  registry: Registry,
  task: string,
  primary: string,
): Promise<string | undefined> {
  try {
    if (await registry.scores.getConfig(primary)) return undefined;
    const latest = await registry.scores.list({ task, limit: scoresLookedAt });
    const names = [...new Set(latest.map((score) => score.name))].sort();
    if (names.includes(primary)) return undefined;
    const nearest = nearestName(primary, names);
    const known = nearest
      ? `; did you mean ${nearest}?`
      : names.length
        ? ` (its scores: ${names.join(', ')})`
        : ' (it has none yet)';
    return `no score named ${primary} among ${task}'s latest scores, and no score config defines it: the primary metric has nothing to decide on until feedback of that name arrives${known}`;
  } catch {
    return undefined;
  }
}

/** Starts an experiment of `treatment` against what `label` (default production) serves now. */
export async function startExperiment(
  registry: Registry,
  input: {
    task: string;
    /** The version under test: a number, an id prefix or a label. */
    treatment: string;
    label?: string;
    config: ExperimentConfigInput;
    actor: Actor;
    reason?: string;
    /**
     * Why the treatment cannot be served (its spec's guards, its base model), or undefined: the service
     * that starts it knows its own backends. A treatment no service could serve is refused either way.
     */
    whyNotServed?: (version: PromptVersion, spec: TaskSpec) => string | undefined;
  },
): Promise<ExperimentRecord> {
  const label = input.label ?? 'production';
  const config = parseInput(experimentConfigSchema, input.config, {
    where: 'the experiment',
    code: 'EXPERIMENT_BAD_CONFIG',
    hint: 'Name the primary score; shares rise from step to step, each in (0, 1); durations and counts are whole and non-negative.',
  });
  const problem = newConfigProblem(config);
  if (problem)
    throw new ValidationError(`the experiment: ${problem}`, {
      code: 'EXPERIMENT_BAD_CONFIG',
      hint: 'Give the treatment rising shares below 1, e.g. 0.01, 0.05, 0.25, 0.5 (the promotion takes it to 1).',
    });
  await registry.getTask(input.task); // an unknown task is that, not a label that is not set
  const scored = await registry.scores.getConfig(config.primary);
  if (scored?.kind === 'categorical')
    throw new ValidationError(
      `the primary score ${config.primary} is categorical: it has no mean to compare`,
      {
        code: 'EXPERIMENT_BAD_CONFIG',
        hint: 'Compare on a numeric or boolean score (helpful, a rating); a category can be a guard or a review rubric.',
      },
    );
  // one transaction: the control is what the label serves when the experiment is stored
  return registry.transaction(async (target) => {
    const labels = await target.listLabels(input.task);
    const current = labels.find((entry) => entry.label === label);
    if (!current)
      throw new NotFoundError(`${input.task}@${label} is not set, so there is no control to compare with`, {
        code: 'EXPERIMENT_NO_CONTROL',
        hint: `Point the label at the serving version first: promptune registry label ${input.task} ${label} <version>`,
      });
    // promotion moves the label: whoever could not move it cannot start what will
    if (current.protected && !input.actor.scopes.includes('admin'))
      throw new PermissionError(
        `an experiment on the protected label ${input.task}@${label} needs the admin scope`,
        { code: 'REGISTRY_PROTECTED_LABEL', hint: 'Use an admin key (or --admin on the command line).' },
      );
    const control = await target.resolveVersion(input.task, current.version);
    const treatment = await target.resolveVersion(input.task, input.treatment);
    if (treatment.id === control.id)
      throw new ValidationError(`${input.task}@${label} already serves version ${treatment.number}`, {
        code: 'EXPERIMENT_SAME_VERSION',
        hint: 'Name another version to test against what the label serves.',
      });
    const unserved = input.whyNotServed?.(treatment, await target.getSpec(treatment.specId));
    if (unserved)
      throw new ConflictError(`${input.task}@${treatment.number} cannot be served: ${unserved}`, {
        code: 'EXPERIMENT_TREATMENT_NOT_SERVED',
        hint: 'Its share of the traffic would get errors; push a version the service can serve and test that.',
      });
    return target.experiments.create({
      task: input.task,
      label,
      control: control.id,
      treatment: treatment.id,
      weight: config.schedule[0].weight,
      config: config as unknown as Record<string, unknown>,
      state: startCanary(Date.now()) as unknown as Record<string, unknown>,
      actor: input.actor.name,
      reason:
        input.reason ?? `version ${treatment.number} against version ${control.number} on ${config.primary}`,
    });
  });
}

/** An arm as the statistics tell it (what lands in events and the label's history). */
export interface ArmSummary {
  version: string;
  requests: number;
  stepRequests: number;
  stepUnits: number;
  primary: { n: number; mean: number };
  guardrails: Record<string, { n: number; mean: number }>;
}

/** The statistics a look decided on. */
export interface LookStatistics {
  [key: string]: unknown;
  arms: { control: ArmSummary; treatment: ArmSummary };
  primary: TestSummary;
  guardrails: Record<string, TestSummary>;
  sampleRatio: { chiSquare: number; pValue: number; mismatch: boolean };
  step: number;
}

/** A sequential test's result with infinite bounds as null (JSON has no infinity). */
export interface TestSummary {
  difference: number;
  pValue: number;
  interval: [number | null, number | null];
  decision: SequentialResult['decision'];
}

const finite = (value: number) => (Number.isFinite(value) ? value : null);
const testSummary = (result: SequentialResult): TestSummary => ({
  difference: result.difference,
  pValue: result.pValue,
  interval: [finite(result.interval[0]), finite(result.interval[1])],
  decision: result.decision,
});

/** One arm's metrics for the canary, and its summary. */
function armMetrics(sums: ArmSums, config: ExperimentConfig): ArmMetrics {
  const sources = { errors: sums.errors, 'check-failures': sums.checkFailures, latency: sums.latency };
  return {
    primary: momentsOf(sums.primary),
    guardrails: Object.fromEntries(config.guardrails.map((name) => [name, momentsOf(sources[name])])),
  };
}

function armSummary(version: string, sums: ArmSums, metrics: ArmMetrics): ArmSummary {
  return {
    version,
    requests: sums.requests,
    stepRequests: sums.stepRequests,
    stepUnits: sums.stepUnits,
    primary: { n: metrics.primary.n, mean: metrics.primary.mean },
    guardrails: Object.fromEntries(
      Object.entries(metrics.guardrails).map(([name, moments]) => [
        name,
        { n: moments.n, mean: moments.mean },
      ]),
    ),
  };
}

/**
 * The error codes of a version the service cannot serve: its guards, its constraint, its adapter's
 * weights or shapes, a backend it needs. The service's state, not the caller's request (409 over HTTP).
 */
export const unservableVersionCodes = [
  'GUARD_CUSTOM_NOT_SERVED',
  'GUARD_NO_TOKENIZER',
  'GUARD_OPTIONS',
  'REGISTRY_VERSION_UNSERVABLE',
  'ADAPTER_WRONG_MODEL',
  'ADAPTER_SHAPE',
  'SERVE_NO_ENGINE',
  'SERVE_NO_MODEL',
  'CONSTRAINT_NEEDS_LOCAL_MODEL',
  'CONSTRAINT_UNSUPPORTED',
];

/**
 * The error codes of answers a version failed to give, counted as errors beside any 5xx: an output
 * guard's refusal, an output the task cannot read, a version the service cannot serve. The service
 * produces them; the list is here because the statistics are read here, by the CLI as by the service.
 * Not counted: a caller's bad request, and an input guard's refusal (the input's doing, refused alike
 * in either arm).
 */
export const versionFailureCodes = ['GUARD_OUTPUT_REFUSED', 'OUTPUT_INVALID', ...unservableVersionCodes];

/** Statistics and the decision for an experiment now, without applying anything. */
export async function assessExperiment(
  registry: Registry,
  experiment: ExperimentRecord,
  now = Date.now(),
): Promise<{ decision: CanaryDecision; statistics: LookStatistics; config: ExperimentConfig }> {
  const config = experimentConfig(experiment);
  const state = experiment.state as unknown as CanaryState;
  const sums = await registry.experiments.measure({
    task: experiment.task,
    label: experiment.label,
    versions: [experiment.control, experiment.treatment],
    since: experiment.createdAt,
    stepSince: state.stepStartedAt,
    primary: config.primary,
    errorCodes: versionFailureCodes,
  });
  const control = armMetrics(sums[experiment.control], config);
  const treatment = armMetrics(sums[experiment.treatment], config);
  const counted: CanaryState = {
    ...state,
    stepCounts: {
      control: sums[experiment.control].stepUnits,
      treatment: sums[experiment.treatment].stepUnits,
    },
    stepRequests: {
      control: sums[experiment.control].stepRequests,
      treatment: sums[experiment.treatment].stepRequests,
    },
  };
  const decision = canaryDecision(counted, control, treatment, now, config);
  const statistics: LookStatistics = {
    arms: {
      control: armSummary(experiment.control, sums[experiment.control], control),
      treatment: armSummary(experiment.treatment, sums[experiment.treatment], treatment),
    },
    primary: testSummary(decision.primary),
    guardrails: Object.fromEntries(
      Object.entries(decision.guardrails).map(([name, result]) => [name, testSummary(result)]),
    ),
    sampleRatio: decision.sampleRatio,
    step: state.step,
  };
  return { decision, statistics, config };
}

/** What a look did. */
export interface LookResult {
  experiment: ExperimentRecord;
  /** `stop`: the treatment won, but the label's audit policy refused it. */
  action: CanaryDecision['action'] | 'stop' | 'none';
  reason: string;
  statistics?: LookStatistics;
  /** False for a hold not stored (held looks are stored at most every holdRecordMs). */
  recorded: boolean;
}

const endings: Partial<Record<CanaryDecision['action'], ExperimentStatus>> = {
  promote: 'promoted',
  rollback: 'rolled-back',
  conclude: 'inconclusive',
};

/**
 * Looks at a running experiment and applies its decision: a held look is stored when holdRecordMs has
 * passed since the last write; an advance changes the treatment's share; a promotion moves the label to
 * the treatment (through the task's audit policy; a refusal stops the experiment); a rollback or a
 * conclusion ends it with the label where it was. EXPERIMENT_CHANGED when another look got there first.
 */
export async function lookAtExperiment(
  registry: Registry,
  id: string,
  now = Date.now(),
): Promise<LookResult> {
  const experiment = await registry.experiments.get(id);
  if (experiment.status !== 'running')
    return { experiment, action: 'none', reason: experiment.reason, recorded: false };
  const { decision, statistics, config } = await assessExperiment(registry, experiment, now);
  const change = {
    revision: experiment.revision,
    action: decision.action,
    reason: decision.reason,
    state: decision.state as unknown as Record<string, unknown>,
    statistics,
    actor: `experiment:${experiment.id}`,
  };
  if (decision.action === 'hold') {
    if (now - experiment.updatedAt < config.holdRecordMs)
      return { experiment, action: 'hold', reason: decision.reason, statistics, recorded: false };
    const held = await registry.experiments.apply(id, { ...change, weight: experiment.weight });
    return { experiment: held, action: 'hold', reason: decision.reason, statistics, recorded: true };
  }
  if (decision.action === 'advance') {
    const weight = config.schedule[decision.state.step].weight;
    const advanced = await registry.experiments.apply(id, { ...change, weight });
    return { experiment: advanced, action: 'advance', reason: decision.reason, statistics, recorded: true };
  }
  if (decision.action !== 'promote') {
    const ended = await registry.experiments.apply(id, {
      ...change,
      weight: 0,
      status: endings[decision.action],
    });
    return {
      experiment: ended,
      action: decision.action,
      reason: decision.reason,
      statistics,
      recorded: true,
    };
  }
  try {
    const promoted = await registry.transaction(async (target) => {
      const record = await target.experiments.apply(id, { ...change, weight: 1, status: 'promoted' });
      await target.setLabel({
        task: experiment.task,
        label: experiment.label,
        reference: experiment.treatment,
        // the starter had the scope to move this label (startExperiment checked)
        actor: { name: `experiment:${experiment.id}`, scopes: ['read', 'run', 'admin'] },
        reason: `experiment ${experiment.id} promoted the treatment: ${decision.reason}`,
        details: { experiment: experiment.id, action: 'promote', ...statistics },
        experiment: experiment.id,
      });
      return record;
    });
    return { experiment: promoted, action: 'promote', reason: decision.reason, statistics, recorded: true };
  } catch (error) {
    if (!QualityGateError.isInstance(error)) throw error;
    const reason = `the treatment won (${decision.reason}) but the label's audit policy refused it: ${error.message}`;
    const stopped = await registry.experiments.apply(id, {
      ...change,
      action: 'stop',
      reason,
      weight: 0,
      status: 'stopped',
    });
    return { experiment: stopped, action: 'stop', reason, statistics, recorded: true };
  }
}

/** Stops a running experiment by hand: all traffic back to the control, the label where it was. */
export async function stopExperiment(
  registry: Registry,
  id: string,
  input: { actor: Actor; reason?: string },
): Promise<ExperimentRecord> {
  // a look may land between the read and the write: read again and stop what it is now
  for (let attempt = 0; ; attempt++) {
    const experiment = await registry.experiments.get(id);
    if (experiment.status !== 'running')
      throw new ConflictError(`experiment ${id} is already ${experiment.status}: ${experiment.reason}`, {
        code: 'EXPERIMENT_FINISHED',
        hint: 'Nothing to stop.',
      });
    const labels = await registry.listLabels(experiment.task);
    const label = labels.find((entry) => entry.label === experiment.label);
    if (label?.protected && !input.actor.scopes.includes('admin'))
      throw new PermissionError(
        `stopping an experiment on ${experiment.task}@${experiment.label} needs the admin scope`,
        { code: 'REGISTRY_PROTECTED_LABEL', hint: 'Use an admin key (or --admin on the command line).' },
      );
    // the arms as they stood when it stopped, kept with the event (a stopped experiment's page reads
    // them); a stop is the way out, so one that cannot measure stops without them
    const statistics = await assessExperiment(registry, experiment).then(
      (assessed) => assessed.statistics,
      () => undefined,
    );
    try {
      return await registry.experiments.apply(id, {
        revision: experiment.revision,
        action: 'stop',
        reason: input.reason ?? `stopped by ${input.actor.name}`,
        weight: 0,
        state: experiment.state,
        status: 'stopped',
        statistics,
        actor: input.actor.name,
      });
    } catch (error) {
      if (attempt >= 4 || !ConflictError.isInstance(error) || error.code !== 'EXPERIMENT_CHANGED')
        throw error;
    }
  }
}
