// One iteration of a task's closed loop, recorded as a run of kind `loop` whose entries are its steps:
// the trigger; the dataset version (the queue's corrections written as the next version, else the
// latest); the re-tune (soft train or optimize on that version, a run that registers the candidate);
// the gate (loop-gate.ts); the canary (loop-canary.ts); the outcome. Each step notes what it is about to
// do before doing it, and its runs are recorded under ids chosen beforehand, so an iteration whose
// process died resumes at the step it was in, with the policy it started with, reusing what finished.
// It moves no label itself: promotion is the experiment's.
import { dirname, join, resolve } from 'node:path';
import {
  ConflictError,
  NotFoundError,
  parseInput,
  PromptuneError,
  unlessNotFound,
  ValidationError,
} from '../errors/index.js';
import {
  writeDatasetVersion,
  type Actor,
  type DatasetVersion,
  type PromptVersion,
  type Registry,
  type RunRecord,
} from '../registry/index.js';
import { unknownPrimaryWarning } from '../experiments/index.js';
import { correctionsToDataset, pendingCorrections } from '../review/index.js';
import { loadTask } from '../tasks/index.js';
import { startCanary, watchCanary } from './loop-canary.js';
import { runGate } from './loop-gate.js';
import { loopPolicySchema, type LoopPolicyFile } from './loop-policy.js';
import { retuneMethod, shapeArguments } from './loop-retune.js';
import { earlierCandidate, retuneBasis, retuneSettings } from './loop-reuse.js';
import { completedRun, loopSteps, type LoopStepData } from './loop-steps.js';
import { latestLoopRun, type LoopTriggers } from './loop-triggers.js';
import type { LoopStepRunner } from './run-loop-step.js';

/** How an iteration ended. */
export type LoopOutcome =
  | 'promoted'
  | 'rolled-back'
  | 'inconclusive'
  | 'stopped'
  | 'timed-out'
  | 'gate-failed'
  | 'unchanged'
  | 'failed';

/** What an iteration needs. */
export interface LoopOptions {
  registry: Registry;
  file: LoopPolicyFile;
  actor: Actor;
  runStep: LoopStepRunner;
  /** The registry the step commands write to (`--db`); without it, theirs (DATABASE_URL or the default). */
  db?: string;
  /** Between looks at the canary (default 10 s). */
  lookEveryMs?: number;
  log?: (line: string) => void;
  /** Aborted: the iteration stops where it is and stays resumable at once. */
  signal?: AbortSignal;
  /** Told of the iteration's run when it starts or resumes (a job notes it). */
  onRun?: (run: RunRecord) => Promise<void>;
}

/** A loop run whose heartbeat is older than this has no live process (it heartbeats every 5 s). */
const abandonedAfterMs = 20_000;

/** The unfinished iteration of `task`, if any: `live` when a process is still heartbeating it. */
export async function unfinishedLoop(
  registry: Registry,
  task: string,
  now = Date.now(),
): Promise<{ run: RunRecord; live: boolean } | undefined> {
  const last = await latestLoopRun(registry, task);
  if (!last || (last.status !== 'running' && last.status !== 'interrupted')) return undefined;
  return { run: last, live: now - last.heartbeatAt < abandonedAfterMs };
}

/** The model path soft train reads, from the policy's `local:<path>`. */
function localModel(model: string): string {
  if (!model.startsWith('local:'))
    throw new ValidationError(`the policy's model ${model} is not a local model`, {
      code: 'LOOP_POLICY_INVALID',
      hint: 'Soft prompts train on the local engine: give model: local:<path or hf:org/name>.',
    });
  return model.slice('local:'.length);
}

/** Checks what a policy names before anything runs: a local model to soft-train, the spec of its task. */
export function checkLoopPolicy(file: LoopPolicyFile): void {
  const { policy } = file;
  if (policy.retune.method === 'soft') localModel(policy.model);
  const spec = loadTask(resolve(file.folder, policy.spec)).spec;
  if (spec.name !== policy.task)
    throw new ValidationError(`the policy's spec ${policy.spec} is task ${spec.name}, not ${policy.task}`, {
      code: 'LOOP_POLICY_INVALID',
      hint: 'Name the spec of the task the loop re-tunes.',
    });
}

/**
 * Checks the registry has what an iteration needs before one starts: the task, the label it compares
 * with (and may move), a dataset version or a queue to make one, and the queue the policy names
 * (NotFoundError, LOOP_NOT_READY or the registry's own code, each with what to do).
 */
export async function checkLoopReady(registry: Registry, file: LoopPolicyFile): Promise<void> {
  const { policy } = file;
  await registry.getTask(policy.task);
  if (policy.trigger.queue) {
    const queue = await registry.review.getQueue(policy.trigger.queue);
    if (queue.task !== policy.task)
      throw new ValidationError(`review queue ${queue.name} reviews task ${queue.task}, not ${policy.task}`, {
        code: 'LOOP_POLICY_INVALID',
        hint: 'Name a queue of the task the loop re-tunes.',
      });
  } else if ((await registry.datasetVersions.list(policy.task)).length === 0)
    throw new NotFoundError(`${policy.task} has no dataset version to re-tune on`, {
      code: 'LOOP_NOT_READY',
      hint: `Push the task with its data files (promptune registry push --task ${policy.spec}), which makes version 1.`,
    });
  const labels = await registry.listLabels(policy.task);
  if (!labels.some((entry) => entry.label === policy.label))
    throw new NotFoundError(`${policy.task}@${policy.label} is not set: there is nothing to gate against`, {
      code: 'LOOP_NOT_READY',
      hint: `Point the label at the serving version first: promptune registry label ${policy.task} ${policy.label} <version> --admin`,
    });
}

/** LOOP_RUNNING: another process is running `run`. */
export const loopRunningError = (run: RunRecord) =>
  new ConflictError(`loop run ${run.id} of ${run.task} is running`, {
    code: 'LOOP_RUNNING',
    hint: `One iteration at a time: follow it with promptune runs show ${run.id}.`,
  });

/**
 * The run an iteration goes on in: a new one (refused while another of the task is live), or an
 * abandoned one taken over with the policy it started with. The check and the write are one
 * transaction holding the task's loop lock, so of two processes starting at once one starts and the
 * other sees it (SQLite's write transactions run one at a time; Postgres's read-committed ones would
 * both see no live run without the lock).
 */
export async function claimRun(
  options: LoopOptions,
  start: { triggers: LoopTriggers } | { resume: RunRecord },
): Promise<{ run: RunRecord; file: LoopPolicyFile }> {
  const { registry, file } = options;
  return registry.transaction(async (target) => {
    await target.lock(`loop:${file.policy.task}`);
    const unfinished = await unfinishedLoop(target, file.policy.task);
    if (unfinished?.live) throw loopRunningError(unfinished.run);
    if (!('resume' in start)) {
      const run = await target.runs.start({
        kind: 'loop',
        task: file.policy.task,
        config: { policyFile: file.path, policy: file.policy, trigger: start.triggers },
        actor: options.actor.name,
        progress: { done: 0, total: loopSteps.length, message: 'trigger' },
      });
      return { run, file };
    }
    if (unfinished?.run.id !== start.resume.id)
      throw new ValidationError(`loop run ${start.resume.id} is not the task's unfinished iteration`, {
        code: 'LOOP_NOT_RESUMABLE',
        hint: 'Only the latest iteration of a task, abandoned, is resumed.',
      });
    await target.runs.heartbeat(start.resume.id);
    const path = String(start.resume.config.policyFile);
    const policy = parseInput(loopPolicySchema, start.resume.config.policy, {
      where: `loop run ${start.resume.id}'s policy`,
      code: 'LOOP_POLICY_INVALID',
      hint: 'The stored iteration is damaged: stop following it and start a new one (--force).',
    });
    return { run: start.resume, file: { path, folder: dirname(path), policy } };
  });
}

/** Starts an iteration for `triggers`, or resumes `resume` (an abandoned one), and runs it to its end. */
export async function runLoopIteration(
  options: LoopOptions,
  start: { triggers: LoopTriggers } | { resume: RunRecord },
): Promise<RunRecord> {
  const { registry, actor } = options;
  checkLoopPolicy(options.file);
  if (options.signal?.aborted)
    throw new ValidationError('the loop was stopped before its iteration began', {
      code: 'LOOP_STOPPED',
      hint: 'Run promptune loop again.',
    });
  if (!('resume' in start)) await checkLoopReady(registry, options.file);
  const claimed = await claimRun(options, start);
  const { run, file } = claimed;
  const policy = file.policy;
  const log = options.log ?? (() => undefined);
  if ('resume' in start && JSON.stringify(policy) !== JSON.stringify(options.file.policy))
    log(`resuming ${run.id} with the policy it started with (${file.path} has changed since)`);
  await options.onRun?.(run);
  const steps: (LoopStepData | undefined)[] = [];
  for (const entry of await registry.runs.allEntries(run.id, 'step'))
    steps[entry.position] = entry.data as LoopStepData;
  const record = async (data: LoopStepData) => {
    const position = loopSteps.indexOf(data.step);
    steps[position] = data;
    await registry.runs.append(run.id, [{ kind: 'step', position, score: null, passed: null, data }]);
    await registry.runs.progress(run.id, {
      done: position + (data.done ? 1 : 0),
      total: loopSteps.length,
      message: data.step,
    });
  };
  const ending = { options, run, record, steps };
  // an iteration that died between noting its outcome and finishing its run
  const noted = steps[5];
  if (noted) return finish(ending, noted.outcome as LoopOutcome, String(noted.reason));
  let beating: Promise<void> = Promise.resolve();
  const heartbeat = setInterval(() => {
    beating = registry.runs.heartbeat(run.id).catch(() => undefined);
  }, 5_000);
  const folder = join('.promptune', 'loop', run.id);
  const step = async (args: string[], runId: string) => {
    log(`$ promptune ${args.join(' ')}`);
    const result = await options.runStep([...args, ...(options.db ? ['--db', options.db] : [])], {
      runId,
      loop: run.id,
      signal: options.signal,
    });
    if (options.signal?.aborted) throw new LoopPaused();
    const recorded = await registry.runs.get(runId).catch(() => undefined);
    if (!result.ok || recorded?.status !== 'completed')
      throw new ValidationError(`the step "promptune ${args.slice(0, 2).join(' ')}" failed`, {
        code: 'LOOP_STEP_FAILED',
        hint: `Its output ended with:\n${result.output.trim().split('\n').slice(-8).join('\n')}`,
      });
    return recorded;
  };
  try {
    if (!steps[0]) await record({ step: 'trigger', done: true, ...(run.config.trigger as object) });
    // the dataset: the queue's corrections as the next version, else the latest version
    let dataset = steps[1];
    if (!dataset?.done) {
      const version = await datasetVersion(registry, file, actor);
      dataset = {
        step: 'dataset',
        done: true,
        version: version.number,
        parent: version.parent,
        source: version.source,
        details: version.details,
        folder: join(folder, 'data'),
      };
      await record(dataset);
    }
    const data = String(dataset.folder);
    await writeDatasetVersion(
      registry,
      await registry.datasetVersions.get(policy.task, Number(dataset.version)),
      join(file.folder, data),
    );
    const retune = steps[2]?.done
      ? steps[2]
      : await retuneStep({
          registry,
          file,
          loop: run.id,
          folder,
          data,
          datasetVersion: Number(dataset.version),
          previous: steps[2],
          record,
          step,
          log,
        });
    const candidate = retune.candidate as { id: string; number: number };
    // the re-tune reproduced what the label serves (the same data and settings give the same version):
    // nothing to gate or canary, and nothing failed
    if (!steps[3]) {
      const serving = await unlessNotFound(registry.resolveVersion(policy.task, policy.label));
      if (serving?.id === candidate.id)
        return await finish(
          ending,
          'unchanged',
          retune.reusedFrom
            ? `no new data: iteration ${String(retune.reusedFrom)} re-tuned dataset version ${String(dataset.version)} with these settings into version ${candidate.number}, which ${policy.task}@${policy.label} already serves`
            : `the re-tune gave version ${candidate.number}, which ${policy.task}@${policy.label} already serves`,
        );
    }
    const gated = steps[3]; // decided before this process: said by the one that decided it
    const gate = gated?.done
      ? gated
      : await runGate({ registry, policy, run, folder: data, candidate, previous: steps[3], record, step });
    const scores = gate.scores as { candidate: number; production: number } | undefined;
    if (scores && !gated?.done)
      log(
        `gate: version ${candidate.number} ${scores.candidate.toFixed(3)} against ${policy.label}'s ${scores.production.toFixed(3)} on ${policy.gate.split}: ${gate.passed ? 'passed' : 'refused'}`,
      );
    if (!gate.passed) return await finish(ending, 'gate-failed', 'the gate refused the candidate');
    // the canary: an experiment of the candidate against production, looked at until it ends
    const production = gate.production as { id: string; number: number };
    let experimentId = steps[4]?.experiment as string | undefined;
    if (!experimentId) {
      // noted before it starts: a resumed iteration looks for the experiment it may have started
      if (!steps[4]) {
        const serving = await registry.resolveVersion(policy.task, policy.label);
        if (serving.id !== production.id)
          return await finish(
            ending,
            'failed',
            `${policy.task}@${policy.label} moved to version ${serving.number} while the loop ran; the gate compared version ${production.number}`,
          );
        await record({ step: 'canary', done: false });
      }
      const experiment = await startCanary(registry, { loop: run, policy, actor, candidate, production });
      experimentId = experiment.id;
      await record({ step: 'canary', done: false, experiment: experiment.id });
      log(`canary: experiment ${experiment.id} at ${experiment.weight * 100}% of traffic`);
      const warning = await unknownPrimaryWarning(registry, policy.task, policy.canary.primary);
      if (warning) log(`warning: ${warning}`);
    }
    const ended = await watchCanary(registry, experimentId, {
      actor,
      timeout: policy.canary.timeout,
      everyMs: options.lookEveryMs ?? 10_000,
      signal: options.signal,
      log,
      onLook: (experiment) =>
        registry.runs
          .progress(run.id, {
            done: loopSteps.indexOf('canary'),
            total: loopSteps.length,
            message: `canary: experiment ${experiment.id} at ${Math.round(experiment.weight * 1000) / 10}% of traffic`,
          })
          .catch(() => undefined),
    });
    if (!ended) throw new LoopPaused();
    await record({ step: 'canary', done: true, experiment: experimentId, status: ended.status });
    const outcomes: Record<string, LoopOutcome> = {
      promoted: 'promoted',
      'rolled-back': 'rolled-back',
      inconclusive: 'inconclusive',
      stopped: ended.timedOut ? 'timed-out' : 'stopped',
    };
    return await finish(ending, outcomes[ended.status] ?? 'failed', ended.reason);
  } catch (error) {
    if (error instanceof LoopPaused) {
      // resumable at once: the run reads as abandoned (after any heartbeat still on its way)
      clearInterval(heartbeat);
      await beating;
      await registry.runs.heartbeat(run.id, 0).catch(() => undefined);
      return registry.runs.get(run.id);
    }
    const message = error instanceof Error ? error.message : String(error);
    const hint = PromptuneError.isInstance(error) && error.hint ? ` (${error.hint})` : '';
    await finish(ending, 'failed', `${message}${hint}`).catch(() => undefined);
    throw error;
  } finally {
    clearInterval(heartbeat);
  }
}

/** Thrown when the iteration is aborted: it stops where it is, resumable. */
class LoopPaused extends Error {}

/** The dataset version the re-tune reads: the queue's corrections written now, else the latest. */
async function datasetVersion(
  registry: Registry,
  file: LoopPolicyFile,
  actor: Actor,
): Promise<DatasetVersion> {
  const queue = file.policy.trigger.queue;
  if (queue) {
    const pending = await pendingCorrections(registry, queue, { actor: actor.name });
    if (Object.values(pending.added).some((rows) => rows > 0))
      return (await correctionsToDataset(registry, queue, { actor: actor.name })).version;
  }
  return registry.datasetVersions.get(file.policy.task);
}

/** The re-tune: soft train or optimize on the dataset's folder, reusing an attempt that finished. */
async function retuneStep(input: {
  registry: Registry;
  file: LoopPolicyFile;
  loop: string;
  folder: string;
  data: string;
  /** The dataset version `data` holds. */
  datasetVersion: number;
  previous: LoopStepData | undefined;
  record: (data: LoopStepData) => Promise<void>;
  step: (args: string[], runId: string) => Promise<RunRecord>;
  log: (line: string) => void;
}): Promise<LoopStepData> {
  const { registry, file, folder, data, previous } = input;
  const policy = file.policy;
  // a training that finished before its iteration died is not run again
  const finished = await completedRun(registry, previous?.run);
  const reused = finished?.version ? finished : undefined;
  const attempt = Number(previous?.attempt ?? 0) + (reused ? 0 : 1);
  let trained = reused;
  // the settings asked for and their basis (hashes), kept from the attempt that started the training
  let asked = previous?.asked as string | undefined;
  let basis = previous?.basis as string | undefined;
  if (!trained) {
    // a soft re-tune trains the method the label serves (a LoRA stays a LoRA) unless the policy names one
    // an unset label re-tunes with the default method; any other failure is the iteration's
    const production = await unlessNotFound(registry.resolveVersion(policy.task, policy.label));
    const method = retuneMethod(production, policy.retune.args);
    // what the dry run says, said by the iteration too; loudly when production's method is not kept
    if (policy.retune.method === 'soft')
      input.log(`${method.differs ? 'warning: ' : ''}re-tune method: ${method.note}`);
    basis = await retuneBasis(file);
    asked = retuneSettings(basis, method.settings);
    const earlier =
      asked === undefined
        ? undefined
        : await earlierCandidate(registry, {
            task: policy.task,
            datasetVersion: input.datasetVersion,
            settings: asked,
            current: input.loop,
          });
    if (earlier) {
      input.log(
        `re-tune: iteration ${earlier.run} re-tuned dataset version ${input.datasetVersion} with these settings into version ${earlier.candidate.number}: reused, not trained again`,
      );
      const retune: LoopStepData = {
        step: 'retune',
        done: true,
        attempt,
        method: policy.retune.method,
        asked,
        basis,
        settings: findableBy(file, { asked, basis }, earlier.version),
        reusedFrom: earlier.run,
        candidate: earlier.candidate,
      };
      await input.record(retune);
      return retune;
    }
    const runId = `${input.loop}.retune.${attempt}`;
    await input.record({
      step: 'retune',
      done: false,
      attempt,
      run: runId,
      ...(asked && { asked }),
      ...(basis && { basis }),
    });
    const args =
      policy.retune.method === 'soft'
        ? [
            ...[
              'soft',
              'train',
              '--model',
              localModel(policy.model),
              '--data',
              data,
              '--baseline',
              policy.spec,
              // the candidate re-tunes what the label serves: its lineage says so
              ...(production ? ['--parent', production.id] : []),
            ],
            ...method.args,
          ]
        : ['optimize', '--task', policy.spec, '--model', policy.model, '--data', data];
    const out = policy.retune.method === 'soft' ? join(folder, 'adapter') : join(folder, 'prompt.json');
    trained = await input.step([...args, '--out', out, '--push', ...policy.retune.args], runId);
  }
  if (!trained.version)
    throw new ValidationError(`the re-tune (run ${trained.id}) registered no version`, {
      code: 'LOOP_STEP_FAILED',
      hint: 'Check that the command pushes its result (the loop adds --push).',
    });
  const candidate = await registry.resolveVersion(policy.task, trained.version);
  const settings = findableBy(file, { asked, basis }, candidate);
  const retune: LoopStepData = {
    step: 'retune',
    done: true,
    attempt,
    method: policy.retune.method,
    run: trained.id,
    job: trained.config.job,
    ...(asked && { asked }),
    ...(basis && { basis }),
    ...(settings.length > 0 && { settings }),
    candidate: { id: candidate.id, number: candidate.number },
  };
  await input.record(retune);
  return retune;
}

/**
 * The settings a later iteration may ask for and find a candidate by: those this one asked for, and the
 * same basis with the method and shape the candidate has (which a re-tune like it asks for, once it
 * serves). A training recorded before bases were (no basis) is findable by what it asked for.
 */
function findableBy(
  file: LoopPolicyFile,
  { asked, basis }: { asked: string | undefined; basis: string | undefined },
  candidate: PromptVersion,
): string[] {
  const own = retuneSettings(basis, shapeArguments(candidate, file.policy.retune.args));
  return [...new Set([asked, own])].filter((hash) => hash !== undefined);
}

/** Notes the outcome and finishes the run (completed; `failed` also marks the run failed). */
async function finish(
  ending: {
    options: LoopOptions;
    run: RunRecord;
    record: (data: LoopStepData) => Promise<void>;
    steps: (LoopStepData | undefined)[];
  },
  outcome: LoopOutcome,
  reason: string,
): Promise<RunRecord> {
  const { options, run, steps } = ending;
  if (!steps[5]) await ending.record({ step: 'outcome', done: true, outcome, reason });
  options.log?.(`outcome: ${outcome}: ${reason}`);
  const [, dataset, retune, gate, canary] = steps;
  const candidate = retune?.candidate as { id: string } | undefined;
  // the splits of the dataset version it trained and gated on: the run's datasets, as other runs record theirs
  const datasetVersion =
    dataset?.version === undefined
      ? undefined
      : await unlessNotFound(options.registry.datasetVersions.get(run.task, Number(dataset.version)));
  return options.registry.runs.finish(run.id, {
    status: outcome === 'failed' ? 'failed' : 'completed',
    summary: {
      outcome,
      reason,
      dataset: dataset?.version,
      candidate: retune?.candidate,
      production: gate?.production,
      gate: gate?.passed,
      difference: (gate?.comparison as { difference?: number } | undefined)?.difference,
      experiment: canary?.experiment,
    },
    ...(outcome === 'failed' && { error: reason }),
    ...(candidate && { version: candidate.id }),
    ...(datasetVersion && { datasets: Object.values(datasetVersion.splits) }),
  });
}
