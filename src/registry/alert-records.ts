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
    const row = {
      rule: status.rule,
      state: status.state,
      since: Math.round(status.since),
      value: status.value ?? null,
      count: status.count,
      evaluated_at: Math.round(status.evaluatedAt),
      error: status.error ?? null,
    };
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
      transaction
        .insertInto('alert_events')
        .values({
          rule: event.rule,
          state: event.state,
          value: event.value ?? null,
          count: event.count,
          threshold: event.threshold,
          severity: event.severity,
          detail: event.detail === undefined ? null : JSON.stringify(event.detail),
          at: Math.round(event.at),
        })
        .execute(),
    );
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
