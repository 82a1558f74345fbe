// Guards in the service. With a scripted backend (the guard logic needs answers that fail in known
// ways): an input masked before the model sees it, a re-asked answer, verdicts on the trace, scores
// `guard.<validator>` once it is stored, the Prometheus counter, a refusal as a 422 on chat and /run,
// and PII masked in a stream. With stories260K on the engine worker: a spec's decoding.constrain makes
// every answer one of the task's labels, streamed or not, for hard and soft versions.
import OpenAI from 'openai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { ScriptedStreamingModel } from '../../test/scripted-model.js';
import { loadModel, loadModelTokenizer, seededRandom } from '../engine/index.js';
import { Registry, type ScoreRecord } from '../registry/index.js';
import { initSoftPrompt, saveAdapter } from '../soft/index.js';
import { taskSpec } from '../tasks/index.js';
import { EngineClient } from './engine-client.js';
import { listen, type RunningServer } from './listen.js';
import { createService, type Service } from './service.js';

const actor = { name: 'test', scopes: ['read', 'run', 'admin'] };
const contactSchema = {
  type: 'object',
  required: ['name', 'email'],
  properties: { name: { type: 'string' }, email: { type: 'string' } },
  additionalProperties: false,
};
/** Scripted answers: broken JSON first, the right object once re-asked; 'forbidden' for the strict task. */
const backend = new ScriptedStreamingModel('scripted-guarded', (prompt) => {
  if (prompt.startsWith('STRICT')) return 'this answer is forbidden here';
  if (prompt.startsWith('DECLINE')) return "I'm sorry, but I can't help with that.";
  if (prompt.startsWith('CHATTY')) return 'Write to ada@example.com or call +44 20 7946 0958 today, thanks!';
  return prompt.includes('not accepted') ? '{"name": "Ada", "email": "[EMAIL]"}' : 'Sure: {"name": "Ada"';
});
let registry: Registry;
let engine: EngineClient;
const servers: RunningServer[] = [];
const services: Service[] = [];
let key = '';

async function register(spec: unknown): Promise<void> {
  const parsed = taskSpec.parse(spec);
  await registry.putTask(parsed);
  await registry.pushVersion({
    task: parsed.name,
    kind: 'hard',
    content: { template: parsed.prompt.template },
    actor,
  });
}

async function start(backends: Parameters<typeof createService>[0]['backends']): Promise<string> {
  const service = createService({
    registry,
    backends,
    tracing: { flushIntervalMs: 10 },
    logger: pino({ level: 'silent' }),
  });
  services.push(service);
  const server = await listen(service.app);
  servers.push(server);
  return server.url;
}

let scriptedUrl = '';
let engineUrl = '';
beforeAll(async () => {
  registry = await Registry.open({
    path: join(mkdtempSync(join(tmpdir(), 'promptune-guards-')), 'r.sqlite'),
  });
  await register({
    name: 'contact',
    output: { kind: 'json', schema: contactSchema },
    prompt: { template: '{{input}}' },
    metrics: [{ name: 'json' }],
    guards: {
      input: [{ validator: 'pii', kinds: ['email'], onFail: 'fix' }],
      output: [{ validator: 'json-schema', onFail: 'fix_reask' }],
    },
  });
  await register({
    name: 'strict',
    prompt: { template: 'STRICT {{input}}' },
    guards: { output: [{ validator: 'banned', phrases: ['forbidden'], onFail: 'exception' }] },
  });
  await register({
    name: 'chatty',
    prompt: { template: 'CHATTY {{input}}' },
    guards: { output: [{ validator: 'pii', onFail: 'fix' }] },
  });
  await register({
    name: 'animal',
    output: { kind: 'label', labels: [' dog', ' cat', ' bird'] },
    prompt: { template: '{{input}}\nQ: What animal is this story about?\nA: The' },
    decoding: { constrain: true },
  });
  await register({
    name: 'unconstrainable',
    output: { kind: 'json', schema: { type: 'object', not: { required: ['x'] } } },
    prompt: { template: '{{input}}' },
    metrics: [{ name: 'json' }],
    decoding: { constrain: true },
  });
  await register({
    name: 'masked-only',
    prompt: { template: 'CHATTY {{input}}' },
    guards: { input: [{ validator: 'pii', kinds: ['email'], onFail: 'fix' }] },
  });
  await register({
    name: 'refrainer',
    output: { kind: 'label', labels: ['yes', 'no'] },
    prompt: { template: '{{input}}' },
    metrics: [{ name: 'label' }],
    guards: {
      input: [{ validator: 'banned', phrases: ['password'], onFail: 'refrain' }],
      refrain: 'I cannot answer that.',
    },
  });
  await register({
    name: 'declines',
    output: { kind: 'json', schema: contactSchema },
    prompt: { template: 'DECLINE {{input}}' },
    metrics: [{ name: 'json' }],
    guards: { output: [{ validator: 'refusal', onFail: 'refrain' }], refrain: 'No answer.' },
  });
  await register({
    name: 'backtracking',
    prompt: { template: 'CHATTY {{input}}' },
    guards: {
      input: [
        { validator: 'length', maxCharacters: 4000, onFail: 'exception' },
        { validator: 'regex', pattern: '^(a+)+$', mode: 'forbid', onFail: 'exception' },
      ],
    },
  });
  await register({
    name: 'story-guarded',
    prompt: { template: '{{input}}' },
    guards: {
      output: [{ validator: 'regex', pattern: '\\bthe\\b', flags: 'i', mode: 'forbid', onFail: 'exception' }],
    },
  });
  // a soft version of the label task: the constraint holds with a soft prompt prepended too
  const { model, tokenizer } = await loadModel(stories.gguf);
  const adapter = join(mkdtempSync(join(tmpdir(), 'promptune-guards-adapter-')), 'animal');
  saveAdapter(
    adapter,
    initSoftPrompt(model, tokenizer, 6, { kind: 'sample-vocab' }, seededRandom(3)),
    model,
    {
      baseModelName: 'stories260K',
    },
  );
  await registry.putTask(
    taskSpec.parse({
      name: 'animal-soft',
      output: { kind: 'label', labels: [' dog', ' cat', ' bird'] },
      prompt: { template: '{{input}}' },
      decoding: { constrain: true },
    }),
  );
  await registry.pushVersion({
    task: 'animal-soft',
    kind: 'soft',
    content: {
      adapterBlob: await registry.putBlob(readFileSync(join(adapter, 'adapter_model.safetensors'))),
      adapterConfig: JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8')),
      promptune: JSON.parse(readFileSync(join(adapter, 'promptune.json'), 'utf8')),
    },
    actor,
  });
  key = (await registry.keys.create({ name: 'app', scopes: ['run', 'read'], ratePerMinute: 1e6 })).key;
  scriptedUrl = await start({ hard: backend });
  await register({
    name: 'counted',
    prompt: { template: '{{input}}' },
    guards: { input: [{ validator: 'length', maxTokens: 8, onFail: 'exception' }] },
  });
  engine = await EngineClient.start(stories.gguf);
  // as promptune serve --model counts: the engine model's own tokenizer, read in this thread
  const engineTokenizer = await loadModelTokenizer(stories.gguf);
  const count = (text: string) => engineTokenizer.encode(text, { addBos: false }).length;
  engineUrl = await start({ engine, hard: engine.languageModel(), tokens: { soft: count, hard: count } });
}, 60_000);
afterAll(async () => {
  for (const server of servers) await server.close();
  for (const service of services) await service.drain();
  await engine?.close();
  await registry?.close();
});

const client = (url: string) => new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
const chat = (url: string, model: string, content: string) =>
  client(url).chat.completions.create({ model, messages: [{ role: 'user', content }], max_tokens: 32 });

async function storedTrace(id: string, scored = 0) {
  for (let attempt = 0; attempt < 300; attempt++) {
    const trace = await registry.traces.get(id).catch(() => undefined);
    if (trace && trace.scores.length >= scored) return trace;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`trace ${id} was not stored`);
}

describe('guards in the service', () => {
  it('masks the input, re-asks a failing answer, and records the verdicts on the trace, as scores and in metrics', async () => {
    const before = backend.prompts.length;
    const completion = await chat(scriptedUrl, 'contact', 'Ada, ada@example.com');
    expect(completion.choices[0].message.content).toBe('{"name": "Ada", "email": "[EMAIL]"}');
    expect(backend.prompts.slice(before).every((prompt) => !prompt.includes('ada@example.com'))).toBe(true);
    expect(backend.prompts.length - before).toBe(2); // the answer and one re-ask
    const trace = await storedTrace(completion.id, 2);
    // the trace keeps what the model saw: the guard's mask is not undone by the stored input
    expect(trace.input).toEqual({ messages: [{ role: 'user', content: 'Ada, [EMAIL]' }] });
    expect(trace.checks).toEqual([
      expect.objectContaining({ validator: 'pii', stage: 'input', passed: false, action: 'fixed' }),
      expect.objectContaining({ validator: 'json-schema', attempt: 0, passed: false, action: 'reask' }),
      expect.objectContaining({ validator: 'json-schema', attempt: 1, passed: true, action: 'none' }),
    ]);
    const scores = Object.fromEntries(trace.scores.map((score: ScoreRecord) => [score.name, score]));
    expect(scores['guard.pii']).toMatchObject({ value: 1, source: 'guard', kind: 'boolean' });
    expect(scores['guard.json-schema']).toMatchObject({ value: 1, source: 'guard' });
    const metrics = await (await fetch(`${scriptedUrl}/metrics`)).text();
    expect(metrics).toContain(
      'promptune_guard_checks_total{task="contact",version="1",validator="json-schema",outcome="reask"} 1',
    );
    expect(metrics).toContain(
      'promptune_guard_checks_total{task="contact",version="1",validator="pii",outcome="fixed"} 1',
    );
  });

  it('answers a refusal with 422, its code and reasons, on chat completions and on /run', async () => {
    const refused = await chat(scriptedUrl, 'strict', 'go').catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 422, code: 'GUARD_OUTPUT_REFUSED' });
    expect(String((refused as Error).message)).toContain('banned phrase "forbidden"');
    // streamed: refused before any text, the same 422 (it had been a 500 from cancelling the failed stream)
    const streamed = await client(scriptedUrl)
      .chat.completions.create({ model: 'strict', messages: [{ role: 'user', content: 'go' }], stream: true })
      .catch((error: unknown) => error);
    expect(streamed).toMatchObject({ status: 422, code: 'GUARD_OUTPUT_REFUSED' });
    const run = await fetch(`${scriptedUrl}/v1/tasks/strict/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'go' }),
    });
    expect(run.status).toBe(422);
    const body = (await run.json()) as { error: { code: string } };
    expect(body.error.code).toBe('GUARD_OUTPUT_REFUSED');
    const request = run.headers.get('x-request-id');
    const trace = await storedTrace(`request-${request}`);
    // the refused answer was generated: the trace keeps the tokens it cost, not what was refused
    expect(trace).toMatchObject({
      status: 422,
      errorCode: 'GUARD_OUTPUT_REFUSED',
      output: null,
      inputTokens: 10,
      outputTokens: 1,
    });
    expect(trace.checks).toEqual([expect.objectContaining({ validator: 'banned', action: 'refused' })]);
    // the refusals are counted by task, and the traces written by a counter (a gauge of running totals
    // breaks rate())
    const metrics = await (await fetch(`${scriptedUrl}/metrics`)).text();
    expect(metrics).toContain(
      'promptune_errors_total{route="/v1/tasks/:name/run",task="strict",code="GUARD_OUTPUT_REFUSED"} 1',
    );
    // and their tokens: chat's and /run's answers (10 in, 1 out each; the scripted stream reports none)
    expect(metrics).toContain('promptune_tokens_total{task="strict",direction="input"} 20');
    expect(metrics).toContain('promptune_tokens_total{task="strict",direction="output"} 2');
    expect(metrics).toContain('# TYPE promptune_traces_total counter');
    expect(metrics).toMatch(/promptune_traces_total\{outcome="written"\} [1-9]/);
    expect(metrics).toMatch(/promptune_traces_queued \d+/);
    // the registry's jobs, for an alert on a stuck one
    expect(metrics).toMatch(/promptune_jobs\{status="running"\} 0/);
    expect(metrics).toMatch(/promptune_jobs_silent 0/);
  });

  it('records the verdicts of input guards when a version has no output guards', async () => {
    const completion = await chat(scriptedUrl, 'masked-only', 'reach me at ada@example.com');
    const trace = await storedTrace(completion.id, 1);
    expect(trace.checks).toEqual([
      expect.objectContaining({ validator: 'pii', stage: 'input', action: 'fixed' }),
    ]);
    expect(backend.prompts.at(-1)).toBe('CHATTY reach me at [EMAIL]');
    expect(JSON.stringify(trace.input)).not.toContain('ada@example.com');
    // found again by the guard that stepped in
    const listed = async (guard: string) => {
      const response = await fetch(`${scriptedUrl}/v1/traces?task=masked-only&guard=${guard}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      return ((await response.json()) as { data: { id: string }[] }).data.map(
        (listedTrace) => listedTrace.id,
      );
    };
    expect(await listed('pii')).toContain(completion.id);
    expect(await listed('any')).toContain(completion.id);
    expect(await listed('banned')).not.toContain(completion.id);
  });

  it('keeps the masked input of a typed run on its trace, in the shape it was sent', async () => {
    for (const input of ['mail ada@example.com', { input: 'mail ada@example.com' }]) {
      const run = await fetch(`${scriptedUrl}/v1/tasks/masked-only/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input }),
      });
      expect(run.status).toBe(200);
      const trace = await storedTrace(((await run.json()) as { id: string }).id, 1);
      expect(trace.input).toEqual(typeof input === 'string' ? 'mail [EMAIL]' : { input: 'mail [EMAIL]' });
    }
  });

  it('checks a field that is not text as the JSON the model sees: masked in a list, bounded in length', async () => {
    const run = (task: string, input: unknown) =>
      fetch(`${scriptedUrl}/v1/tasks/${task}/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: { input } }),
      });
    // (these had skipped every input guard: the e-mail reached the model and the trace)
    const masked = await run('masked-only', ['bob@example.com the dog', { to: 'eve@example.com' }]);
    expect(masked.status).toBe(200);
    expect(backend.prompts.at(-1)).toBe('CHATTY ["[EMAIL] the dog",{"to":"[EMAIL]"}]');
    const trace = await storedTrace(((await masked.json()) as { id: string }).id, 1);
    expect(trace.input).toEqual({ input: '["[EMAIL] the dog",{"to":"[EMAIL]"}]' });
    // a value the guards leave alone reaches the template as it was sent
    const plain = await run('masked-only', [1, 2]);
    expect(plain.status).toBe(200);
    expect(backend.prompts.at(-1)).toBe('CHATTY [1,2]');
    const long = await run('backtracking', ['x'.repeat(5000)]);
    expect(long.status).toBe(422);
    expect(((await long.json()) as { error: { code: string } }).error.code).toBe('GUARD_INPUT_REFUSED');
  });

  it("keeps a chat's other messages out of its trace: the task reads the last user message alone", async () => {
    const completion = await client(scriptedUrl).chat.completions.create({
      model: 'masked-only',
      messages: [
        {
          role: 'system',
          content: 'key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD, mail alice@example.com',
        },
        { role: 'user', content: 'my card 4111 1111 1111 1111' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'mail bob@example.com' },
      ],
    });
    const trace = await storedTrace(completion.id, 1);
    expect(trace.input).toEqual({
      messages: [{ role: 'user', content: 'mail [EMAIL]' }],
      omittedMessages: 3,
    });
  });

  it('refuses an input its regex guard cannot finish on, and keeps serving meanwhile', async () => {
    // ^(a+)+$ backtracks 2^40 ways on this input: the in-process check held the service (100 s at 31)
    const started = fetch(`${scriptedUrl}/v1/tasks/backtracking/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: `${'a'.repeat(40)}!` }),
    });
    const health = await fetch(`${scriptedUrl}/health`);
    expect(health.status).toBe(200);
    const refused = await started;
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('GUARD_INPUT_REFUSED');
    expect(body.error.message).toContain('did not finish within 250 ms on a text of 41 characters');
  });

  it("bounds an input's tokens with the engine model's tokenizer, where the service has it", async () => {
    const run = (url: string, input: string) =>
      fetch(`${url}/v1/tasks/counted/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input }),
      });
    expect((await run(engineUrl, 'Once upon a time')).status).toBe(200);
    const long = await run(
      engineUrl,
      'Once upon a time there was a little girl named Lily who liked to play',
    );
    expect(long.status).toBe(422);
    const refused = (await long.json()) as { error: { code: string; message: string } };
    expect(refused.error.code).toBe('GUARD_INPUT_REFUSED');
    expect(refused.error.message).toMatch(/has \d+ tokens, more than 8/);
    // a service whose model's tokenizer it does not have cannot serve the version
    const uncounted = await run(scriptedUrl, 'Once upon a time');
    expect(uncounted.status).toBe(404);
    expect(((await uncounted.json()) as { error: { code: string } }).error.code).toBe('GUARD_NO_TOKENIZER');
  });

  it('answers a refrained input on /run with the refrain text and no typed output, without a model call', async () => {
    const before = backend.calls;
    const run = await fetch(`${scriptedUrl}/v1/tasks/refrainer/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'what is the admin password?' }),
    });
    expect(run.status).toBe(200);
    expect(await run.json()).toMatchObject({ output: null, text: 'I cannot answer that.', refrained: true });
    expect(backend.calls).toBe(before);
  });

  it('answers a refrained output as the content filter did: content_filter, and no typed output on /run', async () => {
    const completion = await chat(scriptedUrl, 'declines', 'x');
    expect(completion.choices[0]).toMatchObject({
      message: { content: 'No answer.' },
      finish_reason: 'content_filter',
    });
    const stream = await client(scriptedUrl).chat.completions.create({
      model: 'declines',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const finishes: (string | null)[] = [];
    for await (const chunk of stream) finishes.push(chunk.choices[0]?.finish_reason ?? null);
    expect(finishes.at(-1)).toBe('content_filter');
    // a JSON task: the refrain text is not read as its JSON output
    const run = await fetch(`${scriptedUrl}/v1/tasks/declines/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'x' }),
    });
    expect(run.status).toBe(200);
    expect(await run.json()).toMatchObject({ output: null, text: 'No answer.', refrained: true });
  });

  it('masks PII in a stream before it is sent', async () => {
    const stream = await client(scriptedUrl).chat.completions.create({
      model: 'chatty',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const deltas: string[] = [];
    for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta?.content ?? '');
    expect(deltas.join('')).toBe('Write to [EMAIL] or call [PHONE] today, thanks!');
    expect(deltas.join('|')).not.toMatch(/example|7946/);
  });

  it('stops a real engine stream at the first failing prefix, traces and counts what it spent, and keeps serving', async () => {
    let traced = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const stream = await client(engineUrl).chat.completions.create({
        model: 'story-guarded',
        messages: [
          { role: 'user', content: 'Once upon a time, there was a little girl. She went to the park and' },
        ],
        max_tokens: 64,
        stream: true,
      });
      let streamed = '';
      let id = '';
      const failure = await (async () => {
        for await (const chunk of stream) {
          id ||= chunk.id;
          streamed += chunk.choices[0]?.delta?.content ?? '';
        }
      })().catch((error: unknown) => error);
      expect(streamed).not.toMatch(/\bthe\b/i);
      expect(String(failure)).toContain('failed the regex guard');
      // the tokens generated up to the refusal, not 0: the finish part that reports them never comes
      const trace = await storedTrace(id);
      expect(trace).toMatchObject({ status: 422, errorCode: 'GUARD_OUTPUT_REFUSED' });
      expect(trace.inputTokens).toBeGreaterThan(10);
      expect(trace.outputTokens).toBeGreaterThanOrEqual(1);
      expect(trace.outputTokens).toBeLessThanOrEqual(64);
      traced += trace.outputTokens;
    }
    // the token metric counts them too (only these requests ask for this task)
    const metrics = await (await fetch(`${engineUrl}/metrics`)).text();
    expect(metrics).toContain(`promptune_tokens_total{task="story-guarded",direction="output"} ${traced}`);
    await new Promise((resolve) => setTimeout(resolve, 200)); // parts still arriving from the engine
    const after = await chat(engineUrl, 'animal', 'Tom had a big dog.');
    expect([' dog', ' cat', ' bird']).toContain(after.choices[0].message.content);
  });

  it('refuses a version whose constraint cannot be compiled, naming it', async () => {
    const refused = await chat(engineUrl, 'unconstrainable', 'x').catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 404, code: 'CONSTRAINT_UNSUPPORTED' });
    expect(String((refused as Error).message)).toContain('unconstrainable@1 cannot be served');
  });

  it('decodes under the spec constraint on the engine, soft versions too: every answer is a label, streamed or not', async () => {
    const stories260K = [
      'Once upon a time, there was a little bird. The bird liked to sing.',
      'Tom had a big dog. The dog liked to run in the park with Tom.',
      'Lily saw a cat. The cat was soft and white.',
    ];
    for (const story of stories260K) {
      const soft = (await chat(engineUrl, 'animal-soft', story)).choices[0].message.content;
      expect([' dog', ' cat', ' bird']).toContain(soft);
      const answer = (await chat(engineUrl, 'animal', story)).choices[0].message.content;
      expect([' dog', ' cat', ' bird']).toContain(answer);
      const stream = await client(engineUrl).chat.completions.create({
        model: 'animal',
        messages: [{ role: 'user', content: story }],
        stream: true,
      });
      let streamed = '';
      for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
      expect(streamed).toBe(answer);
    }
  });
});
