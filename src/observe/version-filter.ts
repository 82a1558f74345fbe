// A version as people name it in a filter: its full id, or (with its task) a number, an id prefix or a
// label, as `registry push` prints and `registry ls` lists them. Filters store full ids; this turns the
// short forms into one, so `--version 2` finds traces instead of silently matching none; and a task
// filter that found nothing is refused when the registry has no such task (a typo is not "no traffic"),
// and a guard filter that found nothing is told when no task's validator has that name.
import { NotFoundError, ValidationError, nearestName } from '../errors/index.js';
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

/**
 * Throws REGISTRY_NO_TASK (the registry's own code for a task it lacks) when a filter on `task` found
 * nothing and the registry has neither a task nor any trace of that name (a task never pushed, traced
 * by `eval --trace`, is one).
 */
export async function checkTaskFilter(
  registry: Registry,
  task: string | undefined,
  found: number,
): Promise<void> {
  if (task === undefined || found > 0) return;
  const names = await registry.taskNames();
  if (names.includes(task)) return;
  // traced but never pushed (eval --trace): a task all the same, whatever else the filter asked
  if ((await registry.traces.count({ task })) > 0) return;
  const nearest = nearestName(task, names);
  throw new NotFoundError(`there is no task named ${task}`, {
    code: 'REGISTRY_NO_TASK',
    hint: nearest
      ? `Did you mean ${nearest}? promptune registry ls lists the tasks.`
      : 'promptune registry ls lists the tasks the registry has.',
  });
}

/**
 * When a guard filter (`--guard pi`) found nothing: a note naming the validators the tasks' specs have,
 * if none of them is called that (a typo reads as "no failures"); undefined when one is, or for `any`.
 */
export async function guardFilterNote(
  registry: Registry,
  task: string | undefined,
  guard: string | undefined,
): Promise<string | undefined> {
  if (guard === undefined || guard === 'any') return undefined;
  const tasks = task === undefined ? await registry.taskNames() : [task];
  const names = new Set<string>();
  for (const name of tasks) {
    const guards = (await registry.getTask(name).catch(() => undefined))?.guards;
    for (const entry of [...(guards?.input ?? []), ...(guards?.output ?? [])])
      names.add(entry.name ?? entry.validator);
  }
  if (names.has(guard)) return undefined;
  const where = task === undefined ? 'any task' : `task ${task}`;
  if (names.size === 0)
    return `no validator guards ${where}: --guard ${guard} can match only older specs' traces`;
  const nearest = nearestName(guard, [...names]);
  return `no validator of ${where} is named ${guard}${nearest ? ` (did you mean ${nearest}?)` : ''}; its validators: ${[...names].sort().join(', ')}`;
}
