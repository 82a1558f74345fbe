// A Postgres registry's connections as a server treats them: an idle connection the server closes (a
// restart, an idle timeout, pg_terminate_backend) is dropped and the next query reconnects, where the
// pool's unheard error had ended the process (every replica at once); URLs and databases that cannot
// be a registry are refused with a code before anything is created; and a server that cannot take a
// connection now (starting, stopping, at a connection limit) is a coded UnavailableError, not pg's own.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { describePostgres } from '../../test/registry-postgres.js';
import { PromptuneError } from '../errors/index.js';
import { taskSpec } from '../tasks/index.js';
import { sql } from 'kysely';
import { isConnectionLost, whenReachable } from './connection-lost.js';
import { openRegistryDatabase } from './open-registry.js';
import { Registry } from './registry.js';

/** Has the server close every other connection to the database at `url`; how many it closed. */
async function terminateOthers(url: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describePostgres('PostgreSQL connections', (freshDatabase) => {
  it('survives the server closing its idle connections, and reconnects on the next query', async () => {
    const url = await freshDatabase();
    const registry = await Registry.open({ url });
    try {
      await registry.putTask(taskSpec.parse({ name: 'greet', prompt: { template: '{{input}}' } }));
      // every other connection to this database, the pool's idle ones among them, closed by the server
      expect(await terminateOthers(url)).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the pool hears of it
      expect((await registry.getTask('greet')).name).toBe('greet');
    } finally {
      await registry.close();
    }
  });

  it('survives the server closing a connection checked out mid-transaction: the transaction fails, nothing else', async () => {
    const url = await freshDatabase();
    const connection = await openRegistryDatabase({ url });
    try {
      const failure = await connection.database
        .transaction()
        .execute(async (transaction) => {
          await sql`select 1`.execute(transaction);
          await terminateOthers(url);
          // the server's goodbye reaches the client while the transaction waits on its caller
          await new Promise((resolve) => setTimeout(resolve, 300));
          await sql`select 1`.execute(transaction);
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(isConnectionLost(failure)).toBe(true);
      // coded, with the driver's error as its cause (it had been pg's bare "Connection terminated")
      expect(failure).toMatchObject({ name: 'UnavailableError', code: 'REGISTRY_UNAVAILABLE' });
      expect((failure as Error).cause).toBeInstanceOf(Error);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(connection.database);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await connection.close();
    }
  });

  it('refuses a URL that is not Postgres, or names no database, or a database that does not exist', async () => {
    const url = await freshDatabase();
    const refusal = (location: string) =>
      Registry.open({ url: location }).then(
        () => undefined,
        (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
      );
    expect(await refusal('mysql://someone:secret@127.0.0.1/registry')).toEqual({
      code: 'REGISTRY_BAD_URL',
      message: 'mysql://someone:***@127.0.0.1/registry is not a Postgres URL',
    });
    expect((await refusal(url.replace(/\/[^/]+$/, '')))?.code).toBe('REGISTRY_BAD_URL');
    expect(await refusal(url.replace(/\/[^/]+$/, '/nosuchdatabase'))).toMatchObject({
      code: 'REGISTRY_DATABASE_MISSING',
      message: expect.stringContaining('"nosuchdatabase" does not exist'),
    });
  });

  it('says a server that cannot take a connection now is unavailable, with a code and a hint', async () => {
    const url = await freshDatabase();
    // a role allowed no connections: the server refuses as it does at its connection limit (53300)
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('create role crowded login connection limit 0');
    await admin.end();
    const refused = await Registry.open({ url: url.replace('//postgres@', '//crowded@') }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(PromptuneError.isInstance(refused)).toBe(true);
    expect(refused).toMatchObject({
      name: 'UnavailableError',
      code: 'CONNECTION_FAILED',
      message: expect.stringMatching(
        /cannot take a connection now: too many connections for role "crowded"$/,
      ),
      hint: expect.stringContaining('open the registry again shortly'),
    });
  });
});

describePostgres('an open registry whose server refuses it for now', (freshDatabase) => {
  it("says REGISTRY_UNAVAILABLE with a hint, which whenReachable waits out, not pg's bare error", async () => {
    const url = await freshDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('create role library login');
    await admin.query('grant all on schema public to library');
    const registry = await Registry.open({ url: url.replace('//postgres@', '//library@') });
    try {
      await registry.putTask(taskSpec.parse({ name: 'greet', prompt: { template: '{{input}}' } }));
      // its connections closed, and no new one allowed: each query's connection is refused (53300)
      await admin.query('alter role library connection limit 0');
      await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where usename = 'library'");
      await new Promise((resolve) => setTimeout(resolve, 200)); // the pool hears of it
      const refused = await registry.getTask('greet').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toMatchObject({
        name: 'UnavailableError',
        code: 'REGISTRY_UNAVAILABLE',
        message: expect.stringMatching(
          /^the registry's database is unreachable for now \(.*too many connections/,
        ),
        hint: expect.stringContaining('whenReachable'),
      });
      expect(isConnectionLost(refused)).toBe(true);
      // waited out: the query answers once the server lets it in again
      setTimeout(() => void admin.query('alter role library connection limit -1'), 300);
      expect((await whenReachable(() => registry.getTask('greet'))).name).toBe('greet');
    } finally {
      await registry.close();
      await admin.end();
    }
  });
});

describe('a registry URL', () => {
  it('is checked before any connection is tried, as pg reads it', async () => {
    const environment = { host: process.env.PGHOST, database: process.env.PGDATABASE };
    delete process.env.PGHOST;
    delete process.env.PGDATABASE;
    try {
      await expect(Registry.open({ url: 'postgresql:/bad' })).rejects.toMatchObject({
        code: 'REGISTRY_BAD_URL',
      });
      // a password never shows, even in a URL the parser refuses
      await expect(Registry.open({ url: 'mysql://u:pa/ss@host/db' })).rejects.toMatchObject({
        message: 'mysql://***@host/db is not a Postgres URL',
      });
      await expect(Registry.open({ url: 'postgres://127.0.0.1:1' })).rejects.toMatchObject({
        code: 'REGISTRY_BAD_URL',
        message: 'postgres://127.0.0.1:1 names no database',
      });
      // a Unix socket's folder in the query, and the database there too: URLs pg connects with
      for (const url of [
        'postgres:///promptune?host=/nonexistent',
        'postgres://127.0.0.1:1?dbname=promptune',
      ])
        await expect(Registry.open({ url })).rejects.not.toMatchObject({ code: 'REGISTRY_BAD_URL' });
    } finally {
      if (environment.host !== undefined) process.env.PGHOST = environment.host;
      if (environment.database !== undefined) process.env.PGDATABASE = environment.database;
    }
  });
});
