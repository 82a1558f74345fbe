// Trace retention's deletes: traces older than a time and beyond the newest so many, with what is kept
// beside them (scores, guard failures), oldest first in small transactions. When to prune, and how much
// to keep, is observe's retention timer's to decide.
import { sql, type Kysely } from 'kysely';
import type { RegistryWrite } from './access-keys.js';
import type { Dialect } from './migrations.js';
import type { RegistryDatabase } from './schema.js';

/** Traces deleted per transaction of a prune. */
const pruneBatch = 500;

/**
 * The time of the newest trace beyond the newest `keep` (the (keep + 1)-th newest), or undefined when
 * there are no more than `keep`. Stepping over `keep` traces newest first read that many index entries
 * every five minutes (0.13-0.47 s at a million on SQLite). The same time is the (count − keep)-th
 * oldest, and SQLite counts from the pages of its smallest index (about 1 ms at a million), so there
 * it steps from whichever end is nearer. Postgres reads every row to count (59 ms at 300,000, where
 * the offset's index-only scan took 22 ms), so there it steps newest first as before. Traces sharing
 * an instant are one position each from either end, so ties fall alike.
 */
async function timeBeyondNewest(
  database: Kysely<RegistryDatabase>,
  keep: number,
  countIsCheap: boolean,
): Promise<number | undefined> {
  let fromOldest = false;
  if (countIsCheap) {
    const { count } = await database
      .selectFrom('traces')
      .select((select) => select.fn.countAll<number | string>().as('count'))
      .executeTakeFirstOrThrow();
    const beyond = Number(count) - keep;
    if (beyond <= 0) return undefined;
    fromOldest = beyond - 1 < keep;
  }
  if (fromOldest) {
    // counted again in the statement that steps, one snapshot: another process's prune between the count
    // above and this step would have moved the step past traces to keep
    const { rows } = await sql<{ at: number | string }>`select at from traces
      where (select count(*) from traces) > ${keep}
      order by at asc
      limit 1 offset max((select count(*) from traces) - ${keep} - 1, 0)`.execute(database);
    return rows[0] === undefined ? undefined : Number(rows[0].at);
  }
  const boundary = await database
    .selectFrom('traces')
    .select('at')
    .orderBy('at', 'desc')
    .offset(keep)
    .limit(1)
    .executeTakeFirst();
  return boundary === undefined ? undefined : Number(boundary.at);
}

/**
 * Deletes traces older than `before` (epoch ms) and all but the newest `keep` (every trace at or before
 * the instant of the first beyond them, ties included), with their scores and guard failures; returns
 * how many went. They go oldest first, `batch` at a time, each batch its own transaction with the event
 * loop free between them: the first prune of a registry that kept a year of traces (hundreds of
 * thousands beyond the retention) held the service's requests, and the database's write lock, for the
 * whole delete (43 s for 670,000 traces on SQLite).
 */
export async function pruneTraces(
  database: Kysely<RegistryDatabase>,
  write: RegistryWrite,
  retention: { before?: number; keep?: number; batch?: number },
  dialect: Dialect,
): Promise<number> {
  const batch = Math.max(1, Math.floor(retention.batch ?? pruneBatch));
  let cutoff = retention.before;
  if (retention.keep !== undefined) {
    const boundary = await timeBeyondNewest(database, retention.keep, dialect === 'sqlite');
    if (boundary !== undefined) cutoff = Math.max(cutoff ?? -Infinity, boundary + 1);
  }
  if (cutoff === undefined) return 0;
  const before = cutoff;
  let pruned = 0;
  for (;;) {
    const deleted = await write(async (transaction) => {
      const ids = (
        await transaction
          .selectFrom('traces')
          .select('id')
          .where('at', '<', before)
          .orderBy('at')
          .limit(batch)
          .execute()
      ).map((row) => row.id);
      if (ids.length === 0) return 0;
      await transaction.deleteFrom('scores').where('trace_id', 'in', ids).execute();
      await transaction.deleteFrom('guard_failures').where('trace_id', 'in', ids).execute();
      await transaction.deleteFrom('traces').where('id', 'in', ids).execute();
      return ids.length;
    });
    pruned += deleted;
    if (deleted < batch) return pruned;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
