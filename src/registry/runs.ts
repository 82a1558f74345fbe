// Runs in the registry: evaluations, optimizations and soft-prompt trainings (and later audits and
// experiments) as records linked to their task, version and dataset versions, with their progress while
// they run and their entries (an evaluation's per-example results, a training's metrics per step, an
// optimization's trials). A run that stops heartbeating while `running` reads as `interrupted`, so a
// killed run is visible as such. What a run computes is its producer's business; this file stores it.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../errors/index.js';
import type { RegistryWrite } from './access-keys.js';
import { beforeCursor, decodePageCursor, encodePageCursor } from './page-cursor.js';
import type { RegistryDatabase, RunTable } from './schema.js';

/**
 * What a run is: an evaluation, an optimization, a soft-prompt training, an audit, a closed-loop
 * iteration, or a comparison of tuning methods on one task (compare-methods --push).
 */
export const runKinds = [
  'evaluation',
  'optimization',
  'soft-training',
  'audit',
  'loop',
  'comparison',
] as const;
/** One of runKinds. */
export type RunKind = (typeof runKinds)[number];

/** Stored states; `interrupted` is read, never stored: a running run whose heartbeat went stale. */
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

/** How far a run has come (units are the producer's: examples, steps, trials). */
export interface RunProgress {
  done: number;
  total: number | null;
  message?: string;
}

/** A run. Times are epoch milliseconds. */
export interface RunRecord {
  id: string;
  kind: RunKind;
  task: string;
  /** The version evaluated, or the one the run produced. */
  version: string | null;
  /** The dataset versions it read (registry dataset ids). */
  datasets: string[];
  status: RunStatus;
  /** What it was started with (model, options). */
  config: Record<string, unknown>;
  /** What it found, once finished (scores, usage, the artifact's blob key). */
  summary: Record<string, unknown> | null;
  progress: RunProgress | null;
  actor: string;
  startedAt: number;
  heartbeatAt: number;
  finishedAt: number | null;
  error: string | null;
  /** Set aside by an admin with a reason: kept and shown, but no audit policy counts it. */
  retired?: RunRetirement;
}

/** Who set a finished run aside, why and when. */
export interface RunRetirement {
  actor: string;
  reason: string;
  at: number;
}

/** The kinds of entries: an evaluation's examples, a training's steps, an optimization's trials, a comparison's measurements. */
export const runEntryKinds = ['example', 'step', 'trial', 'measurement'] as const;
/** One of runEntryKinds. */
export type RunEntryKind = (typeof runEntryKinds)[number];

/** One entry of a run, at its position (0, 1, …) among the run's entries of its kind. */
export interface RunEntry {
  kind: RunEntryKind;
  position: number;
  /** The entry's score (an example's, a trial's), for filtering and sorting without reading `data`. */
  score: number | null;
  /** Whether an example passed. */
  passed: boolean | null;
  data: Record<string, unknown>;
}

/** Which runs to list. */
export interface RunFilter {
  task?: string;
  kind?: RunKind;
  status?: RunStatus;
  /** Runs that registered (or named) this version, by its full id. */
  version?: string;
}

/** A page of runs, newest first; `next` continues it. */
export interface RunPage {
  data: RunRecord[];
  next?: string;
}

/** What starting a run records. */
export interface RunStart {
  /** Defaults to `run-<time>-<random>`. */
  id?: string;
  kind: RunKind;
  task: string;
  version?: string | null;
  datasets?: string[];
  config?: Record<string, unknown>;
  actor: string;
  progress?: RunProgress;
  at?: number;
}

/** How a run ended. */
export interface RunFinish {
  status: 'completed' | 'failed' | 'cancelled';
  summary?: Record<string, unknown>;
  error?: string;
  /** The version the run produced, when it did. */
  version?: string;
  /**
   * The datasets (putDataset ids) the run used, when it learned them only as it ran (a loop iteration's
   * dataset version): replaces the ones it started with.
   */
  datasets?: string[];
  at?: number;
}

/** A running run whose heartbeat is older than this reads as interrupted (default). */
export const staleAfterMs = 120_000;

/** Run ids: letters, digits, dots, dashes and underscores, as the CLI's `run-<time>-<hex>`. */
export const runIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Entries per insert statement: well under SQLite's and Postgres's bound-parameter limits. */
const insertChunk = 300;

/** The runs in one registry database. */
export class RunStore {
  constructor(
    private readonly database: Kysely<RegistryDatabase>,
    private readonly write: RegistryWrite,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Records a run as started (running) and returns it. */
  async start(start: RunStart): Promise<RunRecord> {
    const at = start.at ?? this.clock();
    const id = start.id ?? `run-${at}-${randomBytes(3).toString('hex')}`;
    checkId(id);
    if (!runKinds.includes(start.kind))
      throw new ValidationError(`run kind "${String(start.kind)}" is not one of ${runKinds.join(', ')}`, {
        code: 'RUN_INVALID',
        hint: `Runs are one of: ${runKinds.join(', ')}.`,
      });
    const row: RunTable = {
      id,
      kind: start.kind,
      task: start.task,
      version: start.version ?? null,
      datasets: json(start.datasets ?? [], 'datasets'),
      status: 'running',
      config: json(start.config ?? {}, 'config'),
      summary: null,
      progress: start.progress ? json(start.progress, 'progress') : null,
      actor: start.actor,
      started_at: at,
      heartbeat_at: at,
      finished_at: null,
      error: null,
      retired: null,
    };
    await this.write(async (transaction) => {
      const existing = await transaction
        .selectFrom('runs')
        .select('id')
        .where('id', '=', id)
        .executeTakeFirst();
      if (existing)
        throw new ValidationError(`run ${id} already exists`, {
          code: 'RUN_EXISTS',
          hint: 'Start a run with a new id, or leave the id out for a generated one.',
        });
      await transaction.insertInto('runs').values(row).execute();
    });
    return toRun(row, at);
  }

  /** Records a running run's progress, which is also its heartbeat. */
  async progress(id: string, progress: RunProgress, at = this.clock()): Promise<void> {
    await this.updateRunning(id, { progress: json(progress, 'progress'), heartbeat_at: at });
  }

  /** A heartbeat without progress: the run is alive. */
  async heartbeat(id: string, at = this.clock()): Promise<void> {
    await this.updateRunning(id, { heartbeat_at: at });
  }

  /**
   * Adds entries to a running run (an entry at a position it already has is replaced, so a resumed run
   * may write its entries again).
   */
  async append(id: string, entries: RunEntry[], at = this.clock()): Promise<void> {
    for (const entry of entries) checkEntry(entry);
    const rows = entries.map((entry) => ({
      run: id,
      kind: entry.kind,
      position: entry.position,
      score: entry.score,
      passed: entry.passed === null ? null : entry.passed ? 1 : 0,
      data: json(entry.data, `entry ${entry.kind} ${entry.position}`),
    }));
    await this.write(async (transaction) => {
      await this.requireRunning(transaction, id);
      for (let from = 0; from < rows.length; from += insertChunk)
        await transaction
          .insertInto('run_entries')
          .values(rows.slice(from, from + insertChunk))
          .onConflict((conflict) =>
            conflict.columns(['run', 'kind', 'position']).doUpdateSet((update) => ({
              score: update.ref('excluded.score'),
              passed: update.ref('excluded.passed'),
              data: update.ref('excluded.data'),
            })),
          )
          .execute();
      await transaction.updateTable('runs').set({ heartbeat_at: at }).where('id', '=', id).execute();
    });
  }

  /** Records how a running run ended. */
  async finish(id: string, end: RunFinish, at = this.clock()): Promise<RunRecord> {
    if (!['completed', 'failed', 'cancelled'].includes(end.status))
      throw new ValidationError(`a run cannot end as "${end.status}"`, {
        code: 'RUN_INVALID',
        hint: 'A run ends completed, failed or cancelled.',
      });
    await this.updateRunning(id, {
      status: end.status,
      finished_at: at,
      heartbeat_at: at,
      ...(end.summary !== undefined && { summary: json(end.summary, 'summary') }),
      ...(end.error !== undefined && { error: end.error }),
      ...(end.version !== undefined && { version: end.version }),
      ...(end.datasets !== undefined && { datasets: json(end.datasets, 'datasets') }),
    });
    return this.get(id, at);
  }

  /**
   * Sets a finished run aside with a reason (an exploratory audit with options no one will run again):
   * it stays listed and readable, but no audit policy counts it. A running run, or one already retired,
   * is refused. Who may retire is the registry's check (admins).
   */
  async retire(id: string, input: { actor: string; reason: string }, at = this.clock()): Promise<RunRecord> {
    const reason = input.reason.trim();
    if (reason === '' || reason.length > 1000)
      throw new ValidationError(
        `the reason to retire run ${id} is ${reason === '' ? 'empty' : 'over 1000 characters'}`,
        {
          code: 'RUN_INVALID',
          hint: 'Say in a sentence why the run no longer counts (e.g. "exploratory attribute set, not our policy").',
        },
      );
    await this.write(async (transaction) => {
      const row = await transaction
        .selectFrom('runs')
        .select(['status', 'heartbeat_at', 'retired'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) throw runNotFound(id);
      // a run whose heartbeat stopped reads as interrupted: its process is gone, and it may be retired
      if (row.status === 'running' && at - Number(row.heartbeat_at) <= staleAfterMs)
        throw new ConflictError(`run ${id} is still running`, {
          code: 'RUN_RUNNING',
          hint: 'Retire a run once it has ended (cancel it first: promptune job cancel, or stop its command).',
        });
      if (row.retired !== null) {
        const earlier = JSON.parse(row.retired) as RunRetirement;
        throw new ConflictError(
          `run ${id} was retired by ${earlier.actor} at ${new Date(earlier.at).toISOString()}: ${earlier.reason}`,
          {
            code: 'RUN_RETIRED',
            hint: 'A run is retired once; its reason stays as it was given.',
          },
        );
      }
      const retirement: RunRetirement = { actor: input.actor, reason, at };
      // only if no one retired it meanwhile (two admins at once on Postgres): the first reason stays
      const updated = await transaction
        .updateTable('runs')
        .set({ retired: JSON.stringify(retirement) })
        .where('id', '=', id)
        .where('retired', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0)
        throw new ConflictError(`run ${id} was retired meanwhile by someone else`, {
          code: 'RUN_RETIRED',
          hint: 'Read the run again to see who retired it and why.',
        });
    });
    return this.get(id, at);
  }

  /** A run by id; `now` decides whether a running run's heartbeat is stale. */
  async get(id: string, now = this.clock()): Promise<RunRecord> {
    const row = await this.database.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw runNotFound(id);
    return toRun(row, now);
  }

  /** Runs matching `filter`, newest first, `limit` at a time (default 50); `after` continues a page. */
  async list(
    filter: RunFilter = {},
    page: { limit?: number; after?: string; now?: number } = {},
  ): Promise<RunPage> {
    const now = page.now ?? this.clock();
    const limit = page.limit ?? 50;
    let query = this.database.selectFrom('runs').selectAll();
    if (filter.task !== undefined) query = query.where('task', '=', filter.task);
    if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
    if (filter.version !== undefined) query = query.where('version', '=', filter.version);
    if (filter.status === 'interrupted')
      query = query.where('status', '=', 'running').where('heartbeat_at', '<', now - staleAfterMs);
    else if (filter.status === 'running')
      query = query.where('status', '=', 'running').where('heartbeat_at', '>=', now - staleAfterMs);
    else if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    const cursor =
      page.after === undefined ? undefined : decodePageCursor(page.after, 'run', 'RUN_BAD_CURSOR');
    if (cursor) query = query.where(beforeCursor('started_at', 'id', cursor));
    const rows = await query
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const data = rows.slice(0, limit).map((row) => toRun(row, now));
    const last = data.at(-1);
    return rows.length > limit && last ? { data, next: encodePageCursor(last.startedAt, last.id) } : { data };
  }

  /**
   * A run's entries of one kind in position order, `limit` at a time (default 100) from `after` (a
   * position); `passed` keeps only the passing or the failing ones.
   */
  async entries(
    id: string,
    kind: RunEntryKind,
    page: { limit?: number; after?: number; passed?: boolean } = {},
  ): Promise<{ data: RunEntry[]; next?: number }> {
    await this.get(id);
    const limit = page.limit ?? 100;
    let query = this.database
      .selectFrom('run_entries')
      .selectAll()
      .where('run', '=', id)
      .where('kind', '=', kind);
    if (page.after !== undefined) query = query.where('position', '>', page.after);
    if (page.passed !== undefined) query = query.where('passed', '=', page.passed ? 1 : 0);
    const rows = await query
      .orderBy('position')
      .limit(limit + 1)
      .execute();
    const data = rows.slice(0, limit).map((row) => ({
      kind: row.kind as RunEntryKind,
      position: Number(row.position),
      score: row.score === null ? null : Number(row.score),
      passed: row.passed === null ? null : Number(row.passed) === 1,
      data: JSON.parse(row.data) as Record<string, unknown>,
    }));
    return rows.length > limit ? { data, next: data.at(-1)!.position } : { data };
  }

  /** Every entry of one kind of a run, in position order (read a page at a time). */
  async allEntries(id: string, kind: RunEntryKind): Promise<RunEntry[]> {
    const entries: RunEntry[] = [];
    for (let after: number | undefined = undefined; ;) {
      const page = await this.entries(id, kind, { after, limit: 1000 });
      entries.push(...page.data);
      if (page.next === undefined) return entries;
      after = page.next;
    }
  }

  private async updateRunning(id: string, values: Partial<RunTable>): Promise<void> {
    await this.write(async (transaction) => {
      await this.requireRunning(transaction, id);
      await transaction.updateTable('runs').set(values).where('id', '=', id).execute();
    });
  }

  /** Throws unless the run exists and has not ended (a stale heartbeat does not end it). */
  private async requireRunning(transaction: Kysely<RegistryDatabase>, id: string): Promise<void> {
    const row = await transaction
      .selectFrom('runs')
      .select(['status'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw runNotFound(id);
    if (row.status !== 'running')
      throw new ValidationError(`run ${id} has already ended (${row.status})`, {
        code: 'RUN_ENDED',
        hint: 'A finished run is not written again; start a new run.',
      });
  }
}

function toRun(row: RunTable, now: number): RunRecord {
  const heartbeatAt = Number(row.heartbeat_at);
  const stale = row.status === 'running' && now - heartbeatAt > staleAfterMs;
  return {
    id: row.id,
    kind: row.kind as RunKind,
    task: row.task,
    version: row.version,
    datasets: JSON.parse(row.datasets) as string[],
    status: stale ? 'interrupted' : (row.status as RunStatus),
    config: JSON.parse(row.config) as Record<string, unknown>,
    summary: row.summary === null ? null : (JSON.parse(row.summary) as Record<string, unknown>),
    progress: row.progress === null ? null : (JSON.parse(row.progress) as RunProgress),
    actor: row.actor,
    startedAt: Number(row.started_at),
    heartbeatAt,
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    error: row.error,
    ...(row.retired !== null &&
      row.retired !== undefined && { retired: JSON.parse(row.retired) as RunRetirement }),
  };
}

function checkId(id: string): void {
  if (!runIdPattern.test(id))
    throw new ValidationError(`"${id}" is not a run id`, {
      code: 'RUN_INVALID',
      hint: 'Run ids are up to 128 letters, digits, dots, dashes and underscores.',
    });
}

function checkEntry(entry: RunEntry): void {
  const fail = (what: string) => {
    throw new ValidationError(`run entry ${entry.kind} ${entry.position}: ${what}`, {
      code: 'RUN_INVALID',
      hint: `Entries are ${runEntryKinds.join(', ')} at a whole position from 0, with a finite score or null.`,
    });
  };
  if (!runEntryKinds.includes(entry.kind)) fail(`kind "${String(entry.kind)}" is unknown`);
  if (!Number.isInteger(entry.position) || entry.position < 0) fail('the position is not a whole number');
  if (entry.score !== null && !Number.isFinite(entry.score)) fail(`the score is ${entry.score}`);
}

/** JSON text of a value that must survive a round trip (no NaN, no functions). */
function json(value: unknown, what: string): string {
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'number' && !Number.isFinite(item))
      throw new ValidationError(`run ${what} holds ${item}, which JSON cannot keep`, {
        code: 'RUN_INVALID',
        hint: 'Store null for a value that is not a finite number.',
      });
    return item;
  });
  if (text === undefined)
    throw new ValidationError(`run ${what} is not JSON`, {
      code: 'RUN_INVALID',
      hint: 'Run records hold plain JSON objects.',
    });
  return text;
}

function runNotFound(id: string): NotFoundError {
  return new NotFoundError(`run ${id} does not exist`, {
    code: 'RUN_NOT_FOUND',
    hint: 'Check the run id, and that the run was recorded in this registry.',
  });
}
