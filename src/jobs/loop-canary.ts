// The closed loop's canary: the experiment of the candidate against what the label serves, started once
// per iteration (an iteration that died after starting it, before noting it, finds it again by the loop
// run its start reason names), then looked at until it ends or the policy's timeout stops it.
import { ConflictError } from '../errors/index.js';
import { lookAtExperiment, startExperiment, stopExperiment } from '../experiments/index.js';
import type { Actor, ExperimentRecord, Registry, RunRecord } from '../registry/index.js';
import type { LoopPolicy } from './loop-policy.js';

/** The start reason of a loop's experiment, which names the loop run. */
const reasonPrefix = (loop: string) => `loop ${loop}: `;

/** The loop run that started an experiment, from its start reason (undefined for any other). */
function loopOfExperimentReason(reason: string): string | undefined {
  return /^loop (\S+): /.exec(reason)?.[1];
}

/** The experiment `loop` started for `treatment`, if it started one. */
async function experimentOfLoop(
  registry: Registry,
  loop: RunRecord,
  treatment: string,
): Promise<ExperimentRecord | undefined> {
  const candidates = (await registry.experiments.list({ task: loop.task })).filter(
    (experiment) => experiment.treatment === treatment && experiment.createdAt >= loop.startedAt,
  );
  for (const experiment of candidates) {
    const start = (await registry.experiments.events(experiment.id)).find(
      (event) => event.action === 'start',
    );
    if (start && loopOfExperimentReason(start.reason) === loop.id) return experiment;
  }
  return undefined;
}

/** The iteration's experiment: the one it already started, else a new one. */
export async function startCanary(
  registry: Registry,
  input: {
    loop: RunRecord;
    policy: LoopPolicy;
    actor: Actor;
    candidate: { id: string; number: number };
    production: { id: string; number: number };
  },
): Promise<ExperimentRecord> {
  const { loop, policy, candidate, production } = input;
  const started = await experimentOfLoop(registry, loop, candidate.id);
  if (started) return started;
  const { timeout: _timeout, ...config } = policy.canary;
  return startExperiment(registry, {
    task: policy.task,
    treatment: candidate.id,
    label: policy.label,
    config,
    actor: input.actor,
    reason: `${reasonPrefix(loop.id)}version ${candidate.number} against version ${production.number} on ${config.primary}`,
  });
}

/** How the canary ended. */
export interface CanaryEnd {
  status: string;
  reason: string;
  /** The loop stopped it at the policy's timeout. */
  timedOut: boolean;
}

/**
 * Looks at the experiment every `everyMs` (the service looks too; a look that loses the race is
 * dropped) until it ends, stopping it once `timeout` has passed since it started. `onLook` hears of
 * each look's share; an aborted `signal` returns undefined with the experiment running on.
 */
export async function watchCanary(
  registry: Registry,
  id: string,
  options: {
    actor: Actor;
    timeout: number;
    everyMs: number;
    signal?: AbortSignal;
    log?: (line: string) => void;
    onLook?: (experiment: ExperimentRecord) => Promise<void>;
  },
): Promise<CanaryEnd | undefined> {
  for (;;) {
    let experiment = await registry.experiments.get(id);
    if (experiment.status === 'running' && Date.now() - experiment.createdAt > options.timeout) {
      try {
        experiment = await stopExperiment(registry, id, {
          actor: options.actor,
          reason: 'the loop’s canary timed out before it decided',
        });
        return { status: experiment.status, reason: experiment.reason, timedOut: true };
      } catch (error) {
        if (!ConflictError.isInstance(error)) throw error;
        experiment = await registry.experiments.get(id); // it ended meanwhile: as it ended
      }
    }
    if (experiment.status === 'running') {
      const look = await lookAtExperiment(registry, id).catch((error: unknown) => {
        if (ConflictError.isInstance(error)) return undefined; // another look (the service's) got there first
        throw error;
      });
      if (look && look.action !== 'none' && look.action !== 'hold')
        options.log?.(`canary: ${look.action}: ${look.reason}`);
      experiment = look?.experiment ?? experiment;
    }
    if (experiment.status !== 'running')
      return { status: experiment.status, reason: experiment.reason, timedOut: false };
    await options.onLook?.(experiment);
    await pause(options.everyMs, options.signal);
    if (options.signal?.aborted) return undefined;
  }
}

/** Waits `milliseconds`, or until the signal aborts. */
export function pause(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, milliseconds);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    if (signal?.aborted) done();
    else signal?.addEventListener('abort', done, { once: true });
  });
}
