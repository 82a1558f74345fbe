// Reading anything from outside the process through a zod schema: a value (an HTTP body, a parsed
// file) or a JSON file. Failures become ValidationErrors that name the source and the field path
// ("adapter_config.json: field num_virtual_tokens: expected number"), never a raw stack trace.
// It does not decide codes or hints: each reader passes its own.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { NotFoundError } from './not-found-error.js';
import { ValidationError } from './validation-error.js';

/** Where a value came from and how to report it when it does not fit. */
export interface InputSource {
  /** Names the source in messages, e.g. `adapter config /models/x/adapter_config.json`. */
  where: string;
  /** The error code for a value that does not fit the schema (or a file that is not JSON). */
  code: string;
  hint: string;
}

/** The first few issues of a failed parse, each as `field a.b.0: message`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], limit = 3): string {
  const described = issues.slice(0, limit).map((issue) => {
    const field = issue.path.map(String).join('.');
    return field ? `field ${field}: ${issue.message}` : issue.message;
  });
  const more = issues.length > limit ? `; and ${issues.length - limit} more` : '';
  return described.join('; ') + more;
}

/** Parses `value` with `schema`, or throws a ValidationError naming the source and the fields at fault. */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  source: InputSource,
): z.output<Schema> {
  let parsed: ReturnType<Schema['safeParse']>;
  try {
    parsed = schema.safeParse(value) as ReturnType<Schema['safeParse']>;
  } catch (error) {
    // a value nested deeper than the stack allows (hostile JSON) is bad input, not a crash
    if (error instanceof RangeError) throw tooDeep(source, error);
    throw error;
  }
  if (parsed.success) return parsed.data as z.output<Schema>;
  throw new ValidationError(`${source.where}: ${describeIssues(parsed.error.issues)}`, {
    code: source.code,
    hint: source.hint,
  });
}

/** How deeply JSON from outside may nest (objects and arrays): far beyond any file or body promptune reads. */
export const maximumJsonDepth = 128;

/**
 * Parses JSON text, or throws a ValidationError naming the source (and the position JSON.parse gives).
 * Text nested deeper than `maximumJsonDepth` is refused before parsing: V8 parses it, but every
 * recursive walk after (schemas, logs, hashes) would overflow the stack.
 */
export function parseJsonText(text: string, source: InputSource): unknown {
  if (jsonDepth(text) > maximumJsonDepth)
    throw new ValidationError(`${source.where} nests more than ${maximumJsonDepth} levels deep`, {
      code: source.code,
      hint: source.hint,
    });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`${source.where} is not valid JSON: ${(error as Error).message}`, {
      code: source.code,
      hint: source.hint,
    });
  }
}

/** The deepest nesting of brackets and braces outside strings (a scan, no recursion). */
function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 92)
        i++; // backslash: skip the escaped character
      else if (code === 34) inString = false;
    } else if (code === 34) inString = true;
    else if (code === 91 || code === 123) deepest = Math.max(deepest, ++depth);
    else if (code === 93 || code === 125) depth--;
  }
  return deepest;
}

/**
 * Reads a JSON file through `schema`. A missing file is a NotFoundError (`notFoundCode`, default
 * FILE_NOT_FOUND); a file that is not JSON, or not of the schema's shape, is a ValidationError with
 * the source's code.
 */
export function readJsonFile<Schema extends z.ZodType>(
  path: string,
  schema: Schema,
  source: InputSource & { notFoundCode?: string; notFoundHint?: string },
): z.output<Schema> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new NotFoundError(`${source.where} does not exist`, {
        code: source.notFoundCode ?? 'FILE_NOT_FOUND',
        hint: source.notFoundHint ?? source.hint,
      });
    throw new ValidationError(`${source.where} cannot be read: ${(error as Error).message}`, {
      code: source.code,
      hint: source.hint,
      cause: error,
    });
  }
  return parseInput(schema, parseJsonText(text, source), source);
}

function tooDeep(source: InputSource, cause: RangeError): ValidationError {
  return new ValidationError(`${source.where} nests too deeply to read`, {
    code: source.code,
    hint: source.hint,
    cause,
  });
}
