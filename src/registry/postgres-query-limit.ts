// A time limit on each query of the registry's Postgres pool. A database that stops answering without
// refusing (a network partition, a failover behind an address that now drops packets) leaves a query on
// an open connection waiting until TCP gives up, a quarter of an hour later, holding one of the pool's
// connections all the while. node-postgres's own query_timeout rejects the query but keeps the
// connection, whose late answer then blocks every query after it; here the connection is ended instead,
// so the query fails as a lost connection (waited out or answered 503 like any other), the pool drops
// the client, and the next query opens another.
import type pg from 'pg';

/** A query's limit by default: far above any query the registry makes on a database that answers. */
export const defaultQueryLimitMs = 60_000;

/** The lost-connection error of a query past its limit (its ETIMEDOUT code is what classifies it). */
export function queryLimitError(limitMs: number): Error {
  return Object.assign(
    new Error(
      `the registry's database did not answer a query within ${limitMs} ms: its connection was closed, and the next query opens another`,
    ),
    { code: 'ETIMEDOUT' },
  );
}

/**
 * Limits each promised query of `client` to what `limitMs()` says when it starts (undefined: no limit,
 * as while the schema migrates, which may rewrite a large table): past it, the client's socket is
 * destroyed, which fails the query with queryLimitError and leaves the client unqueryable.
 */
export function limitQueries(client: pg.PoolClient, limitMs: () => number | undefined): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    const result = query(...args);
    const limit = limitMs();
    if (limit === undefined || !(result instanceof Promise)) return result;
    // a pool client is a pg.Client, whose connection's socket the types of PoolClient do not show
    const socket = () => (client as unknown as pg.Client).connection.stream;
    const timer = setTimeout(() => socket().destroy(queryLimitError(limit)), limit);
    const clear = () => clearTimeout(timer);
    result.then(clear, clear);
    return result;
  }) as typeof client.query;
}
