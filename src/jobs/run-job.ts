// Running one attempt of a job: the promptune command in the job's folder, as a child process that
// ends with this one (it watches its IPC channel), its output kept in the job's log and its lease
// extended at every heartbeat. A cancel request stops the command (SIGTERM, then SIGKILL after 10 s); a
// lease taken by another worker stops it at once; a worker that stops puts it back in the queue. A
// killed command resumes from its journals when run again, so a retried job does not ask the model
// again what it already answered.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConflictError } from '../errors/index.js';
import type { JobRecord, JobStore } from '../registry/index.js';

/** How an attempt runs. */
export interface RunJobOptions {
  /** How long the lease lasts past each heartbeat (default 30 s). */
  leaseMs?: number;
  /** Between heartbeats (default 1 s). */
  heartbeatMs?: number;
  /** Told of each chunk of output. */
  onOutput?: (text: string) => void;
  /** Told when the job's command has started (this attempt). */
  onStarted?: (job: JobRecord) => void;
  /** Aborted when the worker stops: the command is stopped and the job goes back to the queue. */
  signal?: AbortSignal;
  /**
   * Why the job ends, cancelled, when `signal` stops it, instead of going back to the queue as a failed
   * attempt: a step its holder stopped on purpose (a paused loop) did not fail.
   */
  stoppedReason?: string;
  /** More environment for the command (the closed loop names itself and the run's id). */
  env?: Record<string, string>;
}

/** The promptune command line's entry file, which jobs and the loop's steps run. */
export const promptuneCli = fileURLToPath(new URL('../../bin/promptune.js', import.meta.url));

/**
 * Runs `job` (already held by `worker`) to the end of this attempt: completed (exit 0), cancelled,
 * or failed (a command error is final; a crash, a signal, is retried while attempts remain).
 */
export async function runJob(
  store: Pick<JobStore, 'heartbeat' | 'finish' | 'get'>,
  job: JobRecord,
  worker: string,
  options: RunJobOptions = {},
): Promise<JobRecord> {
  const leaseMs = options.leaseMs ?? 30_000;
  // a worker on a machine without the job's folder (it must be shared, at the same path) says so, where
  // the spawn would fail as "spawn node ENOENT"; another worker may see it, so the attempt is retried
  if (!existsSync(job.cwd) || !statSync(job.cwd).isDirectory())
    return store.finish(job.id, worker, {
      status: 'failed',
      output: '',
      error: `its folder ${job.cwd} is not on this worker's machine (${worker}): workers must see a job's folder at the path it was submitted from`,
      retry: true,
    });
  const child = spawn(process.execPath, [promptuneCli, ...job.args], {
    cwd: job.cwd,
    env: {
      ...process.env,
      ...options.env,
      PROMPTUNE_JOB: job.id,
      // which attempt this is: a retried command that finds nothing of the last one may say so
      PROMPTUNE_JOB_ATTEMPT: String(job.attempts),
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // its own process group: a Ctrl-C meant for the worker does not reach it (the worker stops it)
    detached: true,
  });
  options.onStarted?.(job);
  /** Asks the command to stop, and kills it if it has not within 10 s. */
  const terminate = () => {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  };
  let stopped = false;
  const stop = () => {
    stopped = true;
    terminate();
  };
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener('abort', stop, { once: true });
  let pending = '';
  const take = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    pending += text;
    options.onOutput?.(text);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    },
  );
  let cancelled = false;
  let lost = false;
  const flush = async () => {
    const output = pending;
    pending = '';
    try {
      const { cancelRequested } = await store.heartbeat(job.id, worker, { leaseMs, output });
      if (cancelRequested && !cancelled) {
        cancelled = true;
        terminate();
      }
    } catch (error) {
      if (!ConflictError.isInstance(error)) throw error;
      lost = true; // another worker took it: stop at once, record nothing more
      child.kill('SIGKILL');
    }
  };
  let beating = Promise.resolve();
  const timer = setInterval(() => {
    beating = beating.then(flush).catch(() => undefined); // a failed heartbeat is tried again at the next
  }, options.heartbeatMs ?? 1000);
  const { code, signal, error } = await exited;
  clearInterval(timer);
  options.signal?.removeEventListener('abort', stop);
  await beating;
  if (lost) return store.get(job.id);
  const output = pending;
  if (cancelled) return store.finish(job.id, worker, { status: 'cancelled', output, error: 'cancelled' });
  if (stopped && options.stoppedReason)
    return store.finish(job.id, worker, { status: 'cancelled', output, error: options.stoppedReason });
  if (stopped)
    return store.finish(job.id, worker, {
      status: 'failed',
      output,
      error: 'its worker stopped before it finished',
      retry: true,
    });
  if (code === 0)
    return store.finish(job.id, worker, { status: 'completed', output, result: { exitCode: 0 } });
  const crashed = signal !== null || error !== undefined;
  return store.finish(job.id, worker, {
    status: 'failed',
    output,
    result: { exitCode: code, signal },
    error: error
      ? error.message
      : signal
        ? `the command was stopped by ${signal}`
        : `the command exited with ${code}`,
    retry: crashed,
  });
}
