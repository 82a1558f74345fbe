// Traces in the registry: one row per model call the service answered (or an evaluation or
// optimization made), written in batches by whoever buffers them (observe's TraceRecorder), read back
// with filters, pruned by age and count. Redaction happens before a trace gets here; this file stores
// what it is given and never edits a stored trace.
import type Database from 'better-sqlite3';
import { type Kysely, type SelectQueryBuilder } from 'kysely';
import { NotFoundError } from '../errors/index.js';
import type { RegistryWrite } from './access-keys.js';
import type { RegistryDatabase, TraceTable } from './schema.js';
import { beforeCursor, decodePageCursor, encodePageCursor } from './page-cursor.js';
import { scoreOf, type ScoreRecord } from './scores.js';
import { registryClosedError } from './closable-dialect.js';
import {
  drivingCondition,
  drivingLimit,
  guardCondition,
  hasMatch,
  matchedTraces,
  scoreCondition,
  type SideCondition,
} from './trace-conditions.js';
import { failedValidators } from './guard-failures.js';
import { pruneTraces } from './trace-prune.js';

/** One recorded model call. Times are epoch milliseconds. */
export interface TraceRecord {
  /** The response id the client got (chatcmpl-…, cmpl-…, run-…), or a run's call id. */
  id: string;
  at: number;
  source: 'service' | 'eval';
  /** The evaluation or optimization run the call belongs to. */
  run: string | null;
  operation: 'chat' | 'text_completion' | 'run';
  /** The model the request named (task@label). */
  model: string | null;
  task: string | null;
  version: string | null;
  /** The label (or experiment arm) the version was reached through. */
  label: string | null;
  keyId: string | null;
  /** OpenAI's `user` field. */
  user: string | null;
  input: unknown;
  output: string | null;
  inputTokens: number;
  outputTokens: number;
  cost: number | null;
  latencyMs: number;
  /** Streamed requests: time to the first text. */
  firstTokenMs: number | null;
  finishReason: string | null;
  status: number;
  errorCode: string | null;
  /**
   * What the error said (its message, without the hint), for a person reading a failed trace: which
   * parameter, which field. Null without an error, and for traces written before it was kept; a writer
   * may leave it out.
   */
  errorMessage?: string | null;
  checks: unknown;
  /**
   * The local engine's confidence in its answer: the log-probability margin of the first token over the
   * runner-up (null for other backends, and for traces written before it was recorded; a writer may
   * leave it out).
   */
  confidence?: number | null;
  /**
   * The settings the answer was generated with, the request's and the version's together (null where
   * not known: a request refused before its call, other writers, traces written before it was kept).
   */
  sampling?: TraceSampling | null;
}

/** What a call sampled with: with the same input, version and model, the same answer again. */
export interface TraceSampling {
  temperature: number;
  /** Null (as topK) when neither the request nor the version set one. */
  topP: number | null;
  topK: number | null;
  maxTokens: number;
  /** The request's seed, else the fresh one a sampled request got (greedy decoding reads none). */
  seed: number;
}

/** Which traces to read. */
export interface TraceFilter {
  task?: string;
  version?: string;
  label?: string;
  keyId?: string;
  run?: string;
  source?: TraceRecord['source'];
  /** At or after (epoch ms). */
  since?: number;
  /** Before (epoch ms). */
  until?: number;
  /** `true`: failed traces only; a code: traces that failed with it. */
  error?: true | string;
  /** Traces with a score of this name (optionally within a range). */
  score?: { name: string; minimum?: number; maximum?: number };
  /**
   * Traces where a guard check failed, whatever its policy then did (fixed, re-asked, refused,
   * refrained, only recorded): `true` for any validator, or the name of one.
   */
  guardFailed?: true | string;
}

/**
 * What the monitor reads of a trace, in this order: at, task, version, label, error code, latency,
 * first-token time, input tokens, output tokens, cost.
 */
export type TraceMeasurement = [
  at: number,
  task: string | null,
  version: string | null,
  label: string | null,
  errorCode: string | null,
  latencyMs: number,
  firstTokenMs: number | null,
  inputTokens: number,
  outputTokens: number,
  cost: number | null,
];

/** A page of traces, newest first, and the cursor for the next page. */
export interface TracePage {
  data: TraceRecord[];
  /** Pass as `after` for the next (older) page; absent on the last page. */
  next?: string;
}

type TraceQuery = SelectQueryBuilder<RegistryDatabase, 'traces', object>;

const toRow = (trace: TraceRecord): TraceTable => ({
  id: trace.id,
  at: Math.round(trace.at),
  source: trace.source,
  run: trace.run,
  operation: trace.operation,
  model: trace.model,
  task: trace.task,
  version: trace.version,
  label: trace.label,
  key_id: trace.keyId,
  end_user: trace.user,
  input: JSON.stringify(trace.input ?? null),
  output: trace.output,
  input_tokens: Math.round(trace.inputTokens),
  output_tokens: Math.round(trace.outputTokens),
  cost: trace.cost,
  latency_ms: trace.latencyMs,
  first_token_ms: trace.firstTokenMs,
  finish_reason: trace.finishReason,
  status: trace.status,
  error_code: trace.errorCode,
  error_message: trace.errorMessage ?? null,
  checks: trace.checks === null || trace.checks === undefined ? null : JSON.stringify(trace.checks),
  confidence: trace.confidence ?? null,
  sampling: trace.sampling ? JSON.stringify(trace.sampling) : null,
});

const parseJson = (text: string | null): unknown => {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text; // a row written by hand or an older tool: shown as it is rather than failing the read
  }
};

const toTrace = (row: TraceTable): TraceRecord => ({
  id: row.id,
  at: Number(row.at),
  source: row.source as TraceRecord['source'],
  run: row.run,
  operation: row.operation as TraceRecord['operation'],
  model: row.model,
  task: row.task,
  version: row.version,
  label: row.label,
  keyId: row.key_id,
  user: row.end_user,
  input: parseJson(row.input),
  output: row.output,
  inputTokens: Number(row.input_tokens),
  outputTokens: Number(row.output_tokens),
  cost: row.cost === null ? null : Number(row.cost),
  latencyMs: Number(row.latency_ms),
  firstTokenMs: row.first_token_ms === null ? null : Number(row.first_token_ms),
  finishReason: row.finish_reason,
  status: Number(row.status),
  errorCode: row.error_code,
  errorMessage: row.error_message,
  checks: parseJson(row.checks),
  confidence: row.confidence === null ? null : Number(row.confidence),
  sampling: samplingOf(row.sampling),
});

/** A stored sampling record, or null for one missing or not of its shape (a row written by hand). */
function samplingOf(text: string | null | undefined): TraceSampling | null {
  const value = text ? parseJson(text) : null;
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const numeric = (name: string) => typeof record[name] === 'number';
  return numeric('temperature') && numeric('maxTokens') && numeric('seed') ? (value as TraceSampling) : null;
}

/** The measurement columns, in TraceMeasurement's order. */
const measurementColumns =
  'at, task, version, label, error_code, latency_ms, first_token_ms, input_tokens, output_tokens, cost';

/** Traces per chunk of a SQLite scan (about 25 ms of the event loop each). */
const scanChunk = 20_000;

/** Rows per insert statement: well under SQLite's and Postgres's bound-parameter limits. */
const insertChunk = 400;

/** The traces in one registry database. */
export class TraceStore {
  /**
   * `options.drivingLimit`: below how many matching rows a score or guard condition drives a listing (tests
   * set it to take one way or the other on a few traces).
   */
  constructor(
    private readonly database: Kysely<RegistryDatabase>,
    private readonly write: RegistryWrite,
    private readonly sqlite?: Database.Database,
    private readonly options: { drivingLimit?: number } = {},
  ) {}

  /**
   * Visits the measurements of the traces in [since, until) (of one task, version or label) in no
   * particular order. On SQLite it reads the monitor's covering index as arrays (a million traces in
   * about a second); on Postgres it reads rows.
   */
  async scan(
    filter: {
      task?: string;
      version?: string;
      label?: string;
      source?: TraceRecord['source'];
      since: number;
      until: number;
    },
    visit: (measurement: TraceMeasurement) => void,
  ): Promise<void> {
    // the raw handle is shut with the registry: refused as any query on a closed registry is
    if (this.sqlite && !this.sqlite.open) throw registryClosedError();
    if (this.sqlite) return this.scanSqlite(this.sqlite, filter, visit);
    const rows = await this.filtered(filter)
      .select([
        'traces.at',
        'traces.task',
        'traces.version',
        'traces.label',
        'traces.error_code',
        'traces.latency_ms',
        'traces.first_token_ms',
        'traces.input_tokens',
        'traces.output_tokens',
        'traces.cost',
      ])
      .execute();
    for (const row of rows)
      visit([
        Number(row.at),
        row.task,
        row.version,
        row.label,
        row.error_code,
        Number(row.latency_ms),
        row.first_token_ms === null ? null : Number(row.first_token_ms),
        Number(row.input_tokens),
        Number(row.output_tokens),
        row.cost === null ? null : Number(row.cost),
      ]);
  }

  /**
   * The SQLite scan, in chunks of at most `scanChunk` traces in time order with the event loop free
   * between them: a million traces never hold a service's requests for more than one chunk.
   */
  private async scanSqlite(
    sqlite: Database.Database,
    filter: Parameters<TraceStore['scan']>[0],
    visit: (measurement: TraceMeasurement) => void,
  ): Promise<void> {
    const conditions: string[] = [];
    const values: unknown[] = [];
    for (const [column, value] of [
      ['source', filter.source],
      ['task', filter.task],
      ['version', filter.version],
      ['label', filter.label],
    ] as const)
      if (value !== undefined) {
        conditions.push(`${column} = ?`);
        values.push(value);
      }
    const where = conditions.map((condition) => ` and ${condition}`).join('');
    const chunk = sqlite
      .prepare(
        `select ${measurementColumns} from traces where at >= ? and at < ?${where} order by at limit ${scanChunk + 1}`,
      )
      .raw(true);
    const instant = sqlite.prepare(`select ${measurementColumns} from traces where at = ?${where}`).raw(true);
    let since = filter.since;
    for (;;) {
      const rows = chunk.all(since, filter.until, ...values) as TraceMeasurement[];
      if (rows.length <= scanChunk) {
        for (const row of rows) visit(row);
        return;
      }
      // the chunk ends inside the instant of its last row: that instant is read whole, next time
      const boundary = rows[scanChunk][0];
      let index = 0;
      for (; index < rows.length && rows[index][0] < boundary; index++) visit(rows[index]);
      if (index === 0) {
        for (const row of instant.all(boundary, ...values) as TraceMeasurement[]) visit(row);
        since = boundary + 1;
      } else since = boundary;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Stores traces in one transaction, with the validators their checks failed; a trace whose id is
   * already stored is left as it was.
   */
  async insert(traces: readonly TraceRecord[]): Promise<void> {
    if (traces.length === 0) return;
    const rows = traces.map(toRow);
    await this.write(async (transaction) => {
      for (let start = 0; start < rows.length; start += insertChunk) {
        const chunk = rows.slice(start, start + insertChunk);
        // a trace whose id comes twice in one batch (a client's reused x-request-id) is stored once, the
        // first; its failures are that one's, or their key would refuse the batch and lose every trace in it
        const firsts = new Map<string, TraceRecord>();
        for (const trace of traces.slice(start, start + insertChunk))
          if (!firsts.has(trace.id)) firsts.set(trace.id, trace);
        const failures = [...firsts.values()].flatMap((trace) =>
          trace.checks === null || trace.checks === undefined
            ? []
            : failedValidators(trace.checks).map((validator) => ({ trace_id: trace.id, validator })),
        );
        const insert = transaction
          .insertInto('traces')
          .values(chunk)
          .onConflict((conflict) => conflict.column('id').doNothing());
        if (failures.length === 0) {
          await insert.execute();
          continue;
        }
        // only the traces stored now: one stored before keeps what was kept of it
        const stored = new Set((await insert.returning('id').execute()).map((row) => row.id));
        const kept = failures.filter((failure) => stored.has(failure.trace_id));
        for (let from = 0; from < kept.length; from += insertChunk)
          await transaction
            .insertInto('guard_failures')
            .values(kept.slice(from, from + insertChunk))
            // one an older release's prune left behind for a trace of a reused id
            .onConflict((conflict) => conflict.columns(['trace_id', 'validator']).doNothing())
            .execute();
      }
    });
  }

  /** One trace with its scores. */
  async get(id: string): Promise<TraceRecord & { scores: ScoreRecord[] }> {
    const row = await this.database.selectFrom('traces').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row)
      throw new NotFoundError(`no trace ${id}`, {
        code: 'TRACE_NOT_FOUND',
        hint: 'Trace ids are the response ids the service returned; old traces are pruned by retention.',
      });
    const scores = await this.database
      .selectFrom('scores')
      .selectAll()
      .where('trace_id', '=', id)
      .orderBy('at')
      .execute();
    return { ...toTrace(row), scores: scores.map(scoreOf) };
  }

  /** Traces matching `filter`, newest first, `limit` at a time (default 50); `after` continues a page. */
  async list(filter: TraceFilter = {}, page: { limit?: number; after?: string } = {}): Promise<TracePage> {
    const limit = page.limit ?? 50;
    const narrowed = await this.narrowed(filter);
    let query = narrowed.query;
    const cursor =
      page.after === undefined ? undefined : decodePageCursor(page.after, 'trace', 'TRACE_BAD_CURSOR');
    if (cursor) query = query.where(beforeCursor('traces.at', 'traces.id', cursor));
    const newestFirst = <Query extends TraceQuery>(ordered: Query) =>
      ordered
        .orderBy('traces.at', 'desc')
        .orderBy('traces.id', 'desc')
        .limit(limit + 1) as Query;
    // the traces a side table led to are all sorted: by their ids and times, not their whole rows (inputs
    // and outputs: 250 ms instead of 70 for 10,000 traces on SQLite), and the page's rows read after
    const rows = narrowed.driven
      ? await newestFirst(
          this.database
            .selectFrom('traces')
            .selectAll('traces')
            .where('traces.id', 'in', newestFirst(query).select('traces.id')),
        ).execute()
      : await newestFirst(query.selectAll('traces')).execute();
    const data = rows.slice(0, limit).map(toTrace);
    const last = data.at(-1);
    return rows.length > limit && last ? { data, next: encodePageCursor(last.at, last.id) } : { data };
  }

  /** How many traces match `filter`. */
  async count(filter: TraceFilter = {}): Promise<number> {
    const { query } = await this.narrowed(filter);
    const row = await query
      .select((select) => select.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /**
   * Deletes traces older than `before` (epoch ms) and all but the newest `keep`, with their scores and
   * guard failures, `batch` at a time (see pruneTraces); returns how many went.
   */
  async prune(retention: { before?: number; keep?: number; batch?: number }): Promise<number> {
    // the raw handle is there on SQLite only
    return pruneTraces(this.database, this.write, retention, this.sqlite ? 'sqlite' : 'postgres');
  }

  /**
   * The traces table narrowed by `filter`, each condition on scores or guard failures probed per trace
   * (for the monitor's queries, whose filters have none).
   */
  filtered(filter: TraceFilter): TraceQuery {
    return this.filteredFrom(filter, sideConditions(filter));
  }

  /**
   * The traces table narrowed by `filter` for a listing or a count: driven by the rarest of its
   * conditions on scores and guard failures when that one matches few rows, else as `filtered`.
   */
  private async narrowed(filter: TraceFilter): Promise<{ query: TraceQuery; driven: boolean }> {
    const conditions = sideConditions(filter);
    const driving = await drivingCondition(
      this.database,
      conditions,
      this.options.drivingLimit ?? drivingLimit,
    );
    return { query: this.filteredFrom(filter, conditions, driving), driven: driving !== undefined };
  }

  private filteredFrom(
    filter: TraceFilter,
    conditions: readonly SideCondition[],
    driving?: SideCondition,
  ): TraceQuery {
    // a cross join: SQLite keeps its order, so the few matched ids lead and traces are read by id; the
    // query's type keeps to traces, the only table the rest of it names
    let query: TraceQuery = driving
      ? (this.database
          .selectFrom(matchedTraces(driving))
          .crossJoin('traces')
          .whereRef('traces.id', '=', 'matched.trace_id') as unknown as TraceQuery)
      : this.database.selectFrom('traces');
    if (filter.task !== undefined) query = query.where('traces.task', '=', filter.task);
    if (filter.version !== undefined) query = query.where('traces.version', '=', filter.version);
    if (filter.label !== undefined) query = query.where('traces.label', '=', filter.label);
    if (filter.keyId !== undefined) query = query.where('traces.key_id', '=', filter.keyId);
    if (filter.run !== undefined) query = query.where('traces.run', '=', filter.run);
    if (filter.source !== undefined) query = query.where('traces.source', '=', filter.source);
    if (filter.since !== undefined) query = query.where('traces.at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('traces.at', '<', filter.until);
    if (filter.error === true) query = query.where('traces.error_code', 'is not', null);
    else if (filter.error !== undefined) query = query.where('traces.error_code', '=', filter.error);
    for (const condition of conditions) if (condition !== driving) query = query.where(hasMatch(condition));
    return query;
  }
}

/** The filter's conditions on the tables beside traces. */
function sideConditions(filter: TraceFilter): SideCondition[] {
  return [
    ...(filter.score ? [scoreCondition(filter.score)] : []),
    ...(filter.guardFailed === undefined ? [] : [guardCondition(filter.guardFailed)]),
  ];
}
