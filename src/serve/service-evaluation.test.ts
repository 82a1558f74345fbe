// Online evaluation in the service, with stories260K answering: a judge grades a sample of stored
// responses in the background (a scripted judge, since the test is about the plumbing: which traces
// it sees, redacted, and where its grades land), and a correction sent as feedback is scored with the
// task's own metrics.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { judgeEvaluator, Redactor, redactionRules } from '../observe/index.js';
import { Registry, type ScoreRecord } from '../registry/index.js';
import { taskSpec } from '../tasks/spec.js';
import { EngineClient } from './engine-client.js';
import { listen, type RunningServer } from './listen.js';
import { createService, type Service } from './service.js';

const actor = { name: 'test', scopes: ['read', 'run', 'admin'] };
let registry: Registry;
let engine: EngineClient;
let server: RunningServer;
let service: Service;
let key = '';
const judged: string[] = [];
/** A scripted judge: records the prompt it was shown and grades 7 of 10. */
const scriptedJudge = async (prompt: string) => {
  judged.push(prompt);
  return 'SCORE: 7\nFEEDBACK: plausible';
};

beforeAll(async () => {
  registry = await Registry.open({
    path: join(mkdtempSync(join(tmpdir(), 'promptune-online-')), 'r.sqlite'),
  });
  await registry.putTask(
    taskSpec.parse({
      name: 'story',
      prompt: { template: '{{input}}' },
      metrics: [{ name: 'exact-match' }, { name: 'token-f1' }],
    }),
  );
  await registry.pushVersion({ task: 'story', kind: 'hard', content: { template: '{{input}}' }, actor });
  key = (await registry.keys.create({ name: 'app', scopes: ['run', 'read'], ratePerMinute: 1e6 })).key;
  engine = await EngineClient.start(stories.gguf);
  service = createService({
    registry,
    backends: { engine, hard: engine.languageModel() },
    tracing: { redactor: new Redactor(redactionRules(['email'])), flushIntervalMs: 10 },
    evaluation: {
      sampleRate: 1,
      evaluators: [judgeEvaluator({ judge: scriptedJudge, rubric: 'Is it a story?' })],
    },
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

const ask = async (content: string) => {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'story', messages: [{ role: 'user', content }], max_tokens: 4 }),
  });
  return (await response.json()) as { id: string; choices: { message: { content: string } }[] };
};
async function scoresOf(id: string, name: string): Promise<ScoreRecord[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const found = (await registry.traces.get(id).catch(() => undefined))?.scores.filter(
      (score) => score.name === name,
    );
    if (found?.length) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return [];
}

describe('online evaluation', () => {
  it('has a judge grade stored responses in the background, seeing them redacted', async () => {
    const { id } = await ask('Once upon a time, mail tom@example.com');
    const [grade] = await scoresOf(id, 'judge');
    expect(grade).toMatchObject({ source: 'evaluator', kind: 'numeric', value: 0.7, task: 'story' });
    const prompt = judged.find((text) => text.includes('Once upon a time'))!;
    expect(prompt).toContain('Rubric: Is it a story?');
    expect(prompt).toContain('[REDACTED:email]');
    expect(prompt).not.toContain('tom@example.com');
  });

  it('scores the output against a correction with the task’s metrics', async () => {
    const answer = await ask('Lily went');
    const output = answer.choices[0].message.content;
    const feedback = await fetch(`${server.url}/v1/feedback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: answer.id, name: 'helpful', value: false, correction: `${output} indeed` }),
    });
    expect(feedback.status).toBe(201);
    const trace = await registry.traces.get(answer.id);
    const byName = Object.fromEntries(trace.scores.map((score) => [score.name, score]));
    expect(byName['metric.exact-match']).toMatchObject({ source: 'evaluator', value: 0 });
    expect(byName['metric.token-f1'].value).toBeGreaterThan(0);
    expect(byName['metric.token-f1'].value).toBeLessThan(1);
  });

  it('prices each trace by the model that served it', async () => {
    // the engine answers, priced as if it were gpt-4o-mini upstream: $0.15 / $0.60 per million tokens
    const priced = createService({
      registry,
      backends: { engine, hard: engine.languageModel() },
      tracing: { flushIntervalMs: 10 },
      pricing: { hard: { provider: 'openai', modelId: 'gpt-4o-mini' } },
      logger: pino({ level: 'silent' }),
    });
    const pricedServer = await listen(priced.app);
    const response = await fetch(`${pricedServer.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'story', messages: [{ role: 'user', content: 'Once' }], max_tokens: 4 }),
    });
    const { id, usage } = (await response.json()) as {
      id: string;
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    await pricedServer.close();
    await priced.drain();
    const trace = await registry.traces.get(id);
    expect(trace.cost).toBeCloseTo((usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.6) / 1e6, 12);
  });
});
