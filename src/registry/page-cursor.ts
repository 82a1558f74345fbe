// The cursor of a page of rows read newest first by (time, id): opaque to clients, who pass the
// previous page's `next` back unchanged.
import { ValidationError } from '../errors/index.js';

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
