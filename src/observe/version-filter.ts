// A version as people name it in a filter: its full id, or (with its task) a number, an id prefix or a
// label, as `registry push` prints and `registry ls` lists them. Filters store full ids; this turns the
// short forms into one, so `--version 2` finds traces instead of silently matching none.
import { ValidationError } from '../errors/index.js';
import type { Registry } from '../registry/index.js';

/** The full version id a filter means, or undefined when none was given. */
export async function versionFilter(
  registry: Registry,
  task: string | undefined,
  version: string | undefined,
): Promise<string | undefined> {
  if (version === undefined || /^[0-9a-f]{64}$/.test(version)) return version;
  if (task === undefined)
    throw new ValidationError(`version "${version}" needs its task`, {
      code: 'VERSION_NEEDS_TASK',
      hint: 'Give the task too (--task, or task= in a query), or the full 64-character version id.',
    });
  return (await registry.resolveVersion(task, version)).id;
}
