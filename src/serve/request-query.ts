// Query strings read through schemas, as request bodies are (request-body.ts).
import { z } from 'zod';
import { describeIssues, ValidationError } from '../errors/index.js';

/** Reads a query string through a schema; a mismatch is a 400 naming the parameter. */
export function parseQuery<Schema extends z.ZodType>(
  schema: Schema,
  query: Record<string, string>,
): z.output<Schema> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data as z.output<Schema>;
  throw new ValidationError(`query: ${describeIssues(parsed.error.issues)}`, {
    code: 'INVALID_QUERY',
    hint: 'See the parameters of this route in GET /openapi.json.',
  });
}
