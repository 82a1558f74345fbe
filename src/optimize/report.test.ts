// What a run reports: the spend estimate bounds the real calls of every optimizer, the HTML report
// shows the trajectory, the prompt diff, the flipped examples and the usage per role, and structured
// outputs get a parse rate.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptedLanguageModel, ScriptedTeacher } from '../../test/scripted-model.js';
import { taskFromObject } from '../tasks/load-task.js';
import { scorePrompt } from './candidate.js';
import { reflectedInstruction } from './evolve.js';
import { lineDiff } from './line-diff.js';
import { estimateSpend, makeOptimizer, maximumCalls, optimizerNames, presets } from './presets.js';
import { renderOptimizationHtml } from './report-html.js';
import { scripted, sumExamples, sumsTask } from '../../test/sums-task.js';
import type { RunDetails } from './types.js';

const task = sumsTask;
const examples = (from: number, count: number) => sumExamples(from, count);
const state = () => mkdtempSync(join(tmpdir(), 'promptune-report-'));

describe('makeOptimizer', () => {
  it('refuses a name it does not know, naming the nearest', () => {
    expect(() => makeOptimizer('boostrap' as 'bootstrap', presets.light)).toThrow(
      expect.objectContaining({
        code: 'OPTIMIZE_UNKNOWN',
        hint: 'Name one of bootstrap, propose, search, evolve (did you mean bootstrap?).',
      }) as Error,
    );
  });
});

describe('spend estimates', () => {
  it.each(optimizerNames)('bound the calls %s makes at the light preset', async (name) => {
    const student = new ScriptedLanguageModel('scripted-sums', () => false); // never done: maximum work
    const teacher = new ScriptedTeacher('INSTRUCTION: Answer with the number only.');
    const [train, dev] = [examples(1, 30), examples(100, 10)];
    const bound = maximumCalls(name, presets.light, { train: 30, dev: 10, teacher: true });
    await makeOptimizer(name, presets.light).optimize(task, {
      student: scripted(student),
      teacher: scripted(teacher),
      train,
      dev,
      budget: {},
      stateDirectory: state(),
    });
    expect(student.calls).toBeLessThanOrEqual(bound.student);
    expect(teacher.calls).toBeLessThanOrEqual(bound.teacher);
    const estimate = estimateSpend(
      task,
      name,
      presets.light,
      { train, dev },
      { student: scripted(student), teacher: scripted(teacher) },
      { 'scripted-sums': { input: 1, output: 2 }, 'scripted-teacher': { input: 3, output: 4 } },
    );
    expect(estimate.calls).toEqual(bound);
    expect(estimate.dollars).toBeGreaterThan(0);
    expect(
      estimateSpend(task, name, presets.light, { train, dev }, { student: scripted(student) }).dollars,
    ).toBe(undefined); // no price for the scripted model
  });
});

describe('the optimization report', () => {
  it('charts the trials, diffs the prompts, lists flipped examples and usage per role', async () => {
    const result = await makeOptimizer('bootstrap', presets.light).optimize(task, {
      student: scripted(new ScriptedLanguageModel()),
      train: examples(1, 30),
      dev: examples(100, 12),
      budget: { student: { calls: 200 } },
      stateDirectory: state(),
    });
    expect(result.details.improved).toBe(true);
    const html = renderOptimizationHtml(result, 'sums <report>');
    expect(html).toContain('<title>sums &lt;report&gt;</title>');
    expect(html.match(/<circle /g)).toHaveLength(result.history.length);
    expect(html).toMatch(/<div class="added">\+ # demo 1<\/div>/);
    expect(html).toContain('12 fixed, 0 broken, 0 unchanged');
    expect(html).toMatch(/<th>student<\/th><td>\d+ <small>of 200<\/small>/);
  });

  it('cuts an example before escaping it, so no entity is split', () => {
    const prompt = { template: 'Q: {{input}}', demos: [], demoSeparator: '\n\n' };
    const dev = [{ id: 'a', line: 1, input: { input: 'x' + '&'.repeat(400) }, target: 'y' }];
    const html = renderOptimizationHtml(
      {
        artifact: {
          ...{ format: 'promptune-prompt', version: 1, task: 'sums', prompt },
          generation: { maxTokens: 4, temperature: 0, stop: [], seed: 0 },
          optimizer: { name: 'bootstrap', seed: 0, calls: 1 },
          scores: { seed: 0, best: 1, split: 'dev', n: 1 },
        },
        history: [{ index: 0, description: 'seed prompt', score: 0, accepted: true, calls: 1 }],
        details: {
          ...{
            dev,
            seed: { prompt, scores: [0], outputs: ['?'] },
            final: { prompt, scores: [1], outputs: ['y'] },
          },
          ...{ improved: false, budget: {}, stopped: 'done' },
          usage: Object.fromEntries(
            ['student', 'teacher', 'judge'].map((role) => [
              role,
              { calls: 0, inputTokens: 0, outputTokens: 0, dollars: 0 },
            ]),
          ) as RunDetails['usage'],
        },
      },
      'sums',
    );
    expect(html).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#39;|nbsp;)/);
    expect(html).toMatch(/<td>\{&quot;input&quot;:&quot;x(&amp;)+…<\/td>/);
  });

  it('diffs lines on their longest common subsequence', () => {
    expect(lineDiff(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'c' },
      { kind: 'added', text: 'd' },
    ]);
  });

  it('reads a reflected instruction from an INSTRUCTION: line or a ``` block', () => {
    expect(reflectedInstruction('Sure.\nINSTRUCTION: Be exact.')).toBe('Be exact.');
    expect(reflectedInstruction('Here it is:\n```\nAdd the numbers.\nReply with digits.\n```')).toBe(
      'Add the numbers.\nReply with digits.',
    );
  });
});

describe('parse rate', () => {
  it('is the share of outputs that name a label (label tasks) or hold JSON matching the schema (JSON tasks)', async () => {
    const labels = taskFromObject(
      {
        name: 'parity',
        prompt: { template: 'Q: {{input}}\nAnswer:' },
        output: { kind: 'label', labels: ['3', '5'] },
        metrics: [{ name: 'label' }],
      },
      'parity',
    );
    const data = examples(1, 4); // sums 3, 5, 7, 9: two of them are labels
    const always = scripted(new ScriptedLanguageModel('scripted-sums', () => true));
    const scored = await scorePrompt(labels, labels.spec.prompt, data, always, { stateDirectory: state() });
    expect(scored.parseRate).toBe(0.5);
    const json = taskFromObject(
      {
        name: 'json-sums',
        prompt: { template: 'Q: {{input}}\nAnswer:' },
        output: { kind: 'json', schema: { type: 'object' } },
        metrics: [{ name: 'json' }],
      },
      'json-sums',
    );
    expect(
      (await scorePrompt(json, json.spec.prompt, data, always, { stateDirectory: state() })).parseRate,
    ).toBe(0);
    expect(
      (await scorePrompt(task, task.spec.prompt, data, always, { stateDirectory: state() })).parseRate,
    ).toBe(undefined);
  });
});

describe('content filtering', () => {
  it('is counted on a scored prompt, so that its trial says the answers were withheld', async () => {
    const inner = new ScriptedLanguageModel('scripted-sums', () => true);
    let calls = 0;
    // every other answer withheld by the provider's filter (no text, finish reason content-filter)
    const filtering: LanguageModelV3 = {
      specificationVersion: 'v3',
      provider: 'scripted',
      modelId: 'filtering',
      supportedUrls: {},
      async doGenerate(options) {
        const result = await inner.doGenerate(options);
        return calls++ % 2 === 0
          ? { ...result, content: [], finishReason: { unified: 'content-filter', raw: 'content_filter' } }
          : result;
      },
      doStream: (options) => inner.doStream(options),
    };
    const model = { name: 'filtering', provider: 'scripted', modelId: 'filtering', model: filtering };
    const scored = await scorePrompt(task, task.spec.prompt, examples(1, 4), model, {
      stateDirectory: state(),
    });
    expect(scored.contentFiltered).toBe(2);
    const answered = await scorePrompt(task, task.spec.prompt, examples(1, 4), scripted(inner), {
      stateDirectory: state(),
    });
    expect(answered).not.toHaveProperty('contentFiltered');
  });
});

describe('guards in the objective', () => {
  it('weigh the share of validators passed into each score, or zero the answers that fail them', async () => {
    // scripted: right answers, but the even sums come with a chatty tail a `regex` guard refuses
    const model = new ScriptedLanguageModel('scripted-sums', () => true);
    const chatty = {
      ...scripted(model),
      model: {
        ...model,
        specificationVersion: 'v3' as const,
        provider: model.provider,
        modelId: model.modelId,
        supportedUrls: {},
        doGenerate: async (options: Parameters<typeof model.doGenerate>[0]) => {
          const result = await model.doGenerate(options);
          const text = (result.content[0] as { text: string }).text;
          return {
            ...result,
            content: [{ type: 'text' as const, text: Number(text) % 4 === 3 ? `${text} I think` : text }],
          };
        },
        doStream: model.doStream.bind(model),
      },
    };
    const guarded = taskFromObject(
      {
        name: 'guarded-sums',
        prompt: { template: 'Q: {{input}}\nAnswer:' },
        metrics: [{ name: 'contains' }],
        guards: { output: [{ validator: 'regex', pattern: '\\d+' }] },
      },
      'guarded-sums',
    );
    const data = examples(1, 4); // sums 3, 5, 7, 9, every answer right; 3 and 7 fail the guard
    const plain = await scorePrompt(guarded, guarded.spec.prompt, data, chatty, { stateDirectory: state() });
    expect(plain.scores).toEqual([1, 1, 1, 1]);
    expect(plain.guardPassRate).toBe(0.5);
    const weighted = await scorePrompt(guarded, guarded.spec.prompt, data, chatty, {
      stateDirectory: state(),
      guards: { weight: 0.5 },
    });
    expect(weighted.scores).toEqual([0.5, 1, 0.5, 1]);
    const required = await scorePrompt(guarded, guarded.spec.prompt, data, chatty, {
      stateDirectory: state(),
      guards: { required: true },
    });
    expect(required.scores).toEqual([0, 1, 0, 1]);
  });
});
