// Registry migrations, run by Kysely's Migrator on SQLite and Postgres alike. Column types are the
// few both understand; the one difference (auto-increment ids, binary data) is switched on the dialect.
import { Migrator, sql, type Kysely, type Migration } from 'kysely';

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
  };
}

/** Brings the database to the latest schema; throws with the failing migration's error. */
export async function migrateToLatest(database: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({
    db: database,
    provider: { getMigrations: async () => migrations(dialect) },
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}
