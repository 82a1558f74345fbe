// API keys for the service, kept in the registry's database. A key is `pt_<id>_<secret>`: the id is
// stored in the clear to find the row, the whole key only as its sha256 (keys are 256-bit random, so a
// fast hash is enough), and comparisons are constant-time. Creating and revoking keys is the operator's
// (CLI) job; the service only verifies.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AuthError, NotFoundError, ValidationError } from '../errors/index.js';
import { notifyChange } from './change-notices.js';
import type { Dialect } from './migrations.js';
import type { RegistryDatabase } from './schema.js';

/**
 * What a key may do: read the library, run tasks, review the items of the queues it is assigned to (and
 * nothing else), administer (labels, keys, queues, logs).
 */
export const scopes = ['read', 'run', 'review', 'admin'] as const;
/** One of `scopes`. */
export type Scope = (typeof scopes)[number];

/** A verified key's identity. */
export interface AccessKey {
  id: string;
  name: string;
  scopes: Scope[];
  ratePerMinute: number | null;
}

const hashOf = (key: string) => createHash('sha256').update(key).digest();

/** Runs one write in a transaction of the registry's (retried while the database is busy). */
export type RegistryWrite = <T>(work: (transaction: Kysely<RegistryDatabase>) => Promise<T>) => Promise<T>;

/** The access keys in one registry database. */
export class AccessKeys {
  constructor(
    private readonly database: Kysely<RegistryDatabase>,
    private readonly write: RegistryWrite,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  /** Creates a key and returns it; this is the only time the whole key exists anywhere. */
  async create(input: {
    name: string;
    scopes: string[];
    ratePerMinute?: number;
  }): Promise<{ key: string } & AccessKey> {
    const unknown = input.scopes.filter((scope) => !(scopes as readonly string[]).includes(scope));
    if (unknown.length || input.scopes.length === 0)
      throw new ValidationError(
        `scopes ${JSON.stringify(input.scopes)} are not a list of ${scopes.join(', ')}`,
        {
          code: 'KEY_SCOPES',
          hint: `Give one or more of ${scopes.join(', ')} (promptune keys create --scopes takes them comma-separated).`,
        },
      );
    const id = randomBytes(6).toString('hex');
    const key = `pt_${id}_${randomBytes(32).toString('base64url')}`;
    await this.write((transaction) =>
      transaction
        .insertInto('access_keys')
        .values({
          id,
          name: input.name,
          hash: hashOf(key).toString('hex'),
          scopes: input.scopes.join(','),
          rate_per_minute: input.ratePerMinute ?? null,
          created_at: new Date().toISOString(),
          revoked_at: null,
        })
        .execute(),
    );
    return {
      key,
      id,
      name: input.name,
      scopes: input.scopes as Scope[],
      ratePerMinute: input.ratePerMinute ?? null,
    };
  }

  /** The key's identity; AuthError when it is malformed, unknown, revoked or does not match. */
  async verify(key: string): Promise<AccessKey> {
    const refuse = () =>
      new AuthError('the API key is not valid', {
        code: 'AUTH_INVALID_KEY',
        hint: 'Send Authorization: Bearer <key> with a key from promptune keys create.',
      });
    const match = /^pt_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(key);
    if (!match) throw refuse();
    const row = await this.database
      .selectFrom('access_keys')
      .selectAll()
      .where('id', '=', match[1])
      .executeTakeFirst();
    if (!row) throw refuse();
    const stored = Buffer.from(row.hash, 'hex');
    if (stored.length !== 32 || !timingSafeEqual(stored, hashOf(key))) throw refuse();
    // said only to the key's holder (the hash matched): a guess learns nothing from it
    if (row.revoked_at)
      throw new AuthError(`the API key "${row.name}" was revoked at ${row.revoked_at}`, {
        code: 'AUTH_KEY_REVOKED',
        hint: 'Ask an admin for a new key (promptune keys create).',
      });
    return {
      id: row.id,
      name: row.name,
      scopes: row.scopes.split(',') as Scope[],
      ratePerMinute: row.rate_per_minute,
    };
  }

  /** Revokes a key by id; later requests with it are refused. */
  async revoke(id: string): Promise<void> {
    const [result] = await this.write(async (transaction) => {
      const updated = await transaction
        .updateTable('access_keys')
        .set({ revoked_at: new Date().toISOString() })
        .where('id', '=', id)
        .execute();
      await notifyChange(transaction as Kysely<unknown>, this.dialect, { kind: 'key' });
      return updated;
    });
    if (Number(result.numUpdatedRows) === 0)
      throw new NotFoundError(`there is no key ${id}`, {
        code: 'KEY_NOT_FOUND',
        hint: 'See the key ids with promptune keys ls.',
      });
  }

  async list(): Promise<(AccessKey & { createdAt: string; revoked: boolean })[]> {
    const rows = await this.database.selectFrom('access_keys').selectAll().orderBy('created_at').execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      scopes: row.scopes.split(',') as Scope[],
      ratePerMinute: row.rate_per_minute,
      createdAt: row.created_at,
      revoked: row.revoked_at !== null,
    }));
  }
}
