// Reading a configuration file written in YAML (or JSON, which YAML reads) through a schema: a missing
// file, text that is not UTF-8, a syntax error (with its line and column), a document that cannot be
// built (an alias bomb, brackets nested past the depth JSON readers allow) and a value of the wrong
// shape are each a coded error.
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import {
  decodeText,
  jsonDepth,
  maximumJsonDepth,
  parseInput,
  readInputFile,
  type InputSource,
} from './parse-input.js';
import { ValidationError } from './validation-error.js';

/** Reads a YAML or JSON file through `schema`; see readJsonFile for the missing file's error. */
export function readYamlFile<Schema extends z.ZodType>(
  path: string,
  schema: Schema,
  source: InputSource & { notFoundCode?: string; notFoundHint?: string },
): z.output<Schema> {
  const text = decodeText(readInputFile(path, source), source);
  // the parser's own memory runs out on thousands of nested brackets before it can refuse them
  if (jsonDepth(text) > maximumJsonDepth)
    throw new (source.kind ?? ValidationError)(`${source.where} nests too deeply to read`, {
      code: source.code,
      hint: source.hint,
    });
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter, uniqueKeys: true });
  const invalid = (message: string, cause?: unknown) =>
    new (source.kind ?? ValidationError)(message, { code: source.code, hint: source.hint, cause });
  if (document.errors.length > 0) {
    const error = document.errors[0];
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw invalid(`${source.where}:${line}:${col}: ${error.message.split('\n')[0]}`, error);
  }
  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    throw invalid(`${source.where}: the YAML cannot be read: ${(error as Error).message}`, error);
  }
  return parseInput(schema, value, source);
}
