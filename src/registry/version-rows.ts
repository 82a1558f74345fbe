// Storing one version row inside a write transaction: numbering per task (serialized on Postgres by an
// advisory lock; SQLite write transactions are exclusive), and returning the stored version instead
// when one with the same id exists. Which id and spec a version gets is registry.ts's decision.
import { sql, type Kysely } from 'kysely';
import { canonicalJson } from './canonical.js';
import type { Dialect } from './migrations.js';
import { toVersion, type Actor, type PromptVersion } from './records.js';
import type { RegistryDatabase } from './schema.js';

/** A version to store under an id it already has (an import's), checked against that id. */
export interface RestoredVersion {
  id: string;
  task: string;
  kind: 'hard' | 'soft';
  content: Record<string, unknown>;
  parent: string | null;
  run: Record<string, unknown> | null;
  message: string;
  specId: string;
  /** When it was made (an import's, ISO 8601); absent: now. */
  createdAt?: string;
}

/**
 * Stores `version` as the task's next number, unless a version with its id exists (or, given
 * `legacyId`, a version with that id and the same spec: one from before versions carried their spec).
 */
export async function storeVersion(
  transaction: Kysely<RegistryDatabase>,
  dialect: Dialect,
  version: RestoredVersion & { actor: Actor },
  legacyId?: string,
): Promise<{ version: PromptVersion; created: boolean }> {
  if (dialect === 'postgres')
    await sql`select pg_advisory_xact_lock(hashtext(${`versions:${version.task}`}))`.execute(transaction);
  const existing = await transaction
    .selectFrom('versions')
    .selectAll()
    .where((where) =>
      legacyId
        ? where.or([
            where('id', '=', version.id),
            where.and([where('id', '=', legacyId), where('spec_id', '=', version.specId)]),
          ])
        : where('id', '=', version.id),
    )
    .executeTakeFirst();
  if (existing) return { version: toVersion(existing), created: false };
  const { last } = await transaction
    .selectFrom('versions')
    .select((expression) => expression.fn.max('number').as('last'))
    .where('task', '=', version.task)
    .executeTakeFirstOrThrow();
  const row = {
    id: version.id,
    task: version.task,
    number: Number(last ?? 0) + 1,
    kind: version.kind,
    content: canonicalJson(version.content),
    parent: version.parent,
    run: version.run ? canonicalJson(version.run) : null,
    message: version.message,
    actor: version.actor.name,
    created_at: version.createdAt ?? new Date().toISOString(),
    spec_id: version.specId,
  };
  await transaction.insertInto('versions').values(row).execute();
  return { version: toVersion(row), created: true };
}
