// Notices of changes that served requests depend on (a label moved, an experiment's split changed, a
// key revoked), so every replica on one Postgres serves them within moments instead of when its cache
// expires: each such write sends a NOTIFY in its own transaction (delivered only if it commits), and a
// service LISTENs on a connection of its own. SQLite registries send none (one machine; caches expire).
import type pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Dialect } from './migrations.js';

/** The channel the notices are sent on. */
export const changeChannel = 'promptune_changes';

const registryChange = z.object({
  kind: z.enum(['label', 'experiment', 'key']),
  task: z.string().optional(),
});

/** What changed: a task's label or experiment (what its names resolve to), or a key. */
export type RegistryChange = z.infer<typeof registryChange>;

/** Sends a notice within `database`'s transaction (Postgres only; nothing on SQLite). */
export async function notifyChange(
  database: Kysely<unknown>,
  dialect: Dialect,
  change: RegistryChange,
): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`select pg_notify(${changeChannel}, ${JSON.stringify(change)})`.execute(database);
}

/** A listener on the change channel; `close` ends it. */
export interface ChangeListener {
  /** True while the listening connection is up (notices may be missed otherwise). */
  readonly connected: boolean;
  close(): Promise<void>;
}

/**
 * Listens for notices on the Postgres at `url`: `onChange` hears each one, `onGap` hears that notices
 * may have been missed (the connection dropped; it is opened again after `retryMs`), so a listener
 * should forget what it cached.
 */
export async function listenForChanges(
  url: string,
  handlers: {
    onChange: (change: RegistryChange) => void;
    onGap: () => void;
    onError?: (error: unknown) => void;
  },
  timing: {
    /** Between tries to open the connection again (default 1 s). */
    retryMs?: number;
    /** Between pings of the listening connection (default 10 s). */
    pingMs?: number;
    /** How long a ping may go unanswered before the connection counts as lost (default 5 s). */
    pingLimitMs?: number;
  } = {},
): Promise<ChangeListener> {
  const { retryMs = 1000, pingMs = 10_000, pingLimitMs = 5000 } = timing;
  const { default: postgres } = await import('pg'); // loaded where a Postgres registry is listened to
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const state = { connected: false };
  const connect = async () => {
    // keepalive and a ping: a connection dropped without a word must not pass for a listening one
    // (a connection that is not answered in 15 s is tried again, as the registry's pool does)
    const next = new postgres.Client({
      connectionString: url,
      keepAlive: true,
      connectionTimeoutMillis: 15_000,
    });
    next.on('notification', (message) => {
      if (message.channel !== changeChannel || !message.payload) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(message.payload);
      } catch {
        return; // not ours
      }
      const change = registryChange.safeParse(parsed);
      if (change.success) handlers.onChange(change.data);
    });
    next.on('error', (error) => {
      handlers.onError?.(error);
      lost(next);
    });
    next.on('end', () => lost(next));
    await next.connect();
    await next.query(`listen ${changeChannel}`);
    if (closed) return void (await next.end());
    client = next;
    state.connected = true;
    handlers.onGap(); // whatever changed while no connection listened
  };
  // a ping unanswered in its limit is a connection lost too: a database behind a dropped route answers
  // nothing and refuses nothing, and notices missed meanwhile would leave caches at their long times
  const ping = setInterval(() => {
    const current = client;
    if (!current) return;
    const give = (error: unknown) => {
      handlers.onError?.(error);
      void current.end().catch(() => undefined);
      lost(current);
    };
    const limit = setTimeout(
      () => give(new Error(`the change listener's ping had no answer within ${pingLimitMs} ms`)),
      pingLimitMs,
    );
    limit.unref();
    current.query('select 1').then(
      () => clearTimeout(limit),
      (error: unknown) => {
        clearTimeout(limit);
        give(error);
      },
    );
  }, pingMs);
  ping.unref();
  const lost = (which: pg.Client) => {
    if (which !== client || closed) return;
    client = undefined;
    state.connected = false;
    handlers.onGap();
    retry();
  };
  const retry = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      connect().catch((error: unknown) => {
        handlers.onError?.(error);
        if (!closed) retry();
      });
    }, retryMs);
    timer.unref();
  };
  await connect();
  return {
    get connected() {
      return state.connected;
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(ping);
      state.connected = false;
      const open = client;
      client = undefined;
      await open?.end().catch(() => undefined);
    },
  };
}
