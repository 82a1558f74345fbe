// Versions by the number people call them by (v3, as in name@3), not by their content hash: a page reads
// the versions of the tasks it shows and names each version it lists by its number, reading them again
// when it lists a version they did not hold (one pushed since). A version it cannot place (the versions
// not read yet, or refused) keeps its short id.
import { useEffect, useMemo, useState } from 'react';
import { shortId } from './format';
import type { Version } from './types';
import { useApiAll } from './use-api';

/** Names a version of a task: "v3", or its short id when the page cannot place it. */
export type VersionNamer = (task: string | null | undefined, id: string | null | undefined) => string;

/** What a page lists (runs, traces, monitor groups): a task, and the version it ran, if any. */
interface Listed {
  task?: string | null;
  version?: string | null;
}

const key = (task: string, id: string) => `${task}\n${id}`;

/** A namer over the versions of the tasks `listed` names. */
export function useVersionNames(listed: Listed[]): VersionNamer {
  const tasks = [...new Set(listed.flatMap(({ task }) => (task ? [task] : [])))].sort();
  const [again, setAgain] = useState('');
  const versions = useApiAll<{ data: Version[] }>(
    tasks.map((task) => `/v1/tasks/${encodeURIComponent(task)}/versions`),
    again,
  );
  const numbers = useMemo(() => {
    const map = new Map<string, number>();
    for (const page of versions.data ?? [])
      for (const version of page.data) map.set(key(version.task, version.id), version.number);
    return map;
  }, [versions.data]);
  // listed versions the read ones do not hold: read again, once for each new set of them
  const missing = versions.data
    ? [
        ...new Set(
          listed.flatMap(({ task, version }) =>
            task && version && !numbers.has(key(task, version)) ? [key(task, version)] : [],
          ),
        ),
      ]
        .sort()
        .join(',')
    : '';
  useEffect(() => {
    if (missing && missing !== again) setAgain(missing);
  }, [missing, again]);
  return useMemo(
    () => (task, id) => {
      const number = task && id ? numbers.get(key(task, id)) : undefined;
      return number === undefined ? shortId(id) : `v${number}`;
    },
    [numbers],
  );
}
