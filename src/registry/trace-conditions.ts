// A trace filter's conditions on a table beside traces (a score of a name, a failed guard check), and
// which of them drives a listing. Probing each trace with EXISTS is quick while the condition is common (the newest traces
// soon supply a page) and scans every trace when it is rare (8-10 s for a score name on 20 of a million
// traces); a rare one is read from its own index instead, its traces looked up by id and sorted.
// What a condition matches is decided here; the order, cursor and other filters stay the listing's.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { RegistryDatabase } from './schema.js';

/** Rows matching a condition in a table beside traces that name their trace in `trace_id`. */
export interface SideCondition {
  table: 'scores' | 'guard_failures';
  /** The rows' condition, without the trace (its columns named with the table). */
  where: RawBuilder<SqlBool>;
}

/**
 * Below this many matching rows a condition drives a listing. Its traces are then each read by id (about
 * 11 µs apiece on SQLite, their rows scattered over the file), where probing the traces newest first
 * reads on average a page × the traces / this many of them (about 3 µs apiece, in order), and every
 * one when the condition's traces are old: at a million traces the two are even near 2,500 (30 ms).
 * Fewer traces lower that point and more raise it; below it the bound, not the average, decides.
 */
export const drivingLimit = 2_500;

/** The condition of a score filter: a score of the name (within the range, if one is given). */
export function scoreCondition(score: { name: string; minimum?: number; maximum?: number }): SideCondition {
  const parts = [sql<SqlBool>`scores.name = ${score.name}`];
  if (score.minimum !== undefined) parts.push(sql<SqlBool>`scores.value >= ${score.minimum}`);
  if (score.maximum !== undefined) parts.push(sql<SqlBool>`scores.value <= ${score.maximum}`);
  return { table: 'scores', where: sql<SqlBool>`${sql.join(parts, sql` and `)}` };
}

/** The condition of a guard filter: a failed check of the validator, or of any (`true`). */
export function guardCondition(validator: true | string): SideCondition {
  return {
    table: 'guard_failures',
    where: validator === true ? sql<SqlBool>`true` : sql<SqlBool>`guard_failures.validator = ${validator}`,
  };
}

/** The trace (`traces`, in the query around it) has a row matching `condition`. */
export function hasMatch(condition: SideCondition): RawBuilder<SqlBool> {
  const table = sql.table(condition.table);
  return sql<SqlBool>`exists (select 1 from ${table} where ${condition.where} and ${sql.ref(`${condition.table}.trace_id`)} = traces.id)`;
}

/** The ids of the traces with a row matching `condition`, each once, as a table to join traces to. */
export function matchedTraces(condition: SideCondition) {
  return sql<{
    trace_id: string;
  }>`(select distinct trace_id from ${sql.table(condition.table)} where ${condition.where})`.as('matched');
}

/**
 * Of `conditions`, the one matching fewest rows if that is under `limit`, to drive the listing from;
 * undefined when each matches `limit` or more (then each is probed per trace). Each count reads at most
 * the current fewest rows of its index.
 */
export async function drivingCondition(
  database: Kysely<RegistryDatabase>,
  conditions: readonly SideCondition[],
  limit: number,
): Promise<SideCondition | undefined> {
  let driving: SideCondition | undefined;
  let fewest = limit;
  for (const condition of conditions) {
    if (fewest <= 0) break;
    const { rows } = await sql<{
      found: number | string;
    }>`select count(*) as found from (select 1 from ${sql.table(
      condition.table,
    )} where ${condition.where} limit ${fewest}) as probe`.execute(database);
    const found = Number(rows[0]?.found ?? 0);
    if (found < fewest) {
      driving = condition;
      fewest = found;
    }
  }
  return driving;
}
