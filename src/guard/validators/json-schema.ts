// Output must be JSON valid against a JSON Schema (the tasks layer's ajv setup: draft by `$schema`,
// formats checked, unknown keywords refused). The JSON may sit in a code fence or after prose, as
// metrics read it; a schema whose root may be a scalar also takes a bare `42` or `"text"`. `fix` repairs
// broken JSON (jsonrepair: quotes, trailing commas, cut-off brackets), or quotes plain text a string
// root accepts, and keeps the repair only when it validates; `filter` drops the fields the schema refuses.
import type { ValidateFunction } from 'ajv';
import { jsonrepair } from 'jsonrepair';
import { ValidationError } from '../../errors/index.js';
import { compileJsonSchema, extractJsonFor, rootMayBeScalar, schemaProblem } from '../../tasks/index.js';
import type { CheckResult, Validator } from '../validator.js';

// ajv's own type, named: the declaration emitted for `ReturnType<Ajv.default[...]>` did not compile for
// library users (Ajv is a type there, not a namespace)
type Compiled = ValidateFunction;

/** The ajv validator of a schema, or a ValidationError naming the schema's problem. */
export function compileSchema(schema: object, where: string): Compiled {
  try {
    return compileJsonSchema(schema);
  } catch (error) {
    throw new ValidationError(`${where}: the JSON Schema does not compile: ${(error as Error).message}`, {
      code: 'GUARD_OPTIONS',
      hint: schemaProblem(error),
    });
  }
}

/** ajv's errors as one line. */
function describeErrors(validate: Compiled): string {
  return (validate.errors ?? [])
    .map((error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`)
    .join('; ');
}

/** Output must parse as JSON and match `schema`. */
export function jsonSchemaValidator(name: string, schema: object): Validator {
  const validate = compileSchema(schema, name);
  const judge = (value: unknown): CheckResult =>
    validate(value)
      ? { passed: true, issues: [] }
      : { passed: false, issues: [{ reason: `does not match the schema: ${describeErrors(validate)}` }] };
  const parse = (text: string): { value: unknown } | { reason: string } => {
    try {
      return { value: extractJsonFor(text, schema) };
    } catch (error) {
      return { reason: `is not JSON: ${(error as Error).message}` };
    }
  };
  return {
    name,
    kind: 'json-schema',
    prefixFailures: false,
    check(text) {
      const parsed = parse(text);
      if ('reason' in parsed) return { passed: false, issues: [{ reason: parsed.reason }] };
      return judge(parsed.value);
    },
    fix(text) {
      const fenced = /```(?:json)?\s*([\s\S]*?)(?:```|$)/.exec(text);
      const body = (fenced ? fenced[1] : text).trim();
      if (rootMayBeScalar(schema)) {
        const scalar = repairScalar(body);
        if (scalar !== undefined && judge(scalar).passed) return JSON.stringify(scalar);
      }
      const start = body.search(/[[{]/);
      if (start < 0) return undefined;
      try {
        const value: unknown = JSON.parse(jsonrepair(body.slice(start)));
        return judge(value).passed ? JSON.stringify(value) : undefined;
      } catch {
        return undefined;
      }
    },
    filter(text) {
      const parsed = parse(text);
      if ('reason' in parsed || typeof parsed.value !== 'object' || parsed.value === null) return undefined;
      const value = structuredClone(parsed.value) as Record<string, unknown>;
      if (validate(value)) return undefined;
      const paths = (validate.errors ?? []).map((error) => {
        const path = error.instancePath.split('/').slice(1).map(unescapePointer);
        if (error.keyword === 'additionalProperties')
          path.push(String((error.params as { additionalProperty: string }).additionalProperty));
        return path;
      });
      // deepest and highest index first, so removing an array item does not move the next one
      paths.sort(
        (a, b) => b.length - a.length || b.join('/').localeCompare(a.join('/'), 'en', { numeric: true }),
      );
      for (const path of paths) if (path.length > 0) removeAt(value, path);
      return validate(value) ? JSON.stringify(value) : undefined;
    },
  };
}

/** A scalar root's value: the text as JSON if it is a scalar, else the text itself as a string. */
function repairScalar(body: string): unknown {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? undefined : value;
  } catch {
    return body === '' ? undefined : body;
  }
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Deletes the property or array element at `path` (nothing when the path is gone). */
function removeAt(root: Record<string, unknown>, path: string[]): void {
  let parent: unknown = root;
  for (const segment of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return;
    parent = (parent as Record<string, unknown>)[segment];
  }
  const last = path[path.length - 1];
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (typeof parent === 'object' && parent !== null) delete (parent as Record<string, unknown>)[last];
}
