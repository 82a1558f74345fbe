// Reading a request body: JSON text (refused when nested past 128 levels), then a zod schema. A body
// that does not fit is a 400 that names the field at fault in its message and in OpenAI's `param`, with
// the code and hint of the check that failed (UNSUPPORTED_PARAMETER, ...) or the route's. It does not
// know any route's fields: the schemas live in request-schemas.ts.
import type { Context } from 'hono';
import type { z } from 'zod';
import {
  decodeText,
  describeIssues,
  parseJsonText,
  PromptuneError,
  ValidationError,
  type PromptuneErrorOptions,
} from '../errors/index.js';

const requestBodyMarker = Symbol.for('promptune.error.request-body-error');

/** A request body that does not fit its schema: a 400 naming the field at fault. */
export class RequestBodyError extends ValidationError {
  /** The field at fault as OpenAI's `param` (`messages.0.content`), null for the body as a whole. */
  readonly param: string | null;
  private readonly [requestBodyMarker] = true;

  /** True for a RequestBodyError, even one from another copy of the package. */
  static override isInstance(error: unknown): error is RequestBodyError {
    return PromptuneError.hasMarker(error, requestBodyMarker);
  }

  constructor(message: string, options: PromptuneErrorOptions & { param: string | null }) {
    super(message, options);
    this.param = options.param;
  }
}

/** What a schema check attaches to its issue (zod's `params`) to answer with its own code and hint. */
export interface IssueParams {
  code: string;
  hint: string;
}

type Issue = z.core.$ZodIssue;

const paramsOf = (issue: Issue): Partial<IssueParams> =>
  ((issue as { params?: Partial<IssueParams> }).params ?? {}) as Partial<IssueParams>;

/**
 * One issue for a failed union: the branch that got furthest into the value names the real fault
 * (`stop: ["a", 1]` is about stop.1, not "invalid input"), and a branch's own code wins over depth.
 * A union where no branch got anywhere keeps its own message (schemas give unions a readable one).
 */
function flatten(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: Issue | undefined;
  const score = (candidate: Issue) => (paramsOf(candidate).code ? 1000 : 0) + candidate.path.length;
  for (const branch of issue.errors) {
    if (!branch[0]) continue;
    const candidate = flatten(branch[0]);
    if (!best || score(candidate) > score(best)) best = candidate;
  }
  if (!best || score(best) === 0) return issue;
  return { ...best, path: [...issue.path, ...best.path] };
}

/** Parses an already-read body with `schema`, or throws a RequestBodyError (`hint`: the route's). */
export function parseBody<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  hint: string,
): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.output<Schema>;
  const issues = parsed.error.issues.map(flatten);
  const first = issues[0];
  const own = paramsOf(first);
  // an unknown key of a strict body is named by the key itself
  const path = first.code === 'unrecognized_keys' ? [...first.path, first.keys[0]] : first.path;
  const param = path.length ? path.map(String).join('.') : null;
  throw new RequestBodyError(`request body: ${describeIssues(issues)}`, {
    code: own.code ?? 'INVALID_BODY',
    // a wrong field is named first ("temperature: Too big …"), then the body's shape
    hint: own.hint ?? (param ? `Fix ${param} (${first.message}). ${hint}` : hint),
    param,
  });
}

/**
 * Reads the request's JSON body through `schema`. Bytes that are not UTF-8, text that is not JSON, or
 * JSON that nests too deeply, is a 400 INVALID_JSON; JSON of the wrong shape (null, an array, a wrong field) a 400 from parseBody.
 */
export async function readBody<Schema extends z.ZodType>(
  context: Context,
  schema: Schema,
  hint: string,
  /** What an empty body stands for, where every field is optional (`{}`); without it, one is refused. */
  options: { whenEmpty?: unknown } = {},
): Promise<z.output<Schema>> {
  // JSON is UTF-8 (RFC 8259): bytes that are not are refused, not read as U+FFFD into the model's input
  const text = decodeText(new Uint8Array(await context.req.arrayBuffer()), {
    where: 'request body',
    code: 'INVALID_JSON',
    hint: 'Send the body as UTF-8 JSON with content-type application/json.',
  });
  if (options.whenEmpty !== undefined && text.trim() === '')
    return parseBody(schema, options.whenEmpty, hint);
  const value = parseJsonText(
    text,
    {
      where: 'request body',
      code: 'INVALID_JSON',
      hint: 'Send a JSON object with content-type application/json, its strings whole characters (no lone surrogate escape such as \\ud800).',
    },
    { wellFormed: true },
  );
  return parseBody(schema, value, hint);
}
