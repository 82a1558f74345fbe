// Experiments in the registry: a label's traffic split between the version it serves (control) and a
// version under test (treatment), the treatment's current share, the rollout's state, and every look
// taken at it. What a look decides is experiments' business; this file stores it, refuses a second
// running experiment on a label, and refuses a write decided on a revision that is no longer current
// (two replicas looking at once apply one decision). Steps that change the traffic also land in the
// label's history, with the statistics they were taken on.
import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { ConflictError, NotFoundError } from '../errors/index.js';
import type { RegistryWrite } from './access-keys.js';
import { measureArms, type ArmQuery, type ArmSums } from './experiment-metrics.js';
import { notifyChange } from './change-notices.js';
import { recordLabelStep } from './labels.js';
import type { Dialect } from './migrations.js';
import type { RegistryDatabase } from './schema.js';

/** Where an experiment may stand. */
export const experimentStatuses = ['running', 'promoted', 'rolled-back', 'stopped', 'inconclusive'] as const;

/** Where an experiment stands. */
export type ExperimentStatus = (typeof experimentStatuses)[number];

/** What a look or a person did to an experiment. */
export type ExperimentAction = 'start' | 'hold' | 'advance' | 'promote' | 'rollback' | 'stop' | 'conclude';

/** A stored experiment. Times are epoch milliseconds. */
export interface ExperimentRecord {
  id: string;
  task: string;
  label: string;
  /** The version id the label served when the experiment started. */
  control: string;
  /** The version id under test. */
  treatment: string;
  status: ExperimentStatus;
  /** The treatment's share of the label's traffic now (0 once finished). */
  weight: number;
  /** Metrics, schedule and test options (experiments' ExperimentConfig). */
  config: Record<string, unknown>;
  /** The rollout's state between looks (experiments' CanaryState). */
  state: Record<string, unknown>;
  revision: number;
  /** The last decision's reason. */
  reason: string;
  actor: string;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** One look at an experiment, or a person's start or stop. */
export interface ExperimentEvent {
  id: number;
  experiment: string;
  at: number;
  action: ExperimentAction;
  /** The treatment's share after the action. */
  weight: number;
  reason: string;
  statistics?: Record<string, unknown>;
}

/** A change decided on `revision`, with the event that records it. */
export interface ExperimentChange {
  revision: number;
  action: ExperimentAction;
  reason: string;
  weight: number;
  state: Record<string, unknown>;
  status?: ExperimentStatus;
  statistics?: Record<string, unknown>;
  /** Who (or what) took the step, for the label's history. */
  actor: string;
}

const toRecord = (row: Selectable<RegistryDatabase['experiments']>): ExperimentRecord => ({
  id: row.id,
  task: row.task,
  label: row.label,
  control: row.control,
  treatment: row.treatment,
  status: row.status as ExperimentStatus,
  weight: Number(row.weight),
  config: JSON.parse(row.config) as Record<string, unknown>,
  state: JSON.parse(row.state) as Record<string, unknown>,
  revision: Number(row.revision),
  reason: row.reason,
  actor: row.actor,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
  finishedAt: row.finished_at === null ? null : Number(row.finished_at),
});

const toEvent = (row: Selectable<RegistryDatabase['experiment_events']>): ExperimentEvent => ({
  id: Number(row.id),
  experiment: row.experiment,
  at: Number(row.at),
  action: row.action as ExperimentAction,
  weight: Number(row.weight),
  reason: row.reason,
  ...(row.statistics ? { statistics: JSON.parse(row.statistics) as Record<string, unknown> } : {}),
});

/** Actions that change the traffic or end the experiment: the label's history records them. */
const labelSteps = new Set<ExperimentAction>(['start', 'advance', 'rollback', 'stop', 'conclude']);

/** Experiments and their looks in one registry database. */
export class ExperimentStore {
  constructor(
    private readonly database: Kysely<RegistryDatabase>,
    private readonly write: RegistryWrite,
    private readonly dialect: Dialect,
  ) {}

  /** Starts an experiment; a label has at most one running (EXPERIMENT_RUNNING otherwise). */
  async create(input: {
    task: string;
    label: string;
    control: string;
    treatment: string;
    weight: number;
    config: Record<string, unknown>;
    state: Record<string, unknown>;
    reason: string;
    actor: string;
    statistics?: Record<string, unknown>;
  }): Promise<ExperimentRecord> {
    const id = `exp-${randomBytes(5).toString('hex')}`;
    const at = Date.now();
    return this.write(async (transaction) => {
      const running = await this.runningOn(transaction, input.task, input.label);
      if (running)
        throw new ConflictError(`${input.task}@${input.label} already has experiment ${running.id} running`, {
          code: 'EXPERIMENT_RUNNING',
          hint: `Stop it first: promptune experiment stop ${running.id}`,
        });
      const row = {
        id,
        task: input.task,
        label: input.label,
        control: input.control,
        treatment: input.treatment,
        status: 'running',
        weight: input.weight,
        config: JSON.stringify(input.config),
        state: JSON.stringify(input.state),
        revision: 1,
        reason: input.reason,
        actor: input.actor,
        created_at: at,
        updated_at: at,
        finished_at: null,
      };
      await transaction.insertInto('experiments').values(row).execute();
      await this.recordEvent(transaction, toRecord(row), {
        action: 'start',
        reason: input.reason,
        weight: input.weight,
        statistics: input.statistics,
        actor: input.actor,
        at,
      });
      return toRecord(row);
    });
  }

  /** An experiment by id. */
  async get(id: string): Promise<ExperimentRecord> {
    const row = await this.database
      .selectFrom('experiments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row)
      throw new NotFoundError(`experiment ${id} does not exist`, {
        code: 'EXPERIMENT_NOT_FOUND',
        hint: 'See the experiments with: promptune experiment ls',
      });
    return toRecord(row);
  }

  /** Experiments, newest first, optionally of one task or status. */
  async list(filter: { task?: string; status?: ExperimentStatus; limit?: number } = {}) {
    let query = this.database.selectFrom('experiments').selectAll();
    if (filter.task) query = query.where('task', '=', filter.task);
    if (filter.status) query = query.where('status', '=', filter.status);
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toRecord);
  }

  /** The experiment running on a label, if any. */
  async running(task: string, label: string): Promise<ExperimentRecord | undefined> {
    return this.runningOn(this.database, task, label);
  }

  /** The events of an experiment, oldest first (after `after`, at most `limit`). */
  async events(id: string, options: { after?: number; limit?: number } = {}): Promise<ExperimentEvent[]> {
    const rows = await this.database
      .selectFrom('experiment_events')
      .selectAll()
      .where('experiment', '=', id)
      .where('id', '>', options.after ?? 0)
      .orderBy('id')
      .limit(options.limit ?? 10_000)
      .execute();
    return rows.map(toEvent);
  }

  /**
   * Applies a change decided on `change.revision`, with its event (and a label-history step when the
   * traffic changes or the experiment ends). EXPERIMENT_CHANGED when the experiment has moved on since
   * (another look, or a person, got there first), EXPERIMENT_FINISHED when it is no longer running.
   */
  async apply(id: string, change: ExperimentChange): Promise<ExperimentRecord> {
    return this.write(async (transaction) => {
      let query = transaction.selectFrom('experiments').selectAll().where('id', '=', id);
      if (this.dialect === 'postgres') query = query.forUpdate();
      const row = await query.executeTakeFirst();
      if (!row)
        throw new NotFoundError(`experiment ${id} does not exist`, {
          code: 'EXPERIMENT_NOT_FOUND',
          hint: 'See the experiments with: promptune experiment ls',
        });
      if (row.status !== 'running')
        throw new ConflictError(`experiment ${id} is ${row.status}: ${row.reason}`, {
          code: 'EXPERIMENT_FINISHED',
          hint: 'Start a new experiment to test the version again.',
        });
      if (Number(row.revision) !== change.revision)
        throw new ConflictError(`experiment ${id} changed since revision ${change.revision}`, {
          code: 'EXPERIMENT_CHANGED',
          hint: 'Read it again and decide on what it is now.',
        });
      const at = Date.now();
      const status = change.status ?? 'running';
      const updated = {
        ...row,
        status,
        weight: change.weight,
        state: JSON.stringify(change.state),
        revision: change.revision + 1,
        reason: change.reason,
        updated_at: at,
        finished_at: status === 'running' ? null : at,
      };
      await transaction
        .updateTable('experiments')
        .set({
          status: updated.status,
          weight: updated.weight,
          state: updated.state,
          revision: updated.revision,
          reason: updated.reason,
          updated_at: at,
          finished_at: updated.finished_at,
        })
        .where('id', '=', id)
        .execute();
      await this.recordEvent(transaction, toRecord(updated), { ...change, at });
      return toRecord(updated);
    });
  }

  /** What each arm has seen: the service's traces of the label and the scores on them. */
  async measure(query: ArmQuery): Promise<Record<string, ArmSums>> {
    return measureArms(this.database, query);
  }

  private async runningOn(database: Kysely<RegistryDatabase>, task: string, label: string) {
    const row = await database
      .selectFrom('experiments')
      .selectAll()
      .where('task', '=', task)
      .where('label', '=', label)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return row && toRecord(row);
  }

  private async recordEvent(
    transaction: Kysely<RegistryDatabase>,
    experiment: ExperimentRecord,
    event: {
      action: ExperimentAction;
      reason: string;
      weight: number;
      statistics?: Record<string, unknown>;
      actor: string;
      at: number;
    },
  ): Promise<void> {
    await transaction
      .insertInto('experiment_events')
      .values({
        experiment: experiment.id,
        at: event.at,
        action: event.action,
        weight: event.weight,
        reason: event.reason,
        statistics: event.statistics ? JSON.stringify(event.statistics) : null,
      })
      .execute();
    // replicas serve a new split (or the end of one) at once
    if (event.action !== 'hold')
      await notifyChange(transaction as Kysely<unknown>, this.dialect, {
        kind: 'experiment',
        task: experiment.task,
      });
    if (labelSteps.has(event.action))
      await recordLabelStep(transaction, this.dialect, {
        task: experiment.task,
        label: experiment.label,
        actor: event.actor,
        reason: `experiment ${experiment.id} ${event.action}: ${event.reason} (treatment at ${Math.round(event.weight * 1000) / 10}%)`,
        details: {
          experiment: experiment.id,
          action: event.action,
          weight: event.weight,
          ...event.statistics,
        },
      });
  }
}
