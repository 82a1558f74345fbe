// The versioned prompt library: tasks with every spec they were pushed with, immutable
// content-addressed prompt versions (hard or soft) with lineage, each serving with the spec it was
// pushed with, movable labels with an audit log, and versioned datasets. One implementation over
// Kysely serves SQLite and Postgres; every write is one transaction, retried while the database is busy.
import { AccessKeys } from './access-keys.js';
import { AlertRecords } from './alert-records.js';
import { RunStore, type RunRecord } from './runs.js';
import { ReviewStore } from './review.js';
import { DatasetVersions } from './dataset-versions.js';
import { ExperimentStore } from './experiments.js';
import { JobStore } from './jobs.js';
import { listenForChanges, type ChangeListener, type RegistryChange } from './change-notices.js';
import { Scores } from './scores.js';
import { TraceStore } from './traces.js';
import { sql, type Kysely } from 'kysely';
import {
  environmentError,
  nearestName,
  NotFoundError,
  PermissionError,
  ValidationError,
} from '../errors/index.js';
import type { TaskSpec } from '../tasks/index.js';
import { canonicalJson, contentHash } from './canonical.js';
import { labelHistory, moveLabel, rollbackLabel } from './labels.js';
import { labelMoveReason, policyVerdicts, type PolicyVerdict } from './label-policy.js';
import {
  openRegistryDatabase,
  type RegistryConnection,
  type RegistryLocation,
  type RegistryOptions,
} from './open-registry.js';
import {
  checkLabelName,
  legacyVersionId,
  labelIsProtected,
  now,
  toVersion,
  versionId,
  versionIdPattern,
  type Actor,
  type LabelEvent,
  type LabelMove,
  type PromptVersion,
} from './records.js';
import type { RegistryDatabase } from './schema.js';
import { storeVersion, type RestoredVersion } from './version-rows.js';
import { writeTransaction } from './write-transaction.js';
import { checkSpec, checkVersion } from './version-checks.js';

export {
  protectedByDefault,
  type Actor,
  type LabelEvent,
  type LabelMove,
  type PromptVersion,
} from './records.js';
export type { RestoredVersion } from './version-rows.js';

/** The change listeners opened on each connection, closed with it. */
const listeners = new WeakMap<RegistryConnection, Set<ChangeListener>>();

/** The registry over one database (or over one transaction of it, inside `transaction`). */
export class Registry {
  private constructor(
    private readonly connection: RegistryConnection,
    private readonly database: Kysely<RegistryDatabase> = connection.database,
  ) {}

  /**
   * Opens (and migrates) the registry at a SQLite path or Postgres URL. A path it cannot open (a
   * folder it may not write, a file that is not a registry) is an EnvironmentError with a code.
   */
  static async open(location: RegistryLocation, options?: RegistryOptions): Promise<Registry> {
    try {
      return new Registry(await openRegistryDatabase(location, options));
    } catch (error) {
      throw environmentError(error) ?? error;
    }
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
    // busy or raced, the transaction runs again from the start: `work` must be safe to repeat
    return this.write((transaction) => work(new Registry(this.connection, transaction)));
  }

  /**
   * Inside `transaction`: holds `key` until the transaction ends, so another transaction asking for the
   * same key waits until this one has committed and then reads what it wrote (a Postgres advisory lock;
   * on SQLite a write transaction already runs alone). For a check and a write that must not interleave
   * with another process's, such as "no live loop iteration, so start one".
   */
  async lock(key: string): Promise<void> {
    // a programming error: the lock would end with the statement that took it
    if (!this.database.isTransaction) throw new Error(`lock ${key} taken outside a transaction`);
    if (this.dialect === 'postgres')
      await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(this.database);
  }

  /** Runs one write in a transaction of its own (retried while busy), or in the one this registry is bound to. */
  private write<T>(work: (transaction: Kysely<RegistryDatabase>) => Promise<T>): Promise<T> {
    return writeTransaction(this.database, work, this.connection.writeRetry);
  }

  /** The service's API keys (hashed at rest). */
  get keys(): AccessKeys {
    return new AccessKeys(this.database, (work) => this.write(work), this.dialect);
  }

  /**
   * Hears of label moves, experiment changes and key revocations made by any process on this Postgres
   * registry (undefined on SQLite, which sends no notices). `onGap`: notices may have been missed.
   */
  async listen(handlers: {
    onChange: (change: RegistryChange) => void;
    onGap: () => void;
    onError?: (error: unknown) => void;
  }): Promise<ChangeListener | undefined> {
    if (!this.connection.url) return undefined;
    const listener = await listenForChanges(this.connection.url, handlers);
    const open = listeners.get(this.connection) ?? new Set();
    listeners.set(this.connection, open.add(listener));
    return listener;
  }

  /** Traces of the model calls the service answered (and evaluations and optimizations made). */
  get traces(): TraceStore {
    // the raw SQLite handle reads outside any transaction this registry is bound to: scans are reads
    return new TraceStore(this.database, (work) => this.write(work), this.connection.sqlite);
  }

  /** Scores on traces, and score configs. */
  get scores(): Scores {
    return new Scores(this.database, (work) => this.write(work));
  }

  /** Evaluation, optimization and training runs, with their progress and entries. */
  get runs(): RunStore {
    return new RunStore(this.database, (work) => this.write(work));
  }

  /** Human review: queues, items, reservations and decisions. */
  get review(): ReviewStore {
    return new ReviewStore(this.database, (work) => this.write(work), Date.now, this.dialect);
  }

  /** Numbered versions of each task's dataset (the stored file of every split). */
  get datasetVersions(): DatasetVersions {
    return new DatasetVersions(this.database, (work) => this.write(work));
  }

  /** Traffic experiments between versions of a label, and every look at them. */
  get experiments(): ExperimentStore {
    return new ExperimentStore(this.database, (work) => this.write(work), this.dialect);
  }

  /** Jobs (evaluations, optimizations, training, audits) for workers to run. */
  get jobs(): JobStore {
    return new JobStore(this.database, (work) => this.write(work), this.dialect);
  }

  /** Alert rules' states and their firing and resolution history. */
  get alerts(): AlertRecords {
    return new AlertRecords(this.database, (work) => this.write(work));
  }

  /**
   * Closes the database, and the change listeners opened on it. A second close does nothing; any other
   * use afterwards is refused with REGISTRY_CLOSED.
   */
  async close(): Promise<void> {
    await Promise.all([...(listeners.get(this.connection) ?? [])].map((listener) => listener.close()));
    listeners.delete(this.connection);
    await this.connection.close();
  }

  /**
   * Adds a task or makes `spec` its latest spec (what getTask returns, and what a push without a spec
   * serves with), keeping every spec it had; returns the spec's id. Versions already pushed keep the
   * spec they were pushed with, so this changes nothing any label serves.
   */
  async putTask(spec: TaskSpec): Promise<string> {
    const text = canonicalJson(spec);
    const description = spec.description ?? '';
    return this.write(async (transaction) => {
      await transaction
        .insertInto('tasks')
        .values({ name: spec.name, description, spec: text, created_at: now() })
        .onConflict((conflict) => conflict.column('name').doUpdateSet({ description, spec: text }))
        .execute();
      return new Registry(this.connection, transaction).storeSpec(spec);
    });
  }

  /** Stores a spec of an existing task that versions may serve with, without making it the latest; returns its id. */
  async storeSpec(spec: TaskSpec): Promise<string> {
    checkSpec(spec);
    const id = contentHash(spec);
    await this.write((transaction) =>
      transaction
        .insertInto('task_specs')
        .values({ id, task: spec.name, spec: canonicalJson(spec), created_at: now() })
        .onConflict((conflict) => conflict.column('id').doNothing())
        .execute(),
    );
    return id;
  }

  /** The task's latest pushed spec. */
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

  /** A spec by id (a version's `specId`): the task spec that version serves with. */
  async getSpec(id: string): Promise<TaskSpec> {
    const row = await this.database
      .selectFrom('task_specs')
      .select('spec')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row)
      throw new NotFoundError(`task spec ${id} is not in the registry`, {
        code: 'REGISTRY_NO_SPEC',
        hint: 'The registry is incomplete; import the export that holds it.',
      });
    return JSON.parse(row.spec) as TaskSpec;
  }

  /** The tasks' names in order, reading nothing else (a cheap listing, and a check the database answers). */
  async taskNames(): Promise<string[]> {
    const rows = await this.database.selectFrom('tasks').select('name').orderBy('name').execute();
    return rows.map((row) => row.name);
  }

  async listTasks(): Promise<
    { name: string; description: string; versions: number; labels: Record<string, number> }[]
  > {
    // three queries whatever the registry holds: versions are counted, never read (a task with
    // thousands of optimizer versions was read whole, content and all, to count them)
    const tasks = await this.database
      .selectFrom('tasks')
      .select(['name', 'description'])
      .orderBy('name')
      .execute();
    const counts = await this.database
      .selectFrom('versions')
      .select(['task', (select) => select.fn.countAll<number | string>().as('count')])
      .groupBy('task')
      .execute();
    const labels = await this.database
      .selectFrom('labels')
      .leftJoin('versions', (join) =>
        join.onRef('versions.id', '=', 'labels.version').onRef('versions.task', '=', 'labels.task'),
      )
      .select(['labels.task', 'labels.label', 'versions.number'])
      .orderBy('labels.task')
      .orderBy('labels.label')
      .execute();
    const versions = new Map(counts.map((row) => [row.task, Number(row.count)]));
    const numbers = new Map<string, Record<string, number>>();
    for (const row of labels) {
      const task = numbers.get(row.task) ?? {};
      task[row.label] = row.number === null ? 0 : Number(row.number);
      numbers.set(row.task, task);
    }
    return tasks.map((task) => ({
      ...task,
      versions: versions.get(task.name) ?? 0,
      labels: numbers.get(task.name) ?? {},
    }));
  }

  /**
   * Stores a prompt version that serves with `spec` (which becomes the task's latest spec), or without
   * `spec` with the task's latest spec. Content-addressed over task, kind, content and spec: pushing the
   * same prompt with the same spec again returns the existing version (`created: false`); the same
   * prompt with a changed spec is a new version.
   */
  async pushVersion(input: {
    task: string;
    kind: 'hard' | 'soft';
    content: Record<string, unknown>;
    spec?: TaskSpec;
    parent?: string;
    run?: Record<string, unknown>;
    message?: string;
    actor: Actor;
  }): Promise<{ version: PromptVersion; created: boolean }> {
    if (input.spec && input.spec.name !== input.task)
      throw new ValidationError(
        `a version of ${input.task} cannot serve with the spec of ${input.spec.name}`,
        {
          code: 'REGISTRY_SPEC_MISMATCH',
          hint: 'Push each task with its own spec.',
        },
      );
    return this.write(async (transaction) => {
      const target = new Registry(this.connection, transaction);
      if (input.spec) await target.putTask(input.spec);
      const spec = await target.getTask(input.task);
      checkVersion(input, spec);
      const specId = contentHash(spec);
      if (input.parent !== undefined) await target.checkParent(input.task, input.parent);
      const id = versionId(input.task, input.kind, input.content, specId);
      const version = {
        id,
        task: input.task,
        kind: input.kind,
        content: input.content,
        parent: input.parent ?? null,
        run: input.run ?? null,
        message: input.message ?? '',
        specId,
        actor: input.actor,
      };
      return storeVersion(
        transaction,
        this.dialect,
        version,
        legacyVersionId(input.task, input.kind, input.content),
      );
    });
  }

  /**
   * Stores a version under the id it already has (an import's). The id must be the hash of what it
   * holds (or, for a version older than specs in versions, of its task, kind and content); the spec it
   * names must be stored. An existing version with that id is kept as it is (`created: false`).
   */
  async restoreVersion(
    input: RestoredVersion & { actor: Actor },
  ): Promise<{ version: PromptVersion; created: boolean }> {
    if (
      input.id !== versionId(input.task, input.kind, input.content, input.specId) &&
      input.id !== legacyVersionId(input.task, input.kind, input.content)
    )
      throw new ValidationError(`version ${input.id} of ${input.task} hashes to another id`, {
        code: 'REGISTRY_BAD_BUNDLE',
        hint: 'The bundle was edited or corrupted; export it again.',
      });
    return this.write(async (transaction) => {
      await new Registry(this.connection, transaction).getSpec(input.specId);
      return storeVersion(transaction, this.dialect, input);
    });
  }

  /** A version's parent is an earlier version of its task, named by its full id. */
  private async checkParent(task: string, parent: string): Promise<void> {
    const found = await this.database
      .selectFrom('versions')
      .select('id')
      .where('task', '=', task)
      .where('id', '=', parent)
      .executeTakeFirst();
    if (!found)
      throw new NotFoundError(
        `the parent named for a new version of ${task}, ${parent}, is not a version of ${task}`,
        {
          code: 'REGISTRY_NO_VERSION',
          hint: `A parent is an earlier version of the same task, by its full id (promptune registry ls ${task}).`,
        },
      );
  }

  /**
   * The number of each version of `tasks`, by id: ids and numbers only (a listing that names versions
   * by number read every version's content to get them).
   */
  async versionNumbers(tasks: readonly string[]): Promise<Map<string, number>> {
    if (tasks.length === 0) return new Map();
    const rows = await this.database
      .selectFrom('versions')
      .select(['id', 'number'])
      .where('task', 'in', [...new Set(tasks)])
      .execute();
    return new Map(rows.map((row) => [row.id, Number(row.number)]));
  }

  /** A task's versions, oldest first. */
  async listVersions(task: string): Promise<PromptVersion[]> {
    const rows = await this.database
      .selectFrom('versions')
      .selectAll()
      .where('task', '=', task)
      .orderBy('number')
      .execute();
    return rows.map(toVersion);
  }

  /**
   * A version by reference: `latest`, a number, an id prefix (6+ hex digits; never a label, which
   * cannot look like one), or a label.
   */
  async resolveVersion(task: string, reference = 'latest'): Promise<PromptVersion> {
    return this.findVersion(this.database, task, reference);
  }

  /**
   * What a task has that `reference` was meant to name: its versions' numbers for a number, its labels for
   * a label ("name has no label production; its labels: staging"); undefined for latest and id prefixes.
   */
  private async referenceChoices(
    database: Kysely<RegistryDatabase>,
    task: string,
    reference: string,
  ): Promise<string | undefined> {
    if (reference === 'latest' || versionIdPattern.test(reference)) return undefined;
    if (/^\d+$/.test(reference)) {
      const numbers = await database
        .selectFrom('versions')
        .select('number')
        .where('task', '=', task)
        .orderBy('number')
        .execute();
      if (numbers.length === 0) return `${task} has no versions yet`;
      const [first, last] = [numbers[0].number, numbers.at(-1)!.number];
      return `${task} has ${first === last ? `version ${first} only` : `versions ${first} to ${last}`}`;
    }
    const labels = await database
      .selectFrom('labels')
      .select('label')
      .where('task', '=', task)
      .orderBy('label')
      .execute();
    return `${task} has no label ${reference}; ${labels.length ? `its labels: ${labels.map((row) => row.label).join(', ')}` : 'it has no labels'}`;
  }

  /** resolveVersion within `database` (a transaction's, when a write depends on it). */
  private async findVersion(
    database: Kysely<RegistryDatabase>,
    task: string,
    reference: string,
  ): Promise<PromptVersion> {
    let query = database.selectFrom('versions').selectAll().where('task', '=', task);
    if (reference === 'latest') query = query.orderBy('number', 'desc').limit(1);
    else if (/^\d+$/.test(reference)) query = query.where('number', '=', Number(reference));
    else if (versionIdPattern.test(reference)) query = query.where('id', 'like', `${reference}%`);
    else {
      const label = await database
        .selectFrom('labels')
        .select('version')
        .where('task', '=', task)
        .where('label', '=', reference)
        .executeTakeFirst();
      query = label ? query.where('id', '=', label.version) : query.where(sql<boolean>`1 = 0`);
    }
    const rows = await query.execute();
    if (rows.length > 1)
      throw new ValidationError(`${task}@${reference} matches ${rows.length} versions`, {
        code: 'REGISTRY_AMBIGUOUS',
        hint: 'Give more digits of the version id.',
      });
    if (rows.length === 0) {
      // a task that is not there at all is told so, not that one of its versions is missing
      const known = await database
        .selectFrom('tasks')
        .select('name')
        .where('name', '=', task)
        .executeTakeFirst();
      // a misspelt task ("nmae") is told the name it is nearest
      const meant = known
        ? undefined
        : nearestName(
            task,
            (await database.selectFrom('tasks').select('name').execute()).map((row) => row.name),
          );
      // a task that is there says what it has: a missing label is not a missing version
      const has = known ? await this.referenceChoices(database, task, reference) : undefined;
      throw new NotFoundError(
        `${task}@${reference} does not exist${known ? (has ? `: ${has}` : '') : `: there is no task named ${task}${meant ? `; did you mean ${meant}?` : ''}`}`,
        {
          // a task the registry lacks has getTask's code: a client can tell it from a missing version
          code: known ? 'REGISTRY_NO_VERSION' : 'REGISTRY_NO_TASK',
          // "v3" as the dashboard writes it is version 3, written task@3 (a label may be named v3)
          hint: !known
            ? 'See the tasks with: promptune registry ls (GET /v1/models)'
            : /^v[0-9]+$/.test(reference)
              ? `Versions are referred to by number: ${task}@${reference.slice(1)} (the dashboard's ${reference}).`
              : `See the versions and labels with: promptune registry ls ${task} (GET /v1/tasks/${task}/versions)`,
        },
      );
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

  /** Whether moving `label` of `task` needs the admin scope (setLabel's rule), read without a lock. */
  async labelProtected(task: string, label: string): Promise<boolean> {
    const existing = (await this.listLabels(task)).find((entry) => entry.label === label);
    return labelIsProtected(label, existing);
  }

  /**
   * Points a label at a version, in one transaction that locks the label, so concurrent moves form one
   * consistent chain in the audit log. Protected labels (production by default) need the admin scope, as
   * does changing a label's protection. A label that already points there (with that protection) is left
   * alone: nothing is written, and the result has `moved: false` and the event that put it there.
   */
  async setLabel(input: {
    task: string;
    label: string;
    reference: string;
    actor: Actor;
    reason?: string;
    protect?: boolean;
    /** An admin's reason to move the label although the version fails the task's audit policy. */
    overridePolicy?: string;
    /** `skip`: restore the label as given without the audit policy (a bundle import). */
    auditPolicy?: 'check' | 'skip';
    /** What justified the move (an experiment's statistics), kept in the label's history. */
    details?: Record<string, unknown>;
    /** The experiment promoting its treatment; any other move stops the experiments running on the label. */
    experiment?: string;
  }): Promise<LabelMove> {
    checkLabelName(input.label);
    // one transaction: the version the reference names, the audits the gate reads and the move agree
    return this.transaction(async (target) => {
      const version = await target.resolveVersion(input.task, input.reference);
      return target.write((transaction) =>
        moveLabel(transaction, target.dialect, {
          ...input,
          version: version.id,
          gate: input.auditPolicy === 'skip' ? undefined : () => labelMoveReason(target, version, input),
        }),
      );
    });
  }

  /**
   * Sets a finished run aside with a reason (admin): it stays readable, but no audit policy counts it, so
   * an exploratory audit with options no one will run again stops blocking its version.
   */
  async retireRun(id: string, input: { actor: Actor; reason: string }): Promise<RunRecord> {
    if (!input.actor.scopes.includes('admin'))
      throw new PermissionError(`retiring run ${id} needs the admin scope`, {
        code: 'AUTH_SCOPE',
        hint: 'Use an admin key (or --admin on the command line): a retired audit no longer counts for the audit policy.',
      });
    return this.runs.retire(id, { actor: input.actor.name, reason: input.reason });
  }

  /**
   * Whether moving each label an audit policy guards to this version would pass the policy, and on which
   * audits: the label gate's verdict, read without moving anything.
   */
  async auditPolicyVerdicts(task: string, reference: string): Promise<PolicyVerdict[]> {
    return policyVerdicts(this, await this.resolveVersion(task, reference));
  }

  /**
   * Moves a label back to where its latest move not yet rolled back came from (again: a move further
   * back); `reason` (why) is kept in its history after "rollback of move N".
   */
  async rollback(input: { task: string; label: string; actor: Actor; reason?: string }): Promise<LabelMove> {
    return this.write((transaction) => rollbackLabel(transaction, this.dialect, input));
  }

  async labelHistory(task: string, label: string): Promise<LabelEvent[]> {
    return labelHistory(this.database, task, label);
  }

  /** Stores bytes once by their sha256 and returns it. */
  async putBlob(bytes: Uint8Array): Promise<string> {
    const sha256 = contentHash(bytes);
    await this.write((transaction) =>
      transaction
        .insertInto('blobs')
        .values({ sha256, bytes: Buffer.from(bytes), size: bytes.length })
        .onConflict((conflict) => conflict.column('sha256').doNothing())
        .execute(),
    );
    return sha256;
  }

  /** True when the registry holds a blob with this sha256. */
  async hasBlob(sha256: string): Promise<boolean> {
    const row = await this.database
      .selectFrom('blobs')
      .select('sha256')
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    return row !== undefined;
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
    const blob = contentHash(input.bytes);
    const id = blobDatasetId(input.task, input.split, blob);
    await this.write(async (transaction) => {
      await new Registry(this.connection, transaction).putBlob(input.bytes);
      await transaction
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
    });
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

/**
 * The id a data file has as `task`'s dataset for `split`: putDataset stores it under this id, and a run
 * that read the file names it so, whether or not the file was ever stored.
 */
export function datasetId(task: string, split: string, bytes: Uint8Array): string {
  return blobDatasetId(task, split, contentHash(bytes));
}

/** datasetId from the file's content hash (its blob key), for a writer that has hashed it already. */
const blobDatasetId = (task: string, split: string, blob: string): string =>
  contentHash({ task, split, blob });
