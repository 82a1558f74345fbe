// Alert states and their history in the registry: the current state of each rule (so a restarted
// service resumes firing rules without notifying again) and every firing and resolution. What a rule
// means and when it changes state is observe's business; this file only stores what it is told.
import type { Kysely } from 'kysely';
import type { RegistryWrite } from './access-keys.js';
import type { RegistryDatabase } from './schema.js';

/** A rule's current state. Times are epoch milliseconds. */
export interface AlertStatusRecord {
  rule: string;
  /** `pending`: the condition has not yet held for the rule's `for`. */
  state: 'ok' | 'pending' | 'firing';
  /** When the rule entered `state`. */
  since: number;
  value: number | undefined;
  count: number;
  evaluatedAt: number;
  /** Why the latest evaluation failed (the state is then the one before it). */
  error?: string;
}

/** A rule firing or resolving. */
export interface AlertEventRecord {
  rule: string;
  state: 'firing' | 'resolved';
  value: number | undefined;
  count: number;
  threshold: number;
  at: number;
  severity: string;
  detail?: Record<string, unknown>;
}

/** Alert states and events in one registry database. */
export class AlertRecords {
  constructor(
    private readonly database: Kysely<RegistryDatabase>,
    private readonly write: RegistryWrite,
  ) {}

  /** Every rule's last saved state. */
  async load(): Promise<AlertStatusRecord[]> {
    const rows = await this.database.selectFrom('alert_states').selectAll().orderBy('rule').execute();
    return rows.map((row) => ({
      rule: row.rule,
      state: row.state as AlertStatusRecord['state'],
      since: Number(row.since),
      value: row.value === null ? undefined : Number(row.value),
      count: Number(row.count),
      evaluatedAt: Number(row.evaluated_at),
      ...(row.error === null ? {} : { error: row.error }),
    }));
  }

  /** Saves a rule's state (replacing the previous one). */
  async save(status: AlertStatusRecord): Promise<void> {
    const row = statusRow(status);
    await this.write((transaction) =>
      transaction
        .insertInto('alert_states')
        .values(row)
        .onConflict((conflict) =>
          conflict.column('rule').doUpdateSet({
            state: row.state,
            since: row.since,
            value: row.value,
            count: row.count,
            evaluated_at: row.evaluated_at,
            error: row.error,
          }),
        )
        .execute(),
    );
  }

  /** Records a firing or a resolution. */
  async record(event: AlertEventRecord): Promise<void> {
    await this.write((transaction) =>
      transaction.insertInto('alert_events').values(eventRow(event)).execute(),
    );
  }

  /**
   * Moves a rule from `expected` (no stored state reads as ok) to `status`, recording `event` with it,
   * all or nothing; false, changing nothing, when the stored state is another: an evaluator elsewhere
   * (a replica on this registry) moved the rule first, and only it notifies. The update's condition is
   * checked under the row's lock, so of two at once one wins.
   */
  async transition(
    status: AlertStatusRecord,
    expected: AlertStatusRecord['state'],
    event?: AlertEventRecord,
  ): Promise<boolean> {
    const row = statusRow(status);
    return this.write(async (transaction) => {
      const { rule: _rule, ...changes } = row;
      const updated = await transaction
        .updateTable('alert_states')
        .set(changes)
        .where('rule', '=', row.rule)
        .where('state', '=', expected)
        .executeTakeFirst();
      let moved = Number(updated.numUpdatedRows) === 1;
      if (!moved && expected === 'ok') {
        const inserted = await transaction
          .insertInto('alert_states')
          .values(row)
          .onConflict((conflict) => conflict.column('rule').doNothing())
          .executeTakeFirst();
        moved = Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
      }
      if (moved && event) await transaction.insertInto('alert_events').values(eventRow(event)).execute();
      return moved;
    });
  }

  /**
   * Forgets the state of a rule no longer evaluated, when it is still `expected`, recording `event`
   * (its resolution) with it; false when another evaluator changed or forgot it first.
   */
  async forget(
    rule: string,
    expected: AlertStatusRecord['state'],
    event?: AlertEventRecord,
  ): Promise<boolean> {
    return this.write(async (transaction) => {
      const deleted = await transaction
        .deleteFrom('alert_states')
        .where('rule', '=', rule)
        .where('state', '=', expected)
        .executeTakeFirst();
      const forgotten = Number(deleted.numDeletedRows) === 1;
      if (forgotten && event) await transaction.insertInto('alert_events').values(eventRow(event)).execute();
      return forgotten;
    });
  }

  /** Firings and resolutions, newest first. */
  async history(options: { rule?: string; limit?: number } = {}): Promise<AlertEventRecord[]> {
    let query = this.database.selectFrom('alert_events').selectAll();
    if (options.rule !== undefined) query = query.where('rule', '=', options.rule);
    const rows = await query
      .orderBy('id', 'desc')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map((row) => ({
      rule: row.rule,
      state: row.state as AlertEventRecord['state'],
      value: row.value === null ? undefined : Number(row.value),
      count: Number(row.count),
      threshold: Number(row.threshold),
      at: Number(row.at),
      severity: row.severity,
      ...(row.detail === null ? {} : { detail: JSON.parse(row.detail) as Record<string, unknown> }),
    }));
  }
}

function statusRow(status: AlertStatusRecord) {
  return {
    rule: status.rule,
    state: status.state,
    since: Math.round(status.since),
    value: status.value ?? null,
    count: status.count,
    evaluated_at: Math.round(status.evaluatedAt),
    error: status.error ?? null,
  };
}

function eventRow(event: AlertEventRecord) {
  return {
    rule: event.rule,
    state: event.state,
    value: event.value ?? null,
    count: event.count,
    threshold: event.threshold,
    severity: event.severity,
    detail: event.detail === undefined ? null : JSON.stringify(event.detail),
    at: Math.round(event.at),
  };
}
