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

/**
 * The rows after a cursor's in newest-first (time, id) order: older, or as old with a smaller id. Said
 * as a range on the time first: written as `time < at or (time = at and id < id)`, SQLite (given the
 * values as parameters) read both sides of the or through the time index and sorted every trace older
 * than the cursor (3.8 s for the second page of a million traces with a common score), where the range
 * reads the index newest first from the cursor on and stops at a page.
 */
export function beforeCursor(
  timeColumn: string,
  idColumn: string,
  cursor: { at: number; id: string },
): RawBuilder<SqlBool> {
  const time = sql.ref(timeColumn);
  return sql<SqlBool>`(${time} <= ${cursor.at} and (${time} < ${cursor.at} or ${sql.ref(idColumn)} < ${cursor.id}))`;
}
