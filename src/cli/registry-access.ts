// Opening the registry from a command (SQLite at --db, or Postgres when DATABASE_URL is set) as the
// local operator. Shared by `registry`, `optimize --push` and `soft train --push`.
import { userInfo } from 'node:os';
import { Registry, type Actor } from '../registry/index.js';

/** Runs `work` with the registry open, acting with read and run scopes (plus admin with `admin`). */
export async function withRegistry<T>(
  args: { db: string; admin?: boolean },
  work: (registry: Registry, actor: Actor) => Promise<T>,
): Promise<T> {
  const registry = await Registry.open(
    process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { path: args.db },
  );
  const actor: Actor = {
    name: userInfo().username || 'cli',
    scopes: ['read', 'run', ...(args.admin ? ['admin'] : [])],
  };
  try {
    return await work(registry, actor);
  } finally {
    await registry.close();
  }
}
