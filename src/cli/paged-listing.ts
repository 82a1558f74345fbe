// Printing a listing the registry pages by cursor (runs, traces): pages of at most 500 until `limit`
// items are printed or the listing ends, so a large limit never holds more than a page.

/**
 * Prints up to `limit` items of `page`'s listing, a line each; returns how many were printed. When the
 * limit stops a listing that goes on, stderr says so (stdout stays the lines alone, for scripts).
 */
export async function printPaged<Item>(
  page: (limit: number, after: string | undefined) => Promise<{ data: Item[]; next?: string }>,
  limit: number,
  line: (item: Item) => string,
): Promise<number> {
  let after: string | undefined;
  let printed = 0;
  do {
    const { data, next } = await page(Math.min(500, limit - printed), after);
    for (const item of data) process.stdout.write(`${line(item)}\n`);
    printed += data.length;
    after = next;
  } while (after && printed < limit);
  if (after) process.stderr.write(`the newest ${printed} shown; there are more (--limit for more)\n`);
  return printed;
}
