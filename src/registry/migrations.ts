// Registry migrations, run by Kysely's Migrator on SQLite and Postgres alike. Column types are the
// few both understand; the one difference (auto-increment ids, binary data) is switched on the dialect.
// Migrations never open transactions of their own: the caller decides (and locks) how they run.
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { canonicalJson, contentHash } from './canonical.js';
import { failedCheckPattern, failedValidators } from './guard-failures.js';
import { ConflictError } from '../errors/index.js';

export type Dialect = 'sqlite' | 'postgres';

function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '001-initial': {
      async up(database: Kysely<unknown>) {
        await database.schema
          .createTable('tasks')
          .addColumn('name', 'text', (column) => column.primaryKey())
          .addColumn('description', 'text', (column) => column.notNull())
          .addColumn('spec', 'text', (column) => column.notNull())
          .addColumn('created_at', 'text', (column) => column.notNull())
          .execute();
        await database.schema
          .createTable('versions')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('task', 'text', (column) => column.notNull().references('tasks.name'))
          .addColumn('number', 'integer', (column) => column.notNull())
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('content', 'text', (column) => column.notNull())
          .addColumn('parent', 'text')
          .addColumn('run', 'text')
          .addColumn('message', 'text', (column) => column.notNull())
          .addColumn('actor', 'text', (column) => column.notNull())
          .addColumn('created_at', 'text', (column) => column.notNull())
          .addUniqueConstraint('versions_task_number', ['task', 'number'])
          .execute();
        await database.schema
          .createTable('labels')
          .addColumn('task', 'text', (column) => column.notNull().references('tasks.name'))
          .addColumn('label', 'text', (column) => column.notNull())
          .addColumn('version', 'text', (column) => column.notNull().references('versions.id'))
          .addColumn('protected', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('updated_at', 'text', (column) => column.notNull())
          .addPrimaryKeyConstraint('labels_key', ['task', 'label'])
          .execute();
        await database.schema
          .createTable('label_events')
          .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (column) =>
            dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement(),
          )
          .addColumn('task', 'text', (column) => column.notNull())
          .addColumn('label', 'text', (column) => column.notNull())
          .addColumn('from_version', 'text')
          .addColumn('to_version', 'text', (column) => column.notNull())
          .addColumn('actor', 'text', (column) => column.notNull())
          .addColumn('reason', 'text', (column) => column.notNull())
          .addColumn('at', 'text', (column) => column.notNull())
          .execute();
        await database.schema
          .createIndex('label_events_by_label')
          .on('label_events')
          .columns(['task', 'label', 'id'])
          .execute();
        await database.schema
          .createTable('blobs')
          .addColumn('sha256', 'text', (column) => column.primaryKey())
          .addColumn('bytes', dialect === 'postgres' ? sql`bytea` : 'blob', (column) => column.notNull())
          .addColumn('size', 'integer', (column) => column.notNull())
          .execute();
        await database.schema
          .createTable('datasets')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('task', 'text', (column) => column.notNull().references('tasks.name'))
          .addColumn('split', 'text', (column) => column.notNull())
          .addColumn('name', 'text', (column) => column.notNull())
          .addColumn('rows', 'integer', (column) => column.notNull())
          .addColumn('blob', 'text', (column) => column.notNull().references('blobs.sha256'))
          .addColumn('created_at', 'text', (column) => column.notNull())
          .execute();
      },
    },
    '002-service': {
      async up(database: Kysely<unknown>) {
        await database.schema
          .createTable('access_keys')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('name', 'text', (column) => column.notNull())
          .addColumn('hash', 'text', (column) => column.notNull())
          .addColumn('scopes', 'text', (column) => column.notNull())
          .addColumn('rate_per_minute', 'integer')
          .addColumn('created_at', 'text', (column) => column.notNull())
          .addColumn('revoked_at', 'text')
          .execute();
        await database.schema
          .createTable('request_logs')
          .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (column) =>
            dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement(),
          )
          .addColumn('task', 'text', (column) => column.notNull())
          .addColumn('version', 'text', (column) => column.notNull())
          .addColumn('key_id', 'text')
          .addColumn('request', 'text', (column) => column.notNull())
          .addColumn('response', 'text', (column) => column.notNull())
          .addColumn('latency_ms', 'integer', (column) => column.notNull())
          .addColumn('at', 'text', (column) => column.notNull())
          .execute();
        await database.schema
          .createIndex('request_logs_by_task')
          .on('request_logs')
          .columns(['task', 'id'])
          .execute();
      },
    },
    '003-version-specs': {
      // each version serves with the task spec it was pushed with: specs are stored content-addressed
      // and versions name theirs; existing versions get their task's current spec
      async up(database: Kysely<unknown>) {
        await database.schema
          .createTable('task_specs')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('task', 'text', (column) => column.notNull().references('tasks.name'))
          .addColumn('spec', 'text', (column) => column.notNull())
          .addColumn('created_at', 'text', (column) => column.notNull())
          .execute();
        await database.schema
          .alterTable('versions')
          .addColumn('spec_id', 'text', (column) => column.references('task_specs.id'))
          .execute();
        const tasks = await sql<{
          name: string;
          spec: string;
          created_at: string;
        }>`select name, spec, created_at from tasks`.execute(database);
        for (const task of tasks.rows) {
          const spec: unknown = JSON.parse(task.spec);
          const id = contentHash(spec);
          await sql`insert into task_specs (id, task, spec, created_at)
            values (${id}, ${task.name}, ${canonicalJson(spec)}, ${task.created_at})`.execute(database);
          await sql`update versions set spec_id = ${id} where task = ${task.name}`.execute(database);
        }
      },
    },
    '004-traces': {
      // every served request becomes a trace (the sampled request log is folded into them), with
      // scores, score configs and alert states; times are epoch milliseconds so windows are ranges
      async up(database: Kysely<unknown>) {
        const milliseconds = dialect === 'postgres' ? 'bigint' : 'integer';
        const real = dialect === 'postgres' ? 'double precision' : 'real';
        await database.schema
          .createTable('traces')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('at', milliseconds, (column) => column.notNull())
          .addColumn('source', 'text', (column) => column.notNull())
          .addColumn('run', 'text')
          .addColumn('operation', 'text', (column) => column.notNull())
          .addColumn('model', 'text')
          .addColumn('task', 'text')
          .addColumn('version', 'text')
          .addColumn('label', 'text')
          .addColumn('key_id', 'text')
          .addColumn('end_user', 'text')
          .addColumn('input', 'text', (column) => column.notNull())
          .addColumn('output', 'text')
          .addColumn('input_tokens', 'integer', (column) => column.notNull())
          .addColumn('output_tokens', 'integer', (column) => column.notNull())
          .addColumn('cost', sql.raw(real))
          .addColumn('latency_ms', sql.raw(real), (column) => column.notNull())
          .addColumn('first_token_ms', sql.raw(real))
          .addColumn('finish_reason', 'text')
          .addColumn('status', 'integer', (column) => column.notNull())
          .addColumn('error_code', 'text')
          .addColumn('checks', 'text')
          .execute();
        // the monitor's scans read only this narrow index, never the wide rows (inputs and outputs)
        await database.schema
          .createIndex('traces_for_monitor')
          .on('traces')
          .columns([
            'at',
            'source',
            'task',
            'version',
            'label',
            'error_code',
            'latency_ms',
            'first_token_ms',
            'input_tokens',
            'output_tokens',
            'cost',
          ])
          .execute();
        await database.schema.createIndex('traces_by_task').on('traces').columns(['task', 'at']).execute();
        await database.schema.createIndex('traces_by_run').on('traces').columns(['run']).execute();
        await database.schema
          .createTable('scores')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('trace_id', 'text', (column) => column.notNull())
          .addColumn('name', 'text', (column) => column.notNull())
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('value', sql.raw(real))
          .addColumn('category', 'text')
          .addColumn('source', 'text', (column) => column.notNull())
          .addColumn('comment', 'text')
          .addColumn('correction', 'text')
          .addColumn('key_id', 'text')
          .addColumn('task', 'text')
          .addColumn('version', 'text')
          .addColumn('label', 'text')
          .addColumn('trace_at', milliseconds, (column) => column.notNull())
          .addColumn('at', milliseconds, (column) => column.notNull())
          .execute();
        await database.schema.createIndex('scores_by_trace').on('scores').columns(['trace_id']).execute();
        await database.schema.createIndex('scores_by_time').on('scores').columns(['trace_at']).execute();
        await database.schema
          .createTable('score_configs')
          .addColumn('name', 'text', (column) => column.primaryKey())
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('minimum', sql.raw(real))
          .addColumn('maximum', sql.raw(real))
          .addColumn('categories', 'text')
          .addColumn('description', 'text', (column) => column.notNull())
          .addColumn('created_at', 'text', (column) => column.notNull())
          .execute();
        await database.schema
          .createTable('alert_states')
          .addColumn('rule', 'text', (column) => column.primaryKey())
          .addColumn('state', 'text', (column) => column.notNull())
          .addColumn('since', milliseconds, (column) => column.notNull())
          .addColumn('value', sql.raw(real))
          .addColumn('count', 'integer', (column) => column.notNull())
          .addColumn('evaluated_at', milliseconds, (column) => column.notNull())
          .addColumn('error', 'text')
          .execute();
        await database.schema
          .createTable('alert_events')
          .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (column) =>
            dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement(),
          )
          .addColumn('rule', 'text', (column) => column.notNull())
          .addColumn('state', 'text', (column) => column.notNull())
          .addColumn('value', sql.raw(real))
          .addColumn('count', 'integer', (column) => column.notNull())
          .addColumn('threshold', sql.raw(real), (column) => column.notNull())
          .addColumn('severity', 'text', (column) => column.notNull())
          .addColumn('detail', 'text')
          .addColumn('at', milliseconds, (column) => column.notNull())
          .execute();
        await database.schema
          .createIndex('alert_events_by_rule')
          .on('alert_events')
          .columns(['rule', 'id'])
          .execute();
        // the sampled request log becomes traces (what it held: task, version, key, input, output, latency)
        await sql`insert into traces (id, at, source, operation, task, version, key_id, input, output,
            input_tokens, output_tokens, latency_ms, status)
          select ${sql.lit('log-')} || cast(id as text), 0, ${sql.lit('service')}, ${sql.lit('run')}, task,
            version, key_id, request, response, 0, 0, latency_ms, 200 from request_logs`.execute(database);
        const logged = await sql<{ id: number; at: string }>`select id, at from request_logs`.execute(
          database,
        );
        for (const row of logged.rows)
          await sql`update traces set at = ${Date.parse(row.at) || 0} where id = ${`log-${row.id}`}`.execute(
            database,
          );
        await database.schema.dropTable('request_logs').execute();
      },
    },
    '005-runs': {
      // evaluation, optimization and training runs with their entries (examples, steps, trials)
      async up(database: Kysely<unknown>) {
        const milliseconds = dialect === 'postgres' ? 'bigint' : 'integer';
        const real = dialect === 'postgres' ? 'double precision' : 'real';
        await database.schema
          .createTable('runs')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('task', 'text', (column) => column.notNull())
          .addColumn('version', 'text')
          .addColumn('datasets', 'text', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('config', 'text', (column) => column.notNull())
          .addColumn('summary', 'text')
          .addColumn('progress', 'text')
          .addColumn('actor', 'text', (column) => column.notNull())
          .addColumn('started_at', milliseconds, (column) => column.notNull())
          .addColumn('heartbeat_at', milliseconds, (column) => column.notNull())
          .addColumn('finished_at', milliseconds)
          .addColumn('error', 'text')
          .execute();
        await database.schema.createIndex('runs_by_start').on('runs').columns(['started_at', 'id']).execute();
        await database.schema
          .createIndex('runs_by_task')
          .on('runs')
          .columns(['task', 'started_at'])
          .execute();
        await database.schema
          .createTable('run_entries')
          .addColumn('run', 'text', (column) => column.notNull())
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('position', 'integer', (column) => column.notNull())
          .addColumn('score', sql.raw(real))
          .addColumn('passed', 'integer')
          .addColumn('data', 'text', (column) => column.notNull())
          .addPrimaryKeyConstraint('run_entries_key', ['run', 'kind', 'position'])
          .execute();
      },
    },
    '006-review': {
      // human review: queues, the items they hold (traces or rows), reservations and decisions
      async up(database: Kysely<unknown>) {
        const milliseconds = dialect === 'postgres' ? 'bigint' : 'integer';
        await database.schema
          .createTable('review_queues')
          .addColumn('name', 'text', (column) => column.primaryKey())
          .addColumn('task', 'text', (column) => column.notNull())
          .addColumn('config', 'text', (column) => column.notNull())
          .addColumn('actor', 'text', (column) => column.notNull())
          .addColumn('created_at', milliseconds, (column) => column.notNull())
          .execute();
        await database.schema
          .createTable('review_items')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('queue', 'text', (column) => column.notNull())
          .addColumn('trace_id', 'text')
          .addColumn('reason', 'text', (column) => column.notNull())
          .addColumn('input', 'text', (column) => column.notNull())
          .addColumn('output', 'text')
          .addColumn('context', 'text', (column) => column.notNull())
          .addColumn('reviews_needed', 'integer', (column) => column.notNull())
          .addColumn('reviews_done', 'integer', (column) => column.notNull())
          .addColumn('reserved_by', 'text')
          .addColumn('reserved_until', milliseconds)
          .addColumn('created_at', milliseconds, (column) => column.notNull())
          .execute();
        await database.schema
          .createIndex('review_items_by_queue')
          .on('review_items')
          .columns(['queue', 'created_at', 'id'])
          .execute();
        // a trace is queued once per queue (rows added by hand have no trace)
        await database.schema
          .createIndex('review_items_by_trace')
          .unique()
          .on('review_items')
          .columns(['queue', 'trace_id'])
          .execute();
        await database.schema
          .createTable('review_decisions')
          .addColumn('item', 'text', (column) => column.notNull())
          .addColumn('reviewer', 'text', (column) => column.notNull())
          .addColumn('decision', 'text', (column) => column.notNull())
          .addColumn('correction', 'text')
          .addColumn('rubric', 'text', (column) => column.notNull())
          .addColumn('comment', 'text')
          .addColumn('at', milliseconds, (column) => column.notNull())
          .addPrimaryKeyConstraint('review_decisions_key', ['item', 'reviewer'])
          .execute();
      },
    },
    '007-dataset-versions': {
      // numbered versions of a task's dataset: the stored file of each split, parent and source
      async up(database: Kysely<unknown>) {
        await database.schema
          .createTable('dataset_versions')
          .addColumn('task', 'text', (column) => column.notNull())
          .addColumn('number', 'integer', (column) => column.notNull())
          .addColumn('splits', 'text', (column) => column.notNull())
          .addColumn('parent', 'integer')
          .addColumn('source', 'text', (column) => column.notNull())
          .addColumn('message', 'text', (column) => column.notNull())
          .addColumn('details', 'text', (column) => column.notNull())
          .addColumn('actor', 'text', (column) => column.notNull())
          .addColumn('created_at', dialect === 'postgres' ? 'bigint' : 'integer', (column) =>
            column.notNull(),
          )
          .addPrimaryKeyConstraint('dataset_versions_key', ['task', 'number'])
          .execute();
      },
    },
    '008-trace-confidence': {
      // the local engine's confidence in a served answer (its first token's margin over the runner-up)
      async up(database: Kysely<unknown>) {
        await database.schema
          .alterTable('traces')
          .addColumn('confidence', dialect === 'postgres' ? 'double precision' : 'real')
          .execute();
      },
    },
    '009-experiments': {
      // traffic experiments between two versions of a task's label (canary rollouts), every look at
      // them, and label events that carry the statistics an experiment's step was taken on
      async up(database: Kysely<unknown>) {
        const milliseconds = dialect === 'postgres' ? 'bigint' : 'integer';
        const real = dialect === 'postgres' ? 'double precision' : 'real';
        await database.schema
          .createTable('experiments')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('task', 'text', (column) => column.notNull())
          .addColumn('label', 'text', (column) => column.notNull())
          .addColumn('control', 'text', (column) => column.notNull())
          .addColumn('treatment', 'text', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('weight', real, (column) => column.notNull())
          .addColumn('config', 'text', (column) => column.notNull())
          .addColumn('state', 'text', (column) => column.notNull())
          .addColumn('revision', 'integer', (column) => column.notNull())
          .addColumn('reason', 'text', (column) => column.notNull())
          .addColumn('actor', 'text', (column) => column.notNull())
          .addColumn('created_at', milliseconds, (column) => column.notNull())
          .addColumn('updated_at', milliseconds, (column) => column.notNull())
          .addColumn('finished_at', milliseconds)
          .execute();
        // one running experiment per label: the service's split must be unambiguous
        await sql`create unique index experiments_running on experiments (task, label) where status = 'running'`.execute(
          database,
        );
        await database.schema
          .createTable('experiment_events')
          .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (column) =>
            dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement(),
          )
          .addColumn('experiment', 'text', (column) => column.notNull())
          .addColumn('at', milliseconds, (column) => column.notNull())
          .addColumn('action', 'text', (column) => column.notNull())
          .addColumn('weight', real, (column) => column.notNull())
          .addColumn('reason', 'text', (column) => column.notNull())
          .addColumn('statistics', 'text')
          .execute();
        await database.schema
          .createIndex('experiment_events_by_experiment')
          .on('experiment_events')
          .columns(['experiment', 'id'])
          .execute();
        await database.schema.alterTable('label_events').addColumn('details', 'text').execute();
      },
    },
    '010-jobs': {
      // long work (evaluations, optimizations, training, audits) as jobs any worker may run: what to
      // run, where it stands, who holds it until when, and the tail of its output
      async up(database: Kysely<unknown>) {
        const milliseconds = dialect === 'postgres' ? 'bigint' : 'integer';
        await database.schema
          .createTable('jobs')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('args', 'text', (column) => column.notNull())
          .addColumn('cwd', 'text', (column) => column.notNull())
          .addColumn('queue', 'text', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('attempts', 'integer', (column) => column.notNull())
          .addColumn('max_attempts', 'integer', (column) => column.notNull())
          .addColumn('worker', 'text')
          .addColumn('lease_until', milliseconds)
          .addColumn('cancel_requested', 'integer', (column) => column.notNull())
          .addColumn('log', 'text', (column) => column.notNull())
          .addColumn('result', 'text')
          .addColumn('error', 'text')
          .addColumn('actor', 'text', (column) => column.notNull())
          .addColumn('created_at', milliseconds, (column) => column.notNull())
          .addColumn('started_at', milliseconds)
          .addColumn('heartbeat_at', milliseconds)
          .addColumn('finished_at', milliseconds)
          .execute();
        await database.schema
          .createIndex('jobs_by_status')
          .on('jobs')
          .columns(['status', 'created_at'])
          .execute();
      },
    },
    '011-run-retirement': {
      // a finished run an admin set aside with a reason (an exploratory audit no policy should count)
      async up(database: Kysely<unknown>) {
        await database.schema.alterTable('runs').addColumn('retired', 'text').execute();
      },
    },
    '012-trace-error-message': {
      // what a failed request's error said (which parameter, which field), beside its code
      async up(database: Kysely<unknown>) {
        await database.schema.alterTable('traces').addColumn('error_message', 'text').execute();
      },
    },
    '013-review-first-decided': {
      // when a reviewer first decided an item, kept when they revise it: which decisions were an item's
      // ratings and which came after them (an admin settling a tie) does not change with a revision
      async up(database: Kysely<unknown>) {
        const milliseconds = dialect === 'postgres' ? 'bigint' : 'integer';
        await database.schema.alterTable('review_decisions').addColumn('first_at', milliseconds).execute();
        await sql`update review_decisions set first_at = at`.execute(database);
      },
    },
    '014-trace-sampling': {
      // the sampling settings a served answer was generated with (its seed among them, fresh for each
      // sampled request without one), so an answer under review can be generated again exactly
      async up(database: Kysely<unknown>) {
        await database.schema.alterTable('traces').addColumn('sampling', 'text').execute();
      },
    },
    '015-request-log-traces': {
      // 004 made each row of the sampled request log a 'run' trace holding its whole request body: a chat
      // or text completion read as no input (a correction on it was held back as unreadable), a typed
      // run as { input: fields } (a correction wrote an object as the field's text into the dataset).
      // They become what the service records now: chat and text_completion with the body's model, a run
      // with its fields; the review items taken from them get the fields read from the repaired trace
      async up(database: Kysely<unknown>) {
        const logged = await sql<{ id: string; input: string }>`select id, input from traces
          where id like ${'log-%'} and operation = ${'run'}`.execute(database);
        // the review items taken from them, read once (no index leads with trace_id: one query per trace
        // had scanned every review item for each)
        const taken = await sql<{ id: string; trace_id: string; input: string; spec: string }>`select
            review_items.id, review_items.trace_id, review_items.input, tasks.spec from review_items
            join review_queues on review_queues.name = review_items.queue
            join tasks on tasks.name = review_queues.task
            where review_items.trace_id like ${'log-%'}`.execute(database);
        const itemsOf = new Map<string, { id: string; input: string; spec: string }[]>();
        for (const item of taken.rows)
          itemsOf.set(item.trace_id, [...(itemsOf.get(item.trace_id) ?? []), item]);
        for (const row of logged.rows) {
          const body = parsedObject(row.input);
          if (!body) continue;
          const model = typeof body.model === 'string' ? body.model : null;
          let repaired: { operation: string; input: unknown } | undefined;
          if (Array.isArray(body.messages)) repaired = { operation: 'chat', input: body };
          else if (body.prompt !== undefined) repaired = { operation: 'text_completion', input: body };
          else if (Object.keys(body).length === 1 && parsedObject(JSON.stringify(body.input ?? null)))
            repaired = { operation: 'run', input: body.input };
          if (!repaired) continue;
          await sql`update traces set operation = ${repaired.operation}, input = ${JSON.stringify(repaired.input)},
            model = ${repaired.operation === 'run' ? null : model} where id = ${row.id}`.execute(database);
          for (const item of itemsOf.get(row.id) ?? []) {
            const fields = legacyTraceFields(repaired, parsedObject(item.spec));
            // only an item that holds what it was given from the trace as it was
            const held = parsedObject(item.input);
            if (fields && held && canonicalJson(held) === canonicalJson(body))
              await sql`update review_items set input = ${JSON.stringify(fields)} where id = ${item.id}`.execute(
                database,
              );
          }
        }
      },
    },
    '016-traces-by-key': {
      // a key without the admin scope reads only its own traces: every page of GET /v1/traces (and
      // traces ls --key) filters on key_id, which no index led with; a million traces were scanned and
      // the key's rows sorted whole for each page of 50, the service's event loop held the while
      async up(database: Kysely<unknown>) {
        await database.schema.createIndex('traces_by_key').on('traces').columns(['key_id', 'at']).execute();
      },
    },
    '017-scores-for-monitor': {
      // the monitor's score aggregates over a window read scores_by_time and then every score's row (1.4 s
      // for 200,000 scores over 90 days, one synchronous statement on SQLite: the service answered nothing
      // meanwhile); with a task (monitor --task, drift's scores) they read every task's scores in the
      // window. A covering index for the window, and one led by the task
      async up(database: Kysely<unknown>) {
        await database.schema
          .createIndex('scores_for_monitor')
          .on('scores')
          .columns(['trace_at', 'task', 'version', 'label', 'name', 'kind', 'category', 'value'])
          .execute();
        await database.schema
          .createIndex('scores_by_task')
          .on('scores')
          .columns(['task', 'trace_at'])
          .execute();
        // led by trace_at too: the covering index serves every read the time index did
        await database.schema.dropIndex('scores_by_time').execute();
      },
    },
    '018-scores-by-name': {
      // GET /v1/traces?score=<name> probed every trace for a score of the name, newest first: a name
      // given to 20 of a million traces had all million probed (8-10 s). Led by the name, this index
      // counts a name's scores and lists their traces when they are few (TraceStore.list then reads
      // them by id), and answers each per-trace probe of a common name without reading the score's row
      async up(database: Kysely<unknown>) {
        await database.schema
          .createIndex('scores_by_name')
          .on('scores')
          .columns(['name', 'trace_id', 'value'])
          .execute();
      },
    },
    '019-guard-failures': {
      // `traces --guard` and ?guard= matched patterns against every trace's checks text (6 s for a
      // million traces): the validators each trace's checks failed are kept beside it, written with the
      // trace from now on, and here for the traces already stored, read a few hundred at a time
      async up(database: Kysely<unknown>) {
        await database.schema
          .createTable('guard_failures')
          .addColumn('trace_id', 'text', (column) => column.notNull())
          .addColumn('validator', 'text', (column) => column.notNull())
          .addPrimaryKeyConstraint('guard_failures_key', ['trace_id', 'validator'])
          .execute();
        await database.schema
          .createIndex('guard_failures_by_validator')
          .on('guard_failures')
          .columns(['validator', 'trace_id'])
          .execute();
        // one pass over the traces for the ids of those that may hold a failed check (a few percent)
        const candidates = await sql<{ id: string }>`select id from traces
          where checks like ${failedCheckPattern}`.execute(database);
        const ids = candidates.rows.map((row) => row.id);
        for (let start = 0; start < ids.length; start += backfillBatch) {
          const traces = await sql<{ id: string; checks: string }>`select id, checks from traces
            where id in (${sql.join(ids.slice(start, start + backfillBatch))})`.execute(database);
          const failures = traces.rows.flatMap((trace) =>
            failedValidators(parsedJson(trace.checks)).map((validator) => sql`(${trace.id}, ${validator})`),
          );
          for (let from = 0; from < failures.length; from += backfillBatch)
            await sql`insert into guard_failures (trace_id, validator)
              values ${sql.join(failures.slice(from, from + backfillBatch))}`.execute(database);
        }
      },
    },
    '020-jobs-by-creation': {
      // `job ls` (and GET /v1/jobs) lists every status newest first: with no index led by created_at
      // each page read and sorted every job ever submitted
      async up(database: Kysely<unknown>) {
        await database.schema
          .createIndex('jobs_by_creation')
          .on('jobs')
          .columns(['created_at', 'id'])
          .execute();
      },
    },
  };
}

/** Traces read per statement of a backfill (their ids are bound parameters). */
const backfillBatch = 500;

/** A JSON text's value, or undefined for text that is not JSON (a row written by hand). */
function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A JSON text's object, or undefined for anything else (or text that is not JSON). */
function parsedObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A repaired request-log trace's task input fields, read as the service's traces are read (the last user
 * message, the completion prompt, a run's fields), with the task's input fields from its stored spec;
 * frozen here so this migration does the same whatever the code that reads traces becomes.
 */
function legacyTraceFields(
  trace: { operation: string; input: unknown },
  spec: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  const fields = (spec?.input as { fields?: unknown } | undefined)?.fields;
  if (!Array.isArray(fields) || typeof fields[0] !== 'string') return undefined;
  const body = trace.input as { messages?: { role?: unknown; content?: unknown }[]; prompt?: unknown };
  if (trace.operation === 'run') return trace.input as Record<string, unknown>;
  const text =
    trace.operation === 'text_completion'
      ? body.prompt
      : body.messages?.filter((message) => message?.role === 'user').at(-1)?.content;
  if (typeof text !== 'string') return undefined;
  if (fields.length === 1) return { [fields[0]]: text };
  return parsedObject(text);
}

/** The migrations' names, in the order they run. */
export const migrationNames = Object.keys(migrations('sqlite'));

function migrator(database: Kysely<unknown>, dialect: Dialect): Migrator {
  return new Migrator({ db: database, provider: { getMigrations: async () => migrations(dialect) } });
}

/**
 * Brings the database to the latest schema (or only up to the migration named `upTo`, for tests of
 * upgrades); throws with the failing migration's error.
 */
export async function migrateToLatest(
  database: Kysely<unknown>,
  dialect: Dialect,
  upTo?: string,
): Promise<void> {
  const { error } = upTo
    ? await migrator(database, dialect).migrateTo(upTo)
    : await migrator(database, dialect).migrateToLatest();
  if (error) throw error;
}

/**
 * Refuses a database a newer promptune has migrated (a rolled-back deploy, an old replica restarted
 * after a new one started): this code does not know what those migrations changed, and rows it writes
 * would lack what the newer code relies on. A read: it creates nothing, not even Kysely's tables.
 */
export async function refuseNewerSchema(database: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const exists =
    dialect === 'postgres'
      ? sql<{ found: string | null }>`select to_regclass('kysely_migration')::text as found`
      : sql<{
          found: string | null;
        }>`select name as found from sqlite_master where type = 'table' and name = 'kysely_migration'`;
  const { rows } = await exists.execute(database);
  if (!rows[0]?.found) return;
  const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(database);
  const known = new Set(migrationNames);
  const unknown = applied.rows.map((row) => row.name).filter((name) => !known.has(name));
  if (unknown.length === 0) return;
  throw new ConflictError(
    `the registry's database was migrated by a newer promptune (${unknown.sort().join(', ')}); this one knows up to ${migrationNames.at(-1)}`,
    {
      code: 'REGISTRY_SCHEMA_NEWER',
      hint: 'Run the promptune that migrated it, or a newer one: upgrade every replica and worker of this registry to it.',
    },
  );
}

/** True when some migration has not run yet (a read: it creates nothing, not even Kysely's tables). */
export async function hasPendingMigrations(database: Kysely<unknown>, dialect: Dialect): Promise<boolean> {
  const known = await migrator(database, dialect).getMigrations();
  return known.some((migration) => migration.executedAt === undefined);
}
