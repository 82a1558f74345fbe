// Puts back on the BullMQ queue the jobs the registry holds as queued (or running, their worker dead)
// that Redis no longer has: a Redis restarted without persistence, flushed or failed over to a replica
// behind it loses them, and nothing else would ever hand them to a worker (they read `queued` for
// good). It does not decide whether a job should run: the registry's start still does.
import type { Queue } from 'bullmq';
import type { JobRecord, Registry } from '../registry/index.js';

/** How a recorded job goes on the queue: its id (so adding it twice adds it once), attempts, backoff. */
export function bullJobOptions(job: JobRecord) {
  return {
    jobId: job.id,
    // the registry counts every attempt and refuses one past the job's limit; BullMQ retries the rest
    attempts: Math.max(1, job.maxAttempts - job.attempts),
    // an attempt that crashed is tried again after 5 s, 10 s, 20 s: not all at once in a blip
    backoff: { type: 'exponential' as const, delay: 5000 },
    removeOnComplete: 1000,
    removeOnFail: 1000,
  };
}

/**
 * Adds back every job of `registry` that should be on `queue` and is not; `graceMs` is how long a
 * running job's lease must have lapsed (its holder's clock may run behind this machine's). Returns the
 * jobs it put back.
 */
export async function requeueLostJobs(
  registry: Registry,
  queue: Queue,
  options: { graceMs: number },
): Promise<JobRecord[]> {
  const requeued: JobRecord[] = [];
  for (const job of await registry.jobs.awaitingRedis({ graceMs: options.graceMs })) {
    if (await queue.getJob(job.id)) continue;
    await queue.add(job.kind, { id: job.id }, bullJobOptions(job));
    requeued.push(job);
  }
  return requeued;
}
