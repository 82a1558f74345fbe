// BullMQ on Redis as the job queue, for scale-out: jobs are recorded in the registry (their status,
// attempts and output, which the dashboard reads) and dispatched through BullMQ, whose workers may run
// on any machine sharing the registry's Postgres and the job's folder. BullMQ holds a lock on a job
// while its worker lives; a worker killed mid-job stops renewing it, and BullMQ's stalled-job check
// hands the job to another worker, which resumes the command from its journals. A registry database
// that is briefly unreachable is waited out (a job is neither started nor ended while it is away), and
// a job its registry does not know (a worker on another registry) is left in the queue for the others.
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { ConflictError, NotFoundError, redactedUrl, UnavailableError } from '../errors/index.js';
import {
  isConnectionLost,
  whenReachable,
  type JobRecord,
  type OutageListener,
  type Registry,
} from '../registry/index.js';
import { bullQueueName } from './bull-queue-name.js';
import { checkedRedisUrl } from './redis-url.js';
import { bullJobOptions, requeueLostJobs } from './bull-requeue.js';
import { runJob, type RunJobOptions } from './run-job.js';
import { workerName } from './registry-worker.js';

/** A Redis connection as BullMQ takes it: a URL, and no cap on retries of a command (BullMQ's advice for workers). */
const connection = (url: string) => ({ url: checkedRedisUrl(url), maxRetriesPerRequest: null });

/** How long a submit waits for Redis to answer before it says so (BullMQ itself would wait forever). */
const redisAnswerMs = 10_000;

/** `promise`'s value, or 'late' when Redis has not answered it within redisAnswerMs. */
async function answered<T>(promise: Promise<T>): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>(
    (resolve) => (timer = setTimeout(() => resolve('late'), redisAnswerMs)),
  );
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The refusal of a submit whose Redis did not answer, with the connection's last error. */
function unanswered(redisUrl: string, lastError: unknown): UnavailableError {
  const why = lastError instanceof Error ? `: ${lastError.message}` : '';
  return new UnavailableError(
    `Redis at ${redactedUrl(redisUrl)} did not answer in ${redisAnswerMs / 1000} s${why}`,
    {
      code: 'CONNECTION_FAILED',
      hint: 'Check REDIS_URL (or --redis) and that Redis runs; without it, jobs go on the registry queue.',
    },
  );
}

/** A BullMQ queue on Redis, with the URL it was opened on and the connection's last error. */
export interface OpenQueue {
  queue: Queue;
  redisUrl: string;
  lastError: () => unknown;
}

/**
 * The BullMQ queue at `redisUrl`, connected: a Redis that does not answer within 10 s is refused with
 * CONNECTION_FAILED (a submit must not hang, nor leave a job queued that no worker will see), and the
 * connection's errors meanwhile are kept for that message instead of printed as stack traces.
 */
export async function openBullQueue(redisUrl: string): Promise<OpenQueue> {
  const queue = new Queue(bullQueueName, { connection: connection(redisUrl) });
  let lastError: unknown;
  queue.on('error', (error) => (lastError = error));
  try {
    if ((await answered(queue.waitUntilReady())) !== 'late')
      return { queue, redisUrl, lastError: () => lastError };
  } catch (error) {
    lastError = error;
  }
  await queue.close().catch(() => undefined);
  throw unanswered(redisUrl, lastError);
}

/**
 * Puts a job recorded in the registry on `open`'s queue, and closes it; a Redis that stops answering
 * meanwhile is refused as at opening (the caller marks the job failed). Resolves to how many workers
 * listen on the queue now (undefined when Redis does not say: a server without CLIENT SETNAME).
 */
export async function dispatchToBull(open: OpenQueue, job: JobRecord): Promise<number | undefined> {
  try {
    const added = await answered(open.queue.add(job.kind, { id: job.id }, bullJobOptions(job)));
    if (added === 'late') throw unanswered(open.redisUrl, open.lastError());
    const workers = await answered(open.queue.getWorkersCount()).catch(() => 'late' as const);
    return workers === 'late' ? undefined : workers;
  } finally {
    // closing waits on Redis too: no longer than an answer would
    await answered(open.queue.close()).catch(() => undefined);
  }
}

/** How a BullMQ worker runs. */
export interface BullWorkerOptions extends RunJobOptions {
  concurrency?: number;
  /** This worker's name (default host:pid). */
  name?: string;
  onFinished?: (job: JobRecord) => void;
  onError?: (error: unknown) => void;
  /** Told when the registry's database answers again after it was lost (which onError was told). */
  onReconnected?: () => void;
  /** Told of a job the registry holds as queued that Redis had lost, as this worker puts it back. */
  onRequeued?: (job: JobRecord) => void;
}

/**
 * A BullMQ worker running the registry's jobs it is handed; `close` stops it after the jobs under way
 * (with `abandon`, once their commands are stopped and the jobs are back in the queue).
 */
export async function startBullWorker(
  registry: Registry,
  redisUrl: string,
  options: BullWorkerOptions = {},
): Promise<{ close: (options?: { abandon?: boolean }) => Promise<void> }> {
  const leaseMs = options.leaseMs ?? 30_000;
  const name = options.name ?? workerName();
  const abandon = new AbortController();
  const lost: OutageListener = {
    lost: (error) =>
      options.onError?.(
        new UnavailableError(`the registry's database is unreachable (${message(error)}); waiting for it`, {
          code: 'REGISTRY_UNAVAILABLE',
          hint: 'Jobs under way go on; this worker starts and ends jobs once it answers again.',
        }),
      ),
    back: () => options.onReconnected?.(),
  };
  // the registry's answers this worker waits for through a lost connection: its jobs' ends are recorded
  const jobs = {
    heartbeat: registry.jobs.heartbeat.bind(registry.jobs), // a failed one is tried at the next beat
    finish: (...finish: Parameters<Registry['jobs']['finish']>) =>
      whenReachable(() => registry.jobs.finish(...finish), lost),
    get: (id: string) => whenReachable(() => registry.jobs.get(id), lost),
  };
  /**
   * Starts the job's next attempt under this worker once: a start whose answer was lost with the
   * connection may have been committed, so before trying again the job is read, and one this worker
   * now holds one attempt further on is taken as started (not started again, which would spend another).
   */
  const startOnce = async (id: string): Promise<JobRecord> => {
    const before = await jobs.get(id);
    return whenReachable(async () => {
      const now = await registry.jobs.get(id);
      if (now.status === 'running' && now.worker === name && now.attempts === before.attempts + 1) return now;
      return registry.jobs.start(id, name, leaseMs);
    }, lost);
  };
  /**
   * The job marked running under this worker; undefined when it has ended (cancelled, done, out of
   * attempts). BullMQ may hand a dead worker's job over before the registry lease lapses: wait for it.
   */
  const held = async (id: string): Promise<JobRecord | undefined> => {
    for (;;) {
      try {
        return await startOnce(id);
      } catch (error) {
        if (!ConflictError.isInstance(error)) throw error;
        if (error.code === 'JOB_FINISHED') return undefined;
        const holder = await jobs.get(id);
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(100, (holder.leaseUntil ?? 0) - Date.now() + 100)),
        );
      }
    }
  };
  const strangers = new Set<string>();
  const worker = new Worker(
    bullQueueName,
    async (handed: Job<{ id: string }>, token?: string) => {
      let job: JobRecord | undefined;
      try {
        job = await held(handed.data.id);
      } catch (error) {
        if (!NotFoundError.isInstance(error)) throw error;
        // submitted to another registry than this worker's: put back for its workers, no attempt spent
        if (!strangers.has(handed.data.id)) {
          strangers.add(handed.data.id);
          options.onError?.(
            new NotFoundError(
              `job ${handed.data.id} is not in this worker's registry: it was submitted to another one`,
              {
                code: 'JOB_OTHER_REGISTRY',
                hint: 'Run workers on the registry jobs are submitted to (the same DATABASE_URL, or --db); it is left in the queue for them.',
              },
            ),
          );
        }
        await handed.moveToDelayed(Date.now() + 5000, token);
        throw new DelayedError();
      }
      if (!job) return 'ended';
      const finished = await runJob(jobs, job, name, {
        ...options,
        leaseMs,
        signal: abandon.signal,
      });
      options.onFinished?.(finished);
      // a crash to retry is BullMQ's to retry (the registry has it queued again meanwhile)
      if (finished.status === 'queued') throw new Error(finished.error ?? 'the attempt failed');
      return finished.status;
    },
    {
      connection: connection(redisUrl),
      concurrency: options.concurrency ?? 1,
      // a live worker renews its lock every lockDuration / 2; a dead one's lapses, and the stalled
      // check (every lockDuration) hands its job on
      lockDuration: leaseMs,
      stalledInterval: leaseMs,
      // the registry counts attempts (a dead worker's included) and refuses one past the job's limit
      maxStalledCount: 20,
    },
  );
  // until Redis first answers, its errors are the refusal's (CONNECTION_FAILED), not a stream of lines
  let connected = false;
  let lastError: unknown;
  worker.on('error', (error) => {
    lastError = error;
    if (connected) options.onError?.(redisAway(redisUrl, error));
  });
  const ready = await answered(worker.waitUntilReady()).catch((error: unknown) => {
    lastError = error;
    return 'late' as const;
  });
  if (ready === 'late') {
    // never connected: nothing to finish, and a polite close would wait for the connection forever
    await worker.close(true).catch(() => undefined);
    throw unanswered(redisUrl, lastError);
  }
  connected = true;
  // jobs the registry holds for the queue that Redis lost (restarted without persistence, flushed,
  // failed over) are put back, as this worker starts and each lease interval: nothing else would
  const requeuer = new Queue(bullQueueName, { connection: connection(redisUrl) });
  requeuer.on('error', () => undefined); // the worker's own connection says what Redis does
  // the lease interval's reads of the registry say a lost database as a job's start and end do:
  // REGISTRY_UNAVAILABLE once as it is lost, and once as it answers again (not a bare ECONNREFUSED
  // naming only a port, every interval)
  let registryAway = false;
  const registryAnswered = () => {
    if (!registryAway) return;
    registryAway = false;
    lost.back();
  };
  const registryFailed = (error: unknown) => {
    if (!isConnectionLost(error)) return options.onError?.(error);
    if (registryAway) return;
    registryAway = true;
    lost.lost(error);
  };
  // requeueing reads the registry and writes Redis: a lost connection is either the registry's (said
  // once, by the read before it) or Redis's (said by the worker's own connection); other errors are told
  const requeueFailed = (error: unknown) => {
    if (!isConnectionLost(error)) options.onError?.(error);
  };
  const requeue = () =>
    requeueLostJobs(registry, requeuer, { graceMs: leaseMs }).then(
      (jobs) => jobs.forEach((job) => options.onRequeued?.(job)),
      requeueFailed,
    );
  void requeue();
  // jobs of the registry's queue (a loop's steps) whose holder died are ended by a claim, and no
  // registry worker may be running beside BullMQ's: each lease interval, this worker ends them
  const reaper = setInterval(() => {
    // a lease past the lapse, for machines whose clocks disagree by less than that
    void registry.jobs
      .endLapsedJobs({ graceMs: leaseMs })
      .then(registryAnswered, registryFailed)
      .then(requeue);
  }, leaseMs);
  reaper.unref();
  // BullMQ gave up on it (its retries, or stalls, ran out): the registry must not show it running, so
  // this is waited for through a lost connection too
  worker.on('failed', (job, error) => {
    if (job && !(error instanceof DelayedError) && job.attemptsMade >= (job.opts.attempts ?? 1))
      void whenReachable(
        () => registry.jobs.abandon(job.data.id, `the queue gave up on it: ${error.message}`),
        lost,
      ).catch(options.onError);
  });
  return {
    close: async (stopOptions: { abandon?: boolean } = {}) => {
      clearInterval(reaper);
      await answered(requeuer.close()).catch(() => undefined);
      if (stopOptions.abandon) abandon.abort();
      // abandoning: the abort stops the jobs under way (back in the queue); a close already under way
      // (the first signal's) is the one awaited, force or not
      await worker.close(stopOptions.abandon === true);
    },
  };
}

/**
 * A lost connection to Redis as the worker says it: naming Redis (a bare ECONNREFUSED named only a
 * port, beside the registry's own); other errors as they are.
 */
function redisAway(redisUrl: string, error: unknown): unknown {
  if (!isConnectionLost(error) && !/Connection is closed/.test(message(error))) return error;
  return new UnavailableError(`Redis at ${redactedUrl(redisUrl)} is unreachable (${message(error)})`, {
    code: 'CONNECTION_FAILED',
    hint: 'Jobs under way go on; this worker takes new ones once Redis answers again. Run Redis with persistence (AOF or RDB) so its queue outlives a restart.',
  });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
