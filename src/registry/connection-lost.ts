// Connection failures of the registry's database (Postgres restarting or failing over, a connection
// closed by the server): brief, not broken, and the next query reconnects. The service answers them as
// 503 and a job worker waits them out, neither as the failure of what it was doing.
import { PromptuneError } from '../errors/index.js';

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  '57P01',
  '57P02',
  '57P03',
  '08006',
  '08001',
  '08003',
]);

/** Whether `error` is the registry's database unreachable for now (not a query it refused). */
export function isConnectionLost(error: unknown): boolean {
  if (PromptuneError.isInstance(error)) return false;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  return (
    (typeof code === 'string' && connectionCodes.has(code)) ||
    (code === undefined && /^Connection terminated/.test(message))
  );
}
