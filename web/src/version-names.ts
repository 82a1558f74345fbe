// Versions by the number people call them by (v3, as in name@3), not by their content hash: a page reads
// the versions of the tasks whose versions it lists and names each by its number, reading them again when
// it lists a version they did not hold (one pushed since). A task the registry does not hold (a run of a
// data folder never pushed), or a read that fails, leaves the others named; a version it cannot place
// keeps its short id.
import { useEffect, useMemo, useState } from 'react';
import { api } from './api';
import { shortId } from './format';
import type { Version } from './types';

/** Names a version of a task: "v3", or its short id when the page cannot place it. */
export type VersionNamer = (task: string | null | undefined, id: string | null | undefined) => string;

/** What a page lists (runs, traces, monitor groups): a task, and the version it ran, if any. */
interface Listed {
  task?: string | null;
  version?: string | null;
}

const key = (task: string, id: string) => `${task}\n${id}`;

/** A namer over the versions of the tasks `listed` names with a version. */
export function useVersionNames(listed: Listed[]): VersionNamer {
  const wanted = listed.flatMap(({ task, version }) => (task && version ? [key(task, version)] : []));
  const tasks = [...new Set(wanted.map((entry) => entry.split('\n')[0]))].sort().join('\n');
  const [numbers, setNumbers] = useState<{ tasks: string; map: Map<string, number> }>();
  // listed versions the read ones do not hold: read again, once for each new set of them
  const missing = numbers
    ? [...new Set(wanted.filter((entry) => !numbers.map.has(entry)))].sort().join(',')
    : '';
  const [again, setAgain] = useState('');
  useEffect(() => {
    if (missing && missing !== again) setAgain(missing);
  }, [missing, again]);
  useEffect(() => {
    if (!tasks) return;
    let stopped = false;
    void Promise.allSettled(
      tasks
        .split('\n')
        .map((task) => api<{ data: Version[] }>(`/v1/tasks/${encodeURIComponent(task)}/versions`)),
    ).then((answers) => {
      if (stopped) return;
      const map = new Map<string, number>();
      for (const answer of answers)
        if (answer.status === 'fulfilled')
          for (const version of answer.value.data) map.set(key(version.task, version.id), version.number);
      setNumbers({ tasks, map });
    });
    return () => {
      stopped = true;
    };
  }, [tasks, again]);
  return useMemo(
    () => (task, id) => {
      const number = task && id ? numbers?.map.get(key(task, id)) : undefined;
      return number === undefined ? shortId(id) : `v${number}`;
    },
    [numbers],
  );
}
