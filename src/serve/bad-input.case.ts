// The bad requests of bad-input.test.ts, one table per route: what each sends, and the status, code
// and body field it must answer with. Data only; the test sets up the service (tasks story and qa, keys
// run, read and admin, max_tokens up to 64, bodies up to 64 kB) and checks every answer.

/** Which key a request carries: one of the test's, none, or one the registry never issued. */
export type Key = 'run' | 'read' | 'admin' | 'none' | 'bogus';

/** One bad request: what it sends and the status, code (and body field) it must answer with. */
export interface Case {
  name: string;
  method?: 'GET' | 'POST' | 'PUT';
  path: string;
  key?: Key;
  /** A value is sent as JSON; a string is sent as is. */
  body?: unknown;
  status: number;
  code: string;
  param?: string | null;
}

/** A valid chat completion request with `fields` changed. */
export const chat = (fields: object) => ({
  model: 'story',
  messages: [{ role: 'user', content: 'Once' }],
  max_tokens: 4,
  ...fields,
});
const user = (content: unknown) => chat({ messages: [{ role: 'user', content }] });
/** A valid text completion request with `fields` changed. */
export const text = (fields: object) => ({ model: 'story', prompt: 'Once', max_tokens: 4, ...fields });
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepMessages = `{"model":"story","messages":[{"role":"user","content":"x","extra":${nested(200)}}]}`;

const chatCases: Case[] = [
  ...(
    [
      ['stop is a number', chat({ stop: 123 }), 'INVALID_BODY', 'stop'],
      ['stop has a number', chat({ stop: ['a', 1] }), 'INVALID_BODY', 'stop.1'],
      ['stop has five strings', chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), 'INVALID_BODY', 'stop'],
      ['seed is a string', chat({ seed: 'abc' }), 'INVALID_BODY', 'seed'],
      ['seed is a fraction', chat({ seed: 1.5 }), 'INVALID_BODY', 'seed'],
      ['seed is huge', chat({ seed: 1e300 }), 'INVALID_BODY', 'seed'],
      ['content is a number', user(123), 'INVALID_BODY', 'messages.0.content'],
      ['content is an object', user({ text: 'x' }), 'INVALID_BODY', 'messages.0.content'],
      ['a message is null', chat({ messages: [null] }), 'INVALID_BODY', 'messages.0'],
      ['a message is a string', chat({ messages: ['hi'] }), 'INVALID_BODY', 'messages.0'],
      [
        'an image part',
        user([{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }]),
        'UNSUPPORTED_CONTENT',
        'messages.0.content.0.type',
      ],
      ['an audio part', user([{ type: 'input_audio' }]), 'UNSUPPORTED_CONTENT', 'messages.0.content.0.type'],
      [
        'a text part of a number',
        user([{ type: 'text', text: 5 }]),
        'INVALID_BODY',
        'messages.0.content.0.text',
      ],
      ['a text part without text', user([{ type: 'text' }]), 'INVALID_BODY', 'messages.0.content.0.text'],
      ['a part without type', user([{ text: 'x' }]), 'INVALID_BODY', 'messages.0.content.0.type'],
      ['a part that is null', user([null]), 'INVALID_BODY', 'messages.0.content.0'],
      [
        'a tool message',
        chat({ messages: [{ role: 'tool', content: 'x', tool_call_id: 'a' }] }),
        'UNSUPPORTED_ROLE',
        'messages.0.role',
      ],
      [
        'a function message',
        chat({ messages: [{ role: 'function', name: 'f' }] }),
        'UNSUPPORTED_ROLE',
        'messages.0.role',
      ],
      [
        'an unknown role',
        chat({ messages: [{ role: 'robot', content: 'x' }] }),
        'INVALID_BODY',
        'messages.0.role',
      ],
      [
        'a role of a number',
        chat({ messages: [{ role: 1, content: 'x' }] }),
        'INVALID_BODY',
        'messages.0.role',
      ],
      [
        'name is a number',
        chat({ messages: [{ role: 'user', content: 'x', name: 5 }] }),
        'INVALID_BODY',
        'messages.0.name',
      ],
      [
        'assistant tool calls',
        chat({
          messages: [
            { role: 'assistant', content: null, tool_calls: [{ id: 'a' }] },
            { role: 'user', content: 'x' },
          ],
        }),
        'UNSUPPORTED_PARAMETER',
        'messages.0.tool_calls',
      ],
      ['no messages', chat({ messages: [] }), 'INVALID_BODY', 'messages'],
      ['messages missing', { model: 'story' }, 'INVALID_BODY', 'messages'],
      ['messages is a string', chat({ messages: 'hi' }), 'INVALID_BODY', 'messages'],
      ['model missing', { messages: [{ role: 'user', content: 'x' }] }, 'INVALID_BODY', 'model'],
      ['model is a number', chat({ model: 5 }), 'INVALID_BODY', 'model'],
      ['model is empty', chat({ model: '' }), 'INVALID_BODY', 'model'],
      ['max_tokens too large', chat({ max_tokens: 1_000_000 }), 'MAX_TOKENS_OUT_OF_RANGE', 'max_tokens'],
      ['max_tokens huge', chat({ max_tokens: 1e300 }), 'MAX_TOKENS_OUT_OF_RANGE', 'max_tokens'],
      ['max_tokens negative', chat({ max_tokens: -1 }), 'MAX_TOKENS_OUT_OF_RANGE', 'max_tokens'],
      ['max_tokens zero', chat({ max_tokens: 0 }), 'MAX_TOKENS_OUT_OF_RANGE', 'max_tokens'],
      ['max_tokens a fraction', chat({ max_tokens: 1.5 }), 'MAX_TOKENS_OUT_OF_RANGE', 'max_tokens'],
      ['max_tokens a string', chat({ max_tokens: '10' }), 'INVALID_BODY', 'max_tokens'],
      [
        'max_tokens and max_completion_tokens disagree',
        chat({ max_tokens: 4, max_completion_tokens: 8 }),
        'INVALID_BODY',
        'max_completion_tokens',
      ],
      [
        'stream_options without stream',
        chat({ stream_options: { include_usage: true } }),
        'INVALID_BODY',
        'stream_options',
      ],
      [
        'max_completion_tokens too large',
        chat({ max_completion_tokens: 65 }),
        'MAX_TOKENS_OUT_OF_RANGE',
        'max_completion_tokens',
      ],
      ['temperature negative', chat({ temperature: -1 }), 'INVALID_BODY', 'temperature'],
      ['temperature above 2', chat({ temperature: 2.5 }), 'INVALID_BODY', 'temperature'],
      ['temperature a string', chat({ temperature: 'hot' }), 'INVALID_BODY', 'temperature'],
      ['temperature a boolean', chat({ temperature: true }), 'INVALID_BODY', 'temperature'],
      ['top_p above 1', chat({ top_p: 1.5 }), 'INVALID_BODY', 'top_p'],
      ['top_p negative', chat({ top_p: -0.1 }), 'INVALID_BODY', 'top_p'],
      ['top_k zero', chat({ top_k: 0 }), 'INVALID_BODY', 'top_k'],
      ['top_k a fraction', chat({ top_k: 2.5 }), 'INVALID_BODY', 'top_k'],
      ['max_token, a typo of max_tokens', chat({ max_token: 5 }), 'UNKNOWN_PARAMETER', 'max_token'],
      ['temprature, a typo of temperature', chat({ temprature: 0.5 }), 'UNKNOWN_PARAMETER', 'temprature'],
      ['stream a string', chat({ stream: 'yes' }), 'INVALID_BODY', 'stream'],
      ['stream_options a number', chat({ stream_options: 3 }), 'INVALID_BODY', 'stream_options'],
      [
        'include_usage a string',
        chat({ stream: true, stream_options: { include_usage: 'yes' } }),
        'INVALID_BODY',
        'stream_options.include_usage',
      ],
      ['n of 2', chat({ n: 2 }), 'UNSUPPORTED_PARAMETER', 'n'],
      ['n a string', chat({ n: 'one' }), 'UNSUPPORTED_PARAMETER', 'n'],
      [
        'tools',
        chat({ tools: [{ type: 'function', function: { name: 'f' } }] }),
        'UNSUPPORTED_PARAMETER',
        'tools',
      ],
      ['tool_choice required', chat({ tool_choice: 'required' }), 'UNSUPPORTED_PARAMETER', 'tool_choice'],
      ['functions', chat({ functions: [{ name: 'f' }] }), 'UNSUPPORTED_PARAMETER', 'functions'],
      ['logprobs', chat({ logprobs: true }), 'UNSUPPORTED_PARAMETER', 'logprobs'],
      ['top_logprobs', chat({ top_logprobs: 3 }), 'UNSUPPORTED_PARAMETER', 'top_logprobs'],
      [
        'a JSON response format',
        chat({ response_format: { type: 'json_object' } }),
        'UNSUPPORTED_PARAMETER',
        'response_format',
      ],
      ['a frequency penalty', chat({ frequency_penalty: 0.5 }), 'UNSUPPORTED_PARAMETER', 'frequency_penalty'],
      ['a presence penalty', chat({ presence_penalty: -1 }), 'UNSUPPORTED_PARAMETER', 'presence_penalty'],
      ['a logit bias', chat({ logit_bias: { '1': 5 } }), 'UNSUPPORTED_PARAMETER', 'logit_bias'],
      ['audio out', chat({ modalities: ['text', 'audio'] }), 'UNSUPPORTED_PARAMETER', 'modalities'],
      ['a null body', 'null', 'INVALID_BODY', null],
      ['an array body', '[]', 'INVALID_BODY', null],
      ['a number body', '42', 'INVALID_BODY', null],
      ['a string body', '"hello"', 'INVALID_BODY', null],
      ['text that is not JSON', '{not json', 'INVALID_JSON', null],
      ['an empty body', '', 'INVALID_JSON', null],
      [
        'temperature 1e400 (Infinity)',
        '{"model":"story","messages":[],"temperature":1e400}',
        'INVALID_BODY',
        'temperature',
      ],
      ['JSON nested 10,000 deep', nested(10_000), 'INVALID_JSON', null],
      ['a field nested 200 deep', deepMessages, 'INVALID_JSON', null],
    ] as const
  ).map(([name, body, code, param]): Case => ({
    name: `chat: ${name}`,
    path: '/v1/chat/completions',
    body,
    status: 400,
    code,
    param,
  })),
  {
    name: 'chat: no key',
    path: '/v1/chat/completions',
    key: 'none',
    body: chat({}),
    status: 401,
    code: 'AUTH_MISSING_KEY',
  },
  {
    name: 'chat: unknown key',
    path: '/v1/chat/completions',
    key: 'bogus',
    body: chat({}),
    status: 401,
    code: 'AUTH_INVALID_KEY',
  },
  {
    name: 'chat: read-only key',
    path: '/v1/chat/completions',
    key: 'read',
    body: chat({}),
    status: 403,
    code: 'AUTH_SCOPE',
  },
  {
    name: 'chat: unknown task',
    path: '/v1/chat/completions',
    body: chat({ model: 'nope' }),
    status: 404,
    code: 'REGISTRY_NO_TASK',
  },
  {
    name: 'chat: unknown label',
    path: '/v1/chat/completions',
    body: chat({ model: 'story@nolabel' }),
    status: 404,
    code: 'REGISTRY_NO_VERSION',
  },
  {
    name: 'chat: bad model name',
    path: '/v1/chat/completions',
    body: chat({ model: '../etc/passwd' }),
    status: 400,
    code: 'SERVE_BAD_MODEL_NAME',
  },
  {
    name: 'chat: empty reference',
    path: '/v1/chat/completions',
    body: chat({ model: 'story@' }),
    status: 400,
    code: 'SERVE_BAD_MODEL_NAME',
  },
  {
    name: 'chat: no user message',
    path: '/v1/chat/completions',
    body: chat({ messages: [{ role: 'system', content: 'x' }] }),
    status: 400,
    code: 'TASK_INPUT_MISSING',
  },
  {
    name: 'chat: a context overflow',
    path: '/v1/chat/completions',
    body: chat({ messages: [{ role: 'user', content: 'Once upon a time '.repeat(520) }], max_tokens: 64 }),
    status: 400,
    code: 'CONTEXT_OVERFLOW',
  },
  {
    name: 'chat: too large',
    path: '/v1/chat/completions',
    body: user('x'.repeat(70_000)),
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
];

const completionCases: Case[] = (
  [
    ['prompt is an array', text({ prompt: ['a', 'b'] }), 'INVALID_BODY', 'prompt'],
    ['prompt is tokens', text({ prompt: [1, 2, 3] }), 'INVALID_BODY', 'prompt'],
    ['prompt is a number', text({ prompt: 5 }), 'INVALID_BODY', 'prompt'],
    ['prompt missing', { model: 'story' }, 'INVALID_BODY', 'prompt'],
    ['echo', text({ echo: true }), 'UNSUPPORTED_PARAMETER', 'echo'],
    ['best_of', text({ best_of: 3 }), 'UNSUPPORTED_PARAMETER', 'best_of'],
    ['suffix', text({ suffix: 'end' }), 'UNSUPPORTED_PARAMETER', 'suffix'],
    ['logprobs', text({ logprobs: 2 }), 'UNSUPPORTED_PARAMETER', 'logprobs'],
    ['stop is a number', text({ stop: 123 }), 'INVALID_BODY', 'stop'],
    ['seed is a string', text({ seed: 'abc' }), 'INVALID_BODY', 'seed'],
    ['max_tokens negative', text({ max_tokens: -5 }), 'MAX_TOKENS_OUT_OF_RANGE', 'max_tokens'],
    ['temperature a string', text({ temperature: 'warm' }), 'INVALID_BODY', 'temperature'],
    ['top_p a string', text({ top_p: 'high' }), 'INVALID_BODY', 'top_p'],
    ['top_k a string', text({ top_k: 'few' }), 'INVALID_BODY', 'top_k'],
    ['stops, a typo of stop', text({ stops: ['\n'] }), 'UNKNOWN_PARAMETER', 'stops'],
    ['stream a number', text({ stream: 1 }), 'INVALID_BODY', 'stream'],
    ['a null body', 'null', 'INVALID_BODY', null],
    ['an array body', '[{"prompt":"x"}]', 'INVALID_BODY', null],
    ['text that is not JSON', 'prompt=x', 'INVALID_JSON', null],
    ['JSON nested 200 deep', `{"model":"story","prompt":${nested(200)}}`, 'INVALID_JSON', null],
  ] as const
).map(([name, body, code, param]) => ({
  name: `completions: ${name}`,
  path: '/v1/completions',
  body,
  status: 400,
  code,
  param,
}));

const run = (task: string) => `/v1/tasks/${task}/run`;
const runCases: Case[] = [
  ...(
    [
      ['a null body', 'null', 'INVALID_BODY', null],
      ['an array body', '["x"]', 'INVALID_BODY', null],
      ['input missing', {}, 'INVALID_BODY', 'input'],
      ['input a number', { input: 5 }, 'INVALID_BODY', 'input'],
      ['input an array', { input: ['a'] }, 'INVALID_BODY', 'input'],
      ['input null', { input: null }, 'INVALID_BODY', 'input'],
      ['an unknown field', { input: 'x', temperature: 2 }, 'INVALID_BODY', 'temperature'],
      ['a negative seed', { input: 'x', seed: -1 }, 'INVALID_BODY', 'seed'],
      // the path names what runs: said so, with how (it was "Unrecognized key")
      ['a version in the body', { input: 'x', version: 2 }, 'UNSUPPORTED_PARAMETER', 'version'],
      ['a label in the body', { input: 'x', label: 'staging' }, 'UNSUPPORTED_PARAMETER', 'label'],
      ['text that is not JSON', '{"input":', 'INVALID_JSON', null],
      ['JSON nested 200 deep', `{"input":{"input":${nested(200)}}}`, 'INVALID_JSON', null],
    ] as const
  ).map(([name, body, code, param]): Case => ({
    name: `run: ${name}`,
    path: run('story'),
    body,
    status: 400,
    code,
    param,
  })),
  {
    name: 'run: one string for two fields',
    path: run('qa'),
    body: { input: 'x' },
    status: 400,
    code: 'TASK_INPUT_INVALID',
  },
  {
    name: 'run: a missing field',
    path: run('qa'),
    body: { input: { question: 'q' } },
    status: 400,
    code: 'TASK_INPUT_INVALID',
  },
  {
    name: 'run: an extra field',
    path: run('qa'),
    body: { input: { question: 'q', context: 'c', system: 'x' } },
    status: 400,
    code: 'TASK_INPUT_INVALID',
  },
  {
    name: 'run: unknown task',
    path: run('nope'),
    body: { input: 'x' },
    status: 404,
    code: 'REGISTRY_NO_TASK',
  },
  {
    name: 'run: bad task name',
    path: run('Bad%20Name'),
    body: { input: 'x' },
    status: 400,
    code: 'SERVE_BAD_MODEL_NAME',
  },
  {
    name: 'run: unknown version',
    path: run('story@99'),
    body: { input: 'x' },
    status: 404,
    code: 'REGISTRY_NO_VERSION',
  },
  {
    name: 'run: no key',
    path: run('story'),
    key: 'none',
    body: { input: 'x' },
    status: 401,
    code: 'AUTH_MISSING_KEY',
  },
  {
    name: 'run: read-only key',
    path: run('story'),
    key: 'read',
    body: { input: 'x' },
    status: 403,
    code: 'AUTH_SCOPE',
  },
];

const label = (task: string, name: string) => `/v1/tasks/${task}/labels/${name}`;
const labelCases: Case[] = [
  ...(
    [
      ['a null body', 'null', 'INVALID_BODY', null],
      ['an array body', '[1]', 'INVALID_BODY', null],
      ['version missing', {}, 'INVALID_BODY', 'version'],
      ['version null', { version: null }, 'INVALID_BODY', 'version'],
      ['version zero', { version: 0 }, 'INVALID_BODY', 'version'],
      ['version negative', { version: -3 }, 'INVALID_BODY', 'version'],
      ['version a fraction', { version: 1.5 }, 'INVALID_BODY', 'version'],
      ['version huge', { version: 1e300 }, 'INVALID_BODY', 'version'],
      ['version empty', { version: '' }, 'INVALID_BODY', 'version'],
      ['version too long', { version: 'x'.repeat(500) }, 'INVALID_BODY', 'version'],
      ['version an object', { version: { id: 1 } }, 'INVALID_BODY', 'version'],
      ['reason a number', { version: '1', reason: 5 }, 'INVALID_BODY', 'reason'],
      ['an unknown field', { version: '1', protect: false }, 'INVALID_BODY', 'protect'],
      ['text that is not JSON', "{version: '1'}", 'INVALID_JSON', null],
      ['JSON nested 10,000 deep', nested(10_000), 'INVALID_JSON', null],
    ] as const
  ).map(([name, body, code, param]): Case => ({
    name: `label: ${name}`,
    method: 'PUT',
    path: label('story', 'staging'),
    key: 'admin',
    body,
    status: 400,
    code,
    param,
  })),
  ...(
    [
      ['an unknown version', label('story', 'staging'), { version: '99' }, 404, 'REGISTRY_NO_VERSION'],
      [
        'an unknown label as version',
        label('story', 'staging'),
        { version: 'nolabel' },
        404,
        'REGISTRY_NO_VERSION',
      ],
      ['an unknown task', label('nope', 'staging'), { version: 1 }, 404, 'REGISTRY_NO_TASK'],
      ['a label with a space', label('story', 'Bad%20Label'), { version: 1 }, 400, 'REGISTRY_BAD_LABEL'],
      ['a number as label', label('story', '123'), { version: 1 }, 400, 'REGISTRY_BAD_LABEL'],
      ['latest as label', label('story', 'latest'), { version: 1 }, 400, 'REGISTRY_BAD_LABEL'],
    ] as const
  ).map(([name, path, body, status, code]): Case => ({
    name: `label: ${name}`,
    method: 'PUT',
    path,
    key: 'admin',
    body,
    status,
    code,
  })),
  {
    name: 'label: run key',
    method: 'PUT',
    path: label('story', 'staging'),
    key: 'run',
    body: { version: 1 },
    status: 403,
    code: 'AUTH_SCOPE',
  },
  {
    name: 'label: no key',
    method: 'PUT',
    path: label('story', 'canary'),
    key: 'none',
    body: { version: 1 },
    status: 401,
    code: 'AUTH_MISSING_KEY',
  },
];

const readCases: Case[] = (
  [
    ['models: no key', 'GET', '/v1/models', 'none', 401, 'AUTH_MISSING_KEY'],
    ['models: unknown key', 'GET', '/v1/models', 'bogus', 401, 'AUTH_INVALID_KEY'],
    ['models: POST', 'POST', '/v1/models', 'read', 404, 'ROUTE_NOT_FOUND'],
    ['tasks: no key', 'GET', '/v1/tasks', 'none', 401, 'AUTH_MISSING_KEY'],
    ['tasks: unknown task', 'GET', '/v1/tasks/nope', 'read', 404, 'REGISTRY_NO_TASK'],
    ['tasks: a path-like name', 'GET', '/v1/tasks/..%2F..%2Fetc%2Fpasswd', 'read', 404, 'REGISTRY_NO_TASK'],
    ['tasks: a long name', 'GET', `/v1/tasks/${'a'.repeat(2000)}`, 'read', 404, 'REGISTRY_NO_TASK'],
    ['versions: unknown task', 'GET', '/v1/tasks/nope/versions', 'read', 404, 'REGISTRY_NO_TASK'],
    ['versions: unknown number', 'GET', '/v1/tasks/story/versions/99', 'read', 404, 'REGISTRY_NO_VERSION'],
    [
      'versions: unknown label',
      'GET',
      '/v1/tasks/story/versions/nolabel',
      'read',
      404,
      'REGISTRY_NO_VERSION',
    ],
    [
      'versions: a quote in the ref',
      'GET',
      "/v1/tasks/story/versions/x'%20OR%201=1",
      'read',
      404,
      'REGISTRY_NO_VERSION',
    ],
    ['versions: no key', 'GET', '/v1/tasks/story/versions', 'none', 401, 'AUTH_MISSING_KEY'],
    ['traces: no key', 'GET', '/v1/traces', 'none', 401, 'AUTH_MISSING_KEY'],
    ['traces: an unknown parameter', 'GET', '/v1/traces?taks=story', 'read', 400, 'INVALID_QUERY', 'taks'],
    ['traces: limit too large', 'GET', '/v1/traces?limit=5000', 'read', 400, 'INVALID_QUERY', 'limit'],
    ['traces: limit negative', 'GET', '/v1/traces?limit=-5', 'read', 400, 'INVALID_QUERY'],
    ['traces: since is not a time', 'GET', '/v1/traces?since=yesterday', 'read', 400, 'INVALID_TIME'],
    ['traces: since after until', 'GET', '/v1/traces?since=1h&until=2h', 'read', 400, 'INVALID_QUERY'],
    ['traces: a forged cursor', 'GET', '/v1/traces?after=bm9wZQ', 'read', 400, 'TRACE_BAD_CURSOR'],
    ['jobs: a forged cursor', 'GET', '/v1/jobs?after=bm9wZQ', 'read', 400, 'JOB_BAD_CURSOR'],
    ['trace: unknown id', 'GET', '/v1/traces/chatcmpl-nope', 'read', 404, 'TRACE_NOT_FOUND'],
    ['monitor: a bad window', 'GET', '/v1/monitor?window=week', 'read', 400, 'INVALID_QUERY', 'window'],
    [
      'alerts: an unknown parameter',
      'GET',
      '/v1/alerts?history=abc',
      'read',
      400,
      'INVALID_QUERY',
      'history',
    ],
    ['drift: an empty window', 'GET', '/v1/drift?task=story&window=0s', 'read', 400, 'DURATION_INVALID'],
    ['monitor: a negative duration', 'GET', '/v1/monitor?since=-1h', 'read', 400, 'INVALID_TIME'],
    ['an unknown route', 'GET', '/v1/nothing', 'read', 404, 'ROUTE_NOT_FOUND'],
  ] as const
).map(([name, method, path, key, status, code, param]: readonly unknown[]) => ({
  name,
  method,
  path,
  key,
  status,
  code,
  ...(param === undefined ? {} : { param }),
})) as Case[];

const feedbackCases: Case[] = (
  [
    ['feedback: read key', { id: 'x', name: 'helpful', value: true }, 'read', 403, 'AUTH_SCOPE', undefined],
    ['feedback: no body', '', 'run', 400, 'INVALID_JSON', undefined],
    ['feedback: no id', { name: 'helpful', value: true }, 'run', 400, 'INVALID_BODY', 'id'],
    [
      'feedback: value is an object',
      { id: 'x', name: 'helpful', value: {} },
      'run',
      400,
      'INVALID_BODY',
      'value',
    ],
    [
      'feedback: an unknown field',
      { id: 'x', name: 'h', value: 1, stars: 5 },
      'run',
      400,
      'INVALID_BODY',
      'stars',
    ],
    [
      'feedback: unknown trace',
      { id: 'chatcmpl-nope', name: 'helpful', value: true },
      'run',
      404,
      'TRACE_NOT_FOUND',
      undefined,
    ],
    [
      'feedback: a bad score name',
      { id: 'x', name: 'not ok!', value: true },
      'run',
      400,
      'SCORE_INVALID',
      undefined,
    ],
  ] as const
).map(([name, body, key, status, code, param]) => ({
  name,
  method: 'POST',
  path: '/v1/feedback',
  body,
  key,
  status,
  code,
  ...(param ? { param } : {}),
}));

const retireCases: Case[] = (
  [
    ['retire: run key', { reason: 'x' }, 'run', 403, 'AUTH_SCOPE', undefined],
    ['retire: no reason', {}, 'admin', 400, 'INVALID_BODY', 'reason'],
    ['retire: a blank reason', { reason: '   ' }, 'admin', 400, 'INVALID_BODY', 'reason'],
    ['retire: a number as reason', { reason: 5 }, 'admin', 400, 'INVALID_BODY', 'reason'],
    ['retire: a long reason', { reason: 'x'.repeat(1001) }, 'admin', 400, 'INVALID_BODY', 'reason'],
    ['retire: an unknown field', { reason: 'x', force: true }, 'admin', 400, 'INVALID_BODY', 'force'],
    ['retire: not JSON', '{"reason":', 'admin', 400, 'INVALID_JSON', undefined],
    ['retire: an unknown run', { reason: 'x' }, 'admin', 404, 'RUN_NOT_FOUND', undefined],
  ] as const
).map(([name, body, key, status, code, param]) => ({
  name,
  method: 'POST',
  path: '/v1/runs/run-none/retire',
  body,
  key,
  status,
  code,
  ...(param ? { param } : {}),
}));

/** Every bad request, on every route. */
export const badInputCases = [
  ...retireCases,
  ...chatCases,
  ...completionCases,
  ...runCases,
  ...labelCases,
  ...readCases,
  ...feedbackCases,
];
