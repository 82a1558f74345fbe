// The versioned prompt library: tasks, immutable content-addressed prompt versions (hard or soft)
// with lineage, movable labels with an audit log, and versioned datasets. One implementation over
// Kysely serves SQLite and Postgres; every write is one transaction.
import { AccessKeys } from './access-keys.js';
import { RequestLog } from './request-log.js';
import { sql, type Kysely, type Transaction } from 'kysely';
import { NotFoundError, PermissionError, ValidationError } from '../errors/index.js';
import type { TaskSpec } from '../tasks/spec.js';
import { canonicalJson, contentHash } from './canonical.js';
import { openRegistryDatabase, type RegistryConnection, type RegistryLocation } from './open-registry.js';
import type { RegistryDatabase } from './schema.js';

/** A stored prompt version. */
export interface PromptVersion {
  id: string;
  task: string;
  number: number;
  kind: 'hard' | 'soft';
  content: Record<string, unknown>;
  parent: string | null;
  run: Record<string, unknown> | null;
  message: string;
  actor: string;
  createdAt: string;
}

/** One move of a label. */
export interface LabelEvent {
  id: number;
  label: string;
  from: string | null;
  to: string;
  actor: string;
  reason: string;
  at: string;
}

/** Who is acting, and with which scopes (read, run, admin). */
export interface Actor {
  name: string;
  scopes: string[];
}

/** Labels that are protected when first set (moving them needs admin). */
export const protectedByDefault = new Set(['production']);

const now = () => new Date().toISOString();

function toVersion(row: RegistryDatabase['versions']): PromptVersion {
  return {
    id: row.id,
    task: row.task,
    number: row.number,
    kind: row.kind,
    content: JSON.parse(row.content),
    parent: row.parent,
    run: row.run ? JSON.parse(row.run) : null,
    message: row.message,
    actor: row.actor,
    createdAt: row.created_at,
  };
}

/** The registry over one database (or over one transaction of it, inside `transaction`). */
export class Registry {
  private constructor(
    private readonly connection: RegistryConnection,
    private readonly database: Kysely<RegistryDatabase> = connection.database,
  ) {}

  /** Opens (and migrates) the registry at a SQLite path or Postgres URL. */
  static async open(location: RegistryLocation): Promise<Registry> {
    return new Registry(await openRegistryDatabase(location));
  }

  get dialect() {
    return this.connection.dialect;
  }

  /**
   * Runs `work` on a registry whose writes all belong to one transaction: they all land, or (when
   * `work` throws) none does. Inside a transaction, this just runs `work`.
   */
  async transaction<T>(work: (registry: Registry) => Promise<T>): Promise<T> {
    if (this.database.isTransaction) return work(this);
    return this.database
      .transaction()
      .execute((transaction) => work(new Registry(this.connection, transaction)));
  }

  /** Runs one write in a transaction of its own, or in the one this registry is bound to. */
  private write<T>(work: (transaction: Kysely<RegistryDatabase>) => Promise<T>): Promise<T> {
    if (this.database.isTransaction) return work(this.database);
    return this.database.transaction().execute(work);
  }

  /** The service's API keys (hashed at rest). */
  get keys(): AccessKeys {
    return new AccessKeys(this.database);
  }

  /** Sampled requests the service served. */
  get requestLog(): RequestLog {
    return new RequestLog(this.database);
  }

  async close(): Promise<void> {
    await this.database.destroy();
  }

  /** Adds a task or updates its spec. */
  async putTask(spec: TaskSpec): Promise<void> {
    const row = {
      name: spec.name,
      description: spec.description,
      spec: canonicalJson(spec),
      created_at: now(),
    };
    await this.database
      .insertInto('tasks')
      .values(row)
      .onConflict((conflict) =>
        conflict.column('name').doUpdateSet({ description: row.description, spec: row.spec }),
      )
      .execute();
  }

  async getTask(name: string): Promise<TaskSpec> {
    const row = await this.database
      .selectFrom('tasks')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row)
      throw new NotFoundError(`task ${name} is not in the registry`, {
        code: 'REGISTRY_NO_TASK',
        hint: 'Push it first: promptune registry push --task <spec>.',
      });
    return JSON.parse(row.spec) as TaskSpec;
  }

  async listTasks(): Promise<
    { name: string; description: string; versions: number; labels: Record<string, number> }[]
  > {
    const tasks = await this.database
      .selectFrom('tasks')
      .select(['name', 'description'])
      .orderBy('name')
      .execute();
    return Promise.all(
      tasks.map(async (task) => {
        const versions = await this.listVersions(task.name);
        const labels = await this.listLabels(task.name);
        const numbers = new Map(versions.map((version) => [version.id, version.number]));
        return {
          ...task,
          versions: versions.length,
          labels: Object.fromEntries(labels.map((label) => [label.label, numbers.get(label.version) ?? 0])),
        };
      }),
    );
  }

  /**
   * Stores a prompt version. Content-addressed: pushing identical content again returns the existing
   * version (`created: false`).
   */
  async pushVersion(input: {
    task: string;
    kind: 'hard' | 'soft';
    content: Record<string, unknown>;
    parent?: string;
    run?: Record<string, unknown>;
    message?: string;
    actor: Actor;
  }): Promise<{ version: PromptVersion; created: boolean }> {
    await this.getTask(input.task);
    const id = contentHash({ task: input.task, kind: input.kind, content: input.content });
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.write(async (transaction) => {
          const existing = await transaction
            .selectFrom('versions')
            .selectAll()
            .where('id', '=', id)
            .executeTakeFirst();
          if (existing) return { version: toVersion(existing), created: false };
          const { last } = await transaction
            .selectFrom('versions')
            .select((expression) => expression.fn.max('number').as('last'))
            .where('task', '=', input.task)
            .executeTakeFirstOrThrow();
          const row = {
            id,
            task: input.task,
            number: Number(last ?? 0) + 1,
            kind: input.kind,
            content: canonicalJson(input.content),
            parent: input.parent ?? null,
            run: input.run ? canonicalJson(input.run) : null,
            message: input.message ?? '',
            actor: input.actor.name,
            created_at: now(),
          };
          await transaction.insertInto('versions').values(row).execute();
          return { version: toVersion(row), created: true };
        });
      } catch (error) {
        // two pushes raced for the same version number: the loser tries again (not inside a larger
        // transaction, which the failed statement has spoiled: that one fails as a whole)
        const raced = /unique|duplicate/i.test(String((error as Error).message));
        if (raced && attempt < 5 && !this.database.isTransaction) continue;
        throw error;
      }
    }
  }

  async listVersions(task: string): Promise<PromptVersion[]> {
    const rows = await this.database
      .selectFrom('versions')
      .selectAll()
      .where('task', '=', task)
      .orderBy('number')
      .execute();
    return rows.map(toVersion);
  }

  /** A version by reference: `latest`, a number, a label, or an id prefix (6+ hex digits). */
  async resolveVersion(
    task: string,
    reference = 'latest',
    database: Kysely<RegistryDatabase> | Transaction<RegistryDatabase> = this.database,
  ): Promise<PromptVersion> {
    let query = database.selectFrom('versions').selectAll().where('task', '=', task);
    if (reference === 'latest') query = query.orderBy('number', 'desc').limit(1);
    else if (/^\d+$/.test(reference)) query = query.where('number', '=', Number(reference));
    else {
      const label = await database
        .selectFrom('labels')
        .select('version')
        .where('task', '=', task)
        .where('label', '=', reference)
        .executeTakeFirst();
      if (label) query = query.where('id', '=', label.version);
      else if (/^[0-9a-f]{6,64}$/.test(reference)) query = query.where('id', 'like', `${reference}%`);
      else query = query.where(sql<boolean>`1 = 0`);
    }
    const rows = await query.execute();
    if (rows.length > 1)
      throw new ValidationError(`${task}@${reference} matches ${rows.length} versions`, {
        code: 'REGISTRY_AMBIGUOUS',
        hint: 'Give more digits of the version id.',
      });
    if (rows.length === 0) {
      throw new NotFoundError(`${task}@${reference} does not exist`, {
        code: 'REGISTRY_NO_VERSION',
        hint: `See the versions and labels with: promptune registry ls ${task}`,
      });
    }
    return toVersion(rows[0]);
  }

  async listLabels(
    task: string,
  ): Promise<{ label: string; version: string; protected: boolean; updatedAt: string }[]> {
    const rows = await this.database
      .selectFrom('labels')
      .selectAll()
      .where('task', '=', task)
      .orderBy('label')
      .execute();
    return rows.map((row) => ({
      label: row.label,
      version: row.version,
      protected: Boolean(row.protected),
      updatedAt: row.updated_at,
    }));
  }

  /**
   * Points a label at a version, in one transaction that locks the label, so concurrent moves form one
   * consistent chain in the audit log. Protected labels (production by default) need the admin scope.
   */
  async setLabel(input: {
    task: string;
    label: string;
    reference: string;
    actor: Actor;
    reason?: string;
    protect?: boolean;
  }): Promise<LabelEvent> {
    if (
      !/^[a-z0-9][a-z0-9._-]*$/.test(input.label) ||
      /^\d+$/.test(input.label) ||
      input.label === 'latest'
    ) {
      throw new ValidationError(`"${input.label}" cannot be a label`, {
        code: 'REGISTRY_BAD_LABEL',
        hint: 'Labels are lowercase words (not numbers, not "latest"), e.g. production, staging.',
      });
    }
    return this.write(async (transaction) => {
      const version = await this.resolveVersion(input.task, input.reference, transaction);
      const current = await this.lockLabel(transaction, input.task, input.label);
      const isProtected = current ? Boolean(current.protected) : protectedByDefault.has(input.label);
      if ((isProtected || input.protect !== undefined) && !input.actor.scopes.includes('admin')) {
        throw new PermissionError(
          `moving the protected label ${input.task}@${input.label} needs the admin scope`,
          {
            code: 'REGISTRY_PROTECTED_LABEL',
            hint: 'Use an admin key (or --admin on the command line).',
          },
        );
      }
      const event = {
        task: input.task,
        label: input.label,
        from_version: current?.version ?? null,
        to_version: version.id,
        actor: input.actor.name,
        reason: input.reason ?? '',
        at: now(),
      };
      const { id } = await transaction
        .insertInto('label_events')
        .values(event)
        .returning('id')
        .executeTakeFirstOrThrow();
      const protectedValue = input.protect === undefined ? (isProtected ? 1 : 0) : input.protect ? 1 : 0;
      if (current)
        await transaction
          .updateTable('labels')
          .set({ version: version.id, protected: protectedValue, updated_at: event.at })
          .where('task', '=', input.task)
          .where('label', '=', input.label)
          .execute();
      else
        await transaction
          .insertInto('labels')
          .values({
            task: input.task,
            label: input.label,
            version: version.id,
            protected: protectedValue,
            updated_at: event.at,
          })
          .execute();
      return {
        id: Number(id),
        label: input.label,
        from: event.from_version,
        to: event.to_version,
        actor: event.actor,
        reason: event.reason,
        at: event.at,
      };
    });
  }

  /** The label's row, locked for this transaction (Postgres row lock; SQLite transactions are exclusive). */
  private async lockLabel(transaction: Kysely<RegistryDatabase>, task: string, label: string) {
    let query = transaction
      .selectFrom('labels')
      .selectAll()
      .where('task', '=', task)
      .where('label', '=', label);
    if (this.dialect === 'postgres') {
      // serialize first-time creation too: an advisory lock keyed by the label
      await sql`select pg_advisory_xact_lock(hashtext(${`${task}@${label}`}))`.execute(transaction);
      query = query.forUpdate();
    }
    return query.executeTakeFirst();
  }

  /** Moves a label back to where its last move came from. */
  async rollback(input: { task: string; label: string; actor: Actor }): Promise<LabelEvent> {
    const history = await this.labelHistory(input.task, input.label);
    const last = history.at(-1);
    if (!last?.from) {
      throw new ValidationError(`${input.task}@${input.label} has no earlier version to roll back to`, {
        code: 'REGISTRY_NO_ROLLBACK',
        hint: 'See its history with: promptune registry show <task>@<label>',
      });
    }
    return this.setLabel({
      task: input.task,
      label: input.label,
      reference: last.from,
      actor: input.actor,
      reason: `rollback of move ${last.id}`,
    });
  }

  async labelHistory(task: string, label: string): Promise<LabelEvent[]> {
    const rows = await this.database
      .selectFrom('label_events')
      .selectAll()
      .where('task', '=', task)
      .where('label', '=', label)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      id: Number(row.id),
      label: row.label,
      from: row.from_version,
      to: row.to_version,
      actor: row.actor,
      reason: row.reason,
      at: row.at,
    }));
  }

  /** Stores bytes once by their sha256 and returns it. */
  async putBlob(bytes: Uint8Array): Promise<string> {
    const sha256 = contentHash(bytes);
    await this.database
      .insertInto('blobs')
      .values({ sha256, bytes: Buffer.from(bytes), size: bytes.length })
      .onConflict((conflict) => conflict.column('sha256').doNothing())
      .execute();
    return sha256;
  }

  async getBlob(sha256: string): Promise<Uint8Array> {
    const row = await this.database
      .selectFrom('blobs')
      .select('bytes')
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    if (!row)
      throw new NotFoundError(`blob ${sha256} is not in the registry`, {
        code: 'REGISTRY_NO_BLOB',
        hint: 'The registry is incomplete; import the export that holds it.',
      });
    return new Uint8Array(row.bytes);
  }

  /** Stores a dataset file as a version (content-addressed) and returns its id. */
  async putDataset(input: {
    task: string;
    split: string;
    name: string;
    bytes: Uint8Array;
    rows: number;
  }): Promise<string> {
    const blob = await this.putBlob(input.bytes);
    const id = contentHash({ task: input.task, split: input.split, blob });
    await this.database
      .insertInto('datasets')
      .values({
        id,
        task: input.task,
        split: input.split,
        name: input.name,
        rows: input.rows,
        blob,
        created_at: now(),
      })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    return id;
  }

  async listDatasets(
    task: string,
  ): Promise<{ id: string; split: string; name: string; rows: number; blob: string; createdAt: string }[]> {
    const rows = await this.database
      .selectFrom('datasets')
      .selectAll()
      .where('task', '=', task)
      .orderBy('created_at')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      split: row.split,
      name: row.name,
      rows: row.rows,
      blob: row.blob,
      createdAt: row.created_at,
    }));
  }
}
