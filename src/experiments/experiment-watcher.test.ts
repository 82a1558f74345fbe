// The experiment watcher on a registry that cannot answer (a real SQLite file, closed): looks that
// overlap (an interval's look while a slow one is under way, as a Postgres that does not answer makes
// them) are told the failure once and never reject, since the interval's look is heard by no one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Registry } from '../registry/index.js';
import { ExperimentWatcher } from './experiment-watcher.js';

it('overlapping looks at a registry that fails resolve, the failure told once', async () => {
  const registry = await Registry.open({
    path: join(mkdtempSync(join(tmpdir(), 'promptune-watch-')), 'r.sqlite'),
  });
  await registry.close();
  const errors: unknown[] = [];
  const watcher = new ExperimentWatcher(registry, { onError: (error) => errors.push(error) });
  const looks = await Promise.allSettled([watcher.lookOnce(), watcher.lookOnce()]);
  expect(looks.map((look) => look.status)).toEqual(['fulfilled', 'fulfilled']);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ code: 'REGISTRY_CLOSED' });
  await watcher.lookOnce(); // and a later one looks again
  expect(errors).toHaveLength(2);
  await expect(watcher.stop()).resolves.toBeUndefined();
});
