// Sampled requests and responses the service served, kept in the registry for later review and for
// building datasets from real traffic. Writes are single inserts (each one committed or absent).
import type { Kysely } from 'kysely';
import type { RegistryWrite } from './access-keys.js';
import type { RegistryDatabase } from './schema.js';

/** One logged request. */
export interface LoggedRequest {
  id: number;
  task: string;
  version: string;
  keyId: string | null;
  request: unknown;
  response: string;
  latencyMs: number;
  at: string;
}

/** The request log in one registry database. */
export class RequestLog {
  constructor(
    private readonly database: Kysely<RegistryDatabase>,
    private readonly write: RegistryWrite,
  ) {}

  async add(entry: Omit<LoggedRequest, 'id' | 'at'>): Promise<void> {
    await this.write((transaction) =>
      transaction
        .insertInto('request_logs')
        .values({
          task: entry.task,
          version: entry.version,
          key_id: entry.keyId,
          request: JSON.stringify(entry.request),
          response: entry.response,
          latency_ms: Math.round(entry.latencyMs),
          at: new Date().toISOString(),
        })
        .execute(),
    );
  }

  /** The newest `limit` entries of a task, newest first. */
  async list(task: string, limit = 100): Promise<LoggedRequest[]> {
    const rows = await this.database
      .selectFrom('request_logs')
      .selectAll()
      .where('task', '=', task)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: Number(row.id),
      task: row.task,
      version: row.version,
      keyId: row.key_id,
      request: JSON.parse(row.request),
      response: row.response,
      latencyMs: row.latency_ms,
      at: row.at,
    }));
  }
}
