// Rows of cells as aligned text columns for a terminal: each column as wide as its widest cell, two
// spaces between, the last column left unpadded. Text only; wrapping long cells is left to the terminal.

/** `rows` (a header first, when there is one) as lines of aligned columns, each ending in a newline. */
export function textColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
