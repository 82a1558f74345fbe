// Printing a listing the registry pages by cursor (runs, traces): pages of at most 500 until `limit`
// items are printed or the listing ends, so a large limit never holds more than a page. For a person,
// a table: a header, then each page's rows in aligned columns; for scripts, a line of JSON an item.
import { textColumns } from './text-columns.js';

/** How items print: a line each (JSON lines), or a table's cells under its header. */
export type ListingFormat<Item> =
  { line: (item: Item) => string } | { header: readonly string[]; cells: (item: Item) => string[] };

/**
 * Prints up to `limit` items of `page`'s listing; returns how many were printed. When the limit stops
 * a listing that goes on, stderr says so (stdout stays the listing alone, for scripts).
 */
export async function printPaged<Item>(
  page: (limit: number, after: string | undefined) => Promise<{ data: Item[]; next?: string }>,
  limit: number,
  format: ListingFormat<Item>,
): Promise<number> {
  let after: string | undefined;
  let printed = 0;
  do {
    const { data, next } = await page(Math.min(500, limit - printed), after);
    if ('line' in format) for (const item of data) process.stdout.write(`${format.line(item)}\n`);
    else if (data.length > 0)
      // columns as wide as this page's cells: a page is all most listings are
      process.stdout.write(
        textColumns([...(printed === 0 ? [format.header] : []), ...data.map(format.cells)]),
      );
    printed += data.length;
    after = next;
  } while (after && printed < limit);
  if (after) process.stderr.write(`the newest ${printed} shown; there are more (--limit for more)\n`);
  return printed;
}
