// Every registry write runs here: one transaction, retried as a whole (after an asynchronous, jittered
// backoff) when the database says it is busy (SQLite's SQLITE_BUSY*, Postgres serialization failures
// and deadlocks) or when it lost a uniqueness race to a concurrent writer (a re-run sees the winner's
// row). Errors are recognised by their codes, never by message text. Retries that run out become an
// UnavailableError. It does not choose how transactions begin: the SQLite dialect makes them immediate.
import type { Kysely } from 'kysely';
import { UnavailableError } from '../errors/index.js';

/** How often, and how patiently, a busy write is tried again. */
export interface WriteRetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** The first backoff; each later one doubles, up to `maximumDelayMs`. */
  initialDelayMs: number;
  maximumDelayMs: number;
  /** Jitter source (0 <= x < 1), so that writers that collided do not collide again in step. */
  random: () => number;
}

/** Patient enough for dozens of writers on one SQLite file; about 15 seconds before giving up. */
export const defaultWriteRetryPolicy: WriteRetryPolicy = {
  attempts: 80,
  initialDelayMs: 2,
  maximumDelayMs: 200,
  random: Math.random,
};

/** Attempts a uniqueness race may take: a re-run normally finds the winner's row at once. */
const uniqueRaceAttempts = 5;

const errorCode = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : '';

/**
 * True when the database was briefly unavailable: SQLite busy (any extended SQLITE_BUSY code), or a
 * Postgres serialization failure (40001) or deadlock (40P01), which abort the transaction to retry.
 */
export function isBusyError(error: unknown): boolean {
  const code = errorCode(error);
  return code.startsWith('SQLITE_BUSY') || code === '40001' || code === '40P01';
}

/** True for a unique or primary-key violation: SQLSTATE 23505, or SQLite's extended constraint codes. */
export function isUniqueViolation(error: unknown): boolean {
  const code = errorCode(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Runs `attempt` until it succeeds, retrying busy errors (and, a few times, uniqueness races) with
 * backoff; throws REGISTRY_BUSY when the policy's attempts run out, any other error at once.
 */
export async function retryWhileBusy<T>(attempt: () => Promise<T>, policy: WriteRetryPolicy): Promise<T> {
  let uniqueRaces = 0;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const busy = isBusyError(error);
      const raced = !busy && isUniqueViolation(error) && ++uniqueRaces < uniqueRaceAttempts;
      if (!busy && !raced) throw error;
      if (tries >= policy.attempts)
        throw new UnavailableError(
          `the registry database stayed busy through ${policy.attempts} attempts: ${(error as Error).message}`,
          {
            code: 'REGISTRY_BUSY',
            hint: 'Other writers hold the registry; try again shortly (or use Postgres for many writers).',
            cause: error,
          },
        );
      const ceiling = Math.min(policy.maximumDelayMs, policy.initialDelayMs * 2 ** (tries - 1));
      await sleep(ceiling * (0.5 + policy.random() / 2));
    }
  }
}

/**
 * Runs `work` in a transaction of its own, retried as a whole while busy; inside an enclosing
 * transaction (`database.isTransaction`) it just runs `work`, and the outermost one retries.
 */
export function writeTransaction<Database, T>(
  database: Kysely<Database>,
  work: (transaction: Kysely<Database>) => Promise<T>,
  policy: WriteRetryPolicy,
): Promise<T> {
  if (database.isTransaction) return work(database);
  return retryWhileBusy(() => database.transaction().execute(work), policy);
}
