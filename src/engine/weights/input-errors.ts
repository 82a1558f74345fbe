// Model and tokenizer files read through the shared schema readers (src/errors/parse-input.ts), with
// their failures reported as the loader's own kind of error (WeightLoadError, TokenizerError) and the
// same message, code and hint. It adds no checks of its own; each reader passes its schema.
import type { z } from 'zod';
import {
  parseInput,
  parseJsonText,
  ValidationError,
  type InputSource,
  type PromptuneError,
  type PromptuneErrorOptions,
} from '../../errors/index.js';

/** An error class of promptune's, such as WeightLoadError. */
export type ErrorKind = new (message: string, options: PromptuneErrorOptions) => PromptuneError;

/** Runs `read`; a ValidationError it throws becomes a `kind` error with the same message, code and hint. */
export function reportAs<T>(kind: ErrorKind, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!ValidationError.isInstance(error)) throw error;
    throw new kind(error.message, { code: error.code, hint: error.hint, cause: error.cause });
  }
}

/** Parses `value` with `schema`, or throws a `kind` error naming the source and the fields at fault. */
export function parseAs<Schema extends z.ZodType>(
  kind: ErrorKind,
  schema: Schema,
  value: unknown,
  source: InputSource,
): z.output<Schema> {
  return reportAs(kind, () => parseInput(schema, value, source));
}

/** Decodes UTF-8 JSON bytes (refusing invalid UTF-8) and parses them with `schema`, reporting as `kind`. */
export function parseJsonBytesAs<Schema extends z.ZodType>(
  kind: ErrorKind,
  schema: Schema,
  bytes: Uint8Array,
  source: InputSource,
): z.output<Schema> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new kind(`${source.where} is not valid UTF-8 text`, {
      code: source.code,
      hint: source.hint,
      cause: error,
    });
  }
  return reportAs(kind, () => parseInput(schema, parseJsonText(text, source), source));
}
