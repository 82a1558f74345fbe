// Label moves inside a write transaction: the label's row is locked, protection is enforced, and an
// event is written only when the label really changes (its version or its protection), so concurrent
// moves form one consistent chain in the audit log. Resolving references is registry.ts's job.
import { sql, type Kysely, type Selectable } from 'kysely';
import { NotFoundError, PermissionError, ValidationError } from '../errors/index.js';
import type { Dialect } from './migrations.js';
import { labelIsProtected, now, type Actor, type LabelEvent, type LabelMove } from './records.js';
import { notifyChange } from './change-notices.js';
import type { RegistryDatabase } from './schema.js';

/** A label_events row as a LabelEvent. */
function toLabelEvent(row: Selectable<RegistryDatabase['label_events']>): LabelEvent {
  return {
    id: Number(row.id),
    label: row.label,
    from: row.from_version,
    to: row.to_version,
    actor: row.actor,
    reason: row.reason,
    at: row.at,
    ...(row.details ? { details: JSON.parse(row.details) as Record<string, unknown> } : {}),
  };
}

/** Every move of a label, oldest first. */
export async function labelHistory(
  database: Kysely<RegistryDatabase>,
  task: string,
  label: string,
): Promise<LabelEvent[]> {
  const rows = await database
    .selectFrom('label_events')
    .selectAll()
    .where('task', '=', task)
    .where('label', '=', label)
    .orderBy('id')
    .execute();
  return rows.map(toLabelEvent);
}

/** The label's row, locked for this transaction (Postgres row lock; SQLite transactions are immediate). */
async function lockLabel(
  transaction: Kysely<RegistryDatabase>,
  dialect: Dialect,
  task: string,
  label: string,
) {
  let query = transaction
    .selectFrom('labels')
    .selectAll()
    .where('task', '=', task)
    .where('label', '=', label);
  if (dialect === 'postgres') {
    // serialize first-time creation too: an advisory lock keyed by the label
    await sql`select pg_advisory_xact_lock(hashtext(${`label:${task}@${label}`}))`.execute(transaction);
    query = query.forUpdate();
  }
  return query.executeTakeFirst();
}

/**
 * Points `label` at `version` (already resolved) in `transaction`. Needs admin when the label is
 * protected (or new and protected by default, like production) or when `protect` changes its protection.
 */
export async function moveLabel(
  transaction: Kysely<RegistryDatabase>,
  dialect: Dialect,
  input: {
    task: string;
    label: string;
    version: string;
    actor: Actor;
    reason?: string;
    protect?: boolean;
    /**
     * Asked before the label moves to another version (not for a protection change alone): the reason
     * to record, or a refusal thrown.
     */
    gate?: () => Promise<string | undefined>;
    /** What justified the move (an experiment's statistics), kept with the event. */
    details?: Record<string, unknown>;
    /** The experiment making the move; any other move stops the experiments running on the label. */
    experiment?: string;
  },
): Promise<LabelMove> {
  const current = await lockLabel(transaction, dialect, input.task, input.label);
  const wasProtected = labelIsProtected(input.label, current);
  const willProtect = input.protect ?? wasProtected;
  if (current && current.version === input.version && Boolean(current.protected) === willProtect) {
    const last = await transaction
      .selectFrom('label_events')
      .selectAll()
      .where('task', '=', input.task)
      .where('label', '=', input.label)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const event = last
      ? toLabelEvent(last)
      : {
          id: 0,
          label: input.label,
          from: null,
          to: current.version,
          actor: '',
          reason: '',
          at: current.updated_at,
        };
    return { ...event, moved: false };
  }
  if ((wasProtected || willProtect !== wasProtected) && !input.actor.scopes.includes('admin')) {
    const what = wasProtected ? 'moving the protected label' : 'protecting the label';
    throw new PermissionError(`${what} ${input.task}@${input.label} needs the admin scope`, {
      code: 'REGISTRY_PROTECTED_LABEL',
      hint: 'Use an admin key (or --admin on the command line).',
    });
  }
  const reason = input.gate && current?.version !== input.version ? await input.gate() : input.reason;
  const event = {
    task: input.task,
    label: input.label,
    from_version: current?.version ?? null,
    to_version: input.version,
    actor: input.actor.name,
    reason: reason ?? '',
    at: now(),
    details: input.details ? JSON.stringify(input.details) : null,
  };
  const id = await insertLabelEvent(transaction, event);
  const row = { version: input.version, protected: willProtect ? 1 : 0, updated_at: event.at };
  if (current)
    await transaction
      .updateTable('labels')
      .set(row)
      .where('task', '=', input.task)
      .where('label', '=', input.label)
      .execute();
  else
    await transaction
      .insertInto('labels')
      .values({ task: input.task, label: input.label, ...row })
      .execute();
  if (current?.version !== input.version)
    await stopExperiments(transaction, input, `the label was moved by ${input.actor.name} (event ${id})`);
  await notifyChange(transaction as Kysely<unknown>, dialect, { kind: 'label', task: input.task });
  return { ...toLabelEvent({ id, ...event }), moved: true };
}

/**
 * Stops the experiments running on a label that something other than them moved: their control is no
 * longer what the label serves, so their comparison means nothing now.
 */
async function stopExperiments(
  transaction: Kysely<RegistryDatabase>,
  input: { task: string; label: string; experiment?: string },
  reason: string,
): Promise<void> {
  let query = transaction
    .selectFrom('experiments')
    .select(['id'])
    .where('task', '=', input.task)
    .where('label', '=', input.label)
    .where('status', '=', 'running');
  if (input.experiment) query = query.where('id', '!=', input.experiment);
  const at = Date.now();
  for (const running of await query.execute()) {
    await transaction
      .updateTable('experiments')
      .set((update) => ({
        status: 'stopped',
        weight: 0,
        reason,
        // past whatever revision a look committed meanwhile: its decision is refused
        revision: update('revision', '+', 1),
        updated_at: at,
        finished_at: at,
      }))
      .where('id', '=', running.id)
      .execute();
    await transaction
      .insertInto('experiment_events')
      .values({ experiment: running.id, at, action: 'stop', weight: 0, reason, statistics: null })
      .execute();
  }
}

/**
 * Writes an event that does not move the label (from and to its current version): an experiment's
 * start, step or end, with the statistics it was taken on. The label is locked first.
 */
export async function recordLabelStep(
  transaction: Kysely<RegistryDatabase>,
  dialect: Dialect,
  input: { task: string; label: string; actor: string; reason: string; details?: Record<string, unknown> },
): Promise<LabelEvent> {
  const current = await lockLabel(transaction, dialect, input.task, input.label);
  if (!current)
    throw new ValidationError(`${input.task}@${input.label} is not set`, {
      code: 'REGISTRY_NO_VERSION',
      hint: `Point the label at a version first: promptune registry label ${input.task} ${input.label} <version>`,
    });
  const event = {
    task: input.task,
    label: input.label,
    from_version: current.version,
    to_version: current.version,
    actor: input.actor,
    reason: input.reason,
    at: now(),
    details: input.details ? JSON.stringify(input.details) : null,
  };
  return toLabelEvent({ id: await insertLabelEvent(transaction, event), ...event });
}

/** Writes a label event; returns its id. */
async function insertLabelEvent(
  transaction: Kysely<RegistryDatabase>,
  event: Omit<Selectable<RegistryDatabase['label_events']>, 'id'>,
): Promise<number> {
  const { id } = await transaction
    .insertInto('label_events')
    .values(event)
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(id);
}

/**
 * The move a rollback undid: its details say; a move without details is read by its reason as rollbacks
 * wrote it before they had details (a move with details of another kind, an experiment's, is no rollback).
 */
function rolledBack(event: LabelEvent): number | undefined {
  if (event.details)
    return typeof event.details.rollbackOf === 'number' ? event.details.rollbackOf : undefined;
  const match = /^rollback of move ([0-9]+)$/.exec(event.reason);
  return match ? Number(match[1]) : undefined;
}

/**
 * Moves `label` back to where its latest move not yet undone came from, in `transaction`: a second
 * rollback walks one move further back rather than undoing the first (which would serve again the
 * version just rolled away from). The label is locked before its history is read, so a move that lands
 * meanwhile is never silently undone.
 */
export async function rollbackLabel(
  transaction: Kysely<RegistryDatabase>,
  dialect: Dialect,
  input: { task: string; label: string; actor: Actor; reason?: string },
): Promise<LabelMove> {
  const current = await lockLabel(transaction, dialect, input.task, input.label);
  const history = await labelHistory(transaction, input.task, input.label);
  if (!current && history.length === 0)
    throw new NotFoundError(`${input.task}@${input.label} is not set: there is no such label to roll back`, {
      code: 'REGISTRY_NO_VERSION',
      hint: `See the task's labels with: promptune registry show ${input.task} (GET /v1/tasks/${input.task})`,
    });
  // newest first: rollbacks are skipped and mark the moves they undid, a change of protection alone
  // moved nothing
  const undone = new Set<number>();
  let last: LabelEvent | undefined;
  for (const event of history.reverse()) {
    // a move undone (a rollback rolled back, before rollbacks walked back) counts for nothing
    if (event.from === event.to || undone.has(event.id)) continue;
    const of = rolledBack(event);
    if (of !== undefined) undone.add(of);
    else {
      last = event;
      break;
    }
  }
  if (!last?.from) {
    throw new ValidationError(`${input.task}@${input.label} has no earlier version to roll back to`, {
      code: 'REGISTRY_NO_ROLLBACK',
      hint: `It is at the first version it was set to (or every move since is rolled back); see its history with: promptune registry show ${input.task}@${input.label}, and point it elsewhere with promptune registry label.`,
    });
  }
  return moveLabel(transaction, dialect, {
    task: input.task,
    label: input.label,
    version: last.from,
    actor: input.actor,
    reason: `rollback of move ${last.id}${input.reason?.trim() ? `: ${input.reason.trim()}` : ''}`,
    details: { rollbackOf: last.id },
  });
}
