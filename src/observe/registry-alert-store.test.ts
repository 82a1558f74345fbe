// The registry's alert records pass the alert store conformance suite on SQLite and on Postgres, as the
// in-memory store does: the service's evaluator keeps its states and history there.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describePostgres } from '../../test/registry-postgres.js';
import { Registry } from '../registry/index.js';
import { alertStoreConformance } from './alerts/alert-store.case.js';

const opened: Registry[] = [];
const keep = (registry: Registry) => {
  opened.push(registry);
  return registry.alerts;
};
afterAll(async () => {
  for (const registry of opened) await registry.close();
});

alertStoreConformance('registry on SQLite', async () =>
  keep(await Registry.open({ path: join(mkdtempSync(join(tmpdir(), 'promptune-alerts-')), 'r.sqlite') })),
);
describePostgres('alert store on PostgreSQL', (freshDatabase) => {
  afterAll(async () => {
    for (const registry of opened.splice(0)) await registry.close();
  });
  alertStoreConformance('registry on Postgres', async () =>
    keep(await Registry.open({ url: await freshDatabase() })),
  );
});
