// `promptune loop <policy.yaml>`: one iteration of a task's closed loop when its triggers hold (new
// reviewed corrections, a firing alert, a schedule): the corrections written as a dataset version, a
// re-tune on it, the offline gate, a canary experiment watched until it promotes or rolls back. Each step
// is a run; `runs show <loop run>` and the dashboard tell the story. `--dry-run` says what would happen
// and writes nothing; `--watch 10m` keeps checking; an iteration whose process died is resumed.
import { resolve } from 'node:path';
import { defineCommand, type ParsedArgs } from 'citty';
import { PermissionError, PromptuneError, unlessNotFound, ValidationError } from '../../errors/index.js';
import {
  checkLoopPolicy,
  checkLoopReady,
  earlierCandidate,
  loopRunningError,
  loopStepRunner,
  loopTriggers,
  readLoopPolicy,
  retuneMethod,
  retuneBasis,
  retuneSettings,
  runLoopIteration,
  unfinishedLoop,
  type EarlierCandidate,
  type LoopOptions,
  type LoopPolicyFile,
} from '../../jobs/index.js';
import { unknownPrimaryWarning } from '../../experiments/index.js';
import { formatDuration, parseDuration } from '../../observe/index.js';
import {
  madeFromLatestDatasetVersion,
  type Actor,
  type PromptVersion,
  type Registry,
  type RunRecord,
} from '../../registry/index.js';
import { givenOptions, refuseIgnored } from '../options.js';
import { registryOption, withRegistry } from '../registry-access.js';

const print = (text: string) => process.stdout.write(`${text}\n`);

/** A duration option above zero. */
function positiveDuration(text: string, option: string): number {
  const milliseconds = parseDuration(text, option);
  if (milliseconds <= 0)
    throw new ValidationError(`${option} is ${text}`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Give a duration above zero, e.g. 10s or 10m.',
    });
  return milliseconds;
}

/** Waits `milliseconds`; false when `signal` aborted first. */
function waitOrStop(milliseconds: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const stop = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve(true);
    }, milliseconds);
    signal.addEventListener('abort', stop, { once: true });
  });
}

/** What one check does: resume, start, or nothing. */
async function plan(registry: Registry, file: LoopPolicyFile, force: boolean) {
  checkLoopPolicy(file);
  const unfinished = await unfinishedLoop(registry, file.policy.task);
  if (!unfinished) await checkLoopReady(registry, file);
  if (unfinished?.live) throw loopRunningError(unfinished.run);
  const triggers = await loopTriggers(registry, file.policy);
  if (!triggers.triggered && force) triggers.reasons.push('forced (--force)');
  return { unfinished: unfinished?.run, triggers, start: force || triggers.triggered };
}

/**
 * The dry run: the triggers and the steps an iteration would take; `reproduces`, the latest dataset
 * version when production's version was made from it (no new data: the same settings make it again);
 * `reused`, the candidate an earlier iteration re-tuned from it with the same settings (not trained again).
 */
function describePlan(
  file: LoopPolicyFile,
  found: Awaited<ReturnType<typeof plan>>,
  serving: PromptVersion | undefined,
  reproduces: number | undefined,
  reused: EarlierCandidate | undefined,
) {
  const { policy } = file;
  const { triggers } = found;
  if (found.unfinished) {
    print(
      `would resume loop run ${found.unfinished.id} at ${found.unfinished.progress?.message ?? 'its start'}`,
    );
    return;
  }
  if (triggers.corrections)
    print(
      `corrections: ${triggers.corrections.pending} new reviewed rows in queue ${triggers.corrections.queue} (threshold ${triggers.corrections.threshold})${skippedRows(triggers.corrections)}`,
    );
  for (const alert of triggers.alerts)
    print(`alert ${alert.rule}: firing${alert.new ? '' : ' (already answered by the last iteration)'}`);
  for (const rule of triggers.unevaluated)
    print(
      `alert ${rule}: never evaluated: no service runs a rule of that name (check it against the rules file)`,
    );
  if (triggers.last)
    print(
      `last iteration: ${triggers.last.id} (${triggers.last.status}${triggers.last.outcome ? `: ${triggers.last.outcome}` : ''})`,
    );
  if (!found.start) {
    print('no trigger holds: nothing would happen');
    return;
  }
  print(`would start an iteration: ${triggers.reasons.join('; ')}`);
  const pending = triggers.corrections?.pending ?? 0;
  print(
    pending > 0
      ? `  1. write dataset version ${triggers.corrections!.base + 1} of ${policy.task} (${pending} reviewed rows on version ${triggers.corrections!.base})`
      : `  1. use the latest dataset version of ${policy.task}${
          reproduces !== undefined && serving && !reused
            ? ` (version ${reproduces}, which ${policy.task}@${serving.number} on ${policy.label} was made from: if the re-tune's settings are the ones that made @${serving.number}, it makes @${serving.number} again and the iteration ends unchanged; review more, or change the settings)`
            : ''
        }`,
  );
  const given = policy.retune.args;
  if (reused)
    print(
      `  2. re-tune: none: iteration ${reused.run} re-tuned this dataset version with the same settings into version ${reused.candidate.number}, which is reused${
        serving?.id === reused.candidate.id
          ? ` (${policy.task}@${policy.label} serves it: the iteration ends unchanged)`
          : ''
      }`,
    );
  else if (policy.retune.method === 'soft') {
    const method = retuneMethod(serving, given);
    print(`  2. re-tune: soft train ${[...method.args, ...given].join(' ')} (method: ${method.note})`);
  } else print(`  2. re-tune: optimize ${given.join(' ')}`);
  const gate = policy.gate;
  print(
    `  3. gate on ${gate.split}: candidate minus ${policy.label} at least ${gate.minimumGain}${gate.minimumScore === undefined ? '' : `, score at least ${gate.minimumScore}`}${gate.significant ? ', significant' : ''}${gate.audits.length ? `, audits ${gate.audits.join(', ')}` : ''}`,
  );
  const steps = policy.canary.schedule.map((step) => `${step.weight * 100}%`).join(' → ');
  print(
    `  4. canary on ${policy.canary.primary}: ${steps}, promote when ${policy.canary.promoteWhen === 'no-harm' ? `shown at most ${policy.canary.margin} worse` : 'better'}, timeout ${formatDuration(policy.canary.timeout)}`,
  );
}

/** Why reviewed rows add nothing, when some do not: "; 30 more already in version 1, 2 held back". */
function skippedRows(corrections: {
  base: number;
  duplicates: number;
  held: number;
  unreviewed: number;
}): string {
  const parts = [
    ...(corrections.duplicates
      ? [`${corrections.duplicates} more already in version ${corrections.base}`]
      : []),
    ...(corrections.held
      ? [`${corrections.held} held back (reviews that disagree, conflict or do not read)`]
      : []),
    ...(corrections.unreviewed ? [`${corrections.unreviewed} not yet reviewed`] : []),
  ];
  return parts.length ? `; ${parts.join(', ')}` : '';
}

/** A finished (or paused) iteration, in words. */
function describeRun(run: RunRecord) {
  const summary = run.summary ?? {};
  if (run.status === 'running' || run.status === 'interrupted')
    print(`loop run ${run.id} paused at ${run.progress?.message}; run again to resume`);
  else
    print(
      `loop run ${run.id}: ${String(summary.outcome ?? run.status)}: ${String(summary.reason ?? run.error)}`,
    );
}

/** loop's options. */
const loopArgs = {
  policy: { type: 'positional', required: true, description: 'The loop policy file (YAML or JSON)' },
  'dry-run': { type: 'boolean', default: false, description: 'Say what would happen; write nothing' },
  force: { type: 'boolean', default: false, description: 'Start an iteration even when no trigger holds' },
  watch: { type: 'string', description: 'Keep checking the triggers this often (e.g. 10m) until stopped' },
  'look-every': { type: 'string', default: '10s', description: 'Between looks at the canary' },
  json: { type: 'boolean', default: false, description: 'Print each iteration’s run as JSON' },
  db: registryOption,
  admin: {
    type: 'boolean',
    description: 'Act as admin (a canary on a protected label such as production needs it)',
  },
} as const;

/**
 * loop's options checked for their values and how they combine, before the policy is read (`job submit`
 * runs it on a job's command line too).
 */
export function checkLoopOptions(args: ParsedArgs<typeof loopArgs>, rawArgs: string[]) {
  if (args['dry-run'])
    refuseIgnored(
      givenOptions(rawArgs),
      ['watch', 'look-every'],
      'a dry run checks the triggers once and runs nothing',
      (option) => `Drop --${option}, or --dry-run.`,
    );
  return {
    lookEveryMs: positiveDuration(args['look-every'], '--look-every'),
    watchMs: args.watch === undefined ? undefined : positiveDuration(args.watch, '--watch'),
  };
}

export default defineCommand({
  meta: { name: 'loop', description: 'Run the closed loop of a task: corrections → re-tune → gate → canary' },
  args: loopArgs,
  async run({ args, rawArgs }) {
    const { lookEveryMs, watchMs } = checkLoopOptions(args, rawArgs);
    const file = readLoopPolicy(args.policy);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await withRegistry(args, async (registry, actor) => {
        const options: LoopOptions = {
          registry,
          file,
          actor,
          db: process.env.DATABASE_URL ? undefined : resolve(args.db),
          runStep: loopStepRunner(registry, {
            folder: file.folder,
            actor,
            onOutput: (text) => process.stderr.write(text),
          }),
          lookEveryMs,
          log: (line) => process.stderr.write(`${line}\n`),
          signal: controller.signal,
          // run as a job: the job lists the iteration's run (its steps' runs note themselves)
          onRun: async (run) => {
            const job = process.env.PROMPTUNE_JOB;
            if (job) await registry.jobs.noteRun(job, run.id).catch(() => undefined);
          },
        };
        await checkCanaryLabel(registry, actor, file.policy, args['dry-run']);
        // --force starts the first iteration only: a watch goes on by the triggers
        for (let force = args.force; ; force = false) {
          const iteration = async () => {
            const found = await plan(registry, file, force);
            if (!args['dry-run'] && !args.json)
              for (const rule of found.triggers.unevaluated)
                process.stderr.write(
                  `warning: alert ${rule} of the loop policy is not evaluated by any service; it cannot trigger\n`,
                );
            if (args['dry-run']) {
              if (args.json) print(JSON.stringify(found, null, 2));
              else {
                const serving = await unlessNotFound(
                  registry.resolveVersion(file.policy.task, file.policy.label),
                );
                // a soft re-tune is deterministic (a seed): the same data and settings make the same version
                // (a soft one: a hard prompt in production is not what it makes again)
                const noNewData = (found.triggers.corrections?.pending ?? 0) === 0;
                const reproduces =
                  serving?.kind === 'soft' && file.policy.retune.method === 'soft' && noNewData
                    ? await madeFromLatestDatasetVersion(registry, serving)
                    : undefined;
                describePlan(
                  file,
                  found,
                  serving,
                  reproduces,
                  noNewData ? await reusable(registry, file, serving) : undefined,
                );
                // the canary would decide on this score: a misspelt one would leave it nothing to decide on
                const warning = await unknownPrimaryWarning(
                  registry,
                  file.policy.task,
                  file.policy.canary.primary,
                );
                if (warning) process.stderr.write(`warning: ${warning}\n`);
              }
              return;
            }
            let run: RunRecord | undefined;
            if (found.unfinished) {
              process.stderr.write(`resuming loop run ${found.unfinished.id}\n`);
              run = await runLoopIteration(options, { resume: found.unfinished });
            } else if (found.start) {
              process.stderr.write(`starting an iteration: ${found.triggers.reasons.join('; ')}\n`);
              run = await runLoopIteration(options, { triggers: found.triggers });
            } else if (!watchMs) print(`no trigger holds for ${file.policy.task}: nothing to do`);
            if (run) {
              if (args.json) print(JSON.stringify(run));
              else describeRun(run);
            }
          };
          if (!watchMs || args['dry-run']) return iteration();
          // a watch outlives a failed iteration (recorded in its run) or a busy task: it says so and goes on
          await iteration().catch((error: unknown) => {
            if (!PromptuneError.isInstance(error)) throw error;
            process.stderr.write(`${new Date().toISOString()} ${error.message} (code: ${error.code})\n`);
          });
          if (controller.signal.aborted || !(await waitOrStop(watchMs, controller.signal))) return;
        }
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});

/** The candidate an iteration started now would reuse, on the latest dataset version (none new). */
async function reusable(
  registry: Registry,
  file: LoopPolicyFile,
  serving: PromptVersion | undefined,
): Promise<EarlierCandidate | undefined> {
  const latest = (await registry.datasetVersions.list(file.policy.task)).at(-1);
  const basis = await retuneBasis(file);
  const settings = retuneSettings(basis, retuneMethod(serving, file.policy.retune.args).settings);
  if (!latest || settings === undefined) return undefined;
  return earlierCandidate(registry, {
    task: file.policy.task,
    datasetVersion: latest.number,
    settings,
    current: '',
  });
}

/**
 * Refuses, before anything is written or trained, an iteration whose canary the actor could not start:
 * an experiment on a protected label (production by default) needs the admin scope. A dry run says so.
 */
async function checkCanaryLabel(
  registry: Registry,
  actor: Actor,
  policy: { task: string; label: string },
  dryRun: boolean,
): Promise<void> {
  if (actor.scopes.includes('admin') || !(await registry.labelProtected(policy.task, policy.label))) return;
  const message = `the canary on the protected label ${policy.task}@${policy.label} needs the admin scope`;
  if (dryRun) {
    process.stderr.write(`warning: ${message}: run it with --admin\n`);
    return;
  }
  throw new PermissionError(message, {
    code: 'REGISTRY_PROTECTED_LABEL',
    hint: 'Add --admin (checked before the iteration, so nothing was written or trained), or point the policy at another label.',
  });
}
