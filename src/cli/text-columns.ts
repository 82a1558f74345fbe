// Rows of cells as aligned text columns for a terminal: each column as wide as its widest cell (in
// columns drawn: a Chinese character or an emoji takes two), two spaces between, the last column left
// unpadded. Text only; wrapping long cells is left to the terminal.
import { displayWidth, padToWidth } from '../errors/index.js';

/** `rows` (a header first, when there is one) as lines of aligned columns, each ending in a newline. */
export function textColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, displayWidth(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : padToWidth(cell, widths[column])))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
