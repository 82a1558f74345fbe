// compare-methods --held-out <file>: the text whose perplexity, before a method and after it, measures
// what the method made the model forget. Text of the base model's own distribution (what it was trained
// on) says it; a task's test inputs say it only when they are such text (the shared story tasks' are).
// A .txt file's passages are separated by blank lines; a .jsonl file's lines each hold a `text` field.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { DatasetError } from '../errors/index.js';
import type { Tokenizer } from '../engine/index.js';
import type { TokenizedExample } from '../soft/index.js';

/** The held-out passages of a file, and what names them in a measurement's key and on the page. */
export interface HeldOutText {
  name: string;
  /** The file's SHA-256: a measurement of other text is not the same measurement. */
  sha256: string;
  passages: string[];
}

const lineSchema = z.object({ text: z.string() });

/** The passages most files need: enough for a perplexity, few enough to cost seconds a measurement. */
const MAX_PASSAGES = 256;

/** Reads --held-out: passages of at least a few words, at most MAX_PASSAGES of them. */
export function readHeldOutText(path: string): HeldOutText {
  const bad = (what: string, hint: string) =>
    new DatasetError(`--held-out ${path}: ${what}`, { code: 'HELD_OUT_INVALID', hint });
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw bad(
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      'Give a .txt file (passages separated by blank lines) or a .jsonl file of {"text": …} lines.',
    );
  }
  // a binary file (a model, an archive) decodes to noise whose perplexity means nothing
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    decoded = '\u0000';
  }
  if (decoded.includes('\u0000'))
    throw bad(
      'is not text (not UTF-8, or it holds NUL bytes: a binary file?)',
      'Give a .txt file (passages separated by blank lines) or a .jsonl file of {"text": …} lines.',
    );
  const text = decoded.replace(/^\uFEFF/, '');
  const passages = path.endsWith('.jsonl')
    ? text
        .split(/\r?\n/)
        .map((line, index) => ({ line: line.trim(), number: index + 1 }))
        .filter(({ line }) => line.length > 0)
        .map(({ line, number }) => {
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch {
            throw bad(
              `line ${number} is not JSON`,
              'Each line of a .jsonl file is an object such as {"text": "…"}.',
            );
          }
          const parsed = lineSchema.safeParse(value);
          if (!parsed.success)
            throw bad(
              `line ${number} has no "text" string`,
              'Each line of a .jsonl file is an object such as {"text": "…"}.',
            );
          return parsed.data.text.trim();
        })
    : text.split(/\r?\n\s*\r?\n/).map((passage) => passage.trim());
  const kept = passages.filter((passage) => passage.length > 0).slice(0, MAX_PASSAGES);
  if (kept.length === 0)
    throw bad(
      'holds no text',
      'Give passages of text of the base model’s own kind (what it was trained on).',
    );
  return { name: basename(path), sha256: createHash('sha256').update(bytes).digest('hex'), passages: kept };
}

/**
 * The passages as held-out examples for a prompt of `positions` positions: BOS and the first token given,
 * the rest to predict, each cut to what the context holds beside the prompt.
 */
export function heldOutExamples(
  heldOut: HeldOutText,
  tokenizer: Tokenizer,
  contextLength: number,
  positions: number,
): TokenizedExample[] {
  return heldOut.passages
    .map((passage) => tokenizer.encode(passage).slice(0, contextLength - positions))
    .filter((ids) => ids.length > 2)
    .map((ids) => ({ inputIds: ids.slice(0, 2), targetIds: ids.slice(2) }));
}
