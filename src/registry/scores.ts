// Scores attached to traces (user feedback, online evaluators, later review and guard results) and
// the score configs that say what a name's values may be. A score copies its trace's task, version,
// label and time, so the monitor aggregates scores over windows without a join. It does not decide
// who may score what beyond one rule the service asks for: a key may be limited to its own traces.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { NotFoundError, ValidationError } from '../errors/index.js';
import type { RegistryWrite } from './access-keys.js';
import { namePattern, now } from './records.js';
import type { RegistryDatabase, ScoreConfigTable, ScoreTable } from './schema.js';

/** What values a score may take. */
export type ScoreKind = 'numeric' | 'boolean' | 'categorical';

/** Where a score came from. */
export type ScoreSource = 'feedback' | 'evaluator' | 'review' | 'guard';

/** A stored score. */
export interface ScoreRecord {
  id: string;
  traceId: string;
  name: string;
  kind: ScoreKind;
  /** Numeric scores, and booleans as 1 or 0. */
  value: number | null;
  /** Categorical scores. */
  category: string | null;
  source: ScoreSource;
  comment: string | null;
  /** The output the scorer says was right. */
  correction: unknown;
  keyId: string | null;
  task: string | null;
  version: string | null;
  label: string | null;
  /** When the scored request arrived (epoch ms). */
  traceAt: number;
  /** When the score was given (epoch ms). */
  at: number;
}

/** A score to add. */
export interface ScoreInput {
  traceId: string;
  name: string;
  value: number | boolean | string;
  source: ScoreSource;
  comment?: string;
  correction?: unknown;
  keyId?: string | null;
}

/** What a score name's values may be: a range for numbers, a set for categories (absent: any category). */
export interface ScoreConfig {
  name: string;
  kind: ScoreKind;
  minimum?: number;
  maximum?: number;
  categories?: string[];
  description?: string;
}

/** Reads a stored score row. */
export const scoreOf = (row: ScoreTable): ScoreRecord => ({
  id: row.id,
  traceId: row.trace_id,
  name: row.name,
  kind: row.kind as ScoreKind,
  value: row.value === null ? null : Number(row.value),
  category: row.category,
  source: row.source as ScoreSource,
  comment: row.comment,
  correction: row.correction === null ? null : (JSON.parse(row.correction) as unknown),
  keyId: row.key_id,
  task: row.task,
  version: row.version,
  label: row.label,
  traceAt: Number(row.trace_at),
  at: Number(row.at),
});

const configOf = (row: ScoreConfigTable): ScoreConfig => ({
  name: row.name,
  kind: row.kind as ScoreKind,
  ...(row.minimum === null ? {} : { minimum: Number(row.minimum) }),
  ...(row.maximum === null ? {} : { maximum: Number(row.maximum) }),
  ...(row.categories === null ? {} : { categories: JSON.parse(row.categories) as string[] }),
  ...(row.description ? { description: row.description } : {}),
});

const invalid = (message: string, hint: string) =>
  new ValidationError(message, { code: 'SCORE_INVALID', hint });

/** The kind a value has when its name has no config. */
const kindOfValue = (value: ScoreInput['value']): ScoreKind =>
  typeof value === 'boolean' ? 'boolean' : typeof value === 'number' ? 'numeric' : 'categorical';

/** Checks `value` against `config` (or its own type) and returns the columns that store it. */
function storedValue(
  name: string,
  value: ScoreInput['value'],
  config: ScoreConfig | undefined,
): { kind: ScoreKind; value: number | null; category: string | null } {
  const kind = config?.kind ?? kindOfValue(value);
  if (kind === 'boolean') {
    // 1 and 0 are accepted for booleans: thumbs up/down widgets often send numbers
    if (value === true || value === 1) return { kind, value: 1, category: null };
    if (value === false || value === 0) return { kind, value: 0, category: null };
    throw invalid(`score "${name}" is boolean; got ${JSON.stringify(value)}`, 'Send true or false.');
  }
  if (kind === 'numeric') {
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw invalid(`score "${name}" is numeric; got ${JSON.stringify(value)}`, 'Send a finite number.');
    if (
      (config?.minimum !== undefined && value < config.minimum) ||
      (config?.maximum !== undefined && value > config.maximum)
    )
      throw invalid(
        `score "${name}" must lie in [${config?.minimum ?? '-∞'}, ${config?.maximum ?? '∞'}]; got ${value}`,
        'Send a value inside the range of the score config.',
      );
    return { kind, value, category: null };
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 200)
    throw invalid(
      `score "${name}" is categorical; got ${JSON.stringify(value)}`,
      'Send a category name (1-200 characters).',
    );
  if (config?.categories && !config.categories.includes(value))
    throw invalid(
      `score "${name}" has no category "${value}"`,
      `Send one of: ${config.categories.join(', ')}.`,
    );
  return { kind, value: null, category: value };
}

/** The scores and score configs in one registry database. */
export class Scores {
  constructor(
    private readonly database: Kysely<RegistryDatabase>,
    private readonly write: RegistryWrite,
  ) {}

  /**
   * Adds a score to a stored trace, checked against its name's config. With `onlyKey`, the trace must
   * have been made with that key (another key's trace is not found, as a missing one).
   */
  async add(input: ScoreInput, options: { onlyKey?: string } = {}): Promise<ScoreRecord> {
    if (!namePattern.test(input.name))
      throw invalid(
        `"${input.name}" is not a score name`,
        'Use letters, digits, "-", "_" and "." (e.g. helpful).',
      );
    if (input.comment !== undefined && input.comment.length > 10_000)
      throw invalid('the comment is longer than 10,000 characters', 'Shorten the comment.');
    const trace = await this.database
      .selectFrom('traces')
      .select(['id', 'task', 'version', 'label', 'at', 'key_id'])
      .where('id', '=', input.traceId)
      .executeTakeFirst();
    // another key's trace is as absent as a missing one: response ids are not to be probed
    if (!trace || (options.onlyKey !== undefined && trace.key_id !== options.onlyKey))
      throw new NotFoundError(`no trace ${input.traceId}`, {
        code: 'TRACE_NOT_FOUND',
        hint: 'Send the id of a response this key received (a key scores only its own responses unless it is admin; sampled-out and pruned responses have no trace).',
      });
    // a name without a config gets one from its first score, so its later values keep one kind; of two
    // first scores at once, the config that landed first decides, and the other is checked against it
    let config = await this.getConfig(input.name);
    if (!config) {
      await this.write((transaction) =>
        transaction
          .insertInto('score_configs')
          .values({
            name: input.name,
            kind: storedValue(input.name, input.value, undefined).kind,
            minimum: null,
            maximum: null,
            categories: null,
            description: 'made by its first score',
            created_at: now(),
          })
          .onConflict((conflict) => conflict.column('name').doNothing())
          .execute(),
      );
      config = await this.getConfig(input.name);
    }
    const stored = storedValue(input.name, input.value, config);
    const row: ScoreTable = {
      id: randomUUID(),
      trace_id: trace.id,
      name: input.name,
      kind: stored.kind,
      value: stored.value,
      category: stored.category,
      source: input.source,
      comment: input.comment ?? null,
      correction: input.correction === undefined ? null : JSON.stringify(input.correction),
      key_id: input.keyId ?? null,
      task: trace.task,
      version: trace.version,
      label: trace.label,
      trace_at: Number(trace.at),
      at: Date.now(),
    };
    await this.write((transaction) => transaction.insertInto('scores').values(row).execute());
    return scoreOf(row);
  }

  /** Scores given in [since, until) of the traces' arrival, optionally of one task or name. */
  async list(filter: { task?: string; name?: string; since?: number; until?: number; limit?: number } = {}) {
    let query = this.database.selectFrom('scores').selectAll();
    if (filter.task !== undefined) query = query.where('task', '=', filter.task);
    if (filter.name !== undefined) query = query.where('name', '=', filter.name);
    if (filter.since !== undefined) query = query.where('trace_at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('trace_at', '<', filter.until);
    const rows = await query
      .orderBy('trace_at', 'desc')
      .limit(filter.limit ?? 100_000)
      .execute();
    return rows.map(scoreOf);
  }

  /**
   * Counts, sums, sums of squares and counts of 0s and 1s of scores per task, version, label, name and category, over the
   * scored traces' arrival in [since, until): what the monitor needs for means and intervals.
   */
  async aggregates(filter: {
    task?: string;
    version?: string;
    label?: string;
    since: number;
    until: number;
    /** Also group by window: `start` is the start of the trace's window of this many ms. */
    window?: number;
  }) {
    const window = filter.window;
    if (window !== undefined && (!Number.isInteger(window) || window <= 0))
      throw invalid(`a window of ${window} ms`, 'Give a whole number of milliseconds above 0');
    let query = this.database
      .selectFrom('scores')
      .where('trace_at', '>=', filter.since)
      .where('trace_at', '<', filter.until);
    if (filter.task !== undefined) query = query.where('task', '=', filter.task);
    if (filter.version !== undefined) query = query.where('version', '=', filter.version);
    if (filter.label !== undefined) query = query.where('label', '=', filter.label);
    const rows = await query
      .select((select) => [
        'task',
        'version',
        'label',
        'name',
        'kind',
        'category',
        select.fn.countAll<number>().as('count'),
        select.fn.sum<number>('value').as('sum'),
        select.fn.sum<number>(sql<number>`value * value`).as('sum_of_squares'),
        // how many are 0 or 1: a numeric score of only those is a share (an exact-match, say)
        select.fn
          .sum<number>(sql<number>`case when value = 0 or value = 1 then 1 else 0 end`)
          .as('zero_or_one'),
        sql<number>`${window === undefined ? sql.lit(0) : sql`trace_at - (trace_at % ${sql.lit(window)})`}`.as(
          'start',
        ),
      ])
      .groupBy(['task', 'version', 'label', 'name', 'kind', 'category', 'start'])
      .execute();
    return rows.map((row) => ({
      task: row.task,
      version: row.version,
      label: row.label,
      name: row.name,
      kind: row.kind as ScoreKind,
      category: row.category,
      count: Number(row.count),
      sum: Number(row.sum ?? 0),
      sumOfSquares: Number(row.sum_of_squares ?? 0),
      zeroOrOne: Number(row.zero_or_one ?? 0),
      start: Number(row.start),
    }));
  }

  /** Creates or replaces a score config. */
  async setConfig(config: ScoreConfig): Promise<ScoreConfig> {
    if (!namePattern.test(config.name))
      throw invalid(`"${config.name}" is not a score name`, 'Use letters, digits, "-", "_" and "."');
    if (config.kind !== 'numeric' && (config.minimum !== undefined || config.maximum !== undefined))
      throw invalid(
        `score "${config.name}" is ${config.kind}: a range applies to numeric scores only`,
        'Drop the minimum and maximum, or make it numeric.',
      );
    if (config.kind !== 'categorical' && config.categories !== undefined)
      throw invalid(
        `score "${config.name}" is ${config.kind}: categories apply to categorical scores only`,
        'Drop the categories, or make it categorical.',
      );
    if (config.categories?.some((category) => category.length === 0 || category.length > 200))
      throw invalid(
        `score "${config.name}" has an empty or over-long category`,
        'Give categories of 1 to 200 characters.',
      );
    if (config.minimum !== undefined && config.maximum !== undefined && config.minimum > config.maximum)
      throw invalid(`score "${config.name}" has minimum above maximum`, 'Swap or fix the range.');
    const row: ScoreConfigTable = {
      name: config.name,
      kind: config.kind,
      minimum: config.minimum ?? null,
      maximum: config.maximum ?? null,
      categories: config.categories ? JSON.stringify(config.categories) : null,
      description: config.description ?? '',
      created_at: now(),
    };
    await this.write(async (transaction) => {
      // scores already given must still fit: a config never strands them
      const given = await transaction
        .selectFrom('scores')
        .select(['kind', 'category'])
        .select((select) => [
          select.fn.countAll<number>().as('count'),
          select.fn.min<number>('value').as('low'),
          select.fn.max<number>('value').as('high'),
        ])
        .where('name', '=', config.name)
        .groupBy(['kind', 'category'])
        .execute();
      for (const scores of given) {
        const described = `${Number(scores.count)} ${scores.kind} score${Number(scores.count) === 1 ? '' : 's'}`;
        if (scores.kind !== config.kind)
          throw invalid(
            `score "${config.name}" already has ${described}: it cannot become ${config.kind}`,
            'Keep its kind, or score under a new name.',
          );
        if (scores.category !== null && config.categories && !config.categories.includes(scores.category))
          throw invalid(
            `score "${config.name}" already has the category "${scores.category}"`,
            'Include every category already given.',
          );
        if (
          (config.minimum !== undefined && Number(scores.low) < config.minimum) ||
          (config.maximum !== undefined && Number(scores.high) > config.maximum)
        )
          throw invalid(
            `score "${config.name}" already has values from ${scores.low} to ${scores.high}`,
            'Give a range that contains them.',
          );
      }
      await transaction
        .insertInto('score_configs')
        .values(row)
        .onConflict((conflict) =>
          conflict.column('name').doUpdateSet({
            kind: row.kind,
            minimum: row.minimum,
            maximum: row.maximum,
            categories: row.categories,
            description: row.description,
          }),
        )
        .execute();
    });
    return configOf(row);
  }

  /** A score name's config, if it has one. */
  async getConfig(name: string): Promise<ScoreConfig | undefined> {
    const row = await this.database
      .selectFrom('score_configs')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? configOf(row) : undefined;
  }

  /** Every score config, by name. */
  async listConfigs(): Promise<ScoreConfig[]> {
    const rows = await this.database.selectFrom('score_configs').selectAll().orderBy('name').execute();
    return rows.map(configOf);
  }
}
