// Failures that are not the caller's, over a real HTTP server on 127.0.0.1 with a real SQLite
// registry: an injected bug (a registry method or a backend model that throws a TypeError) answers
// 500 naming the request id and is logged with its stack and that id, on every route and inside SSE
// streams; an engine fault is a 500 and a context overflow a 400 (stories260K on the engine worker);
// an upstream API's failure is a 502 that says what upstream answered without its key.
import { Hono } from 'hono';
import type { LanguageModelV3, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stories } from '../../test/models.js';
import { pushPassthroughTask } from '../../test/passthrough-task.js';
import { promptText } from '../providers/local-language-model.js';
import { resolveModel } from '../providers/index.js';
import { Registry } from '../registry/index.js';
import { EngineClient } from './engine-client.js';
import { listen, type RunningServer } from './listen.js';
import { createService } from './service.js';
import type { Backends } from './task-model.js';

const folder = mkdtempSync(join(tmpdir(), 'promptune-failures-'));
const actor = { name: 'test', scopes: ['read', 'run', 'admin'] };
const logLines: Record<string, unknown>[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) });
const servers: RunningServer[] = [];
let registry: Registry;
let engine: EngineClient;
let adminKey = '';

/** The detail of the injected bug: it must reach the log, never a response. */
const secretDetail = 'secret detail of a bug';
const bug = () => new TypeError(secretDetail);

/** A hard backend that fails on purpose (the injected fault), as its input text says where. */
const failingModel: LanguageModelV3 = {
  specificationVersion: 'v3',
  provider: 'test.failing',
  modelId: 'failing',
  supportedUrls: {},
  async doGenerate() {
    throw bug();
  },
  async doStream(options) {
    const input = promptText(options.prompt);
    if (input.includes('before')) throw bug();
    let pulls = 0;
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      // some text first, then the failure (an error part, or the stream itself erroring)
      pull(controller) {
        if (pulls++ === 0) {
          controller.enqueue({ type: 'stream-start', warnings: [] });
          controller.enqueue({ type: 'text-delta', id: '0', delta: 'partial' });
        } else if (input.includes('part')) {
          controller.enqueue({ type: 'error', error: bug() });
          controller.close();
        } else controller.error(bug());
      },
    });
    return { stream };
  },
};

async function start(backends: Backends): Promise<string> {
  const service = createService({ registry, backends, logger, limits: { maxTokens: 4096 } });
  const server = await listen(service.app);
  servers.push(server);
  return server.url;
}

beforeAll(async () => {
  registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
  await pushPassthroughTask(registry, { actor });
  adminKey = (await registry.keys.create({ name: 'admin', scopes: ['admin'], ratePerMinute: 1e6 })).key;
  engine = await EngineClient.start(stories.gguf, { adapterDirectory: join(folder, 'adapters') });
}, 60_000);
afterAll(async () => {
  for (const server of servers) await server.close();
  await engine?.close();
  await registry?.close();
});

const request = (url: string, path: string, init: { method?: string; body?: unknown; id?: string } = {}) =>
  fetch(`${url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${adminKey}`,
      'content-type': 'application/json',
      ...(init.id ? { 'x-request-id': init.id } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
const chat = (input: string, extra: object = {}) => ({
  model: 'story',
  messages: [{ role: 'user', content: input }],
  ...extra,
});
/** The error events of an SSE body. */
const sseErrors = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.startsWith('data: {"error"'))
    .map((line) => (JSON.parse(line.slice(6)) as { error: { code: string; message: string } }).error);
const errorLogOf = (id: string) => logLines.find((line) => line.level === 50 && line.requestId === id);

describe('internal errors', () => {
  it('answer 500 naming the request id, and are logged with their stack and that id, on every route', async () => {
    const url = await start({ hard: failingModel });
    const cases: [string, () => void, string, { method?: string; body?: unknown }][] = [
      ['models', () => vi.spyOn(registry, 'taskNames').mockRejectedValueOnce(bug()), '/v1/models', {}],
      ['tasks', () => vi.spyOn(registry, 'getTask').mockRejectedValueOnce(bug()), '/v1/tasks/story', {}],
      [
        'versions',
        () => vi.spyOn(registry, 'listVersions').mockRejectedValueOnce(bug()),
        '/v1/tasks/story/versions',
        {},
      ],
      ['chat', () => undefined, '/v1/chat/completions', { body: chat('Once') }],
      [
        'chat before streaming',
        () => undefined,
        '/v1/chat/completions',
        { body: chat('before', { stream: true }) },
      ],
      ['completions', () => undefined, '/v1/completions', { body: { model: 'story', prompt: 'Once' } }],
      ['run', () => undefined, '/v1/tasks/story/run', { body: { input: 'Once' } }],
      [
        'label',
        () => vi.spyOn(registry, 'setLabel').mockRejectedValueOnce(bug()),
        '/v1/tasks/story/labels/staging',
        { method: 'PUT', body: { version: 1 } },
      ],
    ];
    for (const [name, inject, path, init] of cases) {
      inject();
      const id = `case-${name.replaceAll(' ', '-')}`;
      const response = await request(url, path, { ...init, id });
      const text = await response.text();
      expect([name, response.status, response.headers.get('x-request-id')]).toEqual([name, 500, id]);
      const { error } = JSON.parse(text) as { error: { code: string; message: string; type: string } };
      expect([name, error.code, error.type]).toEqual([name, 'INTERNAL', 'server_error']);
      expect(error.message).toBe(`internal error; see the service log, request id ${id}`);
      expect(text).not.toContain(secretDetail);
      const logged = errorLogOf(id) as { err: { stack: string } } | undefined;
      expect(logged?.err.stack, name).toMatch(new RegExp(`TypeError: ${secretDetail}\\n\\s+at `));
      // and the request's own log line names the same id
      expect(
        logLines.some((line) => line.msg === 'request' && line.requestId === id && line.status === 500),
      ).toBe(true);
    }
    vi.restoreAllMocks();
  });

  it('inside an SSE stream: an error event naming the request id, logged with its stack', async () => {
    const url = await start({ hard: failingModel });
    for (const input of ['an error part', 'a stream that errors']) {
      const id = `stream-${input.replaceAll(' ', '-')}`;
      const response = await request(url, '/v1/chat/completions', {
        body: chat(input, { stream: true }),
        id,
      });
      expect(response.status).toBe(200); // the stream had started
      const text = await response.text();
      expect(text).toContain('"content":"partial"');
      expect(sseErrors(text)).toEqual([
        {
          message: `internal error; see the service log, request id ${id}`,
          type: 'server_error',
          param: null,
          code: 'INTERNAL',
          hint: expect.any(String),
        },
      ]);
      expect(text).not.toContain(secretDetail);
      expect(text.trim().endsWith('data: [DONE]')).toBe(true);
      expect((errorLogOf(id) as { err: { stack: string } }).err.stack).toContain(
        `TypeError: ${secretDetail}`,
      );
      // its one log line is written when the stream ends, saying how it ended (not the 200 it began with)
      const lines = () => logLines.filter((line) => line.msg === 'request' && line.requestId === id);
      await vi.waitFor(() => expect(lines()).toHaveLength(1));
      expect(lines()).toEqual([expect.objectContaining({ status: 500, code: 'INTERNAL' })]);
    }
  });

  it('say not ready, naming the registry, while its database is unreachable, and a lost connection is a 503', async () => {
    const url = await start({ hard: failingModel });
    const lost = () =>
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:5432'), { code: 'ECONNREFUSED' });
    vi.spyOn(registry, 'taskNames').mockRejectedValueOnce(lost());
    const ready = await fetch(`${url}/ready`);
    expect([ready.status, await ready.json()]).toEqual([
      503,
      { status: 'unavailable', registry: 'unreachable' },
    ]);
    // said once a minute while it lasts, without a stack (a probe asks every few seconds)
    expect(
      logLines.some(
        (line) =>
          line.msg ===
            "not ready: the registry database: the registry's database is unreachable (said once a minute while it is)" &&
          line.error === 'connect ECONNREFUSED 10.0.0.9:5432',
      ),
    ).toBe(true);
    vi.spyOn(registry, 'taskNames').mockRejectedValueOnce(lost());
    const models = await request(url, '/v1/models');
    expect(models.status).toBe(503);
    expect(((await models.json()) as { error: { code: string } }).error.code).toBe('REGISTRY_UNAVAILABLE');
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    vi.restoreAllMocks();
  });

  it('gives every response a request id: a sane incoming one is kept, anything else replaced', async () => {
    const url = await start({ hard: failingModel });
    const cases: [string | undefined, boolean][] = [
      ['trace-0123_abc.def:1', true],
      [undefined, false],
      ['has spaces in it', false],
      ['x'.repeat(200), false],
      ['<script>', false],
    ];
    for (const [incoming, kept] of cases) {
      for (const path of ['/health', '/v1/models', '/v1/nothing']) {
        const response = await fetch(`${url}${path}`, {
          headers: incoming ? { 'x-request-id': incoming } : {},
        });
        const id = response.headers.get('x-request-id');
        if (kept) expect(id).toBe(incoming);
        else expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      }
    }
  });
});

describe('engine failures', () => {
  it('answer 500 for a fault of the engine and 400 for a context overflow', async () => {
    const local = engine.languageModel();
    // a hard backend that hands the engine worker a prompt it cannot read when the input says so: the
    // worker throws a TypeError, a fault of the engine rather than of the request
    const corrupting: LanguageModelV3 = {
      ...local,
      doGenerate: (options) =>
        local.doGenerate(
          promptText(options.prompt).includes('corrupt')
            ? { ...options, prompt: [{ role: 'user', content: null as never }] }
            : options,
        ),
      doStream: (options) =>
        local.doStream(
          promptText(options.prompt).includes('corrupt')
            ? { ...options, prompt: [{ role: 'user', content: null as never }] }
            : options,
        ),
    };
    const url = await start({ engine, hard: corrupting });
    const fault = await request(url, '/v1/chat/completions', {
      body: chat('corrupt', { max_tokens: 4 }),
      id: 'fault',
    });
    const faultBody = await fault.text();
    expect(fault.status).toBe(500);
    expect(JSON.parse(faultBody).error).toMatchObject({
      code: 'ENGINE_FAILED',
      message: 'the local engine failed (ENGINE_FAILED); see the service log, request id fault',
    });
    expect(faultBody).not.toMatch(/TypeError|engine-worker/);
    // the log carries the worker's own stack
    expect((errorLogOf('fault') as { err: { stack: string } }).err.stack).toMatch(
      /TypeError[\s\S]*engine-worker/,
    );
    const streamed = await request(url, '/v1/chat/completions', {
      body: chat('corrupt', { max_tokens: 4, stream: true }),
      id: 'fault-streamed',
    });
    // a stream that fails before its first token answers with the error's own status, not a 200
    expect(streamed.status).toBe(500);
    expect(JSON.parse(await streamed.text()).error.code).toBe('ENGINE_FAILED');
    expect(errorLogOf('fault-streamed')).toBeDefined();
    const overflow = await request(url, '/v1/chat/completions', {
      body: chat('Once upon a time '.repeat(200), { max_tokens: 2000 }),
      id: 'overflow',
    });
    expect(overflow.status).toBe(400);
    expect(((await overflow.json()) as { error: { code: string } }).error.code).toBe('CONTEXT_OVERFLOW');
    expect(errorLogOf('overflow')).toBeUndefined(); // the caller's mistake is not logged as a fault
    const overflowStreamed = await request(url, '/v1/chat/completions', {
      body: chat('Once upon a time '.repeat(200), { max_tokens: 2000, stream: true }),
    });
    expect(overflowStreamed.status).toBe(400);
    expect(((await overflowStreamed.json()) as { error: { code: string } }).error.code).toBe(
      'CONTEXT_OVERFLOW',
    );
    const fine = await request(url, '/v1/chat/completions', { body: chat('Once', { max_tokens: 4 }) });
    expect(fine.status).toBe(200);
  });
});

describe('upstream failures', () => {
  it('answer 502 (503 when rate limited) saying what upstream answered, never its key', async () => {
    const secret = 'sk-proj-Zq81abcDEF234ghiJKL567mnoPQR890stu';
    const upstream = new Hono();
    upstream.post('/v1/chat/completions', async (context) => {
      const { model } = (await context.req.json()) as { model: string };
      const authorization = context.req.header('authorization') ?? '';
      if (model === 'unauthorized')
        return context.json(
          {
            error: {
              message: `Incorrect API key provided: ${authorization.slice(7)}`,
              code: 'invalid_api_key',
            },
          },
          401,
        );
      if (model === 'echoing')
        return context.json({ error: { message: `rejected header ${authorization}` } }, 400);
      if (model === 'limited')
        return context.json({ error: { message: 'Rate limit reached' } }, 429, { 'retry-after': '7' });
      return context.json({ error: { message: 'The server had an error' } }, 500);
    });
    const stub = await listen(upstream);
    servers.push(stub);
    const environment = { OPENAI_COMPATIBLE_API_KEY: secret };
    // upstream rate limiting the service is the service's unavailability (503 with upstream's
    // Retry-After), not a 429 that would tell the caller its own key is over its limit
    const cases: [string, string, number, string, RegExp][] = [
      ['unauthorized', stub.url, 502, 'UPSTREAM_ERROR', /answered HTTP 401: Incorrect API key provided/],
      ['echoing', stub.url, 502, 'UPSTREAM_ERROR', /answered HTTP 400: rejected header Bearer \[redacted\]/],
      ['limited', stub.url, 503, 'UPSTREAM_RATE_LIMITED', /answered HTTP 429: Rate limit reached/],
      ['broken', stub.url, 502, 'UPSTREAM_ERROR', /answered HTTP 500: The server had an error/],
      ['unreachable', 'http://127.0.0.1:9', 502, 'UPSTREAM_UNREACHABLE', /could not be reached/],
    ];
    for (const [model, base, status, code, message] of cases) {
      const { model: hard } = await resolveModel(`openai-compatible:${base}/v1#${model}`, { environment });
      const url = await start({ hard });
      // a streamed request fails before its stream starts: a 502 as well
      for (const stream of [false, true]) {
        const response = await request(url, '/v1/chat/completions', { body: chat('Once', { stream }) });
        const text = await response.text();
        const { error } = JSON.parse(text) as { error: { code: string; message: string } };
        expect([model, stream, response.status, error.code]).toEqual([model, stream, status, code]);
        expect(response.headers.get('retry-after')).toBe(model === 'limited' ? '7' : null);
        expect(error.message).toMatch(message);
        expect(text).not.toContain(secret);
        expect(text).not.toContain(secret.slice(8, 30));
      }
    }
    // the service log says what upstream answered, without the key either
    expect(logLines.filter((line) => line.msg === 'backend model failed')).toHaveLength(cases.length * 2);
    expect(JSON.stringify(logLines)).not.toContain(secret.slice(8, 30));
  });
});
