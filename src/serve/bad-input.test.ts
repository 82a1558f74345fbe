// Bad input on every route of the service, table-driven, over a real HTTP server on 127.0.0.1 with a
// real SQLite registry and the stories260K engine: each case answers its 4xx in OpenAI's error shape
// with a SCREAMING_SNAKE code and a hint (and `param` where a body field is at fault), never a 500, a
// stack trace or an absolute path, and the registry (versions, labels and their history, logged
// requests) is the same after the whole table as before it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot, sharedModels, stories } from '../../test/models.js';
import { hardContent, pushPassthroughTask } from '../../test/passthrough-task.js';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/spec.js';
import { badInputCases as cases, chat, text, type Case } from './bad-input.case.js';
import { EngineClient } from './engine-client.js';
import { listen, type RunningServer } from './listen.js';
import { createService } from './service.js';

const folder = mkdtempSync(join(tmpdir(), 'promptune-bad-input-'));
const actor = { name: 'test', scopes: ['read', 'run', 'admin'] };
const logLines: Record<string, unknown>[] = [];
let registry: Registry;
let engine: EngineClient;
let server: RunningServer;
const keys: Record<'run' | 'read' | 'admin', string> = { run: '', read: '', admin: '' };

beforeAll(async () => {
  registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
  await pushPassthroughTask(registry, { actor, label: 'production' });
  await registry.putTask(
    taskSpec.parse({
      name: 'qa',
      prompt: { template: 'Q: {{question}} C: {{context}}' },
      input: { fields: ['question', 'context'] },
    }),
  );
  await registry.pushVersion({
    task: 'qa',
    kind: 'hard',
    content: hardContent('Q: {{question}} C: {{context}}'),
    actor,
  });
  for (const scope of ['run', 'read', 'admin'] as const)
    keys[scope] = (
      await registry.keys.create({
        name: scope,
        scopes: scope === 'run' ? ['run', 'read'] : [scope],
        ratePerMinute: 1e6,
      })
    ).key;
  engine = await EngineClient.start(stories.gguf, { adapterDirectory: join(folder, 'adapters') });
  const service = createService({
    registry,
    backends: { engine, hard: engine.languageModel() },
    limits: { bodyBytes: 64_000, maxTokens: 64 },
    logger: pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) }),
  });
  server = await listen(service.app);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await engine?.close();
  await registry?.close();
});

/** Everything a bad request must leave as it was. */
async function registryState() {
  const tasks = await registry.listTasks();
  const perTask = [];
  for (const task of ['story', 'qa']) {
    const labels = await registry.listLabels(task);
    const histories = [];
    for (const label of ['production', 'staging', 'canary'])
      histories.push(await registry.labelHistory(task, label));
    perTask.push({
      spec: await registry.getTask(task),
      versions: await registry.listVersions(task),
      labels,
      histories,
    });
  }
  return { tasks, perTask };
}

async function send(entry: Case): Promise<Response> {
  const key = entry.key ?? 'run';
  const secret =
    key === 'none' ? undefined : key === 'bogus' ? `pt_000000000000_${'A'.repeat(43)}` : keys[key];
  const method = entry.method ?? (entry.body === undefined ? 'GET' : 'POST');
  return fetch(`${server.url}${entry.path}`, {
    method,
    headers: {
      ...(secret ? { authorization: `Bearer ${secret}` } : {}),
      ...(entry.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body:
      entry.body === undefined
        ? undefined
        : typeof entry.body === 'string'
          ? entry.body
          : JSON.stringify(entry.body),
  });
}

describe('bad input on every route', () => {
  it(`answers each of ${cases.length} bad requests with its 4xx, code and hint, and changes nothing`, async () => {
    const before = await registryState();
    const failures: string[] = [];
    for (const entry of cases) {
      const response = await send(entry);
      const text = await response.text();
      let error: { message?: unknown; type?: unknown; code?: unknown; hint?: unknown; param?: unknown } = {};
      try {
        error = (JSON.parse(text) as { error: typeof error }).error ?? {};
      } catch {
        // an answer that is not JSON fails the checks below
      }
      const problems = [
        response.status !== entry.status && `status ${response.status}, expected ${entry.status}`,
        error.code !== entry.code && `code ${String(error.code)}, expected ${entry.code}`,
        !/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(String(error.code)) && 'code is not SCREAMING_SNAKE',
        (typeof error.hint !== 'string' || !error.hint) && 'no hint',
        (typeof error.message !== 'string' || !error.message) && 'no message',
        typeof error.type !== 'string' && 'no type',
        entry.param !== undefined &&
          error.param !== entry.param &&
          `param ${String(error.param)}, expected ${entry.param}`,
        /\n\s+at |\.ts:\d+|\.js:\d+/.test(text) && 'a stack trace in the body',
        [folder, repositoryRoot, sharedModels, tmpdir()].some((path) => text.includes(path)) &&
          'a path in the body',
        !response.headers.get('x-request-id') && 'no x-request-id',
      ].filter(Boolean);
      if (problems.length) failures.push(`${entry.name}: ${problems.join('; ')} (${text.slice(0, 300)})`);
    }
    expect(failures).toEqual([]);
    expect(await registryState()).toEqual(before);
    // no bad request was mistaken for a fault of the service
    expect(logLines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  }, 60_000);

  it('counts a request refused before its task was resolved against the task it named, if there is one', async () => {
    const taskOf = async (entry: Omit<Case, 'name' | 'status' | 'code'>) => {
      const response = await send({ name: '', status: 400, code: '', ...entry });
      expect(response.status).toBeGreaterThanOrEqual(400);
      const id = `request-${response.headers.get('x-request-id')}`;
      for (let attempt = 0; attempt < 300; attempt++) {
        const trace = await registry.traces.get(id).catch(() => undefined);
        if (trace) return trace.task;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`trace ${id} was not stored`);
    };
    expect(await taskOf({ path: '/v1/chat/completions', body: chat({ max_tokens: 10 ** 9 }) })).toBe('story');
    expect(await taskOf({ path: '/v1/chat/completions', body: chat({ temperature: 5 }) })).toBe('story');
    expect(await taskOf({ path: '/v1/tasks/story/run', body: 'not json' })).toBe('story');
    expect(await taskOf({ path: '/v1/tasks/story/run', body: { input: 5 } })).toBe('story');
    // nothing named, or a name that is no task: no task's
    expect(await taskOf({ path: '/v1/chat/completions', body: chat({ model: 'nosuch' }) })).toBeNull();
    expect(await taskOf({ path: '/v1/chat/completions', body: '{"model": ' })).toBeNull();
    expect(await taskOf({ path: '/v1/tasks/nosuch/run', body: { input: 5 } })).toBeNull();
  });

  it('names the field at fault first in its hint, and the task a misspelt model meant', async () => {
    const read = async (body: object) =>
      (
        (await (
          await send({ name: '', path: '/v1/chat/completions', body, status: 400, code: '' })
        ).json()) as {
          error: { message: string; hint: string };
        }
      ).error;
    const hot = await read(chat({ temperature: 5 }));
    expect(hot.hint).toMatch(/^Fix temperature \(.*2.*\)\. Send \{ "model"/);
    const misspelt = await read(chat({ model: 'stroy' }));
    expect(misspelt.message).toContain('there is no task named stroy; did you mean story?');
  });

  it('accepts what OpenAI clients send that changes nothing, and nulls for absent fields', async () => {
    const harmless = [
      chat({ user: 'someone', metadata: { a: 'b' }, store: false, n: 1, stop: null, seed: null }),
      chat({ tools: [], tool_choice: 'none', logprobs: false, response_format: { type: 'text' } }),
      chat({ frequency_penalty: 0, presence_penalty: 0, logit_bias: {}, parallel_tool_calls: true }),
      chat({
        messages: [
          { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Once' }], name: 'ann' },
        ],
      }),
      chat({
        messages: [
          { role: 'assistant', content: null },
          { role: 'user', content: 'Once' },
        ],
        max_tokens: null,
        max_completion_tokens: 4,
      }),
    ];
    for (const body of harmless) {
      const response = await send({ name: '', path: '/v1/chat/completions', body, status: 200, code: '' });
      expect(response.status, JSON.stringify(body)).toBe(200);
    }
    const completion = await send({
      name: '',
      path: '/v1/completions',
      body: text({ echo: false, best_of: 1, suffix: null, logprobs: null }),
      status: 200,
      code: '',
    });
    expect(completion.status).toBe(200);
  });
});
