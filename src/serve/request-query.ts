// Query strings read through schemas, as request bodies are (request-body.ts).
import { z } from 'zod';
import { describeIssues } from '../errors/index.js';
import { RequestBodyError } from './request-body.js';

/**
 * Reads a query string through a schema; a mismatch is a 400 naming the parameter (as `param`, the
 * first one at fault: an unknown one, or one whose value does not fit).
 */
export function parseQuery<Schema extends z.ZodType>(
  schema: Schema,
  query: Record<string, string>,
): z.output<Schema> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data as z.output<Schema>;
  const [issue] = parsed.error.issues;
  const param =
    issue.code === 'unrecognized_keys' ? (issue.keys[0] ?? null) : issue.path.map(String).join('.') || null;
  throw new RequestBodyError(`query: ${describeIssues(parsed.error.issues)}`, {
    code: 'INVALID_QUERY',
    hint: `${param ? `Fix ${param}. ` : ''}See the parameters of this route in GET /openapi.json.`,
    param,
  });
}
