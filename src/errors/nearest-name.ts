// "Did you mean": the edit distance between two strings, and the name of a list that a written name is a
// typo of. Messages everywhere (an unknown command or option, a request body's field, a label) use it.

/**
 * Edit distance between two strings, two neighbouring letters swapped counting as one edit (optimal
 * string alignment: `--rl` is one edit from `--lr`); three rows, O(a·b) time.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      let cost = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        cost = Math.min(cost, before[j - 2] + 1);
      current.push(cost);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length];
}

/** The name of `names` nearest to `written` when it is near enough to be a typo of it. */
export function nearestName(written: string, names: Iterable<string>): string | undefined {
  const nearest = [...names]
    .filter((name) => name.length > 1)
    .map((name) => ({ name, cost: editDistance(written, name) }))
    .sort((x, y) => x.cost - y.cost)[0];
  // near enough, and not a whole rewrite of a short name (--lr is no typo of --db)
  return nearest &&
    nearest.cost <= Math.max(2, written.length / 3) &&
    nearest.cost < Math.min(written.length, nearest.name.length)
    ? nearest.name
    : undefined;
}
