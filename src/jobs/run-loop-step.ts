// One step of the closed loop (soft train, optimize, eval, audit) as a job the loop holds and runs
// itself, in the policy's folder: the step is on the Jobs page with its output, `job cancel` stops it,
// and its run is recorded under the id the loop chose (so the loop's lineage names it) and names both
// the job and the loop. It has one attempt: a step whose loop died is not taken up by another worker,
// since the loop, resumed, decides what to run again.
import type { Actor, Registry } from '../registry/index.js';
import { workerName } from './registry-worker.js';
import { runJob } from './run-job.js';
import { submitJob } from './submit-job.js';

/** How a step ended: whether its job completed, and the tail of its output. */
export interface StepResult {
  ok: boolean;
  output: string;
}

/** Runs a loop's step: the command's arguments, the run id it records, the loop it belongs to. */
export type LoopStepRunner = (
  args: string[],
  options: { runId: string; loop: string; signal?: AbortSignal },
) => Promise<StepResult>;

/** A step runner for commands in `folder` as `actor`'s jobs, their output told to `onOutput`. */
export function loopStepRunner(
  registry: Registry,
  input: { folder: string; actor: Actor; onOutput: (text: string) => void },
): LoopStepRunner {
  const worker = workerName();
  return async (args, options) => {
    const leaseMs = 30_000;
    // a step of a loop that died (this one's, resumed) is no worker's to end: ended here, before the next
    // (a lease ago, for clocks that disagree; housekeeping, which must not fail the step)
    await registry.jobs.endLapsedJobs({ graceMs: leaseMs }).catch(() => undefined);
    const job = await submitJob(registry, {
      args,
      cwd: input.folder,
      actor: input.actor.name,
      maxAttempts: 1,
      heldBy: { worker, leaseMs },
    });
    const ended = await runJob(registry.jobs, job, worker, {
      leaseMs,
      onOutput: input.onOutput,
      signal: options.signal,
      // the loop paused (Ctrl-C, a stop): its step is not a failure, and the loop, run again, resumes it
      stoppedReason: `paused with loop ${options.loop}: running the loop again resumes it`,
      env: { PROMPTUNE_LOOP: options.loop, PROMPTUNE_RUN_ID: options.runId },
    });
    return { ok: ended.status === 'completed', output: ended.log.slice(-4_000) };
  };
}
