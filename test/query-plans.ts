// For tests of which indexes a registry query reads: a Kysely on its own connection to a registry that
// keeps the queries it runs, and what the database plans for one of them. Plans are read, never timed.
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import type { RegistryLocation } from '../src/registry/index.js';
import type { RegistryDatabase } from '../src/registry/schema.js';

/**
 * A database on `location` whose queries are kept, in order, in `queries` (to plan them after), with
 * its raw SQLite handle on SQLite (a TraceStore's third argument).
 */
export function loggedDatabase(location: RegistryLocation): {
  database: Kysely<RegistryDatabase>;
  queries: CompiledQuery[];
  sqlite: Database.Database | undefined;
  dialect: 'sqlite' | 'postgres';
} {
  const queries: CompiledQuery[] = [];
  const sqlite = location.url ? undefined : new Database(location.path!);
  const database = new Kysely<RegistryDatabase>({
    dialect: sqlite
      ? new SqliteDialect({ database: sqlite })
      : new PostgresDialect({ pool: new pg.Pool({ connectionString: location.url }) }),
    log: (event) => {
      if (event.level === 'query') queries.push(event.query);
    },
  });
  return { database, queries, sqlite, dialect: sqlite ? ('sqlite' as const) : ('postgres' as const) };
}

/**
 * What the database plans for `query` (one of `loggedDatabase`'s): SQLite's query plan, one step a
 * line, or Postgres's with sequential scans off (on a table of a few rows a scan is cheapest, whatever
 * the planner would do with a million).
 */
export async function planOf(
  database: Kysely<RegistryDatabase>,
  dialect: 'sqlite' | 'postgres',
  query: CompiledQuery,
): Promise<string> {
  const explained = sql.raw(`${dialect === 'sqlite' ? 'explain query plan' : 'explain'} ${query.sql}`);
  const run = async (connection: Kysely<RegistryDatabase>) =>
    (
      await connection.executeQuery<Record<string, unknown>>({
        ...explained.compile(connection),
        parameters: query.parameters,
      })
    ).rows
      .map((row) => String(row.detail ?? Object.values(row)[0]))
      .join('\n');
  if (dialect === 'sqlite') return run(database);
  return database.transaction().execute(async (transaction) => {
    await sql`set local enable_seqscan = off`.execute(transaction);
    return run(transaction);
  });
}
