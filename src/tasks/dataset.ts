// Examples from JSONL or CSV files, with errors that name the file and line; seeded splits of one
// file; duplicate detection; and the numbers `dataset stats` prints. Files must be UTF-8 (a BOM and
// CRLF line endings are accepted, blank lines skipped); nothing is silently replaced. Nothing here
// calls a model.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { DatasetError, NotFoundError, parseJsonText, ValidationError } from '../errors/index.js';
import { seededRandom } from '../engine/index.js';

/** One example: its input fields and target, where it came from, and a content id. */
export interface Example {
  /** Position in its split (0-based). */
  index: number;
  /** 1-based line in the source file (CSV: the line where the record ends). */
  line: number;
  fields: Record<string, unknown>;
  target: unknown;
  /** sha256 of the input fields and target: stable across files and orderings. */
  id: string;
}

/** What an example must contain. */
export interface ExampleShape {
  inputFields: string[];
  targetField: string;
  /** Allow examples without a target (prediction-only data). */
  targetOptional?: boolean;
  /** Fields that must be text (a string, number or boolean), not an object or array. */
  textFields?: string[];
}

/** An example's id: a hash of its input fields and target, stable across files and orderings. */
export function exampleId(fields: Record<string, unknown>, target: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([fields, target]))
    .digest('hex')
    .slice(0, 16);
}

/** Decodes UTF-8 bytes (a leading BOM dropped), or gives the 1-based line of the first invalid bytes. */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { invalidLine: number } {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    return { text: decoder.decode(bytes) };
  } catch {
    // newline bytes never occur inside a multi-byte sequence, so lines can be checked one by one
    let line = 1;
    for (let start = 0, i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue;
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return { invalidLine: line };
      }
      line++;
      start = i + 1;
    }
    return { invalidLine: line };
  }
}

/** The records of a JSONL text: one JSON value per non-blank line, CRLF or LF. */
function jsonlRecords(text: string, path: string): { line: number; value: unknown }[] {
  const records: { line: number; value: unknown }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      records.push({
        line: i + 1,
        value: parseJsonText(
          raw,
          {
            where: `${path}:${i + 1}`,
            code: 'DATASET_SYNTAX',
            hint: 'Each line of a .jsonl file must be one JSON object of text, with no lone surrogate escape (\\ud800 alone).',
          },
          { wellFormed: true },
        ),
      });
    } catch (error) {
      if (!ValidationError.isInstance(error)) throw error;
      throw new DatasetError(error.message, { code: error.code, hint: error.hint });
    }
  });
  return records;
}

/** The records of a CSV text with a header row naming the columns. */
function csvRecords(text: string, path: string): { line: number; value: unknown }[] {
  try {
    const rows = parseCsv(text, { columns: true, skip_empty_lines: true, info: true, bom: true }) as {
      record: Record<string, string>;
      info: { lines: number };
    }[];
    return rows.map((row) => ({ line: row.info.lines, value: row.record }));
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new DatasetError(`${path}${line ? `:${line}` : ''}: ${(error as Error).message}`, {
      code: 'DATASET_SYNTAX',
      hint: 'Fix the CSV at that line (a header row names the columns; quote values that contain commas).',
    });
  }
}

/** What a value is, for messages: "an object", "an array", "a number". */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Reads a .jsonl or .csv file into examples, checking each record has the fields the task needs. */
export function readExamples(path: string, shape: ExampleShape): Example[] {
  if (!existsSync(path)) {
    throw new NotFoundError(`dataset ${path} does not exist`, {
      code: 'DATASET_NOT_FOUND',
      hint: 'Check the path in the task spec (relative to the spec file).',
    });
  }
  if (statSync(path).isDirectory()) {
    // a task folder: name the split files it holds
    const splits = readdirSync(path).filter((name) => /\.(jsonl|csv)$/.test(name));
    throw new DatasetError(`dataset ${path} is a folder, not a file`, {
      code: 'DATASET_NOT_FOUND',
      hint: splits.length
        ? `Name one of its files: ${splits.map((name) => join(path, name)).join(', ')}.`
        : 'Name a .jsonl or .csv file of examples.',
    });
  }
  return parseExamples(readFileSync(path), path, shape);
}

/**
 * Examples from a dataset file's bytes (CSV when `path` ends in .csv, else JSONL), as readExamples
 * reads them; `path` names the data in errors (a registry bundle's dataset, say).
 */
export function parseExamples(bytes: Uint8Array, path: string, shape: ExampleShape): Example[] {
  const decoded = decodeUtf8(bytes);
  if ('invalidLine' in decoded)
    throw new DatasetError(`${path}:${decoded.invalidLine}: the line is not valid UTF-8`, {
      code: 'DATASET_ENCODING',
      hint: 'Save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 in > out), or fix the bytes on that line.',
    });
  const { text } = decoded;
  const records = path.endsWith('.csv') ? csvRecords(text, path) : jsonlRecords(text, path);
  if (records.length === 0) {
    throw new DatasetError(`${path} has no examples`, {
      code: 'DATASET_EMPTY',
      hint: 'Add at least one example.',
    });
  }
  const textFields = new Set(shape.textFields);
  return records.map(({ line, value }, index) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DatasetError(`${path}:${line}: expected an object, found ${describeType(value)}`, {
        code: 'DATASET_RECORD',
        hint: 'Each example is an object with the input fields and the target.',
      });
    }
    const record = value as Record<string, unknown>;
    const fields: Record<string, unknown> = {};
    for (const field of shape.inputFields) {
      if (!Object.hasOwn(record, field) || record[field] === undefined || record[field] === null) {
        // a CSV's first line is its header: without one, its first example named the columns
        const columns = Object.keys(record);
        throw new DatasetError(`${path}:${line}: missing field "${field}"`, {
          code: 'DATASET_MISSING_FIELD',
          hint: `Every example needs the input fields ${shape.inputFields.join(', ')} and the target "${shape.targetField}".${
            path.endsWith('.csv')
              ? ` The first line of a .csv file is its header, naming the columns (here: ${columns.map((column) => JSON.stringify(column)).join(', ')}): begin the file with ${[...shape.inputFields, shape.targetField].join(',')}, or name the columns it has (--input-field, --target-field, or the spec's data fields).`
              : ''
          }`,
        });
      }
      fields[field] = record[field];
    }
    const target = Object.hasOwn(record, shape.targetField) ? record[shape.targetField] : undefined;
    if (!shape.targetOptional && (target === undefined || target === null || target === '')) {
      throw new DatasetError(`${path}:${line}: missing or empty target "${shape.targetField}"`, {
        code: 'DATASET_MISSING_FIELD',
        hint: 'Every example needs a non-empty target, or name the column that holds it: data.targetField in the task spec (soft train and train-multitask: --target-field).',
      });
    }
    for (const field of textFields) {
      const found = field === shape.targetField ? target : fields[field];
      if (found !== undefined && found !== null && typeof found === 'object') {
        throw new DatasetError(
          `${path}:${line}: field "${field}" is ${describeType(found)}, expected text (a string, number or boolean)`,
          {
            code: 'DATASET_FIELD_TYPE',
            hint: `Write "${field}" as a string in every example (JSON-encode structured values first).`,
          },
        );
      }
    }
    return { index, line, fields, target, id: exampleId(fields, target) };
  });
}

/** Splits examples by ratios with a seeded shuffle (reproducible); ratios are normalized. */
export function seededSplit(
  examples: Example[],
  ratios: { train: number; dev: number; test: number },
  seed: number,
): Record<'train' | 'dev' | 'test', Example[]> {
  const order = examples.map((_, i) => i);
  const random = seededRandom(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const total = ratios.train + ratios.dev + ratios.test;
  const trainEnd = Math.round((ratios.train / total) * examples.length);
  const devEnd = trainEnd + Math.round((ratios.dev / total) * examples.length);
  const pick = (from: number, to: number) =>
    order.slice(from, to).map((i, index) => ({ ...examples[i], index }));
  return { train: pick(0, trainEnd), dev: pick(trainEnd, devEnd), test: pick(devEnd, examples.length) };
}

/** Groups of examples whose input fields are identical (targets may differ: conflicts are flagged). */
export function findDuplicates(examples: Example[]): { lines: number[]; conflicting: boolean }[] {
  const groups = new Map<string, Example[]>();
  for (const example of examples) {
    const key = JSON.stringify(example.fields);
    groups.set(key, [...(groups.get(key) ?? []), example]);
  }
  return [...groups.values()]
    .filter((group) => group.length > 1)
    .map((group) => ({
      lines: group.map((example) => example.line),
      conflicting: new Set(group.map((example) => JSON.stringify(example.target))).size > 1,
    }));
}

/** Summary numbers of a set of examples. */
export interface DatasetStats {
  size: number;
  labels: Record<string, number> | undefined;
  inputCharacters: { min: number; mean: number; max: number };
  inputWords: { min: number; mean: number; max: number };
  targetCharacters: { min: number; mean: number; max: number };
  duplicates: number;
  conflictingDuplicates: number;
}

function summary(values: number[]) {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return { min: Math.min(...values), mean: Math.round(mean * 10) / 10, max: Math.max(...values) };
}

/** Sizes, label distribution (when targets are few distinct strings), lengths and duplicates. */
export function datasetStats(examples: Example[]): DatasetStats {
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  const inputs = examples.map((example) => Object.values(example.fields).map(text).join(' '));
  const targets = examples.map((example) => text(example.target ?? ''));
  const distinct = new Set(targets);
  const labels =
    distinct.size <= Math.max(20, examples.length / 10)
      ? Object.fromEntries(
          [...distinct].sort().map((label) => [label, targets.filter((target) => target === label).length]),
        )
      : undefined;
  const duplicates = findDuplicates(examples);
  return {
    size: examples.length,
    labels,
    inputCharacters: summary(inputs.map((input) => input.length)),
    inputWords: summary(inputs.map((input) => input.split(/\s+/).filter(Boolean).length)),
    targetCharacters: summary(targets.map((target) => target.length)),
    duplicates: duplicates.reduce((sum, group) => sum + group.lines.length - 1, 0),
    conflictingDuplicates: duplicates.filter((group) => group.conflicting).length,
  };
}
