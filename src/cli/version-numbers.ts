// The numbers people name versions by (gender@5), for listings whose records hold version ids (traces,
// monitor, experiments): each task's versions are read once. Reads only; an id no version has (a
// version since deleted) is shown by its start, as before.
import type { Registry } from '../registry/index.js';

/** A version id's number within its task, when the registry holds it. */
export type VersionNumbers = ReadonlyMap<string, number>;

/** The numbers of every version of `tasks`, by id. */
export async function versionNumbers(
  registry: Pick<Registry, 'listVersions'>,
  tasks: Iterable<string | null>,
): Promise<Map<string, number>> {
  const numbers = new Map<string, number>();
  for (const task of new Set(tasks)) {
    if (task === null) continue;
    for (const version of await registry.listVersions(task)) numbers.set(version.id, version.number);
  }
  return numbers;
}

/** `@5` for a version the numbers know, else `@` and the id's first 8 characters; `-` for none. */
export function versionText(id: string | null | undefined, numbers: VersionNumbers): string {
  if (id === null || id === undefined) return '-';
  return `@${numbers.get(id) ?? id.slice(0, 8)}`;
}
