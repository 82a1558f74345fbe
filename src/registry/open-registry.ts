// Opens the registry database: a SQLite file (the embedded default) or Postgres when a connection
// URL is given (DATABASE_URL for the CLI), and brings it to the latest schema, safely when several
// processes open a new registry at once. A Postgres URL is checked first, the server's refusals at
// connection get codes and hints, and idle connections the server closes are dropped, not fatal. It
// does not run queries for the registry: registry.ts does.
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { hasPendingMigrations, migrateToLatest, refuseNewerSchema, type Dialect } from './migrations.js';
import type { RegistryDatabase } from './schema.js';
import { closableDialect } from './closable-dialect.js';
import { isConnectionLost, isRegistryUnreachable } from './connection-lost.js';
import { defaultQueryLimitMs, limitQueries } from './postgres-query-limit.js';
import { ImmediateSqliteDialect } from './sqlite-dialect.js';
import { defaultWriteRetryPolicy, retryWhileBusy, type WriteRetryPolicy } from './write-transaction.js';
import { makeDirectory } from '../engine/index.js';
import {
  environmentError,
  NotFoundError,
  PermissionError,
  PromptuneError,
  redactedUrl,
  UnavailableError,
  ValidationError,
} from '../errors/index.js';

/** Where the registry lives: a SQLite path, or a Postgres URL. */
export interface RegistryLocation {
  path?: string;
  url?: string;
}

/** How the registry behaves under contention (defaults suit the CLI and the service). */
export interface RegistryOptions {
  /** Retries of writes that find the database busy (SQLite) or that must be re-run (Postgres). */
  writeRetry?: Partial<WriteRetryPolicy>;
  /**
   * Postgres: how long a query may go unanswered before its connection is closed and it fails as a lost
   * connection (default 60 s; 0 for none). Migrations run without it.
   */
  queryLimitMs?: number;
}

/** An open database with its dialect. */
export interface RegistryConnection {
  database: Kysely<RegistryDatabase>;
  dialect: Dialect;
  /** The SQLite file's folder (soft-prompt blobs may live beside it), undefined for Postgres. */
  directory: string | undefined;
  writeRetry: WriteRetryPolicy;
  /** The SQLite handle itself, for reads too large for row objects (a million traces); undefined for Postgres. */
  sqlite?: Database.Database;
  /** The Postgres URL (a listener of change notices opens a connection of its own); undefined for SQLite. */
  url?: string;
  /** Ends the database: each later query is refused with REGISTRY_CLOSED. */
  close(): Promise<void>;
}

/**
 * SQLite's own wait for a lock before it reports SQLITE_BUSY. better-sqlite3 waits synchronously,
 * freezing the event loop meanwhile, so it is short; retryWhileBusy waits longer, asynchronously.
 */
const sqliteBusyTimeoutMs = 25;

/**
 * The size a SQLite registry's write-ahead log is cut back to once checkpointed (SQLite's
 * journal_size_limit): past it the file stayed as large as the largest transaction ever written.
 */
export const largestWriteAheadLogBytes = 16 * 1024 * 1024;

/** Opens and migrates the registry at `location`. */
export async function openRegistryDatabase(
  location: RegistryLocation,
  options: RegistryOptions = {},
): Promise<RegistryConnection> {
  const writeRetry = { ...defaultWriteRetryPolicy, ...options.writeRetry };
  // one of the two names the registry; given both, which one is meant is the caller's to say
  if (location.url && location.path)
    throw new ValidationError('the registry location has both a path (SQLite) and a url (Postgres)', {
      code: 'REGISTRY_BAD_LOCATION',
      hint: 'Give { path } for a SQLite file or { url } for Postgres, not both.',
    });
  // an unset environment variable ({ path: process.env.X }) had opened .promptune/registry.sqlite
  // under the working folder, a registry nobody meant
  if (!location.url && !location.path)
    throw new ValidationError('the registry location names neither a path (SQLite) nor a url (Postgres)', {
      code: 'REGISTRY_BAD_LOCATION',
      hint: "Give { path: '.promptune/registry.sqlite' } (the CLI's default) or { url: 'postgres://…' }; a value read from an environment variable may be unset.",
    });
  const queryLimitMs = options.queryLimitMs ?? defaultQueryLimitMs;
  if (!Number.isFinite(queryLimitMs) || queryLimitMs < 0)
    throw new ValidationError(`queryLimitMs must be a number of milliseconds ≥ 0, not ${queryLimitMs}`, {
      code: 'REGISTRY_BAD_OPTION',
      hint: 'Give the longest a Postgres query may go unanswered (default 60000), or 0 for no limit.',
    });
  if (location.url) {
    checkPostgresUrl(location.url);
    // loaded for a Postgres registry only: an embedded (SQLite) one, and a library import, go without it
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: location.url, max: 10, connectionTimeoutMillis: 15_000 });
    // an idle connection the server closes (a restart, an idle timeout, pg_terminate_backend) is dropped
    // from the pool, and the next query opens another; unheard, the pool's error ends the process
    pool.on('error', () => undefined);
    // and one the server closes while it is checked out between two queries (a transaction awaiting its
    // caller's work): its next query fails with the lost connection, which callers wait out or report;
    // unheard, the client's error ended the process (a training job's, mid-run, in a Postgres restart)
    pool.on('connect', (client) => client.on('error', () => undefined));
    // a query on a database that stops answering without refusing fails within the limit
    let queryLimit: number | undefined = undefined; // none while migrating
    pool.on('connect', (client) => limitQueries(client, () => queryLimit));
    const closable = closableDialect(new PostgresDialect({ pool }));
    const database = new Kysely<RegistryDatabase>({ dialect: closable.dialect });
    try {
      // Kysely's migrator holds a Postgres advisory lock while it migrates; creating its own tables
      // before that lock may race, which it detects and tolerates
      await refuseNewerSchema(database as Kysely<unknown>, 'postgres');
      await retryWhileBusy(() => migrateToLatest(database as Kysely<unknown>, 'postgres'), writeRetry);
    } catch (error) {
      await database.destroy();
      throw postgresConnectionError(error, location.url);
    }
    queryLimit = queryLimitMs || undefined;
    return {
      database,
      dialect: 'postgres',
      directory: undefined,
      writeRetry,
      url: location.url,
      close: closable.close,
    };
  }
  const path = location.path!;
  makeDirectory(dirname(path));
  const sqlite = new Database(path, { timeout: sqliteBusyTimeoutMs });
  const closable = closableDialect(new ImmediateSqliteDialect({ database: sqlite }));
  const database = new Kysely<RegistryDatabase>({ dialect: closable.dialect });
  try {
    // WAL: committed writes survive a crash and readers do not block the writer (switching a new
    // file to WAL takes a lock another opener may hold)
    await retryWhileBusy(async () => sqlite.pragma('journal_mode = WAL'), writeRetry);
    // a large transaction (a prune of many traces) would otherwise leave the log its size for good
    sqlite.pragma(`journal_size_limit = ${largestWriteAheadLogBytes}`);
    sqlite.pragma('foreign_keys = ON');
    await refuseNewerSchema(database as Kysely<unknown>, 'sqlite');
    if (await hasPendingMigrations(database as Kysely<unknown>, 'sqlite')) {
      keepCopyBeforeMigrating(sqlite, path);
      await retryWhileBusy(() => migrateExclusively(sqlite, database), writeRetry);
    }
  } catch (error) {
    await database.destroy();
    throw error;
  }
  return {
    database,
    dialect: 'sqlite',
    directory: dirname(path),
    writeRetry,
    sqlite,
    close: closable.close,
  };
}

/**
 * Refuses a registry URL that is not Postgres's, or names no database (the server would pick one by the
 * user's name, often the `postgres` maintenance database, and the registry's tables would land there).
 * The host may be in the query (a Unix socket: `postgres:///db?host=/var/run/postgresql`) or PGHOST,
 * and the database in the query or PGDATABASE, as pg reads them.
 */
function checkPostgresUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const example = 'postgres://user:password@host:5432/promptune';
  const host = parsed && (parsed.host || parsed.searchParams.get('host') || process.env.PGHOST);
  if (!parsed || !['postgres:', 'postgresql:'].includes(parsed.protocol) || !host)
    throw new ValidationError(`${redactedUrl(url)} is not a Postgres URL`, {
      code: 'REGISTRY_BAD_URL',
      hint: `A registry on a server is Postgres: ${example} (without DATABASE_URL, the SQLite file at --db).`,
    });
  const database =
    decodeURIComponent(parsed.pathname.replace(/^\//, '')) ||
    parsed.searchParams.get('dbname') ||
    parsed.searchParams.get('database') ||
    process.env.PGDATABASE;
  if (!database)
    throw new ValidationError(`${redactedUrl(url)} names no database`, {
      code: 'REGISTRY_BAD_URL',
      hint: `Name the database after the host, as in ${example}; create it first with createdb.`,
    });
}

/**
 * Postgres's refusals at connection, which are the setup's to fix, as errors with a code and a hint;
 * anything else as it was.
 */
function postgresConnectionError(failure: unknown, url: string): unknown {
  // opening says the driver's own refusal in the setup's terms, not as a query's lost connection
  const error = isRegistryUnreachable(failure) ? failure.cause : failure;
  if (PromptuneError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const where = redactedUrl(url);
  if (code === '3D000')
    return new NotFoundError(`${message} (${where})`, {
      code: 'REGISTRY_DATABASE_MISSING',
      hint: 'Create the database (createdb <name>) or name an existing one in DATABASE_URL.',
    });
  if (code === '28000' || code === '28P01')
    return new PermissionError(`${message} (${where})`, {
      code: 'REGISTRY_AUTH_FAILED',
      hint: "The server refused that user or password: check DATABASE_URL's user and password.",
    });
  if (/timeout|terminated/i.test(message) && typeof code !== 'string')
    return new UnavailableError(`the Postgres server at ${where} did not answer: ${message}`, {
      code: 'CONNECTION_FAILED',
      hint: 'Check the host and port in DATABASE_URL, and that the server runs and is reachable.',
    });
  // the server's own refusal for now (starting up, shutting down, too many connections): it had come
  // out as pg's bare error, with no code of ours, to an app opening its registry as Postgres restarts
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && isConnectionLost(error))
    return new UnavailableError(`the Postgres server at ${where} cannot take a connection now: ${message}`, {
      code: 'CONNECTION_FAILED',
      hint: 'It is starting, stopping or at its connection limit: open the registry again shortly.',
    });
  return error;
}

/**
 * Before a registry an older promptune wrote is migrated, a copy of the file as it was, beside it and
 * named after the last migration it has (`registry.sqlite.schema-010-jobs.bak`): the older promptune
 * cannot open the migrated file (one before REGISTRY_SCHEMA_NEWER crashes on it, or writes rows the
 * newer code misreads), so going back to it needs this copy. A new, empty file has nothing to keep; a
 * copy already there (another process migrating at once, an earlier try) is kept as it is.
 */
function keepCopyBeforeMigrating(sqlite: Database.Database, path: string): void {
  const migrated = sqlite
    .prepare(`select name from sqlite_master where type = 'table' and name = 'kysely_migration'`)
    .get();
  if (!migrated) return;
  const last = (
    sqlite.prepare('select max(name) as name from kysely_migration').get() as { name: string | null }
  ).name;
  if (!last) return;
  const copy = `${path}.schema-${last}.bak`;
  if (existsSync(copy)) return;
  try {
    // a consistent copy of the database (the write-ahead log's commits included), not of its files
    sqlite.prepare('vacuum into ?').run(copy);
  } catch (error) {
    if (existsSync(copy)) return; // another process wrote it first
    throw environmentError(error) ?? error;
  }
}

/**
 * Migrates a SQLite registry holding its write lock throughout: Kysely's migrator takes no lock on
 * SQLite, so two processes opening a new file at once would both create its tables. The migrator's
 * statements run on the same single connection, so they all belong to this transaction.
 */
async function migrateExclusively(
  sqlite: Database.Database,
  database: Kysely<RegistryDatabase>,
): Promise<void> {
  sqlite.exec('begin immediate');
  try {
    await migrateToLatest(database as Kysely<unknown>, 'sqlite');
    sqlite.exec('commit');
  } catch (error) {
    if (sqlite.inTransaction) sqlite.exec('rollback');
    throw error;
  }
}
