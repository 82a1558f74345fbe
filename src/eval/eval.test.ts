// The evaluation harness end to end on stories260K: through a real OpenAI-compatible HTTP server
// (official AI SDK provider) and in-process, identical outputs; a second run makes no calls; a
// stopped run resumes without redoing finished examples; retries on 429; reports and comparisons.
import { Hono } from 'hono';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot, stories } from '../../test/models.js';
import { PromptuneError } from '../errors/index.js';
import { resolveModel, type ResolvedModel } from '../providers/index.js';
import { listen, type RunningServer } from '../serve/listen.js';
import { openAiRoutes } from '../serve/openai-routes.js';
import { loadTask } from '../tasks/load-task.js';
import { loadSplit } from '../tasks/splits.js';
import { compareReports } from './compare.js';
import { evaluate } from './harness.js';
import { renderReportHtml } from './report-html.js';
import { summarize } from './report.js';
import { ResponseCache } from './response-cache.js';

const task = loadTask(join(repositoryRoot, 'examples', 'animal.yaml'));
const examples = loadSplit(task, 'dev').slice(0, 12);
const state = mkdtempSync(join(tmpdir(), 'promptune-eval-'));
let local: ResolvedModel;
let server: RunningServer;

beforeAll(async () => {
  local = await resolveModel(`local:${stories.gguf}`);
  server = await listen(openAiRoutes({ stories260K: local.model }));
});
afterAll(() => server?.close());

describe('evaluation harness', () => {
  it('names the line of an example the model cannot take (longer than its context)', async () => {
    const long = {
      ...examples[2],
      line: 17,
      fields: { ...examples[2].fields, input: 'once upon a time '.repeat(2000) },
    };
    const failed = await evaluate({
      task,
      split: 'dev',
      examples: [examples[0], long],
      model: local,
      stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-eval-')),
      concurrency: 1,
    }).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'CONTEXT_OVERFLOW' });
    expect((failed as Error).message).toMatch(/^dev example at line 17: prompt \d+ has \d+ tokens/);
    expect((failed as PromptuneError).hint).toContain('Or take that example out of the dev file.');
  });

  it('takes a bare AI SDK model, named by its provider and id, and refuses what is not a v3 model', async () => {
    const named = await evaluate({ task, split: 'dev', examples, model: local, stateDirectory: state });
    const bare = await evaluate({ task, split: 'dev', examples, model: local.model, stateDirectory: state });
    expect(bare.model).toBe(`local:${local.model.modelId}`);
    expect(bare.examples.map((example) => example.outputs)).toEqual(
      named.examples.map((example) => example.outputs),
    );
    const refusal = (model: unknown) =>
      evaluate({ task, split: 'dev', examples, model: model as typeof local, stateDirectory: state }).then(
        () => 'resolved',
        (error: PromptuneError) => `${error.code}: ${error.message}`,
      );
    expect(
      await refusal({ ...local.model, doGenerate: local.model.doGenerate, specificationVersion: 'v2' }),
    ).toBe('EVAL_MODEL_UNSUPPORTED: model is an AI SDK model of specification v2; promptune calls v3 models');
    expect(await refusal('gpt-4o')).toBe('EVAL_MODEL_INVALID: model is not a language model');
    expect(await refusal({ name: 'x', provider: 'p', modelId: 'm', model: {} })).toBe(
      'EVAL_MODEL_INVALID: model.model is not a language model',
    );
  });

  it('gives the same outputs through the OpenAI-compatible server as in-process', async () => {
    const remote = await resolveModel(`openai-compatible:${server.url}/v1#stories260K`);
    const viaServer = await evaluate({
      task,
      split: 'dev',
      examples,
      model: remote,
      concurrency: 4,
      stateDirectory: state,
    });
    const inProcess = await evaluate({
      task,
      split: 'dev',
      examples,
      model: local,
      concurrency: 2,
      stateDirectory: state,
    });
    expect(viaServer.examples.map((example) => example.outputs)).toEqual(
      inProcess.examples.map((example) => example.outputs),
    );
    expect(viaServer.calls).toBe(examples.length);
    expect(viaServer.outputTokens).toBeGreaterThan(0);
    const report = summarize(inProcess);
    // the best hand-written prompt's dev exact match is 0.64 on all 128 (../shared/datasets README)
    expect(report.score).toBeGreaterThan(0.3);
    expect(report.labels?.labels).toContain(' dog');
  });

  it('a second run answers from the cache: zero calls, identical scores', async () => {
    const cache = new ResponseCache(join(state, 'cache.sqlite'));
    const first = await evaluate({
      task,
      split: 'dev',
      examples,
      model: local,
      cache,
      stateDirectory: state,
    });
    const second = await evaluate({
      task,
      split: 'dev',
      examples,
      model: local,
      cache,
      stateDirectory: state,
    });
    expect(first.calls).toBe(examples.length);
    expect(second.calls).toBe(0);
    expect(second.cacheHits).toBe(examples.length);
    expect(second.examples.map((example) => example.scores)).toEqual(
      first.examples.map((example) => example.scores),
    );
    cache.close();
  });

  it('refuses to evaluate no examples (a score of 0 would read as a result)', async () => {
    await expect(
      evaluate({ task, split: 'dev', examples: [], model: local, stateDirectory: state }),
    ).rejects.toMatchObject({ code: 'EVAL_NO_EXAMPLES' });
  });

  it('a run stopped part-way resumes without redoing finished examples', async () => {
    const controller = new AbortController();
    const directory = mkdtempSync(join(state, 'resume-'));
    const stopped = evaluate({
      task,
      split: 'dev',
      examples,
      model: local,
      concurrency: 1,
      stateDirectory: directory,
      signal: controller.signal,
      onProgress: (done) => done === 5 && controller.abort(new Error('the caller gave up')),
    });
    // why it stopped stays with the error
    await expect(stopped).rejects.toMatchObject({
      code: 'EVAL_INTERRUPTED',
      cause: expect.objectContaining({ message: 'the caller gave up' }) as Error,
    });
    const resumed = await evaluate({
      task,
      split: 'dev',
      examples,
      model: local,
      concurrency: 1,
      stateDirectory: directory,
    });
    expect(resumed.resumed).toBe(5);
    expect(resumed.calls).toBe(examples.length - 5);
    const fresh = await evaluate({ task, split: 'dev', examples, model: local, stateDirectory: directory });
    expect(fresh.resumed).toBe(0);
    expect(fresh.examples.map((example) => example.outputs)).toEqual(
      resumed.examples.map((example) => example.outputs),
    );
  });

  it('retries a rate-limited call', async () => {
    let requests = 0;
    const flaky = new Hono();
    flaky.post('/v1/chat/completions', async (context) => {
      requests++;
      if (requests === 1)
        return context.json(
          { error: { message: 'slow down', type: 'rate_limit', code: 'rate_limited' } },
          429,
          { 'retry-after': '0' },
        );
      return context.json({
        id: 'x',
        object: 'chat.completion',
        created: 0,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: ' dog' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      });
    });
    const stub = await listen(flaky);
    try {
      const model = await resolveModel(`openai-compatible:${stub.url}/v1#m`);
      const run = await evaluate({
        task,
        split: 'dev',
        examples: examples.slice(0, 1),
        model,
        stateDirectory: state,
      });
      expect(requests).toBe(2);
      expect(run.calls).toBe(2);
      expect(run.examples[0].outputs).toEqual([' dog']);
    } finally {
      await stub.close();
    }
  });

  it('repeats at temperature > 0 measure per-example variance; reports render and compare', async () => {
    const sampled = {
      ...task,
      spec: { ...task.spec, generation: { ...task.spec.generation, temperature: 1 } },
    };
    const run = summarize(
      await evaluate({
        task: sampled,
        split: 'dev',
        examples,
        model: local,
        repeats: 3,
        stateDirectory: state,
      }),
    );
    expect(run.examples.every((example) => example.outputs.length === 3)).toBe(true);
    expect(run.repeatVariance).toBeGreaterThan(0);
    expect(run.interval[0]).toBeLessThanOrEqual(run.score);
    expect(run.interval[1]).toBeGreaterThanOrEqual(run.score);
    const html = renderReportHtml(run);
    expect(html).toContain('<table>');
    expect(html).toContain('Confusion matrix');
    const greedy = summarize(
      await evaluate({ task, split: 'dev', examples, model: local, stateDirectory: state }),
    );
    const comparison = compareReports(greedy, run);
    expect(comparison.n).toBe(examples.length);
    expect(comparison.difference).toBeCloseTo(run.score - greedy.score, 10);
    expect(comparison.pValue).toBeGreaterThan(0);
  });

  it('names unknown models and missing keys', async () => {
    for (const [name, code] of [
      ['gpt-4', 'MODEL_UNKNOWN'],
      ['mystery:thing', 'MODEL_UNKNOWN'],
      ['openai-compatible:http://x', 'MODEL_UNKNOWN'],
      ['openai:gpt-4o-mini', 'MODEL_NO_API_KEY'],
    ]) {
      const error = await resolveModel(name, { environment: {} }).catch((caught: unknown) => caught);
      expect(PromptuneError.isInstance(error) && error.code, name).toBe(code);
    }
  });
});
