// Opens the registry database: a SQLite file (the embedded default) or Postgres when a connection
// URL is given (DATABASE_URL for the CLI), and brings it to the latest schema.
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { migrateToLatest, type Dialect } from './migrations.js';
import type { RegistryDatabase } from './schema.js';

/** Where the registry lives: a SQLite path, or a Postgres URL. */
export interface RegistryLocation {
  path?: string;
  url?: string;
}

/** An open database with its dialect. */
export interface RegistryConnection {
  database: Kysely<RegistryDatabase>;
  dialect: Dialect;
  /** The SQLite file's folder (soft-prompt blobs may live beside it), undefined for Postgres. */
  directory: string | undefined;
}

/** Opens and migrates the registry at `location`. */
export async function openRegistryDatabase(location: RegistryLocation): Promise<RegistryConnection> {
  if (location.url) {
    const database = new Kysely<RegistryDatabase>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: location.url, max: 10 }) }),
    });
    await migrateToLatest(database as Kysely<unknown>, 'postgres');
    return { database, dialect: 'postgres', directory: undefined };
  }
  const path = location.path ?? '.promptune/registry.sqlite';
  mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  // WAL: committed writes survive a crash and readers do not block the writer
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const database = new Kysely<RegistryDatabase>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(database as Kysely<unknown>, 'sqlite');
  return { database, dialect: 'sqlite', directory: dirname(path) };
}
