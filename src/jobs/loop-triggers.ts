// Whether a task's closed loop should re-tune now, and why: enough new reviewed corrections waiting in
// its queue (counted exactly as writing them would, without writing), an alert rule of the policy that
// began firing after the last iteration started, or the schedule's time since the last iteration. It
// reads the registry and changes nothing.
import type { Registry, RunRecord } from '../registry/index.js';
import { pendingCorrections } from '../review/index.js';
import type { LoopPolicy } from './loop-policy.js';

/** What the triggers found. */
export interface LoopTriggers {
  /** Whether any trigger holds. */
  triggered: boolean;
  /** Each trigger that holds, in words. */
  reasons: string[];
  /** New rows waiting in the queue, by split, and the dataset version they would be added to. */
  corrections?: {
    queue: string;
    pending: number;
    threshold: number;
    base: number;
    added: Record<string, number>;
    /** Reviewed rows the dataset version holds already (they add nothing). */
    duplicates: number;
    /** Reviewed items held back (disagreeing reviews, a conflict, an input that does not read). */
    held: number;
    /** Items not yet reviewed as often as they need: they wait, they are not held back. */
    unreviewed: number;
  };
  /** The policy's alert rules that are firing, with when they began. */
  alerts: { rule: string; since: number; new: boolean }[];
  /**
   * The policy's alert rules the registry has no state of: no service evaluates a rule by that name
   * (a misspelt name, or a rules file without it), so they can never trigger.
   */
  unevaluated: string[];
  /** The last iteration of this task's loop, if any, and its outcome when it noted one. */
  last?: { id: string; startedAt: number; status: string; outcome?: string };
  /** The last iteration failed on its own trigger (its corrections already written): once more. */
  retry: boolean;
}

/** The latest loop run of `task`, if any. */
export async function latestLoopRun(registry: Registry, task: string): Promise<RunRecord | undefined> {
  return (await registry.runs.list({ task, kind: 'loop' }, { limit: 1 })).data[0];
}

/** Checks the policy's triggers at `now`. */
export async function loopTriggers(
  registry: Registry,
  policy: LoopPolicy,
  now = Date.now(),
): Promise<LoopTriggers> {
  const reasons: string[] = [];
  const last = await latestLoopRun(registry, policy.task);
  const trigger = policy.trigger;
  let corrections: LoopTriggers['corrections'];
  if (trigger.queue) {
    const pending = await pendingCorrections(registry, trigger.queue, { actor: 'loop' });
    const count = Object.values(pending.added).reduce((sum, rows) => sum + rows, 0);
    corrections = {
      queue: trigger.queue,
      pending: count,
      threshold: trigger.corrections,
      base: pending.base,
      added: pending.added,
      // reviewed rows that add nothing: the dataset holds them already, or they wait (held)
      duplicates: pending.duplicates,
      held: pending.held.filter((each) => each.reason !== 'incomplete').length,
      unreviewed: pending.held.filter((each) => each.reason === 'incomplete').length,
    };
    if (count >= trigger.corrections)
      reasons.push(`${count} new reviewed rows in queue ${trigger.queue} (threshold ${trigger.corrections})`);
  }
  const states = trigger.alerts.length > 0 ? await registry.alerts.load() : [];
  const alerts = states
    .filter((state) => trigger.alerts.includes(state.rule) && state.state === 'firing')
    .map((state) => ({ rule: state.rule, since: state.since, new: !last || state.since > last.startedAt }));
  const unevaluated = trigger.alerts.filter((rule) => !states.some((state) => state.rule === rule));
  for (const alert of alerts.filter((each) => each.new))
    reasons.push(`alert ${alert.rule} firing since ${new Date(alert.since).toISOString()}`);
  // a failed iteration wrote its corrections (or answered its alert): they would not trigger again
  const retry =
    last?.status === 'failed' &&
    last.config.trigger !== undefined &&
    !(last.config.trigger as LoopTriggers).retry;
  if (retry) reasons.push(`the last iteration ${last!.id} failed: once more, on what triggered it`);
  if (trigger.every !== undefined && (!last || now - last.startedAt >= trigger.every))
    reasons.push(
      last
        ? `the last iteration started ${Math.round((now - last.startedAt) / 60_000)} min ago (every ${Math.round(trigger.every / 60_000)} min)`
        : 'no iteration has run yet (scheduled)',
    );
  return {
    triggered: reasons.length > 0,
    reasons,
    corrections,
    alerts,
    unevaluated,
    retry,
    ...(last && {
      last: {
        id: last.id,
        startedAt: last.startedAt,
        status: last.status,
        ...(typeof last.summary?.outcome === 'string' && { outcome: last.summary.outcome }),
      },
    }),
  };
}
