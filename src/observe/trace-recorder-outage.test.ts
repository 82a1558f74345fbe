// The trace recorder closing while its Postgres registry is away (a service stopped during a database
// restart), on a real server: it waits for the database as it closes and writes every trace once it is
// back; when the database stays away past its wait, it says how many traces it lost, with a code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinaries, startPostgres, type TestPostgres } from '../../test/postgres.js';
import { PromptuneError } from '../errors/index.js';
import { Registry } from '../registry/index.js';
import { sampleTrace } from '../registry/traces.case.js';
import { TraceRecorder } from './trace-recorder.js';

const installed = postgresBinaries() !== undefined;

describe.skipIf(!installed && process.env.PROMPTUNE_REQUIRE_POSTGRES !== '1')(
  'closing the trace recorder while Postgres is away',
  () => {
    let postgres: TestPostgres;
    let registry: Registry;
    beforeAll(async () => {
      postgres = await startPostgres();
      registry = await Registry.open({ url: postgres.url });
    }, 60_000);
    afterAll(async () => {
      await registry?.close();
      postgres?.stop();
    });

    it('waits for the database to come back and writes every trace', async () => {
      const recorder = new TraceRecorder(registry.traces, { flushIntervalMs: 60_000 });
      postgres.pause();
      for (let index = 0; index < 3; index++) recorder.record(sampleTrace({ id: `kept-${index}` }));
      const closing = recorder.close();
      await new Promise((resolve) => setTimeout(resolve, 300)); // its first writes find no database
      postgres.resume();
      await closing;
      expect(recorder.stats).toMatchObject({ written: 3, failed: 0, queued: 0 });
      expect((await registry.traces.list({})).data.map((trace) => trace.id).sort()).toEqual([
        'kept-0',
        'kept-1',
        'kept-2',
      ]);
    }, 60_000);

    it('says how many traces it lost when the database stays away past its wait', async () => {
      const errors: unknown[] = [];
      const recorder = new TraceRecorder(registry.traces, {
        flushIntervalMs: 60_000,
        closeWaitMs: 200,
        onError: (error) => errors.push(error),
      });
      postgres.pause();
      try {
        for (let index = 0; index < 2; index++) recorder.record(sampleTrace({ id: `lost-${index}` }));
        await recorder.close();
      } finally {
        postgres.resume();
      }
      expect(recorder.stats).toMatchObject({ written: 0, failed: 2, queued: 0 });
      // the outage, told once as it is lost (REGISTRY_UNAVAILABLE), then what it cost
      const said = errors.filter((error) => PromptuneError.isInstance(error));
      expect(said.map((error) => error.code)).toEqual(['REGISTRY_UNAVAILABLE', 'TRACES_NOT_WRITTEN']);
      expect(said.slice(1).map((error) => [error.code, error.message])).toEqual([
        [
          'TRACES_NOT_WRITTEN',
          "2 traces were not written: the registry's database did not answer within 200 ms of closing, and they are lost",
        ],
      ]);
    }, 60_000);
  },
);
