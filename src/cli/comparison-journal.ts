// The journal that makes `compare-methods` resumable: each measurement is appended as one JSON line the
// moment it is made, under a key naming everything it depends on (the model's weights and tokenizer, the
// task's three splits, the method's settings, the budget and the training-set size). A rerun takes the
// measurements whose keys it finds instead of training them again; lines of other settings stay as they
// are. It never rewrites a line, and does not lock: two comparisons appending to one file each add whole lines.
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { makeDirectory } from '../engine/index.js';
import { parseInput, parseJsonText, readInputFile, ValidationError } from '../errors/index.js';
import { measurementSchema, type MethodMeasurement } from './method-measurement.js';
import { taskSplit } from './data-folder.js';

/** Measurements kept across runs of compare-methods, by the key of what each measured. */
export interface ComparisonJournal {
  path: string;
  /** The measurement made before under `key`, if any (the latest, when one was measured again). */
  find(key: string): MethodMeasurement | undefined;
  /** Appends a measurement under `key`. */
  add(key: string, measurement: MethodMeasurement): void;
}

/** A cell's key: the SHA-256 of its parts as JSON (objects' keys sorted, so their order does not matter). */
export function measurementKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The SHA-256 of a task's train, dev and test files: a split edited is a task measured again. */
export function taskDataHash(directory: string): string {
  const hash = createHash('sha256');
  for (const split of ['train', 'dev', 'test']) {
    const bytes = readFileSync(taskSplit(directory, split));
    hash.update(`${split} ${bytes.length}\n`).update(bytes);
  }
  return hash.digest('hex');
}

const lineSchema = z.object({ key: z.string().regex(/^[0-9a-f]{64}$/), measurement: measurementSchema });

/**
 * Opens the journal at `path`, making it (and its folder) when missing, so that a path that cannot be
 * written fails now (as Node's error, which the command line words), not after the first measurement's
 * minutes; a folder there is refused. Then reads what it holds: a last line cut off mid-write (a killed
 * process) is dropped with a warning; any other line that does not read is an error naming it, and the
 * file is left as it was.
 */
export function openComparisonJournal(path: string, warn: (message: string) => void): ComparisonJournal {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new ValidationError(`--journal ${path} is a folder`, {
      code: 'PATH_IS_A_FOLDER',
      hint: 'Give a file name for the journal, e.g. .promptune/compare-methods.jsonl.',
    });
  if (path) makeDirectory(dirname(path));
  closeSync(openSync(path, 'a'));
  const found = new Map<string, MethodMeasurement>();
  const source = (where: string) => ({
    where,
    code: 'COMPARE_JOURNAL_INVALID',
    hint: `The journal holds what compare-methods measured. Move ${path} aside, or pass --journal <another file>, to measure again.`,
  });
  const bytes = Buffer.from(readInputFile(path, source(path)));
  const text = bytes.toString('utf8');
  const lines = text.split('\n');
  const torn = !text.endsWith('\n') && text.length > 0;
  // a file edited by hand may end without a newline: the first line appended must not join its last
  let joinsLast = torn;
  lines.forEach((line, index) => {
    if (!line.trim()) return;
    const where = source(`${path}: line ${index + 1}`);
    try {
      const read = parseInput(lineSchema, parseJsonText(line, where), where);
      found.set(read.key, read.measurement as MethodMeasurement);
    } catch (error) {
      if (!(torn && index === lines.length - 1)) throw error;
      // a write the process did not finish: nothing to keep of it, and the next line must start clean
      warn(`${path}: line ${index + 1} was cut off mid-write (a run was killed); dropped`);
      joinsLast = false;
      const handle = openSync(path, 'r+');
      try {
        ftruncateSync(handle, bytes.lastIndexOf(0x0a) + 1);
      } finally {
        closeSync(handle);
      }
    }
  });
  return {
    path,
    find: (key) => found.get(key),
    add(key, measurement) {
      const line = JSON.stringify({ key, measurement });
      appendFileSync(path, (joinsLast ? '\n' : '') + line + '\n');
      joinsLast = false;
      found.set(key, measurement);
    },
  };
}
