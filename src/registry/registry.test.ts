// Runs the registry conformance suites on SQLite (a real file) and on a real PostgreSQL server started
// for the test (skipped with a message where PostgreSQL is not installed, unless CI requires it).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePostgres } from '../../test/registry-postgres.js';
import { registrySpecConformance } from './registry-specs.case.js';
import { registryConformance } from './registry.case.js';
import { Registry } from './registry.js';
import { runConformance } from './runs.case.js';
import { reviewConformance } from './review.case.js';
import { datasetVersionConformance } from './dataset-versions.case.js';
import { traceConformance } from './traces.case.js';
import { traceListingConformance } from './trace-listings.case.js';
import { experimentConformance } from './experiments.case.js';
import { jobConformance } from './jobs.case.js';

const sqlitePath = () => join(mkdtempSync(join(tmpdir(), 'promptune-registry-')), 'registry.sqlite');
const openSqlite = async () => {
  const path = sqlitePath();
  return { registry: await Registry.open({ path }), location: path };
};
registryConformance('SQLite', openSqlite);
registrySpecConformance('SQLite', openSqlite, async () => ({ path: sqlitePath() }));
runConformance('SQLite', () => Registry.open({ path: sqlitePath() }));
reviewConformance('SQLite', () => Registry.open({ path: sqlitePath() }));
datasetVersionConformance('SQLite', () => Registry.open({ path: sqlitePath() }));
experimentConformance('SQLite', () => Registry.open({ path: sqlitePath() }));
jobConformance(
  'SQLite',
  () => Registry.open({ path: sqlitePath() }),
  async () => ({ path: sqlitePath() }),
);
traceConformance(
  'SQLite',
  () => Registry.open({ path: sqlitePath() }),
  async () => ({ path: sqlitePath() }),
);
traceListingConformance('SQLite', async () => ({ path: sqlitePath() }));

describePostgres('PostgreSQL', (freshDatabase) => {
  // a fresh database per case, so every case starts empty
  const openPostgres = async () => {
    const url = await freshDatabase();
    return { registry: await Registry.open({ url }), location: url };
  };
  registryConformance('Postgres', openPostgres);
  registrySpecConformance('Postgres', openPostgres, async () => ({ url: await freshDatabase() }));
  runConformance('Postgres', async () => Registry.open({ url: await freshDatabase() }));
  reviewConformance('Postgres', async () => Registry.open({ url: await freshDatabase() }));
  datasetVersionConformance('Postgres', async () => Registry.open({ url: await freshDatabase() }));
  experimentConformance('Postgres', async () => Registry.open({ url: await freshDatabase() }));
  jobConformance(
    'Postgres',
    async () => Registry.open({ url: await freshDatabase() }),
    async () => ({ url: await freshDatabase() }),
  );
  traceConformance(
    'Postgres',
    async () => Registry.open({ url: await freshDatabase() }),
    async () => ({ url: await freshDatabase() }),
  );
  traceListingConformance('Postgres', async () => ({ url: await freshDatabase() }));
});
