// A dialect whose driver can be closed so that every later query is refused with REGISTRY_CLOSED and a
// hint, rather than Kysely's bare "driver has already been destroyed". Kysely checks its own destroyed
// flag before it reaches the dialect's driver, so a registry closes its database here, at the driver,
// and Kysely's instance stays open to pass each later query down to the refusal. A lost connection
// (Postgres restarting, a network gone) comes out of it as REGISTRY_UNAVAILABLE, the driver's error its
// cause, rather than as the driver's bare error.
import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { UnavailableError } from '../errors/index.js';
import { isConnectionLost, registryUnreachable } from './connection-lost.js';

/** The refusal of a query on a closed registry. */
export function registryClosedError(): UnavailableError {
  return new UnavailableError('this registry was closed', {
    code: 'REGISTRY_CLOSED',
    hint: 'Open it again (Registry.open) and use that one; close() ends the registry for good.',
  });
}

/** A dialect and the close that ends its database (each later query is REGISTRY_CLOSED). */
export interface ClosableDialect {
  dialect: Dialect;
  close(): Promise<void>;
}

/** Wraps `dialect`: its driver refuses queries once `close` has run. */
export function closableDialect(dialect: Dialect): ClosableDialect {
  let driver: ClosableDriver | undefined;
  let closed = false;
  return {
    dialect: {
      createAdapter: () => dialect.createAdapter(),
      createDriver: () => (driver = new ClosableDriver(dialect.createDriver(), () => closed)),
      createIntrospector: (database) => dialect.createIntrospector(database),
      createQueryCompiler: () => dialect.createQueryCompiler(),
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await driver?.destroy();
    },
  };
}

/**
 * Passes each call to `inner` while open; once closed, acquiring a connection is refused. A lost
 * connection is rethrown as REGISTRY_UNAVAILABLE. The registry takes no savepoints, so none are passed on
 * (Kysely refuses them on this driver).
 */
class ClosableDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly isClosed: () => boolean,
  ) {}

  init(): Promise<void> {
    return this.isClosed() ? Promise.reject(registryClosedError()) : reported(this.inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.isClosed()) throw registryClosedError();
    return new ReportedConnection(await reported(this.inner.acquireConnection()));
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return reported(this.inner.beginTransaction(innerOf(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return reported(this.inner.commitTransaction(innerOf(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return reported(this.inner.rollbackTransaction(innerOf(connection)));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(innerOf(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** `work`, with a lost connection rethrown as REGISTRY_UNAVAILABLE; other errors as they are. */
async function reported<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw isConnectionLost(error) && !UnavailableError.isInstance(error) ? registryUnreachable(error) : error;
  }
}

/** A driver's connection whose failed queries say a lost connection as the registry does. */
class ReportedConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return reported(this.inner.executeQuery<R>(query));
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/** The driver's own connection, which its transaction and release calls expect. */
function innerOf(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof ReportedConnection ? connection.inner : connection;
}
