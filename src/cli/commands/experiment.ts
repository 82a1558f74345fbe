// `promptune experiment`: start an experiment (a canary of a version against what a label serves),
// see where it stands (the arms, the treatment's share, the always-valid test and its latest steps),
// list experiments, stop one, or look at one now (the service looks on its own every few seconds; a
// look here is for when no service runs, or to see a step at once).
import { defineCommand } from 'citty';
import {
  assessExperiment,
  guardrailMetrics,
  lookAtExperiment,
  promotionRules,
  startExperiment,
  stopExperiment,
  unknownPrimaryWarning,
  type ExperimentConfigInput,
  type GuardrailMetric,
  type LookStatistics,
  type TestSummary,
} from '../../experiments/index.js';
import { formatDuration, parseDuration } from '../../observe/index.js';
import {
  experimentStatuses,
  versionMethod,
  type ExperimentEvent,
  type ExperimentRecord,
  type PromptVersion,
  type Registry,
} from '../../registry/index.js';
import { choice, numberOption, repeatedOption } from '../options.js';
import { isoSeconds as time } from '../iso-seconds.js';
import { registryOption, withRegistry } from '../registry-access.js';
import { unlessNotFound, ValidationError } from '../../errors/index.js';
import { whySpecNotServed } from '../../serve/index.js';
import { textColumns } from '../text-columns.js';
import { versionNumbers, versionText } from '../version-numbers.js';

const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;
const bound = (value: number | null, infinite: string) => (value === null ? infinite : value.toFixed(4));
const print = (text: string) => process.stdout.write(`${text}\n`);

/** `1,5,25,50` (percent) into schedule steps held `duration` and `requests` each. */
function scheduleOption(text: string, duration: number, requests: number) {
  const weights = text.split(',').map((part) => Number(part.trim()) / 100);
  const rising = weights.every((weight, index) => index === 0 || weight > weights[index - 1]);
  if (weights.length === 0 || weights.some((weight) => !(weight > 0 && weight < 1)) || !rising)
    throw new ValidationError(`--schedule is "${text}"`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Give the treatment’s percentages rising, each above 0 and below 100 (100% is the promotion), e.g. 1,5,25,50.',
    });
  return weights.map((weight) => ({ weight, minimumDurationMs: duration, minimumRequests: requests }));
}

/** `latency=0.5` options (repeatable, or comma-separated) as each guardrail's margin. */
function guardrailMarginsOption(values: string[]): Partial<Record<GuardrailMetric, number>> {
  const margins: Partial<Record<GuardrailMetric, number>> = {};
  for (const part of values.flatMap((value) => value.split(','))) {
    const [name, amount] = part.split('=');
    if (amount === undefined)
      throw new ValidationError(`--guardrail-margin part "${part}"`, {
        code: 'CLI_INVALID_OPTION',
        hint: `Write guardrail=amount, e.g. latency=0.5 (guardrails: ${guardrailMetrics.join(', ')}).`,
      });
    margins[choice('guardrail-margin', name.trim(), guardrailMetrics)] = numberOption(
      'guardrail-margin',
      amount,
      {
        min: 0,
      },
    )!;
  }
  return margins;
}

/** A guardrail is higher-is-worse: the test's "treatment-better" (higher) is the treatment worse. */
const guardrailDecisions: Record<string, string> = {
  'treatment-better': 'higher in the treatment: worse',
  'treatment-worse': 'lower in the treatment: better',
};

/**
 * A test's line; an unbounded interval says why: too few observations in an arm for `minimum`, or
 * none that vary yet (an error rate of 0 in both arms bounds nothing).
 */
function testLine(
  name: string,
  test: TestSummary,
  counts: [number, number],
  minimum: number,
  guardrail = false,
): string {
  const decision = (guardrail && guardrailDecisions[test.decision]) || test.decision;
  const why = Number.isFinite(test.interval[0])
    ? ''
    : Math.min(...counts) < minimum
      ? ` (each arm needs ${minimum} observations: ${counts[0]} and ${counts[1]} so far)`
      : ' (no spread yet: every observation alike, so nothing bounds the difference)';
  return `  ${name.padEnd(16)} difference ${test.difference >= 0 ? '+' : ''}${test.difference.toFixed(4)}  interval [${bound(test.interval[0], '-∞')}, ${bound(test.interval[1], '∞')}]  p ${test.pValue.toFixed(4)}  ${decision}${why}`;
}

/** Prints an experiment, the statistics a look would decide on now, and its last events. */
async function printStatus(registry: Registry, experiment: ExperimentRecord, events: ExperimentEvent[]) {
  // its two versions only (a task's every version, content and all, had been read for them)
  const versions = new Map<string, PromptVersion>();
  for (const id of [experiment.control, experiment.treatment]) {
    const version = await unlessNotFound(registry.resolveVersion(experiment.task, id));
    if (version) versions.set(id, version);
  }
  const name = (id: string) => `version ${versions.get(id)?.number ?? id.slice(0, 8)}`;
  // each arm's method beside its number: a LoRA against a soft prompt is said as such
  const named = (id: string) => {
    const version = versions.get(id);
    return version ? `${name(id)} (${versionMethod(version)})` : name(id);
  };
  print(`${experiment.id}  ${experiment.task}@${experiment.label}  ${experiment.status}`);
  print(
    `  ${named(experiment.treatment)}, the treatment, against ${named(experiment.control)}, the control: treatment at ${percent(experiment.weight)}`,
  );
  // why it started (the experiment's own reason is its latest step's)
  const started = events.find((event) => event.action === 'start')?.reason ?? experiment.reason;
  print(`  started ${time(experiment.createdAt)} by ${experiment.actor}; ${started}`);
  let statistics: LookStatistics | undefined;
  if (experiment.status === 'running') {
    const assessed = await assessExperiment(registry, experiment);
    statistics = assessed.statistics;
    print(`  now: ${assessed.decision.action} (${assessed.decision.reason})`);
  } else
    statistics = [...events].reverse().find((event) => event.statistics)?.statistics as
      LookStatistics | undefined;
  if (statistics) {
    print(`  arms (primary ${String(experiment.config.primary)}):`);
    for (const arm of ['control', 'treatment'] as const) {
      const entry = statistics.arms[arm];
      const guardrails = Object.entries(entry.guardrails)
        .map(([metric, value]) => `${metric} ${value.n ? value.mean.toFixed(4) : '–'}`)
        .join('  ');
      // this step's requests and users (the step's minimum counts the first, the sample-ratio check the second)
      const step =
        entry.stepRequests === undefined
          ? ''
          : ` (this step ${entry.stepRequests} from ${entry.stepUnits} users)`;
      print(
        `    ${arm.padEnd(10)} ${name(entry.version).padEnd(12)} ${String(entry.requests).padStart(7)} requests${step}  primary ${entry.primary.n ? entry.primary.mean.toFixed(4) : '–'} (n=${entry.primary.n})  ${guardrails}`,
      );
    }
    print('  always-valid tests (mSPRT):');
    const { control, treatment } = statistics.arms;
    const minimum = Number(experiment.config.minimumPerArm ?? 100);
    print(testLine('primary', statistics.primary, [control.primary.n, treatment.primary.n], minimum));
    for (const [metric, test] of Object.entries(statistics.guardrails)) {
      const counts: [number, number] = [
        control.guardrails[metric]?.n ?? 0,
        treatment.guardrails[metric]?.n ?? 0,
      ];
      print(testLine(metric, test, counts, minimum, true));
    }
    print(
      `  sample ratio of this step's users: chi-square ${statistics.sampleRatio.chiSquare.toFixed(2)}, p ${statistics.sampleRatio.pValue.toFixed(4)}${statistics.sampleRatio.mismatch ? '  MISMATCH (below 0.001: the split cannot be trusted)' : ' (a mismatch is p below 0.001)'}`,
    );
  }
  const steps = events.filter((event) => event.action !== 'hold').slice(-10);
  if (steps.length) print('  steps:');
  for (const event of steps)
    print(
      `    ${time(event.at)}  ${event.action.padEnd(9)} ${percent(event.weight).padStart(6)}  ${event.reason}`,
    );
}

const start = defineCommand({
  meta: { name: 'start', description: 'Start a canary of a version against what a label serves' },
  args: {
    task: { type: 'positional', required: true, description: 'The task' },
    treatment: {
      type: 'string',
      required: true,
      description: 'The version under test (number, id or label)',
    },
    primary: {
      type: 'string',
      required: true,
      description: 'The score whose mean decides (feedback, an online evaluator or review score name)',
    },
    label: { type: 'string', default: 'production', description: 'The label whose traffic is split' },
    guardrail: {
      type: 'string',
      description: `A guardrail (repeatable): ${guardrailMetrics.join(', ')} (default: all)`,
    },
    'guardrail-margin': {
      type: 'string',
      description:
        'How much worse a guardrail may be before it rolls back (repeatable): latency=0.5 (seconds), errors=0.01 (default 0)',
    },
    schedule: {
      type: 'string',
      default: '1,5,25,50',
      description: 'The treatment’s share at each step, in percent',
    },
    'step-duration': { type: 'string', default: '1h', description: 'The least time each step is held' },
    'step-requests': { type: 'string', default: '100', description: 'Treatment requests each step needs' },
    'promote-when': {
      type: 'string',
      default: 'better',
      description: 'better: only a significantly better primary promotes; no-harm: also a completed schedule',
    },
    margin: {
      type: 'string',
      default: '0.05',
      description: 'With no-harm: how much lower the primary may be (on its scale) and still promote',
    },
    alpha: { type: 'string', default: '0.05', description: 'The error rate held at every look' },
    'minimum-per-arm': {
      type: 'string',
      default: '100',
      description: 'Observations per arm before any decision',
    },
    reason: { type: 'string', description: 'Why (kept in the label history)' },
    db: registryOption,
    admin: { type: 'boolean', description: 'Act as admin (needed for a protected label such as production)' },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args, rawArgs }) =>
    withRegistry(args, async (registry, actor) => {
      const guardrails = repeatedOption(rawArgs, 'guardrail').flatMap((value) => value.split(','));
      const config: ExperimentConfigInput = {
        primary: args.primary,
        ...(guardrails.length && {
          guardrails: guardrails.map((value) => choice('guardrail', value.trim(), guardrailMetrics)),
        }),
        schedule: scheduleOption(
          args.schedule,
          parseDuration(args['step-duration'], '--step-duration'),
          numberOption('step-requests', args['step-requests'], { integer: true, min: 0 })!,
        ),
        promoteWhen: choice('promote-when', args['promote-when'], promotionRules),
        guardrailMargins: guardrailMarginsOption(repeatedOption(rawArgs, 'guardrail-margin')),
        margin: numberOption('margin', args.margin, { min: 0 }),
        alpha: numberOption('alpha', args.alpha, { min: 0.0001, max: 0.49 }),
        minimumPerArm: numberOption('minimum-per-arm', args['minimum-per-arm'], { integer: true, min: 1 }),
      };
      const experiment = await startExperiment(registry, {
        task: args.task,
        treatment: args.treatment,
        label: args.label,
        config,
        actor,
        reason: args.reason,
        // what no service serves (a custom validator); a service checks the rest (a judge, a tokenizer
        // for inputs bounded in tokens)
        whyNotServed: (_version, spec) => whySpecNotServed(spec, { judge: true, countsInputTokens: true }),
      });
      const warning = await unknownPrimaryWarning(registry, args.task, args.primary);
      if (warning) process.stderr.write(`warning: ${warning}\n`);
      if (args.json) return print(JSON.stringify(experiment, null, 2));
      const steps = (experiment.config.schedule as { weight: number }[]).map((step) => percent(step.weight));
      print(`started ${experiment.id}: ${experiment.reason}`);
      const end =
        experiment.config.promoteWhen === 'no-harm'
          ? `promotion once no guardrail is worse and ${args.primary} is shown at most ${experiment.config.margin} lower`
          : `promotion once ${args.primary} is significantly better`;
      print(
        `  schedule ${steps.join(' → ')}, then ${end}; each step at least ${formatDuration(parseDuration(args['step-duration']))}; the service looks every 10s`,
      );
      print(`  see it with: promptune experiment status ${experiment.id}`);
    }),
});

const status = defineCommand({
  meta: { name: 'status', description: 'Where an experiment stands (or the running ones of a task)' },
  args: {
    experiment: { type: 'positional', required: true, description: 'An experiment id, or a task' },
    db: registryOption,
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const experiments = args.experiment.startsWith('exp-')
        ? [await registry.experiments.get(args.experiment)]
        : await registry.experiments.list({ task: args.experiment, limit: 1 });
      if (experiments.length === 0) {
        await registry.getTask(args.experiment); // a task that is not there is an error, not "no experiments"
        return print(`task ${args.experiment} has no experiments (start one: promptune experiment start)`);
      }
      const experiment = experiments[0];
      const events = await registry.experiments.events(experiment.id);
      if (args.json) {
        const now =
          experiment.status === 'running'
            ? (await assessExperiment(registry, experiment)).statistics
            : undefined;
        return print(JSON.stringify({ experiment, events, now }, null, 2));
      }
      await printStatus(registry, experiment, events);
    }),
});

const list = defineCommand({
  meta: { name: 'ls', description: 'Experiments, newest first' },
  args: {
    task: { type: 'string', description: 'Only this task’s' },
    status: {
      type: 'string',
      description: 'Only those in this status (running, promoted, rolled-back, ...)',
    },
    db: registryOption,
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const experiments = await registry.experiments.list({
        task: args.task,
        status: args.status ? choice('status', args.status, experimentStatuses) : undefined,
      });
      if (args.json) return print(JSON.stringify(experiments, null, 2));
      const numbers = await versionNumbers(
        registry,
        experiments.map((experiment) => experiment.task),
      );
      if (experiments.length === 0)
        print('no experiments (start one: promptune experiment start <task> ...)');
      else
        process.stdout.write(
          textColumns([
            ['id', 'task@label', 'versions', 'status', 'treatment', 'started', 'reason'],
            ...experiments.map((experiment) => [
              experiment.id,
              `${experiment.task}@${experiment.label}`,
              // which versions it compared: after a few iterations the label alone does not say
              `${versionText(experiment.treatment, numbers)} vs ${versionText(experiment.control, numbers)}`,
              experiment.status,
              percent(experiment.weight),
              time(experiment.createdAt),
              experiment.reason,
            ]),
          ]),
        );
    }),
});

const stop = defineCommand({
  meta: { name: 'stop', description: 'Stop an experiment: all traffic back to the control' },
  args: {
    experiment: { type: 'positional', required: true, description: 'The experiment id' },
    reason: { type: 'string', description: 'Why (kept in the label history)' },
    db: registryOption,
    admin: { type: 'boolean', description: 'Act as admin (needed for a protected label)' },
    json: { type: 'boolean', description: 'Print the stopped experiment as JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry, actor) => {
      const stopped = await stopExperiment(registry, args.experiment, { actor, reason: args.reason });
      if (args.json) return print(JSON.stringify(stopped, null, 2));
      print(`stopped ${stopped.id}: ${stopped.reason}`);
    }),
});

const look = defineCommand({
  meta: { name: 'look', description: 'Look at a running experiment now and apply its step' },
  args: {
    experiment: { type: 'positional', required: true, description: 'The experiment id' },
    db: registryOption,
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const result = await lookAtExperiment(registry, args.experiment);
      if (args.json) return print(JSON.stringify(result, null, 2));
      print(`${result.experiment.id}: ${result.action} (${result.reason})`);
      print(`  ${result.experiment.status}, treatment at ${percent(result.experiment.weight)}`);
    }),
});

export default defineCommand({
  meta: { name: 'experiment', description: 'Canary experiments: start, status, ls, stop, look' },
  subCommands: { start, status, ls: list, stop, look },
});
