// Submitting a job: the command checked, the job recorded in the registry, and, with Redis, put on the
// BullMQ queue (a Redis that does not answer is refused before the job is recorded, and a job that could
// not be dispatched is marked failed, not left queued forever).
import { resolve } from 'node:path';
import type { JobRecord, Registry } from '../registry/index.js';
import { dispatchToBull, openBullQueue } from './bull-entry.js';
import { jobKind } from './job-commands.js';

/** Records a job of `args` (a promptune command line) to run in `cwd`. */
export async function submitJob(
  registry: Registry,
  input: {
    args: string[];
    cwd: string;
    actor: string;
    maxAttempts?: number;
    redisUrl?: string;
    /** Record it already held by this worker (run where it is submitted; registry queue only). */
    heldBy?: { worker: string; leaseMs: number };
    /** Told how many BullMQ workers listen on the queue once the job is on it (Redis only). */
    onDispatched?: (workers: number | undefined) => void;
  },
): Promise<JobRecord> {
  const kind = jobKind(input.args);
  // Redis answering first: a job is not recorded as queued where no worker could take it
  const queue = input.redisUrl ? await openBullQueue(input.redisUrl) : undefined;
  const job = await registry.jobs
    .submit({
      kind,
      args: input.args,
      cwd: resolve(input.cwd),
      queue: input.redisUrl ? 'redis' : 'registry',
      maxAttempts: input.maxAttempts ?? 3,
      actor: input.actor,
      heldBy: input.redisUrl ? undefined : input.heldBy,
    })
    .catch(async (error: unknown) => {
      await queue?.queue.close();
      throw error;
    });
  if (!queue) return job;
  try {
    input.onDispatched?.(await dispatchToBull(queue, job));
  } catch (error) {
    await registry.jobs.abandon(job.id, `it could not be put on the BullMQ queue: ${String(error)}`);
    throw error;
  }
  return job;
}
