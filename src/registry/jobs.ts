// Jobs in the registry: a promptune command (an evaluation, optimization, training or audit) to run in
// a folder, with its status, attempts, the worker holding it and until when (once it ended, the worker
// that last held it), a cancel request, and the tail of its output. The registry queue hands queued
// jobs (and running ones whose lease lapsed: their worker died) to one claimant at a time;
// BullMQ-dispatched jobs are only recorded here. What running a job means is jobs' business.
import { randomBytes } from 'node:crypto';
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../errors/index.js';
import type { RegistryWrite } from './access-keys.js';
import type { Dialect } from './migrations.js';
import { beforeCursor, decodePageCursor, encodePageCursor } from './page-cursor.js';
import type { RegistryDatabase } from './schema.js';

/** Where a job may stand. */
export const jobStatuses = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;

/** Where a job stands. */
export type JobStatus = (typeof jobStatuses)[number];

/** Which queue dispatches a job. */
export type JobQueueName = 'registry' | 'redis';

/** A stored job. Times are epoch milliseconds. */
export interface JobRecord {
  id: string;
  kind: string;
  args: string[];
  cwd: string;
  queue: JobQueueName;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  /**
   * The worker holding it while it runs; once it ended, the one that last held it (which ran it, or
   * died holding it); none while it is queued.
   */
  worker: string | null;
  leaseUntil: number | null;
  cancelRequested: boolean;
  log: string;
  result: Record<string, unknown> | null;
  error: string | null;
  actor: string;
  createdAt: number;
  startedAt: number | null;
  heartbeatAt: number | null;
  finishedAt: number | null;
}

/** A job as lists show it: without its output, which `get` reads (lists are polled). */
export type JobSummary = Omit<JobRecord, 'log'>;

/** A page of jobs, newest first; `next` continues it. */
export interface JobPage {
  data: JobSummary[];
  next?: string;
}

/** How much output a job keeps (its tail). */
export const jobLogLimit = 64 * 1024;

const toSummary = (row: Omit<Selectable<RegistryDatabase['jobs']>, 'log'>): JobSummary => ({
  id: row.id,
  kind: row.kind,
  args: JSON.parse(row.args) as string[],
  cwd: row.cwd,
  queue: row.queue as JobQueueName,
  status: row.status as JobStatus,
  attempts: Number(row.attempts),
  maxAttempts: Number(row.max_attempts),
  worker: row.worker,
  leaseUntil: row.lease_until === null ? null : Number(row.lease_until),
  cancelRequested: Boolean(row.cancel_requested),
  result: row.result ? (JSON.parse(row.result) as Record<string, unknown>) : null,
  error: row.error,
  actor: row.actor,
  createdAt: Number(row.created_at),
  startedAt: row.started_at === null ? null : Number(row.started_at),
  heartbeatAt: row.heartbeat_at === null ? null : Number(row.heartbeat_at),
  finishedAt: row.finished_at === null ? null : Number(row.finished_at),
});

const toRecord = (row: Selectable<RegistryDatabase['jobs']>): JobRecord => ({
  ...toSummary(row),
  log: row.log,
});

/** Every column but the output. */
const summaryColumns = [
  'id',
  'kind',
  'args',
  'cwd',
  'queue',
  'status',
  'attempts',
  'max_attempts',
  'worker',
  'lease_until',
  'cancel_requested',
  'result',
  'error',
  'actor',
  'created_at',
  'started_at',
  'heartbeat_at',
  'finished_at',
] as const;

const notFound = (id: string) =>
  new NotFoundError(`job ${id} does not exist`, {
    code: 'JOB_NOT_FOUND',
    hint: 'See the jobs with: promptune job ls',
  });

const lost = (id: string, worker: string) =>
  new ConflictError(`job ${id} is no longer held by ${worker}`, {
    code: 'JOB_LEASE_LOST',
    hint: 'Its lease lapsed and another worker took it, or it was finished; this worker stops it.',
  });

/** The registry queue's jobs a worker may claim at `now`: queued, or running with a lapsed lease. */
const claimable = (now: number) => (where: ExpressionBuilder<RegistryDatabase, 'jobs'>) =>
  where.and([
    where('queue', '=', 'registry'),
    where.or([
      where('status', '=', 'queued'),
      where.and([where('status', '=', 'running'), where('lease_until', '<', now)]),
    ]),
  ]);

/** Jobs in one registry database. */
export class JobStore {
  constructor(
    private readonly database: Kysely<RegistryDatabase>,
    private readonly write: RegistryWrite,
    private readonly dialect: Dialect,
  ) {}

  /** Records a queued job. */
  async submit(input: {
    kind: string;
    args: string[];
    cwd: string;
    queue: JobQueueName;
    maxAttempts: number;
    actor: string;
    /** Store it already held by this worker (a job run where it is submitted), as its first attempt. */
    heldBy?: { worker: string; leaseMs: number };
    /** Defaults to `job-<12 random hex digits>`, the shape `find` takes the start of. */
    id?: string;
  }): Promise<JobRecord> {
    const now = Date.now();
    const held = input.heldBy;
    const row = {
      id: input.id ?? `job-${randomBytes(6).toString('hex')}`,
      kind: input.kind,
      args: JSON.stringify(input.args),
      cwd: input.cwd,
      queue: input.queue,
      status: held ? 'running' : 'queued',
      attempts: held ? 1 : 0,
      max_attempts: input.maxAttempts,
      worker: held?.worker ?? null,
      lease_until: held ? now + held.leaseMs : null,
      cancel_requested: 0,
      log: '',
      result: null,
      error: null,
      actor: input.actor,
      created_at: now,
      started_at: held ? now : null,
      heartbeat_at: held ? now : null,
      finished_at: null,
    };
    await this.write((transaction) => transaction.insertInto('jobs').values(row).execute());
    return toRecord(row);
  }

  async get(id: string): Promise<JobRecord> {
    const row = await this.database.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(id);
    return toRecord(row);
  }

  /**
   * The job a person named: its id, or the start of its id's hex (`3f2a`, `job-3f2a`; at least 4
   * digits) when one job's id starts so. JOB_AMBIGUOUS when several do.
   */
  async find(reference: string): Promise<JobRecord> {
    const exact = await this.database
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', reference)
      .executeTakeFirst();
    if (exact) return toRecord(exact);
    const lower = reference.toLowerCase();
    const digits = /^(?:job-)?([0-9a-f]{4,})$/.exec(lower)?.[1];
    if (digits === undefined && /^(?:job-)?[0-9a-f]{1,3}$/.test(lower))
      throw new NotFoundError(`job ${reference} does not exist`, {
        code: 'JOB_NOT_FOUND',
        hint: 'Give at least 4 hex digits of its id (promptune job ls lists them).',
      });
    if (digits === undefined) throw notFound(reference);
    const rows = await this.database
      .selectFrom('jobs')
      .selectAll()
      .where('id', 'like', `job-${digits}%`)
      .limit(2)
      .execute();
    if (rows.length > 1)
      throw new ValidationError(`${reference} starts the ids of several jobs`, {
        code: 'JOB_AMBIGUOUS',
        hint: 'Give more digits of the job id (promptune job ls lists them).',
      });
    if (rows.length === 0) throw notFound(reference);
    return toRecord(rows[0]!);
  }

  /** Jobs newest first, without their output, `limit` at a time (default 100); `after` continues a page. */
  async list(
    filter: { status?: JobStatus } = {},
    page: { limit?: number; after?: string } = {},
  ): Promise<JobPage> {
    const limit = page.limit ?? 100;
    let query = this.database.selectFrom('jobs').select(summaryColumns);
    if (filter.status) query = query.where('status', '=', filter.status);
    const cursor =
      page.after === undefined ? undefined : decodePageCursor(page.after, 'job', 'JOB_BAD_CURSOR');
    if (cursor) query = query.where(beforeCursor('created_at', 'id', cursor));
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const data = rows.slice(0, limit).map(toSummary);
    const last = data.at(-1);
    return rows.length > limit && last ? { data, next: encodePageCursor(last.createdAt, last.id) } : { data };
  }

  /**
   * The BullMQ queue's jobs that should be on it now: queued, or running with a lease that lapsed
   * `graceMs` ago (their worker died). A worker compares them with what Redis holds, which may have lost
   * them (restarted without persistence, flushed, failed over); oldest first, at most `limit`.
   */
  async awaitingRedis(options: { graceMs: number; now?: number; limit?: number }): Promise<JobRecord[]> {
    const lapsed = (options.now ?? Date.now()) - options.graceMs;
    const rows = await this.database
      .selectFrom('jobs')
      .selectAll()
      .where((where) =>
        where.and([
          where('queue', '=', 'redis'),
          where.or([
            where('status', '=', 'queued'),
            where.and([where('status', '=', 'running'), where('lease_until', '<', lapsed)]),
          ]),
        ]),
      )
      .orderBy('created_at')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map(toRecord);
  }

  /** Whether the registry queue has a job to claim (a read: idle workers look without writing). */
  async hasClaimable(now = Date.now()): Promise<boolean> {
    const row = await this.database
      .selectFrom('jobs')
      .select('id')
      .where(claimable(now))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Hands the oldest job of the registry queue that is queued, or running with a lapsed lease, to
   * `worker` until `now + leaseMs` (one attempt more); undefined when there is none. One claimant wins.
   * A lapsed job with no attempts left fails, and one whose cancel was asked for is cancelled, instead.
   */
  async claim(worker: string, leaseMs: number, now = Date.now()): Promise<JobRecord | undefined> {
    return this.write(async (transaction) => {
      let query = transaction
        .selectFrom('jobs')
        .selectAll()
        .where(claimable(now))
        .orderBy('created_at')
        .limit(20);
      if (this.dialect === 'postgres') query = query.forUpdate().skipLocked();
      for (const row of await query.execute()) {
        const job = toRecord(row);
        if (await this.endLapsed(transaction, job, now)) continue;
        return this.take(transaction, job, worker, leaseMs, now);
      }
      return undefined;
    });
  }

  /**
   * Marks a job running under `worker` (a BullMQ-dispatched one, as BullMQ hands it over): a queued
   * one, or a running one whose lease lapsed. JOB_HELD while another worker's lease lasts (its
   * `leaseUntil` says until when), JOB_FINISHED for one that has ended (or has no attempts left).
   */
  async start(id: string, worker: string, leaseMs: number, now = Date.now()): Promise<JobRecord> {
    const outcome = await this.write(async (transaction) => {
      let query = transaction.selectFrom('jobs').selectAll().where('id', '=', id);
      if (this.dialect === 'postgres') query = query.forUpdate();
      const row = await query.executeTakeFirst();
      if (!row) throw notFound(id);
      const job = toRecord(row);
      if (job.status === 'running' && job.worker !== worker && (job.leaseUntil ?? 0) >= now)
        throw new ConflictError(
          `job ${id} is held by ${job.worker} until ${new Date(job.leaseUntil!).toISOString()}`,
          {
            code: 'JOB_HELD',
            hint: 'Wait for its lease to lapse (its worker died) or for it to finish.',
          },
        );
      if (job.status === 'running' && (await this.endLapsed(transaction, job, now)))
        return { ended: await this.endedRecord(transaction, id) };
      if (job.status !== 'queued' && job.status !== 'running') return { ended: job };
      return { started: await this.take(transaction, job, worker, leaseMs, now) };
    });
    if (outcome.started) return outcome.started;
    throw new ConflictError(
      `job ${id} is ${outcome.ended!.status}${outcome.ended!.error ? `: ${outcome.ended!.error}` : ''}`,
      {
        code: 'JOB_FINISHED',
        hint: 'Submit it again to run it again.',
      },
    );
  }

  /**
   * Marks a job that has not ended failed, whoever holds it (its queue gave up on it: BullMQ's attempts
   * ran out, or it could not be dispatched).
   */
  async abandon(id: string, error: string): Promise<void> {
    await this.write((transaction) =>
      transaction
        .updateTable('jobs')
        .set({ status: 'failed', error, lease_until: null, finished_at: Date.now() })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .execute(),
    );
  }

  /**
   * Extends a running job's lease, appends output to its log (keeping the tail), and records progress.
   * Returns whether a cancel was requested. JOB_LEASE_LOST when another worker holds it now.
   */
  async heartbeat(
    id: string,
    worker: string,
    input: { leaseMs: number; output?: string; result?: Record<string, unknown> },
  ): Promise<{ cancelRequested: boolean }> {
    return this.write(async (transaction) => {
      const job = await this.held(transaction, id, worker);
      const now = Date.now();
      await transaction
        .updateTable('jobs')
        .set({
          lease_until: now + input.leaseMs,
          heartbeat_at: now,
          log: (job.log + (input.output ?? '')).slice(-jobLogLimit),
          ...(input.result && { result: JSON.stringify(input.result) }),
        })
        .where('id', '=', id)
        .execute();
      return { cancelRequested: job.cancelRequested };
    });
  }

  /**
   * Ends an attempt: completed, cancelled, or failed. A failure with `retry` and attempts left goes back
   * to the queue.
   */
  async finish(
    id: string,
    worker: string,
    outcome: {
      status: 'completed' | 'failed' | 'cancelled';
      output?: string;
      result?: Record<string, unknown>;
      error?: string;
      retry?: boolean;
    },
  ): Promise<JobRecord> {
    return this.write(async (transaction) => {
      const job = await this.held(transaction, id, worker);
      const again = outcome.status === 'failed' && outcome.retry === true && job.attempts < job.maxAttempts;
      const now = Date.now();
      const change = {
        status: again ? 'queued' : outcome.status,
        // an ended job keeps who ran it (job show, the Jobs page); one queued again is nobody's yet
        worker: again ? null : worker,
        lease_until: null,
        heartbeat_at: now,
        finished_at: again ? null : now,
        log: (job.log + (outcome.output ?? '')).slice(-jobLogLimit),
        // the runs its attempts noted stay beside the exit status
        result: outcome.result || job.result ? JSON.stringify({ ...job.result, ...outcome.result }) : null,
        error: outcome.error ?? null,
      };
      await transaction.updateTable('jobs').set(change).where('id', '=', id).execute();
      return { ...job, ...toRecord({ ...this.row(job), ...change }) };
    });
  }

  /**
   * Notes a run that a job's command recorded (its id kept in the job's result, beside the exit status),
   * so the job links to the run and its progress. Any attempt may note one; an unknown job is JOB_NOT_FOUND.
   */
  async noteRun(id: string, run: string): Promise<void> {
    await this.write(async (transaction) => {
      const row = await transaction
        .selectFrom('jobs')
        .select('result')
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) throw notFound(id);
      const result = row.result ? (JSON.parse(row.result) as Record<string, unknown>) : {};
      const runs = Array.isArray(result.runs) ? (result.runs as string[]) : [];
      if (runs.includes(run)) return;
      await transaction
        .updateTable('jobs')
        .set({ result: JSON.stringify({ ...result, runs: [...runs, run] }) })
        .where('id', '=', id)
        .execute();
    });
  }

  /**
   * Cancels a job: a queued one at once; a running one is asked to stop (its worker ends it at its next
   * heartbeat). JOB_FINISHED for a job that has ended.
   */
  async cancel(id: string): Promise<JobRecord> {
    return this.write(async (transaction) => {
      const row = await transaction.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound(id);
      if (!['queued', 'running'].includes(row.status))
        throw new ConflictError(`job ${id} is already ${row.status}`, {
          code: 'JOB_FINISHED',
          hint: 'Nothing to cancel.',
        });
      const change =
        row.status === 'queued'
          ? { status: 'cancelled', cancel_requested: 1, finished_at: Date.now() }
          : { cancel_requested: 1 };
      await transaction.updateTable('jobs').set(change).where('id', '=', id).execute();
      return toRecord({ ...row, ...change });
    });
  }

  /**
   * How many jobs are in each status now, and how many running ones have not been heard from for
   * `silentMs` (their worker's heartbeat is every second: a dead worker, before its lease lapses or, on
   * a queue that never hands it on, for good). For /metrics, where an alert can watch them.
   */
  async counts(options: { silentMs: number; now?: number }): Promise<{
    byStatus: Record<JobStatus, number>;
    silent: number;
  }> {
    const now = options.now ?? Date.now();
    const rows = await this.database
      .selectFrom('jobs')
      .select((select) => [
        'status',
        select.fn.countAll<number | string>().as('count'),
        select.fn
          .sum<number | string | null>(
            select
              .case()
              .when('heartbeat_at', '<', now - options.silentMs)
              .then(1)
              .else(0)
              .end(),
          )
          .as('silent'),
      ])
      .groupBy('status')
      .execute();
    const byStatus: Record<JobStatus, number> = {
      queued: 0,
      running: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
    };
    let silent = 0;
    for (const row of rows) {
      byStatus[row.status as JobStatus] = Number(row.count);
      if (row.status === 'running') silent = Number(row.silent ?? 0);
    }
    return { byStatus, silent };
  }

  /**
   * Ends every running job whose lease lapsed and which may not run again (its worker died holding its
   * last attempt, or a cancel was asked for), as a claim would end it on the way: a queue no worker
   * claims from (BullMQ workers only, a loop's own step jobs) leaves them `running` otherwise. A lease
   * must have lapsed `graceMs` ago: the holder's clock wrote it, and another machine's may run ahead.
   * Returns how many it ended.
   */
  async endLapsedJobs(options: { now?: number; graceMs?: number } = {}): Promise<number> {
    const now = options.now ?? Date.now();
    return this.write(async (transaction) => {
      let query = transaction
        .selectFrom('jobs')
        .selectAll()
        .where('status', '=', 'running')
        .where('lease_until', '<', now - (options.graceMs ?? 0));
      if (this.dialect === 'postgres') query = query.forUpdate().skipLocked();
      let ended = 0;
      for (const row of await query.execute())
        if (await this.endLapsed(transaction, toRecord(row), now)) ended++;
      return ended;
    });
  }

  /**
   * Ends a running job whose lease lapsed when it may not run again: cancelled when a cancel was asked
   * for, failed when its attempts are spent. True when it ended.
   */
  private async endLapsed(
    transaction: Kysely<RegistryDatabase>,
    job: JobRecord,
    now: number,
  ): Promise<boolean> {
    if (job.status !== 'running') return false;
    const change = job.cancelRequested
      ? { status: 'cancelled', error: 'cancelled (its worker stopped first)' }
      : job.attempts >= job.maxAttempts
        ? {
            status: 'failed',
            error: `its worker stopped without finishing, ${job.attempts} of ${job.maxAttempts} attempts`,
          }
        : undefined;
    if (!change) return false;
    await transaction
      .updateTable('jobs')
      .set({ ...change, lease_until: null, finished_at: now })
      .where('id', '=', job.id)
      .execute();
    return true;
  }

  private async endedRecord(transaction: Kysely<RegistryDatabase>, id: string): Promise<JobRecord> {
    return toRecord(
      await transaction.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
    );
  }

  private async take(
    transaction: Kysely<RegistryDatabase>,
    job: JobRecord,
    worker: string,
    leaseMs: number,
    now: number,
  ): Promise<JobRecord> {
    const change = {
      status: 'running',
      worker,
      attempts: job.attempts + 1,
      lease_until: now + leaseMs,
      heartbeat_at: now,
      started_at: job.startedAt ?? now,
      log:
        job.attempts > 0
          ? `${job.log}\n--- attempt ${job.attempts + 1} on ${worker} (the previous one stopped without finishing) ---\n`.slice(
              -jobLogLimit,
            )
          : job.log,
    };
    await transaction.updateTable('jobs').set(change).where('id', '=', job.id).execute();
    return toRecord({ ...this.row(job), ...change });
  }

  /** The job, if `worker` holds it and it is running. */
  private async held(transaction: Kysely<RegistryDatabase>, id: string, worker: string): Promise<JobRecord> {
    let query = transaction.selectFrom('jobs').selectAll().where('id', '=', id);
    if (this.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw notFound(id);
    if (row.status !== 'running' || row.worker !== worker) throw lost(id, worker);
    return toRecord(row);
  }

  /** A record back as a row. */
  private row(job: JobRecord): Selectable<RegistryDatabase['jobs']> {
    return {
      id: job.id,
      kind: job.kind,
      args: JSON.stringify(job.args),
      cwd: job.cwd,
      queue: job.queue,
      status: job.status,
      attempts: job.attempts,
      max_attempts: job.maxAttempts,
      worker: job.worker,
      lease_until: job.leaseUntil,
      cancel_requested: job.cancelRequested ? 1 : 0,
      log: job.log,
      result: job.result ? JSON.stringify(job.result) : null,
      error: job.error,
      actor: job.actor,
      created_at: job.createdAt,
      started_at: job.startedAt,
      heartbeat_at: job.heartbeatAt,
      finished_at: job.finishedAt,
    };
  }
}
