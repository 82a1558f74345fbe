// Submitting a job: the command checked, the job recorded in the registry, and, with Redis, put on the
// BullMQ queue (a job that could not be dispatched is marked failed, not left queued forever).
import { resolve } from 'node:path';
import type { JobRecord, Registry } from '../registry/index.js';
import { dispatchToBull } from './bull-queue.js';
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
  },
): Promise<JobRecord> {
  const kind = jobKind(input.args);
  const job = await registry.jobs.submit({
    kind,
    args: input.args,
    cwd: resolve(input.cwd),
    queue: input.redisUrl ? 'redis' : 'registry',
    maxAttempts: input.maxAttempts ?? 3,
    actor: input.actor,
    heldBy: input.redisUrl ? undefined : input.heldBy,
  });
  if (!input.redisUrl) return job;
  try {
    await dispatchToBull(input.redisUrl, job);
  } catch (error) {
    await registry.jobs.abandon(job.id, `it could not be put on the BullMQ queue: ${String(error)}`);
    throw error;
  }
  return job;
}
