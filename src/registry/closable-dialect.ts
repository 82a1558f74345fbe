// A dialect whose driver can be closed so that every later query is refused with REGISTRY_CLOSED and a
// hint, rather than Kysely's bare "driver has already been destroyed". Kysely checks its own destroyed
// flag before it reaches the dialect's driver, so a registry closes its database here, at the driver,
// and Kysely's instance stays open to pass each later query down to the refusal.
import type { DatabaseConnection, Dialect, Driver, TransactionSettings } from 'kysely';
import { UnavailableError } from '../errors/index.js';

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
 * Passes each call to `inner` while open; once closed, acquiring a connection is refused. The registry
 * takes no savepoints, so none are passed on (Kysely refuses them on this driver).
 */
class ClosableDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly isClosed: () => boolean,
  ) {}

  init(): Promise<void> {
    return this.isClosed() ? Promise.reject(registryClosedError()) : this.inner.init();
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return this.isClosed() ? Promise.reject(registryClosedError()) : this.inner.acquireConnection();
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
