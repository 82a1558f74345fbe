// The engine worker's adapter folders on disk (one per version key, written the first time the service
// sends its files): the least recently used are removed past a bound, so a service that has served
// thousands of versions does not keep every one's files for good. A folder removed under another
// worker (several services may share the folder) is sent again on its next request (engine-client.ts).
import { readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

/** Adapter folders kept on disk for a worker keeping `maxAdapters` loaded: four times as many, at least 256. */
export function adapterFoldersKept(maxAdapters: number): number {
  return Math.max(256, 4 * maxAdapters);
}

/** Marks a folder as just used (its modification time is what pruning orders by). */
export function touchAdapterFolder(folder: string): void {
  const now = new Date();
  try {
    utimesSync(folder, now, now);
  } catch {
    // removed meanwhile: loading it says so
  }
}

/** A folder being written is left alone this long; one older was left by a worker that died writing it. */
const abandonedAfterMs = 3_600_000;

/**
 * Removes the least recently used adapter folders of `directory` past `kept`, never one of `inUse`, and
 * folders a worker died writing (`*.tmp`, an hour old); anything not a folder is left alone. Returns how
 * many adapter folders it removed.
 */
export function pruneAdapterFolders(
  directory: string,
  kept: number,
  inUse: ReadonlySet<string>,
  now = Date.now(),
): number {
  const folders: { name: string; used: number }[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (!entry.isDirectory() || inUse.has(entry.name)) continue;
    try {
      const used = statSync(join(directory, entry.name)).mtimeMs;
      if (!entry.name.endsWith('.tmp')) folders.push({ name: entry.name, used });
      else if (now - used > abandonedAfterMs)
        rmSync(join(directory, entry.name), { recursive: true, force: true });
    } catch {
      // removed meanwhile
    }
  }
  const excess = folders.length + inUse.size - kept;
  if (excess <= 0) return 0;
  folders.sort((a, b) => a.used - b.used);
  let removed = 0;
  for (const { name } of folders.slice(0, excess))
    try {
      rmSync(join(directory, name), { recursive: true, force: true });
      removed++;
    } catch {
      // another user's folder in a shared temporary folder: the others are still removed
    }
  return removed;
}
