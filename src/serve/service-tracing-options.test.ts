// createService with tracing options of the caller's own (as a library user passes them): the recorder
// it builds honours them, its onError listener included, beside the service's own log line. A real
// SQLite registry; the sink that refuses every write is the case under test.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { expect, it } from 'vitest';
import { Registry, type TraceRecord } from '../registry/index.js';
import { sampleTrace } from '../registry/traces.case.js';
import { createService } from './service.js';

it("tells the caller's onError of trace writes that fail, and logs them too", async () => {
  const registry = await Registry.open({
    path: join(mkdtempSync(join(tmpdir(), 'promptune-tracing-')), 'r.sqlite'),
  });
  const heard: string[] = [];
  const logged: string[] = [];
  const refusing = {
    insert: async (_traces: readonly TraceRecord[]) => {
      throw new Error('the trace table is read-only');
    },
  };
  const service = createService({
    registry,
    backends: {},
    tracing: {
      sink: refusing,
      flushIntervalMs: 60_000,
      onError: (error) => heard.push((error as Error).message),
    },
    experiments: false,
    logger: pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line).msg) }),
  });
  service.recorder!.record(sampleTrace({ id: 'refused' }));
  await service.drain(); // three tries, then counted as failed
  await registry.close();
  expect(heard).toEqual(Array(3).fill('the trace table is read-only'));
  expect(logged).toEqual(Array(3).fill('could not write traces'));
  expect(service.recorder!.stats).toMatchObject({ failed: 1, written: 0 });
});
