// The journal of a running evaluation: one JSON line per finished (example, repeat), appended as it
// finishes, so a killed run resumes without redoing those. Read back through the value's schema (a line
// cut by a kill is dropped and redone; any other bad line is a coded error). Removed when the run completes.
import { z } from 'zod';
import { JsonLinesFile } from './json-lines.js';

/** Finished results by key, backed by an append-only file. */
export class Journal<T> {
  private readonly entries = new Map<string, T>();
  private readonly file: JsonLinesFile<{ key: string; value: T }>;

  constructor(path: string, valueSchema: z.ZodType<T>) {
    this.file = new JsonLinesFile(path, z.object({ key: z.string(), value: valueSchema }), {
      what: 'evaluation journal',
      code: 'EVAL_JOURNAL_CORRUPT',
      hint: `Delete ${path} to start this evaluation over (its finished examples are then redone, from the response cache where it has them).`,
    });
    for (const { key, value } of this.file.lines) this.entries.set(key, value);
  }

  get path(): string {
    return this.file.path;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  add(key: string, value: T): void {
    this.entries.set(key, value);
    this.file.append({ key, value });
  }

  remove(): void {
    this.file.remove();
  }
}
