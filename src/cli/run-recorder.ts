// `eval --push`, `optimize --push`, `soft train --push` and `soft train-multitask --push` (a run per
// task): the command recorded as a run in the registry while it runs: started with its config, its
// progress written at most once a second (the heartbeat that tells a live run from a killed one)
// together with the entries added since (an evaluation's examples, an optimization's trials, a
// training's steps: one write a second, not one per step), then its summary and the version it produced
// when it ends, or the error when it fails (cancelled when it was stopped on request, to resume).
import { InterruptedError } from '../errors/index.js';
import { beforeSignalEnd } from './stop-signals.js';
import { operatorName, registryLocation } from './registry-access.js';
import {
  datasetFileIds,
  Registry,
  whenReachable,
  type OutageListener,
  type RunEntry,
  type RunKind,
} from '../registry/index.js';
import type { Task } from '../tasks/index.js';

/** A run being recorded. Writes are queued in order; none of them stops the command when it fails. */
export interface RunRecorder {
  id: string;
  progress: (done: number, total: number | null) => void;
  /** Queues entries (written in order with the next progress heartbeat, or when many are waiting). */
  add: (entries: RunEntry[]) => void;
  /** Writes what is queued, the summary and the version, and closes the registry. */
  complete: (summary: Record<string, unknown>, version?: string) => Promise<void>;
  /** Records the failure and closes the registry. */
  fail: (error: unknown) => Promise<void>;
}

/** Entries per append: one transaction each. */
const entriesPerWrite = 500;

/** Starts a run in the registry at `db` (or DATABASE_URL). */
export async function recordRun(
  db: string,
  start: {
    kind: RunKind;
    task: string;
    config: Record<string, unknown>;
    datasets?: string[];
    /** The registry version the run evaluates (eval --version, audit --version). */
    version?: string;
  },
): Promise<RunRecorder> {
  const registry = await Registry.open(registryLocation(db));
  const job = process.env.PROMPTUNE_JOB;
  const attempt = Number(process.env.PROMPTUNE_JOB_ATTEMPT) || undefined;
  // a step of the closed loop: the loop chose the run's id (its lineage names it) and is named back
  const loop = process.env.PROMPTUNE_LOOP;
  const run = await registry.runs.start({
    ...start,
    id: process.env.PROMPTUNE_RUN_ID || undefined,
    config: { ...start.config, ...(job && { job, jobAttempt: attempt }), ...(loop && { loop }) },
    actor: operatorName(),
  });
  // run as a job: the job links to this run (and its progress); a job of another registry is left be
  if (job) {
    if (attempt && attempt > 1)
      await closeLostAttempts(registry, job, attempt, run.id).catch(() => undefined);
    await registry.jobs.noteRun(job, run.id).catch(() => undefined);
  }
  let written = 0;
  let queue: Promise<void> = Promise.resolve();
  let failed: unknown;
  let pending: RunEntry[] = [];
  // a database restarting or failing over mid-run: the run's writes wait for it, in order, while the
  // work goes on (a training job had failed for good on a 20-second Postgres restart)
  const outage: OutageListener = {
    lost: (error) =>
      process.stderr.write(
        `the registry's database is unreachable (${error instanceof Error ? error.message : String(error)}); run ${run.id}'s writes wait for it\n`,
      ),
    back: () => process.stderr.write(`the registry's database answers again; run ${run.id}'s writes go on\n`),
  };
  const enqueue = (work: () => Promise<void>) => {
    queue = queue
      .then(() => whenReachable(work, outage))
      .catch((error: unknown) => {
        failed ??= error; // the first failure is reported when the run ends
      });
  };
  const flush = () => {
    const entries = pending;
    pending = [];
    for (let from = 0; from < entries.length; from += entriesPerWrite) {
      const part = entries.slice(from, from + entriesPerWrite);
      enqueue(() => registry.runs.append(run.id, part));
    }
  };
  // a signal after the work's own span (a job cancelled while the test split is scored) ends the run
  // as stopped, instead of leaving it running until its heartbeat goes stale
  let ended = false;
  const forget = beforeSignalEnd(async (signal) => {
    if (ended) return;
    ended = true;
    flush();
    await queue;
    await registry.runs
      .finish(run.id, { status: 'cancelled', error: `stopped by ${signal} before it finished` })
      .finally(() => registry.close());
  });
  const end = async (work: () => Promise<void>) => {
    if (ended) return;
    ended = true;
    forget();
    try {
      flush();
      await queue;
      await whenReachable(work, outage);
    } finally {
      await registry.close();
    }
  };
  return {
    id: run.id,
    progress(done, total) {
      const now = Date.now();
      if (now - written < 1_000 && done !== total) return;
      written = now;
      flush();
      enqueue(() => registry.runs.progress(run.id, { done, total }));
    },
    add(entries) {
      pending.push(...entries);
      if (pending.length >= entriesPerWrite) flush();
    },
    complete: (summary, version) =>
      end(async () => {
        if (failed) throw failed;
        await registry.runs.finish(run.id, { status: 'completed', summary, version });
      }),
    fail: (error) =>
      end(async () => {
        await registry.runs.finish(run.id, {
          // stopped on request (Ctrl-C, SIGTERM, a job's cancel), its state kept to resume: not a failure
          status: InterruptedError.isInstance(error) ? 'cancelled' : 'failed',
          error: error instanceof Error ? error.message : String(error),
        });
      }),
  };
}

/**
 * Ends the runs of a job's earlier attempts that still read as running: their worker died (a retried
 * attempt holds the job now), so they are failed, naming the run that goes on, rather than left running
 * until their heartbeat is two minutes stale.
 */
async function closeLostAttempts(
  registry: Registry,
  job: string,
  attempt: number,
  current: string,
): Promise<void> {
  const noted = (await registry.jobs.get(job)).result?.runs;
  for (const id of Array.isArray(noted) ? noted : []) {
    if (typeof id !== 'string' || id === current) continue;
    const earlier = await registry.runs.get(id);
    // this attempt's own runs (a multitask training records one per task) are live
    const ofAttempt = Number(earlier.config.jobAttempt);
    if (ofAttempt >= attempt) continue;
    if (earlier.status === 'running' || earlier.status === 'interrupted')
      await registry.runs.finish(id, {
        status: 'failed',
        error: `its worker stopped; attempt ${attempt} of job ${job} goes on in run ${current}`,
      });
  }
}

/** Starts several runs (one per task of a multitask training); when one fails to start, the others fail too. */
export async function recordRuns(
  db: string,
  starts: Parameters<typeof recordRun>[1][],
): Promise<RunRecorder[]> {
  const recordings: RunRecorder[] = [];
  try {
    // one after another: each opens the registry, and the first may create it
    for (const start of starts) recordings.push(await recordRun(db, start));
    return recordings;
  } catch (error) {
    await failRuns(recordings, error);
    throw error;
  }
}

/** Records `error` as the end of each run; a failure to record it is dropped (the error is what to report). */
export async function failRuns(recordings: RunRecorder[], error: unknown): Promise<void> {
  await Promise.all(recordings.map((recording) => recording.fail(error).catch(() => undefined)));
}

/** The registry ids of the data a run of `split` reads: the split's file, or the one file the spec splits. */
export function splitDatasetIds(task: Task, split: 'train' | 'dev' | 'test'): string[] {
  return datasetFileIds(
    task.spec.name,
    task.files[split] ? { [split]: task.files[split] } : { file: task.files.file },
  );
}
