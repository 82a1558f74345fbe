// Several processes writing one registry at once, on SQLite (one file) and Postgres: six writers
// pushing versions and moving one label lose no operation and leave one consistent label history;
// six processes opening a brand-new registry at once all succeed and migrate it once.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Registry } from '../src/registry/index.js';
import { migrationNames } from '../src/registry/migrations.js';
import { describePostgres } from './registry-postgres.js';
import { runWriters } from './registry-processes.js';

const writers = 6;
const pushesEach = 25;

interface Tally {
  worker: number;
  attempted: number;
  succeeded: number;
  created: number;
  moves: number;
  failures: string[];
}

function concurrencyCases(
  backend: string,
  fresh: () => Promise<string>,
  migrated: (location: string) => Promise<string[]>,
) {
  it(`${backend}: six processes pushing versions and moving a label at once lose nothing`, async () => {
    const location = await fresh();
    const outcomes = await runWriters(writers, (index) => [
      location,
      'race',
      'contend',
      String(index),
      String(pushesEach),
    ]);
    for (const outcome of outcomes) expect(outcome.stderr).toBe('');
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(writers).fill(0));
    const tallies = outcomes.map((outcome) => JSON.parse(outcome.lines.at(-1)!) as Tally);
    const attempted = tallies.reduce((sum, tally) => sum + tally.attempted, 0);
    const succeeded = tallies.reduce((sum, tally) => sum + tally.succeeded, 0);
    console.log(`${backend}: ${succeeded} of ${attempted} operations succeeded across ${writers} processes`);
    expect(tallies.flatMap((tally) => tally.failures)).toEqual([]);
    expect(attempted).toBe(writers * (1 + 2 * pushesEach));
    expect(succeeded).toBe(attempted);

    const registry = await Registry.open(
      location.startsWith('postgres:') ? { url: location } : { path: location },
    );
    try {
      // every push is stored once, numbered without gaps; the shared content was created by one worker
      const versions = await registry.listVersions('race');
      expect(versions).toHaveLength(1 + writers * pushesEach);
      expect(versions.map((version) => version.number)).toEqual(versions.map((_, index) => index + 1));
      expect(tallies.reduce((sum, tally) => sum + tally.created, 0)).toBe(versions.length);
      // every move is in the history, each starting where the one before ended
      const history = await registry.labelHistory('race', 'staging');
      expect(history).toHaveLength(writers * pushesEach);
      expect(history[0].from).toBeNull();
      for (let i = 1; i < history.length; i++) expect(history[i].from).toBe(history[i - 1].to);
      expect((await registry.resolveVersion('race', 'staging')).id).toBe(history.at(-1)!.to);
    } finally {
      await registry.close();
    }
  });

  it(`${backend}: six processes opening a brand-new registry at once all succeed, migrating it once`, async () => {
    const location = await fresh();
    const outcomes = await runWriters(writers, () => [location, 'unused', 'open']);
    for (const outcome of outcomes) {
      expect(outcome.stderr).toBe('');
      expect(outcome).toMatchObject({ status: 0, lines: ['opened'] });
    }
    expect(await migrated(location)).toEqual(migrationNames);
  });
}

describe('registry writers in several processes', () => {
  concurrencyCases(
    'SQLite',
    async () => join(mkdtempSync(join(tmpdir(), 'promptune-registry-race-')), 'registry.sqlite'),
    async (path) => {
      const database = new Database(path, { readonly: true });
      try {
        return (
          database.prepare('select name from kysely_migration order by name').all() as { name: string }[]
        ).map((row) => row.name);
      } finally {
        database.close();
      }
    },
  );
});

describePostgres('registry writers in several processes on Postgres', (freshDatabase) => {
  concurrencyCases('Postgres', freshDatabase, async (url) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        'select name from kysely_migration order by name',
      );
      return rows.map((row) => row.name);
    } finally {
      await client.end();
    }
  });
});
