// Connection failures of the registry's database (Postgres restarting or failing over, a connection
// closed by the server, a network path or name lookup briefly gone): brief, not broken, and the next
// query reconnects. The service answers them as 503 and a job worker waits them out, neither as the
// failure of what it was doing.
import { PromptuneError } from '../errors/index.js';

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

/** Whether `error` is the registry's database unreachable for now (not a query it refused). */
export function isConnectionLost(error: unknown): boolean {
  if (PromptuneError.isInstance(error)) return false;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  return (
    (typeof code === 'string' && connectionCodes.has(code)) ||
    (code === undefined && connectionMessages.some((pattern) => pattern.test(message)))
  );
}
