// A content-addressed cache of model responses in SQLite (better-sqlite3): the key hashes provider,
// model, parameters, the rendered prompt and the seed, so re-running an evaluation makes no calls.
// Stored values are read back through a schema: a damaged row is a coded error, not a wrong answer.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { z } from 'zod';
import { environmentError, parseInput, parseJsonText, ValidationError } from '../errors/index.js';
import { checkRecordSchema } from '../guard/index.js';
import { makeDirectory } from '../engine/index.js';

const tokens = z.number().int().nonnegative();
const cachedResponseSchema = z.object({
  text: z.string(),
  inputTokens: tokens,
  outputTokens: tokens,
  latencyMs: z.number().nonnegative(),
  /** The guards' verdicts on a guarded call. */
  checks: z.array(checkRecordSchema).optional(),
  /** The provider's content filter withheld the answer (finish reason content-filter). */
  contentFiltered: z.literal(true).optional(),
  /** The provider reported no token counts: the tokens are the call's worst case, as its budget counted it. */
  usageEstimated: z.literal(true).optional(),
});

/** What is stored for one call. */
export type CachedResponse = z.infer<typeof cachedResponseSchema>;

/** The hash that names one request. */
export function requestKey(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/** Responses by request key, in one SQLite file. */
export class ResponseCache {
  private readonly database: Database.Database;
  private readonly select: Database.Statement;
  private readonly insert: Database.Statement;

  constructor(readonly path: string) {
    try {
      if (path !== ':memory:') makeDirectory(dirname(path));
      this.database = new Database(path);
      // a file that is not a database opens, and fails at its first statement
      this.database.pragma('journal_mode = WAL');
      this.database.exec(
        'CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, created_at TEXT NOT NULL)',
      );
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
        throw new ValidationError(
          `response cache ${path} is not a response cache (SQLite): ${(error as Error).message}`,
          {
            code: 'CACHE_CORRUPT',
            hint: `Delete the response cache ${path} (or pass another --cache-file); its responses are then asked again.`,
            cause: error,
          },
        );
      // a file in the way, a folder this user may not write: coded
      throw environmentError(error) ?? error;
    }
    this.select = this.database.prepare('SELECT value FROM responses WHERE key = ?');
    this.insert = this.database.prepare(
      'INSERT OR REPLACE INTO responses (key, value, created_at) VALUES (?, ?, ?)',
    );
  }

  get(key: string): CachedResponse | undefined {
    const row = this.select.get(key) as { value: string } | undefined;
    if (!row) return undefined;
    const source = {
      where: `response cache ${this.path}: response ${key.slice(0, 16)}`,
      code: 'CACHE_CORRUPT',
      hint: `Delete the response cache ${this.path} (or pass another --cache-file); its responses are then asked again.`,
    };
    return parseInput(cachedResponseSchema, parseJsonText(row.value, source), source);
  }

  put(key: string, response: CachedResponse): void {
    this.insert.run(key, JSON.stringify(response), new Date().toISOString());
  }

  close(): void {
    this.database.close();
  }
}
