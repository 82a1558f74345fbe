// The journal of a running evaluation: one JSON line per finished (example, repeat), appended as it
// finishes, so a killed run resumes without redoing those. Removed when the run completes.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/** Finished results by key, backed by an append-only file. */
export class Journal<T> {
  private readonly entries = new Map<string, T>();

  constructor(readonly path: string) {
    if (existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const { key, value } = JSON.parse(line) as { key: string; value: T };
          this.entries.set(key, value);
        } catch {
          // a line cut by a kill mid-write: that result is simply redone
        }
      }
    } else mkdirSync(dirname(path), { recursive: true });
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  add(key: string, value: T): void {
    this.entries.set(key, value);
    appendFileSync(this.path, JSON.stringify({ key, value }) + '\n');
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
