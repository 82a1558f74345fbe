// A content-addressed cache of model responses in SQLite (better-sqlite3): the key hashes provider,
// model, parameters, the rendered prompt and the seed, so re-running an evaluation makes no calls.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** What is stored for one call. */
export interface CachedResponse {
  text: string;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
}

/** The hash that names one request. */
export function requestKey(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/** Responses by request key, in one SQLite file. */
export class ResponseCache {
  private readonly database: Database.Database;
  private readonly select: Database.Statement;
  private readonly insert: Database.Statement;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.database = new Database(path);
    this.database.pragma('journal_mode = WAL');
    this.database.exec(
      'CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, created_at TEXT NOT NULL)',
    );
    this.select = this.database.prepare('SELECT value FROM responses WHERE key = ?');
    this.insert = this.database.prepare(
      'INSERT OR REPLACE INTO responses (key, value, created_at) VALUES (?, ?, ?)',
    );
  }

  get(key: string): CachedResponse | undefined {
    const row = this.select.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as CachedResponse) : undefined;
  }

  put(key: string, response: CachedResponse): void {
    this.insert.run(key, JSON.stringify(response), new Date().toISOString());
  }

  close(): void {
    this.database.close();
  }
}
