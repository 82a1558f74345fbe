// A registry location must name one registry: a SQLite path or a Postgres URL. None (an unset
// environment variable's undefined) had opened .promptune/registry.sqlite under the working folder.
// A SQLite registry's write-ahead log shrinks back after a large transaction (a prune of many traces).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PromptuneError } from '../errors/index.js';
import { largestWriteAheadLogBytes } from './open-registry.js';
import { Registry } from './registry.js';
import type { TraceRecord } from './traces.js';

const codeOf = (opening: Promise<unknown>) =>
  opening.then(
    () => 'opened',
    (error: unknown) => (PromptuneError.isInstance(error) ? error.code : String(error)),
  );

describe('Registry.open', () => {
  it('refuses a location naming no registry, or two', async () => {
    const locations = [
      {},
      { path: '' },
      { path: undefined, url: '' },
      { path: 'a.sqlite', url: 'postgres://x/y' },
    ];
    expect(await Promise.all(locations.map((location) => codeOf(Registry.open(location))))).toEqual(
      locations.map(() => 'REGISTRY_BAD_LOCATION'),
    );
  });
});

describe('the write-ahead log of a SQLite registry', () => {
  const trace = (index: number): TraceRecord => ({
    id: `trace-${index}`,
    at: index,
    source: 'service',
    run: null,
    operation: 'chat',
    model: 'qa',
    task: 'qa',
    version: null,
    label: null,
    keyId: null,
    user: null,
    input: { messages: [{ role: 'user', content: 'x'.repeat(4000) }] },
    output: 'y',
    inputTokens: 1,
    outputTokens: 1,
    cost: null,
    latencyMs: 1,
    firstTokenMs: null,
    finishReason: 'stop',
    status: 200,
    errorCode: null,
    checks: null,
  });

  it('is cut back to its limit once a transaction larger than it has been checkpointed', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-wal-'));
    const path = join(folder, 'registry.sqlite');
    const registry = await Registry.open({ path });
    try {
      // one transaction of about 25 MB of traces: well past the limit
      await registry.traces.insert(Array.from({ length: 6000 }, (_, index) => trace(index)));
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(largestWriteAheadLogBytes);
      // its commit checkpointed the log (nobody was reading): the next write starts the log over
      await registry.traces.prune({ keep: 0 });
      expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(largestWriteAheadLogBytes);
    } finally {
      await registry.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
