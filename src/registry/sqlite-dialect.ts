// Kysely's SQLite dialect with one change: transactions begin IMMEDIATE, taking the write lock at
// once. Kysely's plain `begin` is deferred: a transaction that reads first and writes later must
// upgrade its lock, and SQLite fails that upgrade with SQLITE_BUSY at once, without waiting out the
// busy timeout, whenever another process wrote in between. It does not retry: write-transaction.ts does.
import {
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';

/** SqliteDriver whose transactions begin with `begin immediate`. */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** The SQLite dialect for the registry: every transaction is a write transaction from its first statement. */
export class ImmediateSqliteDialect extends SqliteDialect {
  private readonly immediateConfig: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.immediateConfig = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.immediateConfig);
  }
}
