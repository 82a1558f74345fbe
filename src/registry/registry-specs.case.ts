// Conformance suite, second part: versions that serve with the spec they were pushed with (a changed
// spec is a new version; nothing but a label move changes what a label serves), label moves that
// change nothing, protection when importing, format 1 bundles, and upgrading a registry from before
// versions carried specs. Every backend (SQLite, Postgres) must pass it unchanged.
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { errorCode as code } from '../../test/error-code.js';
import { taskSpec } from '../tasks/spec.js';
import { exportTask, importBundle } from './bundle.js';
import { canonicalJson, contentHash } from './canonical.js';
import { migrateToLatest } from './migrations.js';
import type { RegistryLocation } from './open-registry.js';
import { legacyVersionId } from './records.js';
import { Registry, type Actor } from './registry.js';
import { hardVersionContent } from './versions.js';

const admin: Actor = { name: 'ana', scopes: ['read', 'run', 'admin'] };
const runner: Actor = { name: 'ci', scopes: ['read', 'run'] };
const first = taskSpec.parse({ name: 'qa', prompt: { template: 'Q: {{input}}\nA:' } });
// the same prompt; what the task outputs and how it is scored changed
const changed = taskSpec.parse({
  name: 'qa',
  description: 'yes or no',
  prompt: first.prompt,
  output: { kind: 'label', labels: ['yes', 'no'] },
  metrics: [{ name: 'label' }],
});
const content = hardVersionContent(first);

/** Every table's rows, to compare a registry before and after a refused import. */
async function dump(registry: Registry) {
  const tasks = await registry.listTasks();
  return Promise.all(
    tasks.map(async (task) => ({
      task,
      versions: await registry.listVersions(task.name),
      labels: await registry.listLabels(task.name),
      history: await Promise.all(
        (await registry.listLabels(task.name)).map((label) => registry.labelHistory(task.name, label.label)),
      ),
    })),
  );
}

/** A Kysely over a registry location, without opening (so without migrating) it as a registry. */
/** A raw Kysely connection to a registry location, for tests that write rows as an older version would. */
export function rawDatabase(location: RegistryLocation): {
  database: Kysely<unknown>;
  dialect: 'sqlite' | 'postgres';
} {
  if (location.url)
    return {
      database: new Kysely({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: location.url }) }),
      }),
      dialect: 'postgres',
    };
  return {
    database: new Kysely({ dialect: new SqliteDialect({ database: new Database(location.path!) }) }),
    dialect: 'sqlite',
  };
}

/**
 * Runs the suite against registries made by `open` (each call: a fresh, empty registry); `blank` gives
 * a location where nothing was created yet (a new file, an empty database).
 */
export function registrySpecConformance(
  name: string,
  open: () => Promise<{ registry: Registry; location: string }>,
  blank: () => Promise<RegistryLocation>,
): void {
  describe(`registry conformance, specs and labels: ${name}`, () => {
    it('a changed spec makes a new version, and what production serves stays as it was', async () => {
      const { registry } = await open();
      const launched = await registry.pushVersion({
        task: 'qa',
        kind: 'hard',
        content,
        spec: first,
        actor: admin,
      });
      await registry.setLabel({
        task: 'qa',
        label: 'production',
        reference: launched.version.id,
        actor: admin,
      });
      // a push without the admin scope, same prompt, changed spec
      const pushed = await registry.pushVersion({
        task: 'qa',
        kind: 'hard',
        content,
        spec: changed,
        actor: runner,
      });
      expect(pushed.created).toBe(true);
      expect(pushed.version.number).toBe(2);
      expect(pushed.version.specId).toBe(contentHash(changed));
      expect(
        await registry.pushVersion({ task: 'qa', kind: 'hard', content, spec: changed, actor: runner }),
      ).toEqual({ version: pushed.version, created: false });
      // without a spec, a push serves with the task's latest
      expect(
        (await registry.pushVersion({ task: 'qa', kind: 'hard', content, actor: runner })).version.id,
      ).toBe(pushed.version.id);
      const production = await registry.resolveVersion('qa', 'production');
      expect(production).toEqual(launched.version);
      expect(await registry.getSpec(production.specId)).toEqual(first);
      expect(await registry.labelHistory('qa', 'production')).toHaveLength(1);
      expect(await registry.getTask('qa')).toEqual(changed);
      // changing the task's latest spec directly does not reach any version either
      await registry.putTask({ ...changed, description: 'edited again' });
      expect(await registry.getSpec((await registry.resolveVersion('qa', 'production')).specId)).toEqual(
        first,
      );
      expect((await registry.listVersions('qa')).map((version) => version.number)).toEqual([1, 2]);
      expect(
        await code(
          registry.pushVersion({
            task: 'qa',
            kind: 'hard',
            content,
            spec: { ...first, name: 'other' },
            actor: admin,
          }),
        ),
      ).toBe('REGISTRY_SPEC_MISMATCH');
      expect(await code(registry.getSpec('0'.repeat(64)))).toBe('REGISTRY_NO_SPEC');
      await registry.close();
    });

    it('no label can look like a version id, so none stands in for the version it names', async () => {
      const { registry } = await open();
      const [good, evil] = await Promise.all(
        ['good {{input}}', 'evil {{input}}'].map((template) =>
          registry.pushVersion({
            task: 'qa',
            kind: 'hard',
            content: { template },
            spec: first,
            actor: runner,
          }),
        ),
      );
      // a runner cannot name a label after the good version's id (or any hex prefix of one)
      for (const label of [good.version.id, good.version.id.slice(0, 12), 'deadbeef'])
        expect(
          await code(registry.setLabel({ task: 'qa', label, reference: evil.version.id, actor: runner })),
        ).toBe('REGISTRY_BAD_LABEL');
      await registry.setLabel({ task: 'qa', label: 'production', reference: good.version.id, actor: admin });
      expect((await registry.resolveVersion('qa', 'production')).id).toBe(good.version.id);
      expect((await registry.resolveVersion('qa', good.version.id)).id).toBe(good.version.id);
      await registry.close();
    });

    it('setting a label where it already is writes nothing; changing protection needs admin', async () => {
      const { registry } = await open();
      for (const template of ['1 {{input}}', '2 {{input}}'])
        await registry.pushVersion({
          task: 'qa',
          kind: 'hard',
          content: { template },
          spec: first,
          actor: admin,
        });
      const moved = await registry.setLabel({ task: 'qa', label: 'staging', reference: '1', actor: runner });
      expect(moved).toMatchObject({ moved: true, from: null });
      // protect: false on an unprotected label changes nothing: no admin needed, no event written
      const again = await registry.setLabel({
        task: 'qa',
        label: 'staging',
        reference: '1',
        actor: runner,
        protect: false,
      });
      expect(again).toEqual({ ...moved, moved: false });
      expect(await registry.labelHistory('qa', 'staging')).toHaveLength(1);
      expect(
        await code(
          registry.setLabel({ task: 'qa', label: 'staging', reference: '1', actor: runner, protect: true }),
        ),
      ).toBe('REGISTRY_PROTECTED_LABEL');
      const guarded = await registry.setLabel({
        task: 'qa',
        label: 'staging',
        reference: '1',
        actor: admin,
        protect: true,
      });
      expect(guarded).toMatchObject({ moved: true, from: moved.to, to: moved.to });
      expect((await registry.listLabels('qa'))[0].protected).toBe(true);
      // a protected label where it already is: nothing to guard, nothing written
      expect(
        await registry.setLabel({ task: 'qa', label: 'staging', reference: '1', actor: runner }),
      ).toEqual({
        ...guarded,
        moved: false,
      });
      expect(
        await code(registry.setLabel({ task: 'qa', label: 'staging', reference: '2', actor: runner })),
      ).toBe('REGISTRY_PROTECTED_LABEL');
      expect(await registry.labelHistory('qa', 'staging')).toHaveLength(2);
      await registry.close();
    });

    it('imports an unprotected label without admin, and a protected one only with admin', async () => {
      const { registry: source } = await open();
      const { version } = await source.pushVersion({
        task: 'qa',
        kind: 'hard',
        content,
        spec: first,
        actor: admin,
      });
      await source.setLabel({ task: 'qa', label: 'staging', reference: version.id, actor: runner });
      const unprotected = JSON.parse(JSON.stringify(await exportTask(source, 'qa')));
      const { registry: target } = await open();
      expect(await importBundle(target, unprotected, runner)).toMatchObject({ created: 1 });
      expect((await target.resolveVersion('qa', 'staging')).id).toBe(version.id);
      // made when the source made it, not when it was imported
      expect((await target.resolveVersion('qa', 'staging')).createdAt).toBe(version.createdAt);
      // a UTC time without milliseconds is one too; a day the calendar lacks is the import's time
      const { registry: other } = await open();
      const seconds = structuredClone(unprotected);
      seconds.versions[0].createdAt = '2025-01-02T03:04:05Z';
      await importBundle(other, seconds, runner);
      expect((await other.resolveVersion('qa', '1')).createdAt).toBe('2025-01-02T03:04:05.000Z');
      const { registry: third } = await open();
      const impossible = structuredClone(unprotected);
      impossible.versions[0].createdAt = '2025-02-30T03:04:05Z';
      await importBundle(third, impossible, runner);
      expect((await third.resolveVersion('qa', '1')).createdAt).not.toContain('2025-0');
      // nor a time still to come (it would sort the version after those made later)
      const { registry: fourth } = await open();
      const future = structuredClone(unprotected);
      future.versions[0].createdAt = '2999-01-02T03:04:05.000Z';
      await importBundle(fourth, future, runner);
      expect((await fourth.resolveVersion('qa', '1')).createdAt).not.toContain('2999');
      await other.close();
      await third.close();
      await fourth.close();

      await source.setLabel({ task: 'qa', label: 'production', reference: version.id, actor: admin });
      const withProduction = JSON.parse(JSON.stringify(await exportTask(source, 'qa')));
      const before = await dump(target);
      expect(await code(importBundle(target, withProduction, runner))).toBe('REGISTRY_PROTECTED_LABEL');
      expect(await dump(target)).toEqual(before);
      // protected in the bundle, or already protected in the target: admin too
      const protectedStaging = structuredClone(unprotected);
      protectedStaging.labels[0].protected = true;
      expect(await code(importBundle(target, protectedStaging, runner))).toBe('REGISTRY_PROTECTED_LABEL');
      await importBundle(target, withProduction, admin);
      // production already where the bundle puts it, protection unchanged: nothing to guard
      expect(await importBundle(target, withProduction, runner)).toMatchObject({ created: 0, existing: 1 });
      expect(await target.labelHistory('qa', 'production')).toHaveLength(1);
      await target.close();
      await source.close();
    });

    it('imports format 1 bundles, every version serving with the bundle task spec', async () => {
      const id = legacyVersionId('qa', 'hard', content);
      const bundle = {
        format: 'promptune-registry',
        version: 1,
        task: first,
        versions: [
          {
            id,
            task: 'qa',
            number: 1,
            kind: 'hard',
            content,
            parent: null,
            run: null,
            message: 'from an older registry',
            actor: 'ana',
            createdAt: '2025-01-01T00:00:00.000Z',
          },
        ],
        labels: [{ label: 'staging', version: id, protected: false }],
        datasets: [],
        blobs: {},
      };
      const { registry } = await open();
      expect(await importBundle(registry, bundle, runner)).toEqual({ task: 'qa', created: 1, existing: 0 });
      const imported = await registry.resolveVersion('qa', 'staging');
      expect(imported).toMatchObject({ id, specId: contentHash(first), message: 'from an older registry' });
      // the same prompt and spec pushed again is that version; a changed spec is a new one
      expect(
        await registry.pushVersion({ task: 'qa', kind: 'hard', content, spec: first, actor: runner }),
      ).toEqual({
        version: imported,
        created: false,
      });
      expect(
        (await registry.pushVersion({ task: 'qa', kind: 'hard', content, spec: changed, actor: runner }))
          .created,
      ).toBe(true);
      // a format 1 version whose id is not its content's hash is refused
      const tampered = structuredClone(bundle);
      tampered.versions[0].message = 'edited';
      (tampered.versions[0].content as Record<string, unknown>).template = 'edited {{input}}';
      expect(await code(importBundle(registry, tampered, admin))).toBe('REGISTRY_BAD_BUNDLE');
      // and round-trips as format 3, each version with its own spec
      const exported = JSON.parse(JSON.stringify(await exportTask(registry, 'qa')));
      expect(exported.version).toBe(3);
      const { registry: copy } = await open();
      await importBundle(copy, exported, runner);
      expect(await copy.listVersions('qa')).toEqual(
        (await registry.listVersions('qa')).map((version) => ({
          ...version,
          actor: 'ci',
          createdAt: expect.any(String),
        })),
      );
      await copy.close();
      await registry.close();
    });

    it('upgrades a registry from before versions carried specs: versions keep their ids, serve with the spec they had', async () => {
      const location = await blank();
      const { database, dialect } = rawDatabase(location);
      await migrateToLatest(database, dialect, '002-service');
      const id = legacyVersionId('qa', 'hard', content);
      const at = '2025-01-01T00:00:00.000Z';
      await sql`insert into tasks (name, description, spec, created_at) values ('qa', '', ${canonicalJson(first)}, ${at})`.execute(
        database,
      );
      await sql`insert into versions (id, task, number, kind, content, parent, run, message, actor, created_at)
        values (${id}, 'qa', 1, 'hard', ${canonicalJson(content)}, null, null, '', 'ana', ${at})`.execute(
        database,
      );
      await sql`insert into labels (task, label, version, protected, updated_at)
        values ('qa', 'production', ${id}, 1, ${at})`.execute(database);
      await database.destroy();

      const registry = await Registry.open(location);
      const production = await registry.resolveVersion('qa', 'production');
      expect(production).toMatchObject({ id, number: 1, specId: contentHash(first) });
      expect(await registry.getSpec(production.specId)).toEqual(first);
      expect(
        await registry.pushVersion({ task: 'qa', kind: 'hard', content, spec: first, actor: runner }),
      ).toEqual({
        version: production,
        created: false,
      });
      const pushed = await registry.pushVersion({
        task: 'qa',
        kind: 'hard',
        content,
        spec: changed,
        actor: runner,
      });
      expect(pushed.version.number).toBe(2);
      expect((await registry.resolveVersion('qa', 'production')).id).toBe(id);
      await registry.close();
    });

    it('refuses a registry a newer promptune migrated (REGISTRY_SCHEMA_NEWER), and opens it again once that migration is known', async () => {
      const location = await blank();
      const registry = await Registry.open(location);
      await registry.pushVersion({ task: 'qa', kind: 'hard', content, spec: first, actor: admin });
      await registry.close();
      const { database } = rawDatabase(location);
      await sql`insert into kysely_migration (name, timestamp) values ('999-from-the-future', '2030-01-01T00:00:00.000Z')`.execute(
        database,
      );
      const refused = await Registry.open(location).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'REGISTRY_SCHEMA_NEWER' });
      expect(String((refused as Error).message)).toContain('999-from-the-future');
      await sql`delete from kysely_migration where name = '999-from-the-future'`.execute(database);
      await database.destroy();
      const again = await Registry.open(location);
      expect((await again.listVersions('qa')).length).toBe(1);
      await again.close();
    });

    it('a closed registry refuses reads, writes and scans with REGISTRY_CLOSED; closing twice is fine', async () => {
      const { registry } = await open();
      await registry.pushVersion({ task: 'qa', kind: 'hard', content, spec: first, actor: admin });
      await registry.close();
      expect(await code(registry.listTasks())).toBe('REGISTRY_CLOSED');
      expect(
        await code(registry.pushVersion({ task: 'qa', kind: 'hard', content, spec: changed, actor: admin })),
      ).toBe('REGISTRY_CLOSED');
      expect(await code(registry.traces.scan({ since: 0, until: Date.now() }, () => undefined))).toBe(
        'REGISTRY_CLOSED',
      );
      await registry.close();
    });

    it('refuses a query limit that is not a number of milliseconds ≥ 0, opening nothing', async () => {
      const location = await blank();
      for (const queryLimitMs of [-1, Number.NaN, Number.POSITIVE_INFINITY])
        expect(await code(Registry.open(location, { queryLimitMs }))).toBe('REGISTRY_BAD_OPTION');
    });
  });
}
