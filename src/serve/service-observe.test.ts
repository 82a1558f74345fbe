// The service's record of its own traffic, end to end on 127.0.0.1 with stories260K on the engine:
// 10,000 requests and 10,000 traces (counted, id by id), streamed and failed requests traced with what
// they were, feedback scored on a key's own responses only, traces listed per key, redaction before
// storage, and the monitor's aggregates over HTTP.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { Redactor, redactionRules, Telemetry, type MonitorReport } from '../observe/index.js';
import { Registry, type TraceRecord } from '../registry/index.js';
import { taskSpec } from '../tasks/spec.js';
import { EngineClient } from './engine-client.js';
import { listen, type RunningServer } from './listen.js';
import { createService, type Service } from './service.js';

const folder = mkdtempSync(join(tmpdir(), 'promptune-observe-'));
const actor = { name: 'test', scopes: ['read', 'run', 'admin'] };
let registry: Registry;
let engine: EngineClient;
let server: RunningServer;
let service: Service;
const spans = new InMemorySpanExporter();
const keys = { alice: '', bob: '', admin: '' };
const keyIds = { alice: '', bob: '', admin: '' };

const post = (path: string, key: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const get = async (path: string, key: string) => {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const chat = (content: string, extra: object = {}) => ({
  model: 'story',
  messages: [{ role: 'user', content }],
  max_tokens: 2,
  ...extra,
});

beforeAll(async () => {
  registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
  await registry.putTask(taskSpec.parse({ name: 'story', prompt: { template: '{{input}}' } }));
  const { version } = await registry.pushVersion({
    task: 'story',
    kind: 'hard',
    content: { template: '{{input}}' },
    actor,
  });
  await registry.setLabel({
    task: 'story',
    label: 'production',
    reference: version.id,
    actor,
    reason: 'test',
  });
  for (const name of ['alice', 'bob', 'admin'] as const) {
    const created = await registry.keys.create({
      name,
      scopes: name === 'admin' ? ['admin'] : ['run', 'read'],
      ratePerMinute: 1e7,
    });
    keys[name] = created.key;
    keyIds[name] = created.id;
  }
  engine = await EngineClient.start(stories.gguf, { maxBatch: 16 });
  service = createService({
    registry,
    backends: { engine, hard: engine.languageModel() },
    tracing: { redactor: new Redactor(redactionRules(['email'])) },
    telemetry: new Telemetry({ spanExporter: spans, batch: false }),
    logger: pino({ level: 'silent' }),
  });
  server = await listen(service.app);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await service?.drain();
  await engine?.close();
  await registry?.close();
});

describe('traces of the service’s requests', () => {
  it('records one trace for each of 10,000 requests, under the id the client got', async () => {
    const total = 10_000;
    const ids: string[] = [];
    let next = 0;
    // 32 clients at once: the engine batches them, the recorder writes behind them
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < total) {
          const index = next++;
          const response = await post('/v1/chat/completions', keys.alice, chat(`Once ${index}`));
          expect(response.status).toBe(200);
          ids.push(((await response.json()) as { id: string }).id);
        }
      }),
    );
    await service.recorder!.flush();
    expect(service.recorder!.stats).toMatchObject({ dropped: 0, failed: 0, queued: 0 });
    expect(await registry.traces.count({ task: 'story', keyId: keyIds.alice })).toBe(total);
    const stored = new Set<string>();
    let after: string | undefined;
    do {
      const page = await registry.traces.list({ task: 'story' }, { limit: 500, after });
      for (const trace of page.data) stored.add(trace.id);
      after = page.next;
    } while (after);
    expect(ids.filter((id) => !stored.has(id))).toEqual([]);
    const sample = await registry.traces.get(ids[1234]);
    expect(sample).toMatchObject({
      source: 'service',
      operation: 'chat',
      model: 'story',
      task: 'story',
      label: 'production',
      keyId: keyIds.alice,
      status: 200,
      errorCode: null,
      finishReason: 'length',
      outputTokens: 2,
      cost: 0, // the local engine: self-hosted
    });
    expect(sample.inputTokens).toBeGreaterThan(0);
    expect(sample.latencyMs).toBeGreaterThan(0);
    // the engine's confidence: its first token's log-probability margin over the runner-up
    expect(sample.confidence).toBeGreaterThan(0);
    expect((sample.input as { messages: { content: string }[] }).messages[0].content).toMatch(/^Once \d+$/);
  }, 300_000);

  it('traces a streamed request with its time to first token, and a failed one with its code', async () => {
    const streamed = await post(
      '/v1/chat/completions',
      keys.bob,
      chat('Lily', { stream: true, max_tokens: 6 }),
    );
    const events = await streamed.text();
    const chunks = events
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)) as { id: string; choices: { delta: { content?: string } }[] });
    const failed = await post('/v1/chat/completions', keys.bob, chat('Lily', { model: 'story@missing' }));
    expect(failed.status).toBe(404);
    await service.recorder!.flush();
    const trace = await registry.traces.get(chunks[0].id);
    expect(trace.output).toBe(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''));
    expect(trace.firstTokenMs).toBeGreaterThan(0);
    expect(trace.firstTokenMs).toBeLessThanOrEqual(trace.latencyMs);
    expect(trace.outputTokens).toBe(6);
    expect(trace.confidence).toBeGreaterThan(0);
    const failure = await registry.traces.get(`request-${failed.headers.get('x-request-id')}`);
    expect(failure).toMatchObject({
      status: 404,
      errorCode: 'REGISTRY_NO_VERSION',
      model: 'story@missing',
      confidence: null,
      task: 'story',
      version: null,
    });
  });

  it('keeps the sampling each answer drew on its trace: its seed sent back gives the same answer', async () => {
    const sampled = async (extra: object) => {
      const response = await post(
        '/v1/chat/completions',
        keys.bob,
        chat('Once', { max_tokens: 12, ...extra }),
      );
      expect(response.status).toBe(200);
      const body = (await response.json()) as { id: string; choices: { message: { content: string } }[] };
      return { id: body.id, content: body.choices[0].message.content };
    };
    const first = await sampled({ temperature: 1.5, top_p: 0.95 });
    const second = await sampled({ temperature: 1.5, top_p: 0.95 });
    const greedy = await sampled({});
    await service.recorder!.flush();
    const [one, two, plain] = await Promise.all(
      [first, second, greedy].map((answer) => registry.traces.get(answer.id)),
    );
    expect(one.sampling).toEqual({
      temperature: 1.5,
      topP: 0.95,
      topK: null,
      maxTokens: 12,
      seed: expect.any(Number),
    });
    // each sampled request without a seed drew its own
    expect(two.sampling!.seed).not.toBe(one.sampling!.seed);
    // greedy decoding: the version's settings (its seed is read by nothing)
    expect(plain.sampling).toEqual({ temperature: 0, topP: null, topK: null, maxTokens: 12, seed: 0 });
    // what a reviewer replays: the same input, version and settings give the same text
    for (const [answer, trace] of [
      [first, one],
      [second, two],
    ] as const) {
      const again = await sampled({ temperature: 1.5, top_p: 0.95, seed: trace.sampling!.seed });
      expect(again.content).toBe(answer.content);
    }
  });

  it('traces a client that leaves mid-stream as 499 client-closed with what it got, not as an error', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.bob}`, 'content-type': 'application/json' },
      // nearly the model's whole context: the stream must still run when the client leaves after its
      // first chunk (200 tokens ended first once, on a loaded machine)
      body: JSON.stringify(chat('Once upon a time', { stream: true, max_tokens: 480 })),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    const id = (JSON.parse(text.slice(text.indexOf('{'), text.indexOf('\n\n'))) as { id: string }).id;
    controller.abort();
    let trace: TraceRecord | undefined;
    for (let attempt = 0; attempt < 100 && !trace; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await service.recorder!.flush();
      trace = await registry.traces.get(id).catch(() => undefined);
    }
    expect(trace).toMatchObject({ status: 499, errorCode: null, finishReason: 'client-closed' });
    expect(trace!.output!.length).toBeGreaterThan(0);
    // what it spent until then (the engine counts with each delta; the finish that reports usage never came)
    expect(trace!.inputTokens).toBeGreaterThan(2);
    expect(trace!.outputTokens).toBeGreaterThanOrEqual(1);
    expect(trace!.outputTokens).toBeLessThan(480);
  });

  it('traces a client that leaves an unstreamed request as 499 client-closed, not as an empty 200', async () => {
    const controller = new AbortController();
    const request = `leaves-${crypto.randomUUID()}`;
    // the client leaves once its generation has started on the engine (a timer could fire before the
    // request is traced on a loaded machine, or after a fast one has answered)
    let started!: () => void;
    const generating = new Promise<void>((resolve) => (started = resolve));
    const generate = engine.generate.bind(engine);
    engine.generate = (...call) => (started(), generate(...call));
    const sent = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.bob}`,
        'content-type': 'application/json',
        'x-request-id': request,
      },
      body: JSON.stringify(chat('Once upon a time', { max_tokens: 480 })),
      signal: controller.signal,
    }).catch(() => undefined);
    await generating;
    controller.abort();
    await sent;
    engine.generate = generate;
    let trace: TraceRecord | undefined;
    for (let attempt = 0; attempt < 100 && !trace; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await service.recorder!.flush();
      trace = await registry.traces.get(`request-${request}`).catch(() => undefined);
    }
    // the server's signal aborts with a string, which hono's error handler never saw: the trace said 200
    expect(trace).toMatchObject({
      status: 499,
      errorCode: null,
      finishReason: 'client-closed',
      output: null,
    });
    expect(trace!.outputTokens).toBeLessThan(480);
  });

  it('redacts before storing', async () => {
    const response = await post('/v1/chat/completions', keys.bob, chat('write to ana@example.com please'));
    const { id } = (await response.json()) as { id: string };
    await service.recorder!.flush();
    const trace = await registry.traces.get(id);
    expect(JSON.stringify(trace.input)).toContain('write to [REDACTED:email] please');
    expect(JSON.stringify(trace)).not.toContain('ana@example.com');
  });
});

describe('feedback, trace reads and the monitor over HTTP', () => {
  it('scores a response for its own key only, and shows the score on the trace and in the monitor', async () => {
    const response = await post('/v1/chat/completions', keys.alice, chat('Tim'));
    const { id } = (await response.json()) as { id: string };
    // straight after the response: the trace may still be queued, and feedback must still find it
    const given = await post('/v1/feedback', keys.alice, {
      id,
      name: 'helpful',
      value: true,
      comment: 'good',
    });
    expect(given.status).toBe(201);
    const foreign = await post('/v1/feedback', keys.bob, { id, name: 'helpful', value: false });
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('TRACE_NOT_FOUND');
    expect(
      (await post('/v1/feedback', keys.admin, { id, name: 'stars', value: 4, correction: 'Tom' })).status,
    ).toBe(201);
    expect((await post('/v1/feedback', keys.alice, { id, name: 'helpful', value: 'yes' })).status).toBe(400);
    // feedback is redacted as traces are, and free-text categories are for admins' eyes only
    const noted = await post('/v1/feedback', keys.alice, {
      id,
      name: 'note',
      value: 'call me at ana@example.com',
      comment: 'or ana@example.com',
      correction: 'Ana (ana@example.com)',
    });
    expect(await noted.json()).toMatchObject({
      category: 'call me at [REDACTED:email]',
      comment: 'or [REDACTED:email]',
      correction: 'Ana ([REDACTED:email])',
    });
    // a correction must be what the task answers: this one answers in text, not an object
    const misfit = await post('/v1/feedback', keys.alice, {
      id,
      name: 'fixed',
      value: true,
      correction: { a: 1 },
    });
    expect(misfit.status).toBe(400);
    expect(((await misfit.json()) as { error: unknown }).error).toMatchObject({
      code: 'SCORE_INVALID',
      param: 'correction',
      message: expect.stringContaining('the correction is not text') as string,
    });
    const empty = await post('/v1/feedback', keys.alice, { id, name: 'fixed', value: true, correction: ' ' });
    expect(((await empty.json()) as { error: { message: string } }).error.message).toContain(
      'the correction is empty',
    );
    // a request refused before any version answered has nothing to correct; a score on it is fine
    const refused = await post('/v1/chat/completions', keys.alice, chat('Once', { temperature: 9 }));
    expect(refused.status).toBe(400);
    const refusedId = `request-${refused.headers.get('x-request-id')}`;
    const uncorrectable = await post('/v1/feedback', keys.alice, {
      id: refusedId,
      name: 'seen',
      value: false,
      correction: 'Tom',
    });
    expect(uncorrectable.status).toBe(400);
    expect(((await uncorrectable.json()) as { error: unknown }).error).toMatchObject({
      code: 'SCORE_INVALID',
      param: 'correction',
      message: expect.stringContaining('no version answered that request') as string,
    });
    expect(
      (await post('/v1/feedback', keys.alice, { id: refusedId, name: 'seen', value: false })).status,
    ).toBe(201);
    const asReader = (await get('/v1/monitor?since=1h', keys.bob)).body as unknown as MonitorReport;
    const asAdmin = (await get('/v1/monitor?since=1h', keys.admin)).body as unknown as MonitorReport;
    const noteOf = (report: MonitorReport) =>
      report.groups.find((group) => group.label === 'production')!.scores.note;
    expect(noteOf(asReader)).toEqual({ kind: 'categorical', count: 1, categories: {} });
    expect(noteOf(asAdmin)).toEqual({
      kind: 'categorical',
      count: 1,
      categories: { 'call me at [REDACTED:email]': 1 },
    });

    const read = await get(`/v1/traces/${id}`, keys.alice);
    expect(read.status).toBe(200);
    const scores = (
      read.body as unknown as TraceRecord & { scores: { name: string; value: number; source: string }[] }
    ).scores;
    // the correction also scored the output with the task's metric (metric.exact-match, source evaluator)
    expect(scores.find((score) => score.name === 'metric.exact-match')).toMatchObject({ value: 0 });
    expect(
      scores
        .filter((score) => score.source === 'feedback')
        .map((score) => [score.name, score.value])
        .sort(),
    ).toEqual([
      ['helpful', 1],
      ['note', null],
      ['stars', 4],
    ]);
    // another key cannot read it, nor find it in its list
    expect((await get(`/v1/traces/${id}`, keys.bob)).status).toBe(404);
    const bobs = (await get('/v1/traces?task=story&limit=500', keys.bob)).body.data as TraceRecord[];
    expect(bobs.length).toBeGreaterThan(0);
    expect(bobs.every((trace) => trace.keyId === keyIds.bob)).toBe(true);
    const scored = (await get('/v1/traces?score=helpful', keys.admin)).body.data as TraceRecord[];
    expect(scored.map((trace) => trace.id)).toEqual([id]);

    const monitor = (await get('/v1/monitor?since=1h', keys.bob)).body as unknown as MonitorReport;
    expect(monitor.window).toBe('minute');
    const production = monitor.groups.find((group) => group.label === 'production')!;
    expect(production.requests).toBeGreaterThanOrEqual(10_003);
    expect(production.scores.helpful).toMatchObject({ kind: 'boolean', count: 1, mean: 1 });
    expect(production.scores.stars).toMatchObject({ kind: 'numeric', count: 1, mean: 4 });
    expect(production.latencyMs!.p50).toBeLessThanOrEqual(production.latencyMs!.p99);
    expect(production.series.reduce((sum, point) => sum + point.requests, 0)).toBe(production.requests);
    // a label the task lacks is still the task's failure
    const failures = monitor.groups.find((group) => group.task === 'story' && group.version === null);
    // as is a request it refused for its body (the refused one above, temperature 9)
    expect(failures?.errors).toEqual({ REGISTRY_NO_VERSION: 1, INVALID_BODY: 1 });
    // a task the registry lacks is not "no traffic"
    for (const path of ['/v1/monitor?since=1h&task=stroy', '/v1/traces?task=stroy']) {
      const unknown = await get(path, keys.bob);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toMatchObject({
        code: 'REGISTRY_NO_TASK',
        hint: expect.stringContaining('story'),
      });
    }
  });
});

describe('OpenTelemetry spans of the service', () => {
  it('waits for the trace of a response another replica answered, and refuses an id none did', async () => {
    // another replica on the same registry answered: its trace is written by it, up to its recorder's
    // interval later (here a second), and feedback sent here at once waits for it
    const replica = createService({
      registry,
      backends: { engine, hard: engine.languageModel() },
      tracing: { flushIntervalMs: 1000 },
      logger: pino({ level: 'silent' }),
    });
    const other = await listen(replica.app);
    try {
      const answered = await fetch(`${other.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.alice}`, 'content-type': 'application/json' },
        body: JSON.stringify(chat('Sam')),
      });
      const { id: elsewhere } = (await answered.json()) as { id: string };
      const across = await post('/v1/feedback', keys.alice, { id: elsewhere, name: 'helpful', value: true });
      expect(across.status).toBe(201);
      // an id no replica answered is still refused, once the wait is over
      const nobody = await post('/v1/feedback', keys.alice, { id: 'nobody', name: 'helpful', value: true });
      expect(nobody.status).toBe(404);
    } finally {
      await other.close();
      await replica.drain();
    }
  });

  it('carries the GenAI conventions and the task, version and label, in the caller’s trace', async () => {
    spans.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.bob}`,
        'content-type': 'application/json',
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
      body: JSON.stringify(chat('Lily', { max_tokens: 3 })),
    });
    const { id } = (await response.json()) as { id: string };
    const finished = spans.getFinishedSpans();
    const request = finished.find((span) => span.name === 'POST /v1/chat/completions')!;
    const call = finished.find((span) => span.name === 'chat story')!;
    expect(request.spanContext().traceId).toBe(traceId);
    expect(call.spanContext().traceId).toBe(traceId);
    expect(call.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'promptune',
      'gen_ai.request.model': 'story',
      'gen_ai.response.id': id,
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.response.finish_reasons': ['length'],
      'promptune.task': 'story',
      'promptune.label': 'production',
    });
    expect(call.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(String(call.attributes['promptune.version'])).toMatch(/^[0-9a-f]{64}$/);
    expect(request.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    // a read route gets its server span, with no model call
    await get('/v1/tasks', keys.bob);
    expect(spans.getFinishedSpans().some((span) => span.name === 'GET /v1/tasks')).toBe(true);
  });
});
