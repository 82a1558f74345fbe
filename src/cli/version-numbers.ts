// The numbers people name versions by (gender@5), for listings whose records hold version ids (traces,
// monitor, experiments): ids and numbers only, in one query. Reads only; an id no version has (a
// version since deleted) is shown by its start, as before.
import type { Registry } from '../registry/index.js';

/** A version id's number within its task, when the registry holds it. */
export type VersionNumbers = ReadonlyMap<string, number>;

/** The numbers of every version of `tasks`, by id. */
export async function versionNumbers(
  registry: Pick<Registry, 'versionNumbers'>,
  tasks: Iterable<string | null>,
): Promise<Map<string, number>> {
  return registry.versionNumbers([...tasks].filter((task) => task !== null));
}

/** `@5` for a version the numbers know, else `@` and the id's first 8 characters; `-` for none. */
export function versionText(id: string | null | undefined, numbers: VersionNumbers): string {
  if (id === null || id === undefined) return '-';
  return `@${numbers.get(id) ?? id.slice(0, 8)}`;
}
