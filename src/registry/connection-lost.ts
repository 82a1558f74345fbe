// Connection failures of the registry's database (Postgres restarting or failing over, a connection
// closed by the server, a network path or name lookup briefly gone): brief, not broken, and the next
// query reconnects. The service answers them as 503 and a job worker waits them out, neither as the
// failure of what it was doing.
import { PromptuneError, UnavailableError } from '../errors/index.js';

const connectionCodes = new Set([
  // the socket: refused, reset, timed out, no route, a name lookup that may succeed on retry
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  // Postgres: shutting down, starting up, too many connections (a failover's reconnect storm)
  '57P01',
  '57P02',
  '57P03',
  '53300',
  // Postgres connection exceptions (SQLSTATE class 08)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

// node-postgres's own messages for a lost connection, which carry no code
const connectionMessages = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
];

/**
 * Whether `error` is the registry's database unreachable for now (not a query it refused): the driver's
 * own error, or a registry's query failing with it (REGISTRY_UNAVAILABLE, the driver's error its cause).
 */
export function isConnectionLost(error: unknown): boolean {
  if (PromptuneError.isInstance(error)) return isRegistryUnreachable(error);
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  return (
    (typeof code === 'string' && connectionCodes.has(code)) ||
    (code === undefined && connectionMessages.some((pattern) => pattern.test(message)))
  );
}

/** Whether `error` is a registry query's lost connection as registryUnreachable reports it. */
export function isRegistryUnreachable(error: unknown): error is UnavailableError {
  return (
    UnavailableError.isInstance(error) &&
    error.code === 'REGISTRY_UNAVAILABLE' &&
    isConnectionLost(error.cause)
  );
}

/**
 * A registry query's lost connection as the registry reports it: coded, with a hint, the driver's error
 * (a bare `connect ECONNREFUSED 127.0.0.1:5432` to a library user) its cause and in its message.
 */
export function registryUnreachable(error: unknown): UnavailableError {
  const why = error instanceof Error ? error.message : String(error);
  return new UnavailableError(`the registry's database is unreachable for now (${why})`, {
    code: 'REGISTRY_UNAVAILABLE',
    hint: 'Retry shortly: the next query reconnects (whenReachable from promptune/registry waits it out).',
    cause: error,
  });
}

/** Between tries while the registry's database is unreachable: growing to 15 s. */
const reachableRetryMs = (tries: number) => Math.min(15_000, 500 * 2 ** tries);

/** Who is told of a lost registry connection: once as it is lost, once as it answers again. */
export interface OutageListener {
  lost: (error: unknown) => void;
  back: () => void;
}

/**
 * `work`'s value once the registry's database answers: a lost connection is waited out (told to
 * `outage` once as it is lost and once as it answers again), any other error thrown.
 */
export async function whenReachable<T>(work: () => Promise<T>, outage?: OutageListener): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      const value = await work();
      if (tries > 0) outage?.back();
      return value;
    } catch (error) {
      if (!isConnectionLost(error)) throw error;
      if (tries === 0) outage?.lost(error);
      await new Promise((resolve) => setTimeout(resolve, reachableRetryMs(tries)));
    }
  }
}
