// The engine worker's adapter folders on disk stay within their bound: the least recently used go
// first, never one a worker holds loaded, and folders a dead worker left half written go after an hour.
import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adapterFoldersKept, pruneAdapterFolders, touchAdapterFolder } from './adapter-folders.js';

describe('adapter folders on disk', () => {
  it('removes the least recently used past the bound, never one in use, and abandoned partial writes', () => {
    const directory = mkdtempSync(join(tmpdir(), 'pt-adapter-folders-'));
    const now = Date.now();
    const make = (name: string, minutesAgo: number) => {
      const folder = join(directory, name);
      mkdirSync(folder);
      writeFileSync(join(folder, 'adapter_config.json'), '{}');
      const at = new Date(now - minutesAgo * 60_000);
      utimesSync(folder, at, at);
    };
    for (const [name, minutesAgo] of [
      ['oldest', 50],
      ['old', 40],
      ['loaded', 60], // oldest of all, but a worker holds it
      ['recent', 10],
      ['newest', 1],
      ['dead.1.2.tmp', 120],
      ['writing.3.4.tmp', 5],
    ] as const)
      make(name, minutesAgo);
    writeFileSync(join(directory, 'not-a-folder'), '');
    touchAdapterFolder(join(directory, 'old')); // used just now
    expect(pruneAdapterFolders(directory, 3, new Set(['loaded']), now + 1000)).toBe(2);
    expect(readdirSync(directory).sort()).toEqual([
      'loaded',
      'newest',
      'not-a-folder',
      'old',
      'writing.3.4.tmp',
    ]);
    expect(pruneAdapterFolders(directory, 3, new Set(['loaded']), now + 1000)).toBe(0);
    expect([adapterFoldersKept(64), adapterFoldersKept(100)]).toEqual([256, 400]);
  });
});
