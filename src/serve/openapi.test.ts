// The OpenAPI document agrees with the routes: its request body schemas (checked with Ajv, draft
// 2020-12) accept and refuse what the routes' zod schemas accept and refuse, for every rule JSON
// Schema can state, and each route lists the error statuses it can answer with.
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi.js';
import {
  chatCompletionRequest,
  labelMoveRequest,
  experimentStartRequest,
  textCompletionRequest,
  typedRunRequest,
} from './request-schemas.js';

const limits = { maxTokens: 64 };
const document = openApiDocument(limits);
type Operation = {
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, unknown>;
};
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods as Record<string, Operation>).map(([method, operation]) => ({
    path,
    method,
    operation,
  })),
);
const ajv = new Ajv2020.default({ strict: false });
const documented = (path: string, method: string) => {
  const operation = operations.find((entry) => entry.path === path && entry.method === method)!.operation;
  return ajv.compile(operation.requestBody!.content['application/json'].schema);
};

const chat = (fields: object) => ({ model: 'story', messages: [{ role: 'user', content: 'x' }], ...fields });
const cases: [
  string,
  { safeParse(value: unknown): { success: boolean } },
  string,
  string,
  unknown,
  boolean,
][] = [
  ['a chat request', chatCompletionRequest(limits), '/v1/chat/completions', 'post', chat({}), true],
  [
    'every chat option',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({
      max_tokens: 64,
      temperature: 2,
      top_p: 0,
      stop: ['a', 'b'],
      seed: -3,
      stream: true,
      stream_options: { include_usage: true },
      user: 'u',
    }),
    true,
  ],
  [
    'text parts',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ messages: [{ role: 'developer', content: [{ type: 'text', text: 'x' }] }] }),
    true,
  ],
  [
    'nulls for absent fields',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ stop: null, seed: null, max_tokens: null }),
    true,
  ],
  ['stop: 123', chatCompletionRequest(limits), '/v1/chat/completions', 'post', chat({ stop: 123 }), false],
  [
    'five stops',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ stop: ['a', 'b', 'c', 'd', 'e'] }),
    false,
  ],
  [
    'seed: "abc"',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ seed: 'abc' }),
    false,
  ],
  [
    'a fractional seed',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ seed: 0.5 }),
    false,
  ],
  [
    'content: 123',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ messages: [{ role: 'user', content: 123 }] }),
    false,
  ],
  [
    'messages: [null]',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ messages: [null] }),
    false,
  ],
  [
    'no messages',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ messages: [] }),
    false,
  ],
  [
    'an unknown role',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ messages: [{ role: 'bot', content: 'x' }] }),
    false,
  ],
  [
    'temperature 3',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ temperature: 3 }),
    false,
  ],
  ['top_p 2', chatCompletionRequest(limits), '/v1/chat/completions', 'post', chat({ top_p: 2 }), false],
  [
    'max_tokens over the limit',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ max_tokens: 65 }),
    false,
  ],
  [
    'max_tokens 0',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ max_tokens: 0 }),
    false,
  ],
  [
    'stream: "yes"',
    chatCompletionRequest(limits),
    '/v1/chat/completions',
    'post',
    chat({ stream: 'yes' }),
    false,
  ],
  [
    'a text request',
    textCompletionRequest(limits),
    '/v1/completions',
    'post',
    { model: 'story', prompt: 'x' },
    true,
  ],
  [
    'a prompt list of one',
    textCompletionRequest(limits),
    '/v1/completions',
    'post',
    { model: 'story', prompt: ['x'] },
    true,
  ],
  [
    'a prompt list of two',
    textCompletionRequest(limits),
    '/v1/completions',
    'post',
    { model: 'story', prompt: ['x', 'y'] },
    false,
  ],
  ['a typed run', typedRunRequest, '/v1/tasks/{name}/run', 'post', { input: { question: 'q' } }, true],
  ['a one-field run', typedRunRequest, '/v1/tasks/{name}/run', 'post', { input: 'x' }, true],
  ['a run without input', typedRunRequest, '/v1/tasks/{name}/run', 'post', {}, false],
  [
    'a run with an extra field',
    typedRunRequest,
    '/v1/tasks/{name}/run',
    'post',
    { input: 'x', more: 1 },
    false,
  ],
  [
    'a label move',
    labelMoveRequest,
    '/v1/tasks/{name}/labels/{label}',
    'put',
    { version: 2, reason: 'ok' },
    true,
  ],
  [
    'a move by label',
    labelMoveRequest,
    '/v1/tasks/{name}/labels/{label}',
    'put',
    { version: 'staging' },
    true,
  ],
  ['a move to version 0', labelMoveRequest, '/v1/tasks/{name}/labels/{label}', 'put', { version: 0 }, false],
  [
    'a move with a numeric reason',
    labelMoveRequest,
    '/v1/tasks/{name}/labels/{label}',
    'put',
    { version: 1, reason: 1 },
    false,
  ],
  [
    'an experiment start',
    experimentStartRequest,
    '/v1/experiments',
    'post',
    {
      task: 'qa',
      treatment: 2,
      primary: 'helpful',
      schedule: [{ weight: 0.05, minimumDurationMs: 0, minimumRequests: 10 }],
    },
    true,
  ],
  [
    'an experiment without a primary',
    experimentStartRequest,
    '/v1/experiments',
    'post',
    { task: 'qa', treatment: 2 },
    false,
  ],
  [
    'an experiment with a weight over 1',
    experimentStartRequest,
    '/v1/experiments',
    'post',
    {
      task: 'qa',
      treatment: 2,
      primary: 'helpful',
      schedule: [{ weight: 2, minimumDurationMs: 0, minimumRequests: 1 }],
    },
    false,
  ],
  [
    'an experiment with an unknown guardrail',
    experimentStartRequest,
    '/v1/experiments',
    'post',
    { task: 'qa', treatment: 2, primary: 'helpful', guardrails: ['cost'] },
    false,
  ],
];

describe('the OpenAPI document', () => {
  it.each(cases)('agrees with the route on %s', (_, schema, path, method, body, valid) => {
    expect(schema.safeParse(body).success).toBe(valid);
    expect(documented(path, method)(body)).toBe(valid);
  });

  it('lists the error statuses of every route', () => {
    for (const { path, operation } of operations) {
      const statuses = Object.keys(operation.responses);
      if (path.startsWith('/v1/'))
        expect([path, statuses]).toEqual([path, expect.arrayContaining(['401', '403', '429', '500'])]);
      if (operation.requestBody)
        expect([path, statuses]).toEqual([path, expect.arrayContaining(['400', '413'])]);
      if (path === '/v1/chat/completions' || path === '/v1/completions' || path.endsWith('/run'))
        expect([path, statuses]).toEqual([path, expect.arrayContaining(['404', '502', '503'])]);
    }
  });
});
