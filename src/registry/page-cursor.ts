// The cursor of a page of rows read newest first by (time, id): opaque to clients, who pass the
// previous page's `next` back unchanged.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { ValidationError } from '../errors/index.js';

/** The cursor after a row at time `at` with id `id`. */
export function encodePageCursor(at: number, id: string): string {
  return Buffer.from(`${at}:${id}`).toString('base64url');
}

/** The (time, id) a cursor holds; `what` and `code` name the listing in the error. */
export function decodePageCursor(cursor: string, what: string, code: string): { at: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString();
  const colon = text.indexOf(':');
  const at = Number(text.slice(0, colon));
  if (colon > 0 && Number.isInteger(at)) return { at, id: text.slice(colon + 1) };
  throw new ValidationError(`"${cursor}" is not a ${what} page cursor`, {
    code,
    hint: 'Pass the `next` value of the previous page unchanged.',
  });
}

/** The rows after a cursor's in newest-first (time, id) order: older, or as old with a smaller id. */
export function beforeCursor(
  timeColumn: string,
  idColumn: string,
  cursor: { at: number; id: string },
): RawBuilder<SqlBool> {
  const time = sql.ref(timeColumn);
  return sql<SqlBool>`(${time} < ${cursor.at} or (${time} = ${cursor.at} and ${sql.ref(idColumn)} < ${cursor.id}))`;
}
