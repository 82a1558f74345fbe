// The routes the dashboard reads beyond tasks and runs, over HTTP on 127.0.0.1: GET /v1/me, a label's
// history and its rollback (admin only, refused to a read key), a move the audit policy refuses (and
// an override), a task's stored datasets with rows
// searched and paged and their statistics, two evaluation runs compared with the paired test, and the
// dashboard's files at / (never a file outside its folder).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedStreamingModel } from '../../test/scripted-model.js';
import { hardVersionContent, registerTask, Registry } from '../registry/index.js';
import { loadTask, taskSpec } from '../tasks/index.js';
import { listen, type RunningServer } from './listen.js';
import { createService, type Service } from './service.js';

const root = join(import.meta.dirname, '..', '..');
let registry: Registry;
let server: RunningServer;
let service: Service;
let admin = '';
let reader = '';
let trainId = '';
const web = mkdtempSync(join(tmpdir(), 'promptune-web-build-'));

const call = async (path: string, bearer: string, method = 'GET', body?: unknown) => {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}` },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> & { data: never[] },
  };
};

beforeAll(async () => {
  registry = await Registry.open({
    path: join(mkdtempSync(join(tmpdir(), 'promptune-library-')), 'r.sqlite'),
  });
  admin = (await registry.keys.create({ name: 'boss', scopes: ['admin'], ratePerMinute: 1e7 })).key;
  reader = (await registry.keys.create({ name: 'viewer', scopes: ['read'], ratePerMinute: 1e7 })).key;
  const task = loadTask(join(root, 'examples', 'animal.yaml'));
  const datasets = await registerTask(registry, task);
  trainId = datasets.train;
  const actor = { name: 'ada', scopes: ['read', 'run', 'admin'] };
  for (const template of ['first {{input}}', 'second {{input}}']) {
    const spec = { ...task.spec, prompt: { ...task.spec.prompt, template } };
    const { version } = await registry.pushVersion({
      task: 'animal',
      kind: 'hard',
      content: hardVersionContent(spec),
      spec,
      message: template,
      actor,
    });
    await registry.setLabel({
      task: 'animal',
      label: 'staging',
      reference: version.id,
      actor,
      reason: template,
    });
  }
  // two evaluations of the same 40 examples: the second fixes 12 and breaks none
  for (const [id, fixed] of [
    ['run-a', 0],
    ['run-b', 12],
  ] as const) {
    await registry.runs.start({
      id,
      kind: 'evaluation',
      task: 'animal',
      actor: 'ada',
      config: { model: id },
    });
    await registry.runs.append(
      id,
      Array.from({ length: 40 }, (_, position) => {
        const score = position < 20 + fixed ? 1 : 0;
        return {
          kind: 'example' as const,
          position,
          score,
          passed: score === 1,
          data: { id: `example-${position}` },
        };
      }),
    );
    await registry.runs.finish(id, { status: 'completed', summary: { score: (20 + fixed) / 40 } });
  }
  mkdirSync(join(web, 'assets'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>promptune</title>');
  writeFileSync(join(web, 'assets', 'app-1.js'), 'console.log(1)');
  service = createService({
    registry,
    backends: { hard: new ScriptedStreamingModel('scripted', () => 'ok') },
    logger: pino({ level: 'silent' }),
    tracing: false,
    web,
  });
  server = await listen(service.app);
});

afterAll(async () => {
  await server?.close();
  await service?.drain();
  await registry?.close();
});

describe('the library routes', () => {
  it('names the key and its scopes', async () => {
    expect((await call('/v1/me', reader)).body).toEqual({ name: 'viewer', scopes: ['read'] });
    expect((await call('/v1/me', 'pt_000000000000_nope')).status).toBe(401);
  });

  it("lists a label's moves and lets only an admin roll it back", async () => {
    const history = await call('/v1/tasks/animal/labels/staging/history', reader);
    expect(history.body.data.map((event: { reason: string }) => event.reason)).toEqual([
      'first {{input}}',
      'second {{input}}',
    ]);
    const refused = await call('/v1/tasks/animal/labels/staging/rollback', reader, 'POST');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'AUTH_SCOPE' } });
    // a body it does not know is refused before anything moves
    const unknownField = await call('/v1/tasks/animal/labels/staging/rollback', admin, 'POST', { why: 'x' });
    expect([
      unknownField.status,
      (unknownField.body as unknown as { error: { code: string } }).error.code,
    ]).toEqual([400, 'INVALID_BODY']);
    const rolled = await call('/v1/tasks/animal/labels/staging/rollback', admin, 'POST', {
      reason: 'v2 mislabels cats',
    });
    expect(rolled.status).toBe(200);
    // the reason given is kept (it was dropped unread)
    expect(rolled.body.reason).toMatch(/^rollback of move \d+: v2 mislabels cats$/);
    const versions = await call('/v1/tasks/animal/versions', reader);
    const listed = versions.body.data as { id: string; number: number; method: string }[];
    // each version says its method in words
    expect(listed.map((version) => version.method)).toEqual(listed.map(() => 'hard prompt'));
    const first = listed.find((version) => version.number === 1)!;
    expect(rolled.body).toMatchObject({ moved: true, to: first.id, actor: 'key:boss' });
    const after = (await call('/v1/tasks/animal/labels/staging/history', reader)).body.data;
    expect(after.map((event: { to: string }) => event.to)[2]).toBe(first.id);
    expect((await call('/v1/tasks/nothing/labels/staging/history', reader)).status).toBe(404);
    expect((await call('/v1/tasks/nothing/labels/staging/rollback', admin, 'POST')).status).toBe(404);
    // a label the task never had: not found, not an empty history or "nothing earlier"
    for (const [path, key, method] of [
      ['/v1/tasks/animal/labels/nosuch/history', reader, 'GET'],
      ['/v1/tasks/animal/labels/nosuch/rollback', admin, 'POST'],
    ] as const) {
      const missing = await call(path, key, method);
      const { error } = missing.body as unknown as { error: { code: string; message: string } };
      expect([missing.status, error.code]).toEqual([404, 'REGISTRY_NO_VERSION']);
      expect(error.message).toMatch(/^animal@nosuch is not set/);
    }
  });

  it('refuses a production move the audit policy does not allow (409), and moves it with an override', async () => {
    const task = loadTask(join(root, 'examples', 'name.yaml'));
    const spec = taskSpec.parse({ ...task.spec, audit: { policy: { bias: { maxFlipRate: 0.05 } } } });
    await registry.putTask(spec);
    await registry.pushVersion({
      task: 'name',
      kind: 'hard',
      content: hardVersionContent(spec),
      spec,
      actor: { name: 'ada', scopes: ['admin'] },
    });
    const move = (body: object) =>
      fetch(`${server.url}/v1/tasks/name/labels/production`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ version: 1, reason: 'launch', ...body }),
      });
    // the spec the version serves with, by its specId; not through another task's name, nor an unknown id
    const specId = (await call('/v1/tasks/name/versions/1', reader)).body.specId as string;
    const served = await call(`/v1/tasks/name/specs/${specId}`, reader);
    expect(served.status).toBe(200);
    expect(served.body).toMatchObject({ name: 'name', audit: { policy: { bias: { maxFlipRate: 0.05 } } } });
    for (const path of [`/v1/tasks/animal/specs/${specId}`, '/v1/tasks/name/specs/nosuch']) {
      const missing = await call(path, reader);
      expect([missing.status, (missing.body.error as { code: string }).code]).toEqual([
        404,
        'REGISTRY_NO_SPEC',
      ]);
    }
    const verdict = await call('/v1/tasks/name/versions/1', reader);
    expect(verdict.body.auditPolicy).toEqual([
      {
        label: 'production',
        met: false,
        failures: ['no bias audit of this version is recorded'],
        counted: [],
        notCounted: [],
        heldByIncumbent: false,
        current: false,
      },
    ]);
    const refused = await move({});
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({
      error: { code: 'REGISTRY_AUDIT_POLICY', message: expect.stringContaining('no bias audit') as string },
    });
    const overridden = await move({ overridePolicy: 'first launch, audit scheduled' });
    expect(overridden.status).toBe(200);
    const [event] = (await call('/v1/tasks/name/labels/production/history', reader)).body.data as {
      reason: string;
    }[];
    expect(event.reason).toBe(
      'launch; audit policy overridden by key:boss: first launch, audit scheduled (failed: no bias audit of this version is recorded)',
    );
  });

  it("lists a task's datasets and serves their rows, searched and paged, and statistics", async () => {
    const datasets = (await call('/v1/tasks/animal/datasets', reader)).body.data as {
      id: string;
      split: string;
      rows: number;
    }[];
    expect(datasets.map((dataset) => dataset.split).sort()).toEqual(['dev', 'test', 'train']);
    const train = datasets.find((dataset) => dataset.id === trainId)!;
    const page = await call(`/v1/tasks/animal/datasets/${trainId}/rows?offset=10&limit=5`, reader);
    expect(page.body).toMatchObject({ total: train.rows, matched: train.rows, offset: 10 });
    expect(page.body.data.map((row: { index: number }) => row.index)).toEqual([10, 11, 12, 13, 14]);
    const searched = await call(`/v1/tasks/animal/datasets/${trainId}/rows?q=CAT&limit=500`, reader);
    expect(searched.body.matched).toBeGreaterThan(0);
    expect(searched.body.matched).toBeLessThan(train.rows);
    for (const row of searched.body.data as { fields: object; target: unknown }[])
      expect(`${Object.values(row.fields).join(' ')} ${String(row.target)}`.toLowerCase()).toContain('cat');
    // values are searched, not field names: "input" is in every row's JSON but in few stories
    const named = await call(`/v1/tasks/animal/datasets/${trainId}/rows?q=input&limit=1`, reader);
    expect(named.body.matched).toBeLessThan(train.rows);
    // a dataset read once is still a 404 under another task's name
    expect((await call(`/v1/tasks/nothing/datasets/${trainId}/rows`, reader)).status).toBe(404);
    const stats = await call(`/v1/tasks/animal/datasets/${trainId}/stats`, reader);
    expect(stats.body).toMatchObject({ size: train.rows });
    expect(Object.values(stats.body.labels as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(
      train.rows,
    );
    expect((await call('/v1/tasks/animal/datasets/ffffffff/rows', reader)).body).toMatchObject({
      error: { code: 'DATASET_NOT_FOUND' },
    });
    expect((await call(`/v1/tasks/animal/datasets/${trainId}/rows?limit=0`, reader)).status).toBe(400);
  });

  it('compares two evaluation runs example by example', async () => {
    const { status, body } = await call('/v1/runs/run-a/compare/run-b', reader);
    expect(status).toBe(200);
    expect(body).toMatchObject({ n: 40, difference: 0.3, significant: true, regressed: [] });
    expect(body.improved as unknown[]).toHaveLength(12);
    await registry.runs.start({ id: 'run-opt', kind: 'optimization', task: 'animal', actor: 'ada' });
    expect((await call('/v1/runs/run-a/compare/run-opt', reader)).body).toMatchObject({
      error: { code: 'COMPARE_NOT_EVALUATION' },
    });
    expect((await call('/v1/runs/run-a/compare/run-none', reader)).status).toBe(404);
  });

  it("reports drift of a served version's traffic against its training data", async () => {
    const now = Date.now();
    const task = loadTask(join(root, 'examples', 'animal.yaml'));
    const train = readFileSync(task.files.train!, 'utf8').trim().split('\n');
    const staging = (await registry.resolveVersion('animal', 'staging')).id;
    const trace = (index: number, input: string) => ({
      id: `drift-${index}`,
      at: now - 1000 + index,
      source: 'service' as const,
      run: null,
      operation: 'run' as const,
      model: 'animal@staging',
      task: 'animal',
      version: staging,
      label: 'staging',
      keyId: null,
      user: null,
      input: { input },
      output: 'cat',
      inputTokens: 10,
      outputTokens: 1,
      cost: null,
      latencyMs: 5,
      firstTokenMs: null,
      finishReason: 'stop',
      status: 200,
      errorCode: null,
      checks: null,
      confidence: null,
    });
    // traffic like the training data, then the same stories ten times over: the length has moved
    await registry.traces.insert(
      train.slice(0, 60).map((line, index) => trace(index, (JSON.parse(line) as { input: string }).input)),
    );
    const alike = await call('/v1/drift?task=animal&label=staging&window=1h', reader);
    expect(alike.status).toBe(200);
    expect(alike.body).toMatchObject({
      task: 'animal',
      version: { id: staging },
      reference: { id: trainId },
    });
    expect(alike.body.report).toMatchObject({ currentCount: 60, drifted: false });
    const long = train
      .slice(60, 120)
      .map((line, index) =>
        trace(100 + index, `${(JSON.parse(line) as { input: string }).input} `.repeat(10)),
      );
    await registry.traces.prune({ before: now + 1 });
    await registry.traces.insert(long);
    const moved = await call('/v1/drift?task=animal&label=staging&window=1h', reader);
    expect(moved.body.report).toMatchObject({ currentCount: 60, drifted: true });
    expect((moved.body.report as { moved: string[] }).moved.join(' ')).toMatch(/length|words|characters/);
    expect((await call('/v1/drift?label=staging', reader)).status).toBe(400);
    expect((await call('/v1/drift?task=nothing', reader)).status).toBe(404);
  });

  it('refuses an HTML report for a run that cannot have one, with the reason', async () => {
    // run-a's summary is a bare score (written by this test, not by eval --push); run-opt is running
    for (const id of ['run-a', 'run-opt']) {
      const refused = await call(`/v1/runs/${id}/report`, reader);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: { code: 'RUN_NO_REPORT' } });
    }
    expect((await call('/v1/runs/run-none/report', reader)).status).toBe(404);
  });

  it('serves the dashboard at / and its assets, and nothing outside its folder', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const asset = await fetch(`${server.url}/assets/app-1.js`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await asset.text()).toBe('console.log(1)');
    for (const path of [
      '/assets/..%2Findex.html',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/missing.js',
      '/assets/%zz', // not valid percent-encoding: the caller's mistake, not a 500
      '/assets/%E0%A4%A',
    ])
      expect((await fetch(`${server.url}${path}`)).status).toBe(404);
  });
});
