// Numbered versions of a task's dataset: each names the stored data file of every split it has (train,
// dev, test, ...: datasets, content-addressed), its parent, where it came from (files pushed, or a review
// queue's corrections) and who made it. The numbers count from 1 per task. Storing the files is
// putDataset's job; making a version from reviewed corrections is src/review's.
import type { Kysely } from 'kysely';
import { NotFoundError, ValidationError } from '../errors/index.js';
import type { RegistryWrite } from './access-keys.js';
import type { RegistryDatabase } from './schema.js';

/** A version of a task's dataset. */
export interface DatasetVersion {
  task: string;
  number: number;
  /** The dataset id (putDataset's) of each split. */
  splits: Record<string, string>;
  parent: number | null;
  /** `files` (pushed data files) or `review:<queue>` (a queue's corrections). */
  source: string;
  message: string;
  /** What the version added over its parent (rows by split, duplicates left out, items held back). */
  details: Record<string, unknown>;
  actor: string;
  createdAt: number;
}

/** A version to add. */
export type DatasetVersionInput = Omit<DatasetVersion, 'number' | 'createdAt' | 'parent' | 'details'> & {
  /** The version it builds on: left out, the task's latest; null, none (a first version, or a restored root). */
  parent?: number | null;
  details?: Record<string, unknown>;
};

/** The dataset versions in one registry database. */
export class DatasetVersions {
  constructor(
    private readonly database: Kysely<RegistryDatabase>,
    private readonly write: RegistryWrite,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Adds the task's next version. Splits the task already has a version of give that version, and no new
   * one: pushing the same files twice makes one version, and pushing a spec's original files after
   * reviewed rows were added does not make them the latest again.
   */
  async add(input: DatasetVersionInput): Promise<DatasetVersion> {
    if (Object.keys(input.splits).length === 0)
      throw new ValidationError(`a dataset version of ${input.task} names no split`, {
        code: 'DATASET_VERSION_EMPTY',
        hint: 'Give the stored dataset id of at least one split.',
      });
    return this.write(async (transaction) => {
      const existing = await transaction
        .selectFrom('dataset_versions')
        .selectAll()
        .where('task', '=', input.task)
        .orderBy('number', 'desc')
        .execute();
      const same = existing.find((row) =>
        sameSplits(JSON.parse(row.splits) as Record<string, string>, input.splits),
      );
      if (same) return toVersion(same);
      const latest = existing[0];
      if (input.parent !== undefined && input.parent !== null && input.parent > (latest?.number ?? 0))
        throw new NotFoundError(`${input.task} has no dataset version ${input.parent}`, {
          code: 'DATASET_VERSION_NOT_FOUND',
          hint: `See the versions with promptune dataset versions ${input.task}.`,
        });
      const row = {
        task: input.task,
        number: (latest?.number ?? 0) + 1,
        splits: JSON.stringify(input.splits),
        parent: input.parent === undefined ? (latest?.number ?? null) : input.parent,
        source: input.source,
        message: input.message,
        details: JSON.stringify(input.details ?? {}),
        actor: input.actor,
        created_at: this.clock(),
      };
      // two writers racing for one number: the primary key refuses the second, whose write retries
      await transaction.insertInto('dataset_versions').values(row).execute();
      return toVersion(row);
    });
  }

  /** A task's versions, oldest first. */
  async list(task: string): Promise<DatasetVersion[]> {
    const rows = await this.database
      .selectFrom('dataset_versions')
      .selectAll()
      .where('task', '=', task)
      .orderBy('number')
      .execute();
    return rows.map(toVersion);
  }

  /** A version by number, or the latest when `number` is undefined. */
  async get(task: string, number?: number): Promise<DatasetVersion> {
    let query = this.database.selectFrom('dataset_versions').selectAll().where('task', '=', task);
    query =
      number === undefined ? query.orderBy('number', 'desc').limit(1) : query.where('number', '=', number);
    const row = await query.executeTakeFirst();
    if (!row)
      throw new NotFoundError(
        number === undefined ? `${task} has no dataset version` : `${task} has no dataset version ${number}`,
        {
          code: 'DATASET_VERSION_NOT_FOUND',
          hint: `See the versions with promptune dataset versions ${task}; pushing a task with its data files makes version 1.`,
        },
      );
    return toVersion(row);
  }
}

const sameSplits = (left: Record<string, string>, right: Record<string, string>) =>
  Object.keys(left).length === Object.keys(right).length &&
  Object.entries(left).every(([split, id]) => right[split] === id);

function toVersion(row: {
  task: string;
  number: number;
  splits: string;
  parent: number | null;
  source: string;
  message: string;
  details: string;
  actor: string;
  created_at: number;
}): DatasetVersion {
  return {
    task: row.task,
    number: Number(row.number),
    splits: JSON.parse(row.splits) as Record<string, string>,
    parent: row.parent === null ? null : Number(row.parent),
    source: row.source,
    message: row.message,
    details: JSON.parse(row.details) as Record<string, unknown>,
    actor: row.actor,
    createdAt: Number(row.created_at),
  };
}
