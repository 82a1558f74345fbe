// Reading anything from outside the process through a zod schema: a value (an HTTP body, a parsed
// file), JSON text or bytes, or a JSON file. Failures become errors that name the source and the field
// path ("adapter_config.json: field num_virtual_tokens: expected number"), never a raw stack trace;
// ValidationError unless the reader names its own kind (WeightLoadError for model files, say).
// It does not decide codes or hints: each reader passes its own.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { nearestName } from './nearest-name.js';
import { NotFoundError } from './not-found-error.js';
import type { PromptuneError, PromptuneErrorOptions } from './promptune-error.js';
import { ValidationError } from './validation-error.js';

/** An error class of promptune's, such as WeightLoadError. */
export type ErrorKind = new (message: string, options: PromptuneErrorOptions) => PromptuneError;

/** Where a value came from and how to report it when it does not fit. */
export interface InputSource {
  /** Names the source in messages, e.g. `adapter config /models/x/adapter_config.json`. */
  where: string;
  /** The error code for a value that does not fit the schema (or a file that is not JSON). */
  code: string;
  hint: string;
  /** The kind of error to throw (default ValidationError). */
  kind?: ErrorKind;
}

/** The error for `source` with `message`. */
function failure(source: InputSource, message: string, cause?: unknown): PromptuneError {
  const Kind = source.kind ?? ValidationError;
  return new Kind(message, { code: source.code, hint: source.hint, cause });
}

/**
 * The first few issues of a failed parse, each as `field a.b.0: message`. A field that is not known
 * beside a missing one it is near (`promt:` where `prompt:` is missing) is one issue, said first:
 * `field promt is not known; did you mean prompt?`, not "prompt: expected object" and an unknown key.
 */
export function describeIssues(given: readonly z.core.$ZodIssue[], limit = 3): string {
  const issues = given.flatMap(withinUnion);
  const pathOf = (issue: z.core.$ZodIssue) => issue.path.map(String);
  const missing = issues.filter(
    (issue) => issue.code === 'invalid_type' && / received undefined$/.test(issue.message),
  );
  const explained = new Set<z.core.$ZodIssue>();
  const misspelt: string[] = [];
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const parent = pathOf(issue).join('.');
    const siblings = missing.filter((candidate) => pathOf(candidate).slice(0, -1).join('.') === parent);
    for (const key of issue.keys) {
      const meant = nearestName(
        key,
        siblings.map((candidate) => String(candidate.path.at(-1))),
      );
      if (!meant) continue;
      const prefix = parent ? `${parent}.` : '';
      misspelt.push(`field ${prefix}${key} is not known; did you mean ${prefix}${meant}?`);
      explained.add(siblings.find((candidate) => String(candidate.path.at(-1)) === meant)!);
      if (issue.keys.every((other) => other === key)) explained.add(issue);
    }
  }
  const rest = issues
    .filter((issue) => !explained.has(issue))
    .map((issue) => {
      const field = pathOf(issue).join('.');
      return field ? `field ${field}: ${issue.message}` : issue.message;
    });
  const all = [...misspelt, ...rest];
  // "and 1 more" would hide a problem in the space it takes to say it
  const shown = all.length === limit + 1 ? all : all.slice(0, limit);
  const more = all.length > shown.length ? `; and ${all.length - shown.length} more` : '';
  return shown.join('; ') + more;
}

/**
 * A union's failure said by the one branch the value was of the type of (`constrain: {kind: grammar}`:
 * the object branch's "kind: expected 'choice' | 'regex' | 'json-schema'", not "Invalid input" because
 * neither a boolean nor any object matched), its paths under the union's; the issue itself otherwise.
 */
function withinUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || !Array.isArray(issue.errors)) return [issue];
  const wrongType = (branch: z.core.$ZodIssue[]) =>
    branch.length === 1 && branch[0].code === 'invalid_type' && branch[0].path.length === 0;
  const candidates = issue.errors.filter((branch) => branch.length > 0 && !wrongType(branch));
  if (candidates.length !== 1) return [issue];
  return candidates[0].flatMap((inner) =>
    withinUnion({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue),
  );
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
  throw failure(source, `${source.where}: ${describeIssues(parsed.error.issues)}`);
}

/** How deeply JSON from outside may nest (objects and arrays): far beyond any file or body promptune reads. */
export const maximumJsonDepth = 128;

/**
 * Parses JSON text, or throws a ValidationError naming the source (and the position JSON.parse gives).
 * Text nested deeper than `maximumJsonDepth` is refused before parsing: V8 parses it, but every
 * recursive walk after (schemas, logs, hashes) would overflow the stack.
 */
export function parseJsonText(
  text: string,
  source: InputSource,
  options: { wellFormed?: boolean } = {},
): unknown {
  if (jsonDepth(text) > maximumJsonDepth)
    throw failure(source, `${source.where} nests more than ${maximumJsonDepth} levels deep`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text it stopped in, line breaks and all: kept on the message's one line
    const reason = (error as Error).message.replace(/\r?\n/g, '\\n');
    throw failure(source, `${source.where} is not valid JSON: ${reason}`);
  }
  if (options.wellFormed) refuseLoneSurrogates(value, source);
  return value;
}

/** A high surrogate with no low one after it, or a low one with no high one before it. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses a string or key holding a lone surrogate (JSON may escape one, `"\ud800"`): half of a
 * character, which no UTF-8 text can hold, so a tokenizer or a database would silently make it U+FFFD.
 * For text from outside (datasets, specs, request bodies); a model's own output is read as it is.
 */
function refuseLoneSurrogates(value: unknown, source: InputSource): void {
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [item, path] = pending.pop()!;
    if (typeof item === 'string') {
      if (loneSurrogate.test(item))
        throw failure(
          source,
          `${source.where}: ${path ? `field ${path}` : 'the text'} holds a lone surrogate (half of a character, such as \\ud800)`,
        );
      continue;
    }
    if (typeof item !== 'object' || item === null) continue;
    for (const [key, child] of Object.entries(item)) {
      const at = path ? `${path}.${key}` : key;
      if (loneSurrogate.test(key))
        throw failure(source, `${source.where}: a key holds a lone surrogate (half of a character)`);
      pending.push([child, at]);
    }
  }
}

/** Decodes UTF-8 bytes, refusing invalid UTF-8 (it would silently become U+FFFD). */
export function decodeText(bytes: Uint8Array, source: InputSource): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw failure(source, `${source.where} is not valid UTF-8 text`, error);
  }
}

/** Parses UTF-8 JSON bytes with `schema` (invalid UTF-8, bad JSON and a wrong shape each a coded error). */
export function parseJsonBytes<Schema extends z.ZodType>(
  bytes: Uint8Array,
  schema: Schema,
  source: InputSource,
): z.output<Schema> {
  return parseInput(schema, parseJsonText(decodeText(bytes, source), source), source);
}

/** The deepest nesting of brackets and braces outside strings (a scan, no recursion). */
export function jsonDepth(text: string): number {
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
 * FILE_NOT_FOUND); a file that is not UTF-8 JSON, or not of the schema's shape, is an error of the
 * source's kind with its code.
 */
export function readJsonFile<Schema extends z.ZodType>(
  path: string,
  schema: Schema,
  source: InputSource & { notFoundCode?: string; notFoundHint?: string },
): z.output<Schema> {
  return parseJsonBytes(readInputFile(path, source), schema, source);
}

/**
 * A file's bytes. A missing file is a NotFoundError (`notFoundCode`, default FILE_NOT_FOUND); one that
 * cannot be read (a folder, no permission) is an error of the source's kind with its code.
 */
export function readInputFile(
  path: string,
  source: InputSource & { notFoundCode?: string; notFoundHint?: string },
): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new NotFoundError(`${source.where} does not exist`, {
        code: source.notFoundCode ?? 'FILE_NOT_FOUND',
        hint: source.notFoundHint ?? source.hint,
      });
    throw failure(source, `${source.where} cannot be read: ${(error as Error).message}`, error);
  }
}

function tooDeep(source: InputSource, cause: RangeError): PromptuneError {
  return failure(source, `${source.where} nests too deeply to read`, cause);
}
