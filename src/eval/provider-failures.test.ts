// The harness against an OpenAI-compatible server that misbehaves as hosted providers do (a real HTTP
// server on 127.0.0.1, the official AI SDK provider): an answer that never comes is a coded timeout, not a
// crash; an answer a content filter withheld is counted as such, not passed off as a wrong one; a
// server that reports no usage is counted at the worst case, and said to be, not as 0 tokens; a stop
// does not wait out a rate limit's Retry-After; retries are told and counted. The server's behaviour is chosen by the model name each request asks for.
import { Hono } from 'hono';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../test/models.js';
import { PromptuneError } from '../errors/index.js';
import { resolveModel } from '../providers/index.js';
import { listen, type RunningServer } from '../serve/listen.js';
import { loadTask } from '../tasks/load-task.js';
import { loadSplit } from '../tasks/splits.js';
import { evaluate } from './harness.js';
import { retriesText, summarize } from './report.js';
import { ResponseCache } from './response-cache.js';

const task = loadTask(join(repositoryRoot, 'examples', 'animal.yaml'));
const examples = loadSplit(task, 'dev').slice(0, 2);
const state = mkdtempSync(join(tmpdir(), 'promptune-provider-failures-'));
let server: RunningServer;
/** Answers the requests held by the `hang` model, so the server can close. */
let releaseHeld: () => void = () => undefined;
const held = new Promise<void>((resolve) => (releaseHeld = resolve));
const requests: Record<string, number> = {};
/** Aborted by the `limited` model's first answer, as a Ctrl-C would. */
const stopLimited = new AbortController();

function completion(model: string, choice: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: 'x',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content: ' dog' }, finish_reason: 'stop', ...choice },
    ],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    ...extra,
  };
}

beforeAll(async () => {
  const app = new Hono();
  app.post('/v1/chat/completions', async (context) => {
    const { model } = await context.req.json<{ model: string }>();
    requests[model] = (requests[model] ?? 0) + 1;
    if (model === 'hang') await held;
    if (model === 'filtered')
      return context.json(
        completion(model, { message: { role: 'assistant', content: '' }, finish_reason: 'content_filter' }),
      );
    if (model === 'limited') {
      // the caller stops once the answer is on its way: while it waits the 30 s it was told to
      setTimeout(() => stopLimited.abort(new Error('Ctrl-C')), 20);
      return context.json({ error: { message: 'slow down', type: 'rate_limit' } }, 429, {
        'retry-after': '30',
      });
    }
    if (model === 'out-of-quota')
      return context.json({ error: { message: 'quota exceeded', type: 'rate_limit' } }, 429, {
        'retry-after': '3600',
      });
    // each request's first attempt is refused (a 429, then a 503), the retry answers
    if (model === 'flaky' && requests[model] % 2 === 1)
      return context.json(
        { error: { message: 'try again', type: 'server_error' } },
        requests[model] === 1 ? 429 : 503,
        { 'retry-after': '0' },
      );
    if (model === 'no-usage') return context.json(completion(model, {}, { usage: undefined }));
    return context.json(completion(model, {}));
  });
  server = await listen(app);
});
afterAll(async () => {
  releaseHeld();
  await server?.close();
});

async function evaluateOn(
  model: string,
  options: Pick<
    Parameters<typeof evaluate>[0],
    'timeoutMs' | 'retries' | 'cache' | 'signal' | 'onRetry'
  > = {},
) {
  return evaluate({
    task,
    split: 'dev',
    examples,
    model: await resolveModel(`openai-compatible:${server.url}/v1#${model}`),
    concurrency: 1,
    stateDirectory: mkdtempSync(join(state, `${model}-`)),
    ...options,
  });
}

describe('an OpenAI-compatible provider that misbehaves', () => {
  it('a server that never answers fails as UPSTREAM_TIMEOUT with a hint, after its retries', async () => {
    const failure = await evaluateOn('hang', { timeoutMs: 200, retries: 1 }).catch((error: unknown) => error);
    expect(PromptuneError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
      message: 'the model did not answer within 0.2 s (2 attempts)',
      hint: expect.stringContaining('--timeout') as string,
    });
    expect(requests.hang).toBe(2);
  });

  it('answers withheld by a content filter are counted apart, also when replayed from the cache', async () => {
    const cache = new ResponseCache(join(state, 'filtered.sqlite'));
    try {
      const asked = await evaluateOn('filtered', { cache });
      const replayed = await evaluateOn('filtered', { cache });
      expect(replayed.cacheHits).toBe(examples.length);
      for (const run of [asked, replayed]) {
        expect(run.contentFiltered).toBe(examples.length);
        expect(summarize(run)).toMatchObject({ score: 0, contentFiltered: examples.length });
      }
      const answered = await evaluateOn('good');
      expect(answered.contentFiltered).toBe(0);
      expect(summarize(answered)).not.toHaveProperty('contentFiltered');
    } finally {
      cache.close();
    }
  });

  it('a server that reports no token usage is counted at the worst case and said to be, not as 0 tokens', async () => {
    const run = await evaluateOn('no-usage');
    expect(run.usageEstimated).toBe(examples.length);
    expect(run.inputTokens).toBeGreaterThan(0);
    expect(run.outputTokens).toBe(examples.length * task.spec.generation.maxTokens);
    expect(summarize(run)).toMatchObject({ usageEstimated: examples.length });
    const reported = await evaluateOn('good');
    expect(reported).toMatchObject({ usageEstimated: 0, inputTokens: 3 * examples.length });
    expect(summarize(reported)).not.toHaveProperty('usageEstimated');
  });

  it('retries are told as they happen and counted by why in the run and its report', async () => {
    const told: { line: number; reason: string; attempt: number }[] = [];
    const run = await evaluateOn('flaky', {
      onRetry: ({ line, reason, attempt }) => told.push({ line, reason, attempt }),
    });
    expect(told).toEqual([
      { line: examples[0].line, reason: 'HTTP 429', attempt: 1 },
      { line: examples[1].line, reason: 'HTTP 503', attempt: 1 },
    ]);
    expect(run.retries).toEqual({ 'HTTP 429': 1, 'HTTP 503': 1 });
    const report = summarize(run);
    expect(report.retries).toEqual({ 'HTTP 429': 1, 'HTTP 503': 1 });
    expect(retriesText(report.retries!)).toBe('2 of them retries: HTTP 429 ×1, HTTP 503 ×1');
    expect(summarize(await evaluateOn('good'))).not.toHaveProperty('retries');
  });

  it('a stop ends a wait for a rate limit to lift: the run is interrupted, the example left for the rerun', async () => {
    const stopped = await evaluateOn('limited', { signal: stopLimited.signal }).catch(
      (error: unknown) => error,
    );
    expect(stopped).toMatchObject({ code: 'EVAL_INTERRUPTED' });
    expect(requests.limited).toBe(1);
  });

  it('a Retry-After of an hour is not waited out in silence: the rate limit fails the run at once', async () => {
    const failure = await evaluateOn('out-of-quota').catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
      hint: expect.stringContaining('It asked for a wait of 3600 s (Retry-After).') as string,
    });
    expect(requests['out-of-quota']).toBe(1);
  });
});
