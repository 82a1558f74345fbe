// The service end to end on 127.0.0.1 with the official `openai` client: registry tasks served as
// models (a hard prompt and two soft prompts on stories260K, run by the engine worker), streaming,
// typed runs, errors in OpenAI's shape, keys and scopes, size limits, metrics and sampled logging.
import OpenAI from 'openai';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceLogits, repositoryRoot, stories } from '../../test/models.js';
import { loadModel, seededRandom, writeSafetensors } from '../engine/index.js';
import { runsSkylakeX } from '../engine/kernels/blas-core.js';
import { Registry } from '../registry/index.js';
import { initLoraAdapter, saveLoraAdapter } from '../soft/lora-adapter.js';
import { noPrompt } from '../soft/lora-training.js';
import { initPrefix, prefixPlaceholders, savePrefixAdapter } from '../soft/prefix-adapter.js';
import { saveAdapter } from '../soft/peft-adapter.js';
import { saveMultitaskAdapter } from '../soft/multitask-adapter.js';
import { initMultitask, taskPrompt } from '../soft/multitask-prompt.js';
import { SoftPromptSession } from '../soft/session.js';
import { initSoftPrompt } from '../soft/soft-prompt.js';
import { taskSpec } from '../tasks/spec.js';
import { EngineClient } from './engine-client.js';
import { listen, type RunningServer } from './listen.js';
import { createService, type Service } from './service.js';

const reference = referenceLogits();
const continuation = reference.greedy_text.slice(reference.prompt.length);
const folder = mkdtempSync(join(tmpdir(), 'promptune-service-'));
const actor = { name: 'test', scopes: ['read', 'run', 'admin'] };
let registry: Registry;
let engine: EngineClient;
let server: RunningServer;
let service: Service;
const keys: Record<'run' | 'read' | 'admin', string> = { run: '', read: '', admin: '' };
type Json = { error: { code: string; type: string; message: string } } & Record<string, unknown>;
const json = async (response: Response) => (await response.json()) as Json;
const client = (key: string) => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
const loaded = await loadModel(stories.gguf);
const prompts = [1, 2].map((seed) =>
  initSoftPrompt(loaded.model, loaded.tokenizer, 6, { kind: 'sample-vocab' }, seededRandom(seed)),
);

/** A LoRA adapter on every projection, with a random B (a fresh one changes nothing). */
const lora = (() => {
  const random = seededRandom(5);
  const adapter = initLoraAdapter(loaded.model, { rank: 4 }, random);
  for (const layer of adapter.layers)
    for (const pair of Object.values(layer))
      for (let i = 0; i < pair.b.length; i++) pair.b[i] = (random() - 0.5) * 0.4;
  return adapter;
})();

/** A prefix made of the KV cache of a text. */
const prefix = initPrefix(
  loaded.model,
  loaded.tokenizer,
  5,
  { kind: 'text', text: 'The cat sat on the mat.' },
  seededRandom(6),
);

/** A one-task multitask prompt, its factors scaled so that its prompt is far from zero. */
const multitask = (() => {
  const random = seededRandom(7);
  const prompt = initMultitask(prompts[1], 1, 2, random);
  prompt.taskColumns.forEach((value, i) => (prompt.taskColumns[i] = value * 40));
  prompt.taskRows.forEach((value, i) => (prompt.taskRows[i] = value * 40));
  return prompt;
})();

/** Pushes a soft version: index 0 and 1 soft prompts, 2 the LoRA adapter, 3 the prefix, 4 the multitask prompt. */
async function pushSoft(task: string, index: number, trainedOn?: { name: string; sha256: string }) {
  const directory = join(folder, `adapter-${index}`);
  const baseModelName = 'stories260K';
  if (index < prompts.length) saveAdapter(directory, prompts[index], loaded.model, { baseModelName });
  else if (index === 2) saveLoraAdapter(directory, lora, loaded.model, { baseModelName, alpha: 8 });
  else if (index === 3)
    savePrefixAdapter(directory, prefix, loaded.model, { baseModelName, method: 'prefix-tuning' });
  else saveMultitaskAdapter(directory, multitask, loaded.model, { baseModelName, tasks: [task] });
  await registry.putTask(taskSpec.parse({ name: task, prompt: { template: '{{input}}' } }));
  const { version } = await registry.pushVersion({
    task,
    kind: 'soft',
    content: {
      adapterBlob: await registry.putBlob(readFileSync(join(directory, 'adapter_model.safetensors'))),
      adapterConfig: JSON.parse(readFileSync(join(directory, 'adapter_config.json'), 'utf8')),
      promptune: {
        ...JSON.parse(readFileSync(join(directory, 'promptune.json'), 'utf8')),
        ...(trainedOn && { baseModel: trainedOn }),
      },
    },
    actor,
  });
  return version;
}

/** Pushes a hard version of a task made of `spec` (its template `{{input}}` unless given). */
async function pushHard(spec: Record<string, unknown> & { name: string }, template = '{{input}}') {
  await registry.putTask(taskSpec.parse({ prompt: { template }, ...spec }));
  await registry.pushVersion({
    task: spec.name,
    kind: 'hard',
    content: {
      template,
      demos: [],
      demoSeparator: '\n\n',
      generation: { maxTokens: 8, temperature: 0, stop: [], seed: 0 },
    },
    actor,
  });
}

beforeAll(async () => {
  registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
  await registry.putTask(taskSpec.parse({ name: 'story', prompt: { template: '{{input}}' } }));
  const { version } = await registry.pushVersion({
    task: 'story',
    kind: 'hard',
    content: {
      template: '{{input}}',
      demos: [],
      demoSeparator: '\n\n',
      generation: { maxTokens: 40, temperature: 0, stop: [], seed: 0 },
    },
    actor,
  });
  await registry.setLabel({
    task: 'story',
    label: 'production',
    reference: version.id,
    actor,
    reason: 'test',
  });
  await pushHard(
    { name: 'mood', output: { kind: 'label', labels: ['happy', 'sad'] } },
    'Mood of: {{input}}\n',
  );
  // inputs bounded in tokens: this service has no tokenizer to count them (GUARD_NO_TOKENIZER on every
  // request; service-guards.test.ts serves them with the engine's)
  await pushHard({ name: 'counted', guards: { input: [{ validator: 'length', maxTokens: 50 }] } });
  // a judge validator, and no judge model in this service
  await pushHard({ name: 'judged', guards: { output: [{ validator: 'judge', rubric: 'Is it kind?' }] } });
  await pushSoft('soft-a', 0);
  await pushSoft('soft-b', 1);
  await pushSoft('lora-c', 2);
  await pushSoft('prefix-d', 3);
  await pushSoft('multitask-e', 4);
  await pushSoft('other-base', 2, { name: 'another-model', sha256: '0'.repeat(64) });
  // PEFT's own LoRA (no promptune.json) for a model twice as narrow: nothing says so until it loads
  const narrow = join(folder, 'adapter-narrow');
  mkdirSync(narrow);
  const peftConfig = join(repositoryRoot, 'test', 'fixtures', 'peft-lora', 'adapter', 'adapter_config.json');
  copyFileSync(peftConfig, join(narrow, 'adapter_config.json'));
  const rows = (count: number, columns: number) => ({
    shape: [count, columns],
    data: new Float32Array(count * columns).fill(0.01),
  });
  const layer = 'base_model.model.model.layers.0.self_attn.q_proj';
  writeSafetensors(join(narrow, 'adapter_model.safetensors'), {
    [`${layer}.lora_A.weight`]: rows(4, 32),
    [`${layer}.lora_B.weight`]: rows(32, 4),
  });
  await registry.putTask(taskSpec.parse({ name: 'lora-narrow', prompt: { template: '{{input}}' } }));
  await registry.pushVersion({
    task: 'lora-narrow',
    kind: 'soft',
    content: {
      adapterBlob: await registry.putBlob(readFileSync(join(narrow, 'adapter_model.safetensors'))),
      adapterConfig: JSON.parse(readFileSync(join(narrow, 'adapter_config.json'), 'utf8')),
    },
    actor,
  });
  for (const scope of ['run', 'read', 'admin'] as const)
    keys[scope] = (
      await registry.keys.create({ name: scope, scopes: scope === 'run' ? ['run', 'read'] : [scope] })
    ).key;
  engine = await EngineClient.start(stories.gguf, { adapterDirectory: join(folder, 'adapters') });
  service = createService({
    registry,
    backends: { engine, hard: engine.languageModel() },
    limits: { bodyBytes: 4096, maxTokens: 64 },
    logger: pino({ level: 'silent' }),
  });
  server = await listen(service.app);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await engine?.close();
  await registry?.close();
});

describe('the service with the openai client', () => {
  it('serves a hard-prompt task by label, plain and streamed', async () => {
    const request = {
      model: 'story@production',
      messages: [{ role: 'user' as const, content: reference.prompt }],
      max_tokens: 40,
    };
    const plain = await client(keys.run).chat.completions.create(request);
    expect(continuation.startsWith(plain.choices[0].message.content!)).toBe(true);
    // the answer names the version that answered, as OpenAI names the snapshot an alias resolved to
    expect(plain.model).toBe(`story@${(await registry.resolveVersion('story', 'production')).number}`);
    expect(plain.choices[0].message.content!.length).toBeGreaterThan(20);
    let streamed = '';
    const { data: stream, response } = await client(keys.run)
      .chat.completions.create({ ...request, stream: true })
      .withResponse();
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    expect(streamed).toBe(plain.choices[0].message.content);
    expect(response.headers.get('promptune-version')).toBe(
      (await registry.resolveVersion('story', 'production')).id,
    );
    expect(response.headers.get('promptune-unused-messages')).toBeNull();
    // a client library's system message and earlier turns reach no model (the version holds the
    // prompt): the answer is the same, and a header counts what went unused
    const { data: withSystem, response: systemResponse } = await client(keys.run)
      .chat.completions.create({
        ...request,
        messages: [
          { role: 'system', content: 'You are a helpful assistant.' },
          { role: 'user', content: 'Hello' },
          ...request.messages,
        ],
      })
      .withResponse();
    expect(withSystem.choices[0].message.content).toBe(plain.choices[0].message.content);
    expect(systemResponse.headers.get('promptune-unused-messages')).toBe('2');
    // a label on a version trained on other weights names it too
    await registry.setLabel({ task: 'other-base', label: 'staging', reference: '1', actor, reason: 'test' });
    const models = await client(keys.run).models.list();
    const ids = models.data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['story', 'story@production', 'soft-a', 'lora-c']));
    // a version trained on other weights would answer 404: listed apart, with why, not among the models
    expect(ids).not.toContain('other-base');
    // one model read by name, as OpenAI's clients retrieve it; one not served is a 404 saying why
    expect(await client(keys.run).models.retrieve('story')).toMatchObject({
      id: 'story',
      object: 'model',
      created: expect.any(Number),
    });
    // and a name the completions take though the list leaves it out (a version by number, latest)
    for (const name of ['story@1', 'story@latest'])
      expect(await client(keys.run).models.retrieve(name)).toMatchObject({ id: name, object: 'model' });
    for (const [name, code] of [
      ['nope', 'REGISTRY_NO_TASK'],
      ['story@99', 'REGISTRY_NO_VERSION'],
    ])
      expect(
        await client(keys.run)
          .models.retrieve(name)
          .catch((error: unknown) => error),
      ).toMatchObject({
        status: 404,
        code,
      });
    const notServed = await client(keys.run)
      .models.retrieve('other-base')
      .catch((error: unknown) => error);
    expect(notServed).toMatchObject({ status: 404, code: 'MODEL_NOT_FOUND' });
    expect(String((notServed as Error).message)).toContain('trained on another-model');
    const listed = await json(
      await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${keys.run}` } }),
    );
    const reason =
      "trained on another-model, whose weights differ from the served model's (stories260K.gguf)";
    const counted =
      "its input validator length bounds the length in tokens, and no tokenizer of its model counts inputs here (a service with an engine running its local model counts them: createService's backends.engine; promptune serve --model)";
    expect(listed.unavailable).toEqual([
      { id: 'counted', reason: counted },
      {
        id: 'judged',
        reason:
          "its validator judge asks a judge model, and this service has none (createService's guardJudge; promptune serve --judge <model>)",
      },
      { id: 'other-base', reason },
      { id: 'other-base@staging', reason },
    ]);
    // as it answers when called
    const called = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.run}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'counted', prompt: 'Once', max_tokens: 4 }),
    });
    // not served here, as its retrieval says (a 409 had SDKs retry a state that does not change)
    expect(called.status).toBe(404);
    expect((await json(called)).error).toMatchObject({ code: 'GUARD_NO_TOKENIZER' });
    // the judged one's hint is the service's option, not eval's --judge
    const judged = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.run}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'judged', prompt: 'Once', max_tokens: 4 }),
    });
    expect(judged.status).toBe(404);
    expect((await json(judged)).error).toMatchObject({
      code: 'GUARD_OPTIONS',
      hint: "Pass a judge model to the service: createService's guardJudge, or promptune serve --judge <model> (any provider).",
    });
    // the library API marks the version too (the dashboard shows it), and only that one
    const read = (path: string) =>
      fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${keys.read}` } }).then(json);
    expect((await read('/v1/tasks/other-base/versions/1')).notServed).toMatch(/^trained on another-model/);
    expect((await read('/v1/tasks/lora-c/versions/1')).notServed).toBeUndefined();
    expect((await read('/v1/tasks/story/versions/1')).notServed).toBeUndefined();
    const versions = (await read('/v1/tasks/counted/versions')) as unknown as {
      data: { notServed?: string }[];
    };
    expect(versions.data[0].notServed).toBe(counted);
  });

  it('serves soft-prompt, LoRA, prefix and multitask tasks on stories260K exactly as a local session, batched together', async () => {
    const texts = ['Tom had a red ball.', 'Once upon a time', 'Lily saw a cat', 'The dog ran', 'A bird sang'];
    const tasks = ['soft-a', 'soft-b', 'lora-c', 'prefix-d', 'multitask-e'];
    const models = [...tasks, ...tasks];
    const answers = await Promise.all(
      models.map((model, i) =>
        client(keys.run).completions.create({ model, prompt: texts[i % 5], max_tokens: 12 }),
      ),
    );
    const { model: frozenModel, tokenizer } = loaded;
    const sessions = [
      new SoftPromptSession(frozenModel, tokenizer, prompts[0]),
      new SoftPromptSession(frozenModel, tokenizer, prompts[1]),
      new SoftPromptSession(frozenModel, tokenizer, noPrompt(frozenModel), lora),
      new SoftPromptSession(frozenModel, tokenizer, prefixPlaceholders(frozenModel, prefix), prefix),
      new SoftPromptSession(frozenModel, tokenizer, taskPrompt(multitask, 0)),
    ];
    for (const [i, answer] of answers.entries()) {
      const [expected] = await sessions[i % 5].generate([texts[i % 5]], { maxTokens: 12 });
      expect(answer.choices[0].text).toBe(expected.text);
    }
    // the LoRA task says something else than the frozen model would
    const frozen = new SoftPromptSession(loaded.model, loaded.tokenizer, noPrompt(loaded.model));
    const [plain] = await frozen.generate([texts[2]], { maxTokens: 12 });
    expect(answers[2].choices[0].text).not.toBe(plain.text);
    const [plainLast] = await frozen.generate([texts[3]], { maxTokens: 12 });
    expect(answers[3].choices[0].text).not.toBe(plainLast.text);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const batched = /promptune_engine_batch_size_bucket\{le="1"\} (\d+)/.exec(metrics);
    const total = /promptune_engine_batch_size_count (\d+)/.exec(metrics);
    expect(Number(total![1])).toBeGreaterThan(Number(batched![1])); // some requests shared a batch
    // the five adapter versions are loaded, and the scrape says so with what they hold
    const measure = (name: string) =>
      Number(new RegExp(`promptune_engine_adapters\\{measure="${name}"\\} (\\d+)`).exec(metrics)?.[1]);
    expect(measure('loaded')).toBeGreaterThanOrEqual(5);
    expect([measure('limit'), measure('evicted')]).toEqual([64, 0]);
    expect(measure('bytes')).toBeGreaterThan(0);
    // soft versions' requests take no shared prefix: the prefix cache reports its limit, nothing kept
    expect(metrics).toMatch(/promptune_engine_prefix_cache\{measure="limit"\} 268435456/);
    expect(metrics).toMatch(/promptune_engine_prefix_cache\{measure="evicted"\} 0/);
    expect(metrics).toMatch(
      /promptune_request_duration_seconds_count\{route="\/v1\/completions",task="soft-a",status="200"\} 2/,
    );
    // every engine result reports its wait for a row; streamed requests their time to first text
    expect(/promptune_engine_queue_seconds_count (\d+)/.exec(metrics)![1]).toBe(total![1]);
    expect(metrics).toMatch(/promptune_time_to_first_token_seconds_count\{task="story"\} [1-9]/);
  });

  it('runs a task on typed input and refuses output or input that does not fit', async () => {
    const run = (body: unknown, key = keys.run) =>
      fetch(`${server.url}/v1/tasks/mood/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const refused = await run({ input: 'a sunny day' });
    // the tiny story model names neither label: a 422 with the raw text, never a made-up label
    expect(refused.status).toBe(422);
    const body = await json(refused);
    expect(body.error.code).toBe('OUTPUT_INVALID');
    // the model's answer was wrong, not the request; the labels quoted (they may begin with a space)
    expect(body.error.type).toBe('model_output_error');
    expect(body.error.message).toMatch(/names none of the labels "[^"]+", "[^"]+"/);
    const wrongField = await run({ input: { text: 'x' } });
    expect(wrongField.status).toBe(400);
    expect((await json(wrongField)).error.code).toBe('TASK_INPUT_INVALID');
    const story = await fetch(`${server.url}/v1/tasks/story@production/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.run}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: reference.prompt }),
    });
    const typed = await json(story);
    expect(typed).toMatchObject({ task: 'story', version: { number: 1, kind: 'hard' } });
    expect(continuation.startsWith(String(typed.output))).toBe(true);
  });

  it('says in its own words that an adapter version got empty input', async () => {
    const ask = (content: string) =>
      client(keys.run)
        .chat.completions.create({ model: 'soft-a', messages: [{ role: 'user', content }] })
        .catch((error: unknown) => error);
    // it had said "prompt 0 is empty (Give at least one token (most models start with BOS).)"
    expect(await ask('')).toMatchObject({
      status: 400,
      code: 'PROMPT_EMPTY',
      message: expect.stringMatching(/^400 the input is empty: an adapter version continues/),
    });
  });

  it('answers errors in OpenAI’s shape: unknown model, no key, wrong key, wrong scope, too large', async () => {
    const missing = await client(keys.run)
      .chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    // as retrieving it says, in the client's words (it had said "nope@latest does not exist")
    expect(missing).toMatchObject({
      code: 'REGISTRY_NO_TASK',
      message: expect.stringContaining('model "nope" is not served here: there is no task named nope'),
    });
    // a version trained on other weights: not served here (404, which no client retries)
    const otherBase = await client(keys.run)
      .chat.completions.create({ model: 'other-base', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(otherBase).toBeInstanceOf(OpenAI.NotFoundError);
    expect(otherBase).toMatchObject({
      code: 'ADAPTER_WRONG_MODEL',
      error: { hint: expect.stringContaining('This service runs stories260K.gguf: request a version') },
    });
    // so is one whose shapes are another model's: the same 404, not the caller's 400
    const narrow = await client(keys.run)
      .chat.completions.create({ model: 'lora-narrow', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(narrow).toBeInstanceOf(OpenAI.NotFoundError);
    expect(narrow).toMatchObject({ code: 'ADAPTER_SHAPE' });
    const post = (key: string | undefined, body: string) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' },
        body,
      });
    const small = JSON.stringify({
      model: 'story',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 2,
    });
    const cases: [string | undefined, string, number, string][] = [
      [undefined, small, 401, 'AUTH_MISSING_KEY'],
      ['pt_000000000000_' + 'A'.repeat(43), small, 401, 'AUTH_INVALID_KEY'],
      [keys.read, small, 403, 'AUTH_SCOPE'],
      [
        keys.run,
        JSON.stringify({ model: 'story', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
        413,
        'BODY_TOO_LARGE',
      ],
      [
        keys.run,
        JSON.stringify({ model: 'story', messages: [{ role: 'user', content: 'x' }], max_tokens: 500 }),
        400,
        'MAX_TOKENS_OUT_OF_RANGE',
      ],
    ];
    for (const [key, body, status, code] of cases) {
      const response = await post(key, body);
      expect([response.status, (await json(response)).error.code]).toEqual([status, code]);
    }
    // a body without a declared length (chunked) is counted as it arrives
    const chunked = (text: string) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.run}`, 'content-type': 'application/json' },
        body: new Blob([text]).stream(),
        duplex: 'half',
      } as RequestInit);
    const large = await chunked(
      JSON.stringify({ model: 'story', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
    );
    expect([large.status, (await json(large)).error.code]).toEqual([413, 'BODY_TOO_LARGE']);
    expect((await chunked(small)).status).toBe(200);
    const labelMove = (key: string) =>
      fetch(`${server.url}/v1/tasks/mood/labels/staging`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ version: '1' }),
      });
    expect((await labelMove(keys.run)).status).toBe(403);
    expect((await labelMove(keys.admin)).status).toBe(200);
    // every response names the version that served it; a move through the service applies at once
    const second = await registry.pushVersion({
      task: 'mood',
      kind: 'hard',
      content: {
        template: 'The mood of: {{input}}\n',
        demos: [],
        demoSeparator: '\n\n',
        generation: { maxTokens: 8, temperature: 0, stop: [], seed: 0 },
      },
      actor,
    });
    const servedBy = async () =>
      (
        await fetch(`${server.url}/v1/tasks/mood@staging/run`, {
          method: 'POST',
          headers: { authorization: `Bearer ${keys.run}`, 'content-type': 'application/json' },
          body: JSON.stringify({ input: 'rain' }),
        })
      ).headers.get('promptune-version');
    const first = (await registry.resolveVersion('mood', '1')).id;
    expect(await servedBy()).toBe(first);
    const move = await fetch(`${server.url}/v1/tasks/mood/labels/staging`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: String(second.version.number) }),
    });
    expect(move.status).toBe(200);
    expect(await servedBy()).toBe(second.version.id);
  });

  it('samples afresh for a request without a seed, as OpenAI does, and repeats one with its seed', async () => {
    const ask = (seed?: number) =>
      client(keys.run)
        .completions.create({
          model: 'soft-a',
          prompt: 'Once upon a time',
          max_tokens: 16,
          temperature: 1.5,
          seed,
        })
        .then((answer) => answer.choices[0].text);
    const unseeded = new Set(await Promise.all([ask(), ask(), ask(), ask()]));
    expect(unseeded.size).toBeGreaterThan(1);
    const seeded = new Set(await Promise.all([ask(7), ask(7), ask(7)]));
    expect(seeded.size).toBe(1);
  });

  it("ends an answer at its version's stops whatever stop the request adds", async () => {
    await registry.putTask(taskSpec.parse({ name: 'stops', prompt: { template: '{{input}}' } }));
    await registry.pushVersion({
      task: 'stops',
      kind: 'hard',
      content: {
        template: '{{input}}',
        demos: [],
        demoSeparator: '\n\n',
        generation: { maxTokens: 40, temperature: 0, stop: ['.'], seed: 0 },
      },
      actor,
    });
    const ask = async (stop?: string[]) =>
      (
        await client(keys.run).chat.completions.create({
          model: 'stops',
          messages: [{ role: 'user', content: 'Once upon a time' }],
          ...(stop && { stop }),
        })
      ).choices[0].message.content!;
    const plain = await ask();
    expect(plain.length).toBeGreaterThan(5);
    expect(plain).not.toContain('.');
    // a client's stop (LangChain sends its own) adds to the version's: it had replaced them, and the
    // answer ran on past the sentence
    expect(await ask(['zzz'])).toBe(plain);
    const comma = await ask([',']);
    expect(comma.length).toBeLessThan(plain.length);
    expect(plain.startsWith(comma)).toBe(true);
  });

  it('limits each key to its rate', async () => {
    const { key } = await registry.keys.create({ name: 'slow', scopes: ['read'], ratePerMinute: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status,
      );
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect((await json(limited)).error.code).toBe('RATE_LIMITED');
    // two a minute: the next fits within 30 s, said as OpenAI's clients read it
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(30);
    // other keys are not affected
    expect(
      (await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${keys.read}` } })).status,
    ).toBe(200);
  });

  it('keeps a trace of every request in the registry and exposes health, readiness and OpenAPI', async () => {
    await service.recorder!.flush();
    const traced = (await registry.traces.list({ task: 'soft-a' })).data;
    expect(traced.length).toBeGreaterThanOrEqual(2);
    expect(traced[0]).toMatchObject({ model: 'soft-a', task: 'soft-a', status: 200, source: 'service' });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    // readiness describes the model by name and size, never by where it lives
    const ready = await (await fetch(`${server.url}/ready`)).text();
    expect(JSON.parse(ready)).toEqual({
      status: 'ready',
      registry: 'ok',
      engine: {
        model: 'stories260K.gguf',
        architecture: 'llama',
        parameters: expect.any(Number),
        contextLength: 2048,
        hiddenSize: 64,
        adapters: { loaded: expect.any(Number), limit: 64, bytes: expect.any(Number), evicted: 0 },
        prefixes: {
          bytes: expect.any(Number),
          limit: 256 * 1024 * 1024,
          prefixes: expect.any(Number),
          evicted: 0,
        },
        kernels: expect.stringMatching(
          /^(js|native, OpenBLAS \w+(, OpenMP threads (sleep|spin|spin, then sleep,) between products)?)$/,
        ),
      },
    });
    // the engine worker loads OpenBLAS after the main thread chose its kernels: never the generic ones on AVX-512
    const { kernels } = (JSON.parse(ready) as { engine: { kernels: string } }).engine;
    if (runsSkylakeX()) expect(kernels).not.toMatch(/^native, OpenBLAS Prescott/);
    expect(ready).not.toContain('/');
    const openapi = (await json(await fetch(`${server.url}/openapi.json`))) as unknown as { paths: object };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/v1/chat/completions', '/v1/tasks/{name}/run']),
    );
  });
});
