// A registry location must name one registry: a SQLite path or a Postgres URL. None (an unset
// environment variable's undefined) had opened .promptune/registry.sqlite under the working folder.
// A SQLite registry's write-ahead log shrinks back after a large transaction (a prune of many traces).
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { PromptuneError } from '../errors/index.js';
import { migrateToLatest, migrationNames } from './migrations.js';
import { largestWriteAheadLogBytes } from './open-registry.js';
import { rawDatabase } from './registry-specs.case.js';
import { Registry } from './registry.js';
import type { TraceRecord } from './traces.js';

const codeOf = (opening: Promise<unknown>) =>
  opening.then(
    () => 'opened',
    (error: unknown) => (PromptuneError.isInstance(error) ? error.code : String(error)),
  );

describe('Registry.open', () => {
  it('refuses a location naming no registry, or two', async () => {
    const locations = [
      {},
      { path: '' },
      { path: undefined, url: '' },
      { path: 'a.sqlite', url: 'postgres://x/y' },
    ];
    expect(await Promise.all(locations.map((location) => codeOf(Registry.open(location))))).toEqual(
      locations.map(() => 'REGISTRY_BAD_LOCATION'),
    );
  });
});

describe('upgrading a SQLite registry', () => {
  it('keeps a copy of the file an older promptune wrote before migrating it, and none of a new one', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-upgrade-'));
    const path = join(folder, 'registry.sqlite');
    try {
      // a registry as a release that knew migrations up to 010-jobs left it, with a task in it
      const { database, dialect } = rawDatabase({ path });
      await migrateToLatest(database, dialect, '010-jobs');
      await sql`insert into tasks (name, description, spec, created_at) values ('qa', '', '{}', '2026-01-01T00:00:00.000Z')`.execute(
        database,
      );
      await database.destroy();
      const registry = await Registry.open({ path });
      await registry.close();
      // the copy is the file as it was: that release's migrations only, its rows, openable by it
      const copy = join(folder, 'registry.sqlite.schema-010-jobs.bak');
      const old = new Database(copy, { readonly: true });
      const names = (
        old.prepare('select name from kysely_migration order by name').all() as { name: string }[]
      ).map((row) => row.name);
      expect(names).toEqual(migrationNames.slice(0, migrationNames.indexOf('010-jobs') + 1));
      expect(old.prepare('select name from tasks').all()).toEqual([{ name: 'qa' }]);
      old.close();
      // opened again with nothing to migrate, and a brand-new registry: no copy
      await (await Registry.open({ path })).close();
      await (await Registry.open({ path: join(folder, 'new.sqlite') })).close();
      expect(readdirSync(folder).filter((name) => name.endsWith('.bak'))).toEqual([
        'registry.sqlite.schema-010-jobs.bak',
      ]);
      expect(existsSync(copy)).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('the write-ahead log of a SQLite registry', () => {
  const trace = (index: number): TraceRecord => ({
    id: `trace-${index}`,
    at: index,
    source: 'service',
    run: null,
    operation: 'chat',
    model: 'qa',
    task: 'qa',
    version: null,
    label: null,
    keyId: null,
    user: null,
    input: { messages: [{ role: 'user', content: 'x'.repeat(4000) }] },
    output: 'y',
    inputTokens: 1,
    outputTokens: 1,
    cost: null,
    latencyMs: 1,
    firstTokenMs: null,
    finishReason: 'stop',
    status: 200,
    errorCode: null,
    checks: null,
  });

  it('is cut back to its limit once a transaction larger than it has been checkpointed', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-wal-'));
    const path = join(folder, 'registry.sqlite');
    const registry = await Registry.open({ path });
    try {
      // one transaction of about 25 MB of traces: well past the limit
      await registry.traces.insert(Array.from({ length: 6000 }, (_, index) => trace(index)));
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(largestWriteAheadLogBytes);
      // its commit checkpointed the log (nobody was reading): the next write starts the log over
      await registry.traces.prune({ keep: 0 });
      expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(largestWriteAheadLogBytes);
    } finally {
      await registry.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
