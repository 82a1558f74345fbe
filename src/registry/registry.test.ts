// Runs the registry conformance suite on SQLite (a real file) and on a real PostgreSQL server started
// for the test (skipped with a message where PostgreSQL is not installed, unless CI requires it).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinaries, startPostgres, type TestPostgres } from '../../test/postgres.js';
import { registryConformance } from './registry.case.js';
import { Registry } from './registry.js';

registryConformance('SQLite', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'promptune-registry-')), 'registry.sqlite');
  return { registry: await Registry.open({ path }), location: path };
});

const havePostgres = postgresBinaries() !== undefined;
it('PostgreSQL is installed where CI requires it', () => {
  if (process.env.PROMPTUNE_REQUIRE_POSTGRES === '1') expect(havePostgres).toBe(true);
  if (!havePostgres)
    console.warn(
      'PostgreSQL is not installed: the Postgres registry suite is skipped (apt-get install postgresql)',
    );
});

describe.skipIf(!havePostgres)('PostgreSQL', () => {
  let server: TestPostgres;
  let databases = 0;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(() => server?.stop());
  registryConformance('Postgres', async () => {
    // a fresh database per case, so every case starts empty
    const name = `registry_${++databases}`;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = server.url.replace(/\/postgres$/, `/${name}`);
    return { registry: await Registry.open({ url }), location: url };
  });
});
