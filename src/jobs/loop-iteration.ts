// One iteration of a task's closed loop, recorded as a run of kind `loop` whose entries are its steps:
// the trigger; the dataset version (the queue's corrections written as the next version, else the
// latest); the re-tune (soft train or optimize on that version, a run that registers the candidate);
// the gate (candidate and production evaluated on the same split, audits, gateDecision); the canary (an
// experiment of the candidate against production, looked at until it ends); the outcome. Each step's
// runs are recorded under ids the loop chose before starting them, so an iteration whose process died
// resumes at the step it was in, reusing what finished. It moves no label itself: promotion is the
// experiment's.
import { join } from 'node:path';
import { ConflictError, PromptuneError, ValidationError } from '../errors/index.js';
import { lookAtExperiment, startExperiment, stopExperiment } from '../experiments/index.js';
import {
  writeDatasetVersion,
  type Actor,
  type DatasetVersion,
  type Registry,
  type RunRecord,
} from '../registry/index.js';
import { correctionsToDataset, pendingCorrections } from '../review/index.js';
import { gateDecision, type GateResult } from './loop-gate.js';
import type { LoopPolicyFile } from './loop-policy.js';
import { latestLoopRun, type LoopTriggers } from './loop-triggers.js';
import type { LoopStepRunner } from './run-loop-step.js';

/** How an iteration ended. */
export type LoopOutcome =
  'promoted' | 'rolled-back' | 'inconclusive' | 'stopped' | 'timed-out' | 'gate-failed' | 'failed';

/** The steps of an iteration, in order (an entry's position is its step's index). */
export const loopSteps = ['trigger', 'dataset', 'retune', 'gate', 'canary', 'outcome'] as const;

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
  /** Aborted: the iteration stops where it is and stays resumable. */
  signal?: AbortSignal;
  /** Told of the iteration's run when it starts or resumes (a job notes it). */
  onRun?: (run: RunRecord) => Promise<void>;
}

/** A loop run whose heartbeat is older than this has no live process (it heartbeats every 5 s). */
const abandonedAfterMs = 20_000;

type StepData = Record<string, unknown> & { step: (typeof loopSteps)[number]; done: boolean };

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

/** Starts an iteration for `triggers`, or resumes `resume` (an abandoned one), and runs it to its end. */
export async function runLoopIteration(
  options: LoopOptions,
  start: { triggers: LoopTriggers } | { resume: RunRecord },
): Promise<RunRecord> {
  const { registry, file, actor } = options;
  const policy = file.policy;
  if (policy.retune.method === 'soft') localModel(policy.model);
  const log = options.log ?? (() => undefined);
  const run =
    'resume' in start
      ? start.resume
      : await registry.runs.start({
          kind: 'loop',
          task: policy.task,
          config: { policyFile: file.path, policy, trigger: start.triggers },
          actor: actor.name,
          progress: { done: 0, total: loopSteps.length, message: 'trigger' },
        });
  await options.onRun?.(run);
  const steps: StepData[] = (await registry.runs.allEntries(run.id, 'step')).map(
    (entry) => entry.data as StepData,
  );
  const record = async (data: StepData) => {
    const position = loopSteps.indexOf(data.step);
    steps[position] = data;
    await registry.runs.append(run.id, [{ kind: 'step', position, score: null, passed: null, data }]);
    await registry.runs.progress(run.id, {
      done: position + (data.done ? 1 : 0),
      total: loopSteps.length,
      message: data.step,
    });
  };
  const heartbeat = setInterval(() => void registry.runs.heartbeat(run.id).catch(() => undefined), 5_000);
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
  const attempt = (data: StepData | undefined) => Number(data?.attempt ?? 0) + 1;
  try {
    if (!steps[0]) await record({ step: 'trigger', done: true, ...(run.config.trigger as object) });
    // the dataset: the queue's corrections as the next version, else the latest version
    let dataset = steps[1];
    if (!dataset?.done) {
      const version = await datasetVersion(options);
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
    // the re-tune registers the candidate
    let retune = steps[2];
    if (!retune?.done) {
      const runId = `${run.id}.retune.${attempt(retune)}`;
      await record({ step: 'retune', done: false, attempt: attempt(retune), run: runId });
      const args =
        policy.retune.method === 'soft'
          ? ['soft', 'train', '--model', localModel(policy.model), '--data', data, '--baseline', policy.spec]
          : ['optimize', '--task', policy.spec, '--model', policy.model, '--data', data];
      const out =
        policy.retune.method === 'soft'
          ? ['--out', join(folder, 'adapter')]
          : ['--out', join(folder, 'prompt.json')];
      const trained = await step([...args, ...out, '--push', ...policy.retune.args], runId);
      if (!trained.version)
        throw new ValidationError(`the re-tune (run ${runId}) registered no version`, {
          code: 'LOOP_STEP_FAILED',
          hint: 'Check that the command pushes its result (the loop adds --push).',
        });
      const candidate = await registry.resolveVersion(policy.task, trained.version);
      retune = {
        step: 'retune',
        done: true,
        attempt: attempt(retune),
        method: policy.retune.method,
        run: runId,
        candidate: { id: candidate.id, number: candidate.number },
      };
      await record(retune);
    }
    const candidate = retune.candidate as { id: string; number: number };
    // the gate: both versions on the same split, the candidate's audits
    let gate = steps[3];
    if (!gate?.done)
      gate = await runGate(options, { run, folder: data, candidate, previous: gate, record, step });
    if (!gate.passed)
      return await finish(options, run, record, 'gate-failed', 'the gate refused the candidate');
    // the canary: an experiment of the candidate against production, looked at until it ends
    const production = gate.production as { id: string; number: number };
    let canary = steps[4];
    if (!canary) {
      const serving = await registry.resolveVersion(policy.task, policy.label);
      if (serving.id !== production.id)
        return await finish(
          options,
          run,
          record,
          'failed',
          `${policy.task}@${policy.label} moved to version ${serving.number} while the loop ran; the gate compared version ${production.number}`,
        );
      const { timeout, ...config } = policy.canary;
      void timeout;
      const experiment = await startExperiment(registry, {
        task: policy.task,
        treatment: candidate.id,
        label: policy.label,
        config,
        actor,
        reason: `loop ${run.id}: version ${candidate.number} against version ${production.number} on ${config.primary}`,
      });
      canary = { step: 'canary', done: false, experiment: experiment.id };
      await record(canary);
      log(`canary: experiment ${experiment.id} started at ${experiment.weight * 100}% of traffic`);
    }
    const ended = await watchCanary(options, run.id, String(canary.experiment));
    await record({ step: 'canary', done: true, experiment: canary.experiment, status: ended.status });
    const outcomes: Record<string, LoopOutcome> = {
      promoted: 'promoted',
      'rolled-back': 'rolled-back',
      inconclusive: 'inconclusive',
      stopped: ended.timedOut ? 'timed-out' : 'stopped',
    };
    return await finish(options, run, record, outcomes[ended.status] ?? 'failed', ended.reason);
  } catch (error) {
    if (error instanceof LoopPaused) return registry.runs.get(run.id);
    const message = error instanceof Error ? error.message : String(error);
    const hint = PromptuneError.isInstance(error) && error.hint ? ` (${error.hint})` : '';
    await finish(options, run, record, 'failed', `${message}${hint}`).catch(() => undefined);
    throw error;
  } finally {
    clearInterval(heartbeat);
  }
}

/** Thrown when the iteration is aborted: it stops where it is, resumable. */
class LoopPaused extends Error {}

/** The dataset version the re-tune reads: the queue's corrections written now, else the latest. */
async function datasetVersion(options: LoopOptions): Promise<DatasetVersion> {
  const { registry, file, actor } = options;
  const queue = file.policy.trigger.queue;
  if (queue) {
    const pending = await pendingCorrections(registry, queue, { actor: actor.name });
    if (Object.values(pending.added).some((rows) => rows > 0))
      return (await correctionsToDataset(registry, queue, { actor: actor.name })).version;
  }
  return registry.datasetVersions.get(file.policy.task);
}

/** Runs the gate's evaluations and audits (each reused when a previous attempt finished it) and decides. */
async function runGate(
  options: LoopOptions,
  input: {
    run: RunRecord;
    folder: string;
    candidate: { id: string; number: number };
    previous: StepData | undefined;
    record: (data: StepData) => Promise<void>;
    step: (args: string[], runId: string) => Promise<RunRecord>;
  },
): Promise<StepData> {
  const { registry, file } = options;
  const policy = file.policy;
  const serving = await registry.resolveVersion(policy.task, policy.label);
  const production = { id: serving.id, number: serving.number };
  const attempt = Number(input.previous?.attempt ?? 0) + 1;
  const runs = { ...((input.previous?.runs as Record<string, string>) ?? {}) };
  const subjects: [string, string[]][] = [
    ['candidate', ['eval', '--version', `${policy.task}@${input.candidate.number}`]],
    ['production', ['eval', '--version', `${policy.task}@${production.number}`]],
    ...policy.gate.audits.map((kind): [string, string[]] => [
      kind,
      ['audit', kind, '--version', `${policy.task}@${input.candidate.number}`],
    ]),
  ];
  for (const [name, command] of subjects) {
    const existing = runs[name] ? await registry.runs.get(runs[name]).catch(() => undefined) : undefined;
    // a production score is reusable only for the version serving now
    if (existing?.status === 'completed' && (name !== 'production' || existing.version === production.id))
      continue;
    runs[name] = `${input.run.id}.gate-${name}.${attempt}`;
    await input.record({ step: 'gate', done: false, attempt, production, runs });
    const base = [...command, '--task', policy.spec, '--model', policy.model, '--data', input.folder];
    await input.step([...base, '--split', policy.gate.split, '--push'], runs[name]);
  }
  const spec = await registry.getTask(policy.task);
  const auditPolicy = spec.audit?.policy?.labels.includes(policy.label) ? spec.audit.policy : undefined;
  const { candidate, production: productionRun, ...audits } = runs;
  const decision: GateResult = await gateDecision(registry, policy.gate, {
    candidateRun: candidate,
    productionRun,
    auditRuns: audits,
    auditPolicy,
  });
  const data: StepData = {
    step: 'gate',
    done: true,
    attempt,
    production,
    runs,
    passed: decision.passed,
    criteria: decision.criteria,
    comparison: decision.comparison,
    scores: { candidate: decision.candidate.score, production: decision.production.score },
  };
  await input.record(data);
  return data;
}

/** Looks at the canary's experiment until it ends, stopping it when the policy's timeout passes. */
async function watchCanary(
  options: LoopOptions,
  runId: string,
  id: string,
): Promise<{ status: string; reason: string; timedOut: boolean }> {
  const { registry } = options;
  const every = options.lookEveryMs ?? 10_000;
  for (;;) {
    let experiment = await registry.experiments.get(id);
    if (experiment.status === 'running') {
      if (Date.now() - experiment.createdAt > options.file.policy.canary.timeout) {
        experiment = await stopExperiment(registry, id, {
          actor: options.actor,
          reason: 'the loop’s canary timed out before it decided',
        }).catch(async (error: unknown) => {
          if (ConflictError.isInstance(error)) return registry.experiments.get(id);
          throw error;
        });
        return {
          status: experiment.status,
          reason: experiment.reason,
          timedOut: experiment.status === 'stopped',
        };
      }
      const look = await lookAtExperiment(registry, id).catch((error: unknown) => {
        if (ConflictError.isInstance(error)) return undefined; // another look (the service's) got there first
        throw error;
      });
      if (look?.action && look.action !== 'none' && look.action !== 'hold')
        options.log?.(`canary: ${look.action}: ${look.reason}`);
      experiment = look?.experiment ?? experiment;
    }
    if (experiment.status !== 'running')
      return { status: experiment.status, reason: experiment.reason, timedOut: false };
    await registry.runs
      .progress(runId, {
        done: loopSteps.indexOf('canary'),
        total: loopSteps.length,
        message: `canary: experiment ${id} at ${Math.round(experiment.weight * 1000) / 10}% of traffic`,
      })
      .catch(() => undefined);
    await pause(every, options.signal);
    if (options.signal?.aborted) throw new LoopPaused();
  }
}

/** Waits `milliseconds`, or until the signal aborts. */
function pause(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, milliseconds);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Records the outcome and finishes the run (completed; `failed` also marks the run failed). */
async function finish(
  options: LoopOptions,
  run: RunRecord,
  record: (data: StepData) => Promise<void>,
  outcome: LoopOutcome,
  reason: string,
): Promise<RunRecord> {
  await record({ step: 'outcome', done: true, outcome, reason });
  options.log?.(`outcome: ${outcome}: ${reason}`);
  const steps = (await options.registry.runs.allEntries(run.id, 'step')).map((entry) => entry.data);
  const find = (name: string) => steps.find((step) => step.step === name);
  const candidate = find('retune')?.candidate as { id: string } | undefined;
  return options.registry.runs.finish(run.id, {
    status: outcome === 'failed' ? 'failed' : 'completed',
    summary: {
      outcome,
      reason,
      dataset: find('dataset')?.version,
      candidate: find('retune')?.candidate,
      production: find('gate')?.production,
      gate: find('gate')?.passed,
      difference: (find('gate')?.comparison as { difference?: number } | undefined)?.difference,
      experiment: find('canary')?.experiment,
    },
    ...(outcome === 'failed' && { error: reason }),
    ...(candidate && { version: candidate.id }),
  });
}
