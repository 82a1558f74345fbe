// An append-only file of JSON lines read back through a zod schema: the journals of runs that resume
// after a kill. Each line is appended by one write, so a kill leaves at most a cut last line (no newline
// after it): it is ignored, and cut from the file before the next append (reading changes nothing). Any
// other line that is not JSON of the schema's shape is a coded error, never skipped: a journal that
// silently lost lines would break what it guards (finished results, money spent).
import { appendFileSync, existsSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { parseInput, parseJsonText, ValidationError, withEnvironmentErrors } from '../errors/index.js';
import { makeDirectory } from '../engine/index.js';

/** How a file's lines are described in errors: `what` names the kind of file ("evaluation journal"). */
export interface JsonLinesSource {
  what: string;
  code: string;
  hint: string;
}

/** The lines of one append-only JSON-lines file, and appending to it. */
export class JsonLinesFile<T> {
  /** The complete lines read when the file was opened, in order. */
  readonly lines: T[] = [];
  /** Set when the file ends in a cut line: the length without it, restored before the next append. */
  private completeLength: number | undefined;
  private exists: boolean;

  constructor(
    readonly path: string,
    schema: z.ZodType<T>,
    readonly source: JsonLinesSource,
  ) {
    this.exists = existsSync(path);
    if (!this.exists) return;
    const bytes = readFileSync(path);
    const end = bytes.lastIndexOf(0x0a) + 1; // after the last newline: what follows was cut by a kill
    const lines = bytes.subarray(0, end).toString('utf8').split('\n').slice(0, -1);
    lines.forEach((text, i) => {
      const where = `${source.what} ${path} line ${i + 1}`;
      const reported = { where, code: source.code, hint: source.hint };
      this.lines.push(parseInput(schema, parseJsonText(text, reported), reported));
    });
    if (end < bytes.length) this.completeLength = end;
  }

  /** An error about this file's content (a line that contradicts another), with the file's code and hint. */
  corrupt(message: string): ValidationError {
    return new ValidationError(`${this.source.what} ${this.path}: ${message}`, {
      code: this.source.code,
      hint: this.source.hint,
    });
  }

  /** Appends one line, in one write; a folder it cannot make or a file it cannot write is coded. */
  append(line: T): void {
    withEnvironmentErrors(() => {
      if (!this.exists) {
        makeDirectory(dirname(this.path));
        this.exists = true;
      }
      if (this.completeLength !== undefined) {
        truncateSync(this.path, this.completeLength);
        this.completeLength = undefined;
      }
      appendFileSync(this.path, JSON.stringify(line) + '\n');
    });
  }

  /** Deletes the file (the run it journals is complete). */
  remove(): void {
    rmSync(this.path, { force: true });
    this.exists = false;
  }
}
