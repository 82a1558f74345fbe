// A line diff (longest common subsequence) for showing how an optimized prompt differs from its seed.
// Prompts are short, so the quadratic table is fine; this is not a general-purpose diff.

/** One line of a diff: kept, removed (only in the first text) or added (only in the second). */
export interface DiffLine {
  kind: 'same' | 'removed' | 'added';
  text: string;
}

/** The lines of `before` and `after` aligned on their longest common subsequence. */
export function lineDiff(before: string[], after: string[]): DiffLine[] {
  const common: number[][] = Array.from({ length: before.length + 1 }, () =>
    new Array<number>(after.length + 1).fill(0),
  );
  for (let i = before.length - 1; i >= 0; i--)
    for (let j = after.length - 1; j >= 0; j--)
      common[i][j] =
        before[i] === after[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
  const lines: DiffLine[] = [];
  let [i, j] = [0, 0];
  while (i < before.length || j < after.length) {
    if (i < before.length && j < after.length && before[i] === after[j]) {
      lines.push({ kind: 'same', text: before[i] });
      i++;
      j++;
    } else if (i < before.length && (j === after.length || common[i + 1][j] >= common[i][j + 1])) {
      lines.push({ kind: 'removed', text: before[i++] });
    } else {
      lines.push({ kind: 'added', text: after[j++] });
    }
  }
  return lines;
}
