// A Postgres server for the registry tests that need one: started once per file, a fresh empty
// database per call. Where PostgreSQL is not installed the tests are skipped with a message, except
// where CI requires it (PROMPTUNE_REQUIRE_POSTGRES=1): there a missing server fails.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinaries, startPostgres, type TestPostgres } from './postgres.js';

/**
 * Defines `body`'s tests inside a describe block that has a running Postgres server; `freshDatabase`
 * creates an empty database on it and returns its URL.
 */
export function describePostgres(name: string, body: (freshDatabase: () => Promise<string>) => void): void {
  const installed = postgresBinaries() !== undefined;
  it(`PostgreSQL is installed where CI requires it (${name})`, () => {
    if (process.env.PROMPTUNE_REQUIRE_POSTGRES === '1') expect(installed).toBe(true);
    if (!installed)
      console.warn(`PostgreSQL is not installed: "${name}" is skipped (apt-get install postgresql)`);
  });
  describe.skipIf(!installed)(name, () => {
    let server: TestPostgres;
    let databases = 0;
    beforeAll(async () => {
      server = await startPostgres();
    }, 60_000);
    afterAll(() => server?.stop(), 60_000); // a loaded machine takes a while to stop it and remove its data
    body(async () => {
      const database = `registry_${process.pid}_${++databases}`;
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query(`CREATE DATABASE ${database}`);
      await client.end();
      return server.url.replace(/\/postgres$/, `/${database}`);
    });
  });
}
