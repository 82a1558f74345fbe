// Which validators a trace's guard checks failed, kept beside the trace (guard_failures) when it is
// stored so `traces --guard` and `?guard=` read an index instead of matching text in every trace's
// checks. A failed check counts whatever its policy then did (fixed, re-asked, refused, refrained,
// only recorded). It reads the records as checkRecords writes them; it never judges them.

/**
 * The check records of a trace's `checks`: the array the service writes, or the `guards` array of an
 * evaluation's checks (which also hold its score, metrics and target).
 */
function checkRecordsOf(checks: unknown): unknown[] {
  if (Array.isArray(checks)) return checks;
  const guards = (checks as { guards?: unknown } | null | undefined)?.guards;
  return typeof checks === 'object' && Array.isArray(guards) ? guards : [];
}

/**
 * The validators a trace's checks failed, each once: a record with `passed` false, named by its
 * `validator` ('' for a failed record without one, which still counts as a failed check).
 */
export function failedValidators(checks: unknown): string[] {
  const failed = new Set<string>();
  for (const record of checkRecordsOf(checks)) {
    if (typeof record !== 'object' || record === null) continue;
    const { passed, validator } = record as { passed?: unknown; validator?: unknown };
    if (passed === false) failed.add(typeof validator === 'string' ? validator : '');
  }
  return [...failed];
}

/** The stored text of a trace's checks that may hold a failed check (every one that does matches). */
export const failedCheckPattern = '%"passed":false%';
