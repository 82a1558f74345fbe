// GET /v1/runs, /v1/runs/{id} and /v1/runs/{id}/entries over HTTP on 127.0.0.1: runs recorded in the
// registry listed with filters and cursors, one read back, an evaluation's failures paged, a killed
// run read as interrupted, bad queries and unknown runs refused with their codes, and no key no runs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedStreamingModel } from '../../test/scripted-model.js';
import { Registry, staleAfterMs } from '../registry/index.js';
import { listen, type RunningServer } from './listen.js';
import { createService, type Service } from './service.js';

let registry: Registry;
let server: RunningServer;
let service: Service;
let key = '';
const now = Date.now();

const get = async (path: string, bearer = key) => {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  registry = await Registry.open({ path: join(mkdtempSync(join(tmpdir(), 'promptune-runs-')), 'r.sqlite') });
  key = (await registry.keys.create({ name: 'reader', scopes: ['read'], ratePerMinute: 1e7 })).key;
  // an evaluation that finished with 10 examples (every third failed), a training still running, and
  // an optimization whose process died two heartbeat periods ago
  await registry.runs.start({
    id: 'run-eval',
    kind: 'evaluation',
    task: 'animal',
    actor: 'ada',
    at: now - 3_000,
  });
  await registry.runs.append(
    'run-eval',
    Array.from({ length: 10 }, (_, position) => ({
      kind: 'example' as const,
      position,
      score: position % 3 === 0 ? 0 : 1,
      passed: position % 3 !== 0,
      data: { output: `answer ${position}` },
    })),
  );
  await registry.runs.finish('run-eval', { status: 'completed', summary: { score: 0.6 } }, now - 2_000);
  await registry.runs.start({
    id: 'run-train',
    kind: 'soft-training',
    task: 'name',
    actor: 'ada',
    version: 'a'.repeat(64),
    at: now - 1_000,
  });
  await registry.runs.start({
    id: 'run-killed',
    kind: 'optimization',
    task: 'animal',
    actor: 'ada',
    at: now - 2 * staleAfterMs - 5_000,
  });
  service = createService({
    registry,
    backends: { hard: new ScriptedStreamingModel('scripted', () => 'ok') },
    logger: pino({ level: 'silent' }),
  });
  server = await listen(service.app);
});

afterAll(async () => {
  await server?.close();
  await service?.drain();
  await registry?.close();
});

describe('GET /v1/runs', () => {
  it('lists runs newest first, a page at a time, with a killed run as interrupted', async () => {
    const first = await get('/v1/runs?limit=2');
    expect(first.status).toBe(200);
    const ids = (first.body.data as { id: string }[]).map((run) => run.id);
    expect(ids).toEqual(['run-train', 'run-eval']);
    const rest = await get(`/v1/runs?limit=2&after=${String(first.body.next)}`);
    expect(rest.body.data).toMatchObject([{ id: 'run-killed', status: 'interrupted' }]);
    expect(rest.body.next).toBeUndefined();
  });

  it('filters by task, kind, status and version', async () => {
    const ids = async (query: string) =>
      ((await get(`/v1/runs?${query}`)).body.data as { id: string }[]).map((run) => run.id);
    expect(await ids('task=animal')).toEqual(['run-eval', 'run-killed']);
    expect(await ids('kind=soft-training')).toEqual(['run-train']);
    expect(await ids('status=running')).toEqual(['run-train']);
    expect(await ids('status=interrupted')).toEqual(['run-killed']);
    // the runs of one version, however many the task has (its page's "made by")
    expect(await ids(`version=${'a'.repeat(64)}`)).toEqual(['run-train']);
    expect(await ids(`version=${'b'.repeat(64)}`)).toEqual([]);
  });

  it('reads one run and pages its failures', async () => {
    const run = await get('/v1/runs/run-eval');
    expect(run.body).toMatchObject({ id: 'run-eval', status: 'completed', summary: { score: 0.6 } });
    const failures = await get('/v1/runs/run-eval/entries?kind=example&passed=false&limit=3');
    expect((failures.body.data as { position: number }[]).map((entry) => entry.position)).toEqual([0, 3, 6]);
    const more = await get(
      `/v1/runs/run-eval/entries?kind=example&passed=false&after=${String(failures.body.next)}`,
    );
    expect(more.body.data).toMatchObject([{ position: 9, passed: false, data: { output: 'answer 9' } }]);
  });

  it('refuses bad queries, unknown runs and requests without a key', async () => {
    for (const [path, status, code] of [
      ['/v1/runs?kind=experiment', 400, 'INVALID_QUERY'],
      ['/v1/runs?limit=0', 400, 'INVALID_QUERY'],
      ['/v1/runs?shape=round', 400, 'INVALID_QUERY'],
      ['/v1/runs?after=not-a-cursor', 400, 'RUN_BAD_CURSOR'],
      ['/v1/runs/run-eval/entries', 400, 'INVALID_QUERY'],
      ['/v1/runs/run-missing', 404, 'RUN_NOT_FOUND'],
      ['/v1/runs/run-missing/entries?kind=example', 404, 'RUN_NOT_FOUND'],
    ] as const) {
      const response = await get(path);
      expect(response.status, path).toBe(status);
      expect(JSON.stringify(response.body), path).toContain(code);
    }
    expect((await get('/v1/runs', 'not-a-key')).status).toBe(401);
  });
});
