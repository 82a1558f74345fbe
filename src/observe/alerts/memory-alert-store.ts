// An AlertStateStore in memory: for tests, and for a service run without a registry, where alert
// states last as long as the process. It keeps copies, so callers cannot change what it holds.
// It does not persist anything; the registry-backed store does.
import type { AlertEvent, AlertState, AlertStateStore, AlertStatus } from './alert-types.js';

/** Alert statuses and events in memory. */
export class MemoryAlertStore implements AlertStateStore {
  private readonly statuses = new Map<string, AlertStatus>();
  private readonly events: AlertEvent[] = [];

  /** Every status saved, one per rule. */
  async load(): Promise<AlertStatus[]> {
    return [...this.statuses.values()].map((status) => structuredClone(status));
  }

  /** Replaces the rule's status. */
  async save(status: AlertStatus): Promise<void> {
    this.statuses.set(status.rule, structuredClone(status));
  }

  /** Appends an event to the history. */
  async record(event: AlertEvent): Promise<void> {
    this.events.push(structuredClone(event));
  }

  /** Moves a rule from `expected` to `status` with `event`; false when it is in another state. */
  async transition(status: AlertStatus, expected: AlertState, event?: AlertEvent): Promise<boolean> {
    // checked and written without yielding, so of moves made at once one lands
    if ((this.statuses.get(status.rule)?.state ?? 'ok') !== expected) return false;
    if (event) this.events.push(structuredClone(event));
    this.statuses.set(status.rule, structuredClone(status));
    return true;
  }

  /** Forgets a rule's state while it is `expected`, recording `event`; false when it was not. */
  async forget(rule: string, expected: AlertState, event?: AlertEvent): Promise<boolean> {
    if (this.statuses.get(rule)?.state !== expected) return false;
    this.statuses.delete(rule);
    if (event) this.events.push(structuredClone(event));
    return true;
  }

  /** Events newest first (by `at`, then by recording order), of one rule or all; at most `limit` (default 100). */
  async history(options: { rule?: string; limit?: number } = {}): Promise<AlertEvent[]> {
    const limit = options.limit ?? 100;
    const chosen = this.events
      .map((event, order) => ({ event, order }))
      .filter(({ event }) => options.rule === undefined || event.rule === options.rule)
      .sort((a, b) => b.event.at - a.event.at || b.order - a.order);
    return chosen.slice(0, Math.max(0, limit)).map(({ event }) => structuredClone(event));
  }
}
