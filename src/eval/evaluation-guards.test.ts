// Guards and constrained decoding in an evaluation, on stories260K: the summary's parse rate and each
// validator's pass rates; a `fix` policy turns chatty answers into labels and the score after the
// policies is what is scored; `--constrain` makes every output a label by construction; re-asks are
// metered like any call (a scripted model controls how many happen); caches keep guards apart.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScriptedModel } from '../../test/scripted-model.js';
import { repositoryRoot, stories } from '../../test/models.js';
import { resolveModel, type ResolvedModel } from '../providers/index.js';
import { loadSplit, loadTask, type Task } from '../tasks/index.js';
import { evaluate } from './harness.js';
import { summarize } from './report.js';
import { ResponseCache } from './response-cache.js';

const animal = loadTask(join(repositoryRoot, 'examples', 'animal.yaml'));
const examples = loadSplit(animal, 'test').slice(0, 48);
const state = mkdtempSync(join(tmpdir(), 'promptune-eval-guards-'));
let local: ResolvedModel;

beforeAll(async () => {
  local = await resolveModel(`local:${stories.gguf}`);
});

const withSpec = (task: Task, extra: Record<string, unknown>): Task => ({
  ...task,
  spec: { ...task.spec, ...extra } as Task['spec'],
});

describe('evaluation with guards', () => {
  it('reports the parse rate and each validator pass rate; fix scores the repaired output', async () => {
    const plain = summarize(
      await evaluate({ task: animal, split: 'test', examples, model: local, stateDirectory: state }),
    );
    const guarded = withSpec(animal, {
      guards: {
        input: [],
        output: [{ validator: 'labels', onFail: 'fix', caseSensitive: false }],
        maxReasks: 1,
        refrain: '',
      },
    });
    const report = summarize(
      await evaluate({ task: guarded, split: 'test', examples, model: local, stateDirectory: state }),
    );
    expect(plain.parseRate).toBeGreaterThan(0);
    expect(plain.guards).toBeUndefined();
    const labels = report.guards!.labels;
    console.log(
      `animal, first ${examples.length} test examples: exact match ${plain.metrics['exact-match'].toFixed(3)} -> ${report.metrics['exact-match'].toFixed(3)} with a labels guard (fix); labels pass ${labels.passRate.toFixed(3)} first time, ${labels.finalPassRate.toFixed(3)} after; parse rate ${plain.parseRate!.toFixed(3)} -> ${report.parseRate!.toFixed(3)}`,
    );
    expect(labels.checked).toBe(examples.length);
    expect(labels.passRate).toBeLessThan(1); // stories260K keeps telling the story after the label
    expect(labels.finalPassRate).toBeGreaterThan(labels.passRate);
    expect(labels.actions.fixed).toBeGreaterThan(0);
    expect(report.metrics['exact-match']).toBeGreaterThanOrEqual(plain.metrics['exact-match']);
  });

  it('decodes under the task labels with constrain: every output is a label', async () => {
    const constrained = summarize(
      await evaluate({
        task: animal,
        split: 'test',
        examples,
        model: local,
        stateDirectory: state,
        constrain: true,
      }),
    );
    expect(constrained.parseRate).toBe(1);
    const labels = animal.spec.output.kind === 'label' ? animal.spec.output.labels : [];
    for (const example of constrained.examples) expect(labels).toContain(example.outputs[0]);
  });

  it('refuses to constrain a hosted model, and a text task without a constraint', async () => {
    const hosted = {
      name: 'scripted',
      provider: 'scripted',
      modelId: 'x',
      model: new ScriptedModel('x', () => ' dog'),
    };
    await expect(
      evaluate({
        task: animal,
        split: 'test',
        examples,
        model: hosted,
        stateDirectory: state,
        constrain: true,
      }),
    ).rejects.toMatchObject({
      code: 'CONSTRAINT_NEEDS_LOCAL_MODEL',
    });
    const text = withSpec(animal, {
      output: { kind: 'text' },
      metrics: [{ name: 'exact-match', weight: 1, options: {} }],
    });
    await expect(
      evaluate({ task: text, split: 'test', examples, model: local, stateDirectory: state, constrain: true }),
    ).rejects.toMatchObject({
      code: 'CONSTRAINT_NOTHING',
    });
  });

  it("checks the example's fields, not the demos and template around them, and answers refused inputs without a call", async () => {
    const scripted = new ScriptedModel('scripted-inputs', () => ' cat');
    const model = { name: 'scripted', provider: 'scripted', modelId: 'scripted-inputs', model: scripted };
    const guarded = withSpec(animal, {
      prompt: {
        ...animal.spec.prompt,
        demos: [{ input: 'Mail ada@example.com about the cat.', target: ' cat' }],
      },
      guards: {
        input: [{ validator: 'pii', kinds: ['email'], onFail: 'exception' }],
        output: [],
        maxReasks: 1,
        refrain: '',
      },
    });
    const clean = examples.slice(0, 3);
    const dirty = {
      ...clean[0],
      id: 'dirty',
      fields: { input: `${clean[0].fields.input} Write to tom@example.com.` },
    };
    const run = await evaluate({
      task: guarded,
      split: 'test',
      examples: [...clean, dirty],
      model,
      stateDirectory: state,
    });
    expect(scripted.calls).toBe(3); // the demo's email refuses nothing; the dirty input is never sent
    expect(scripted.prompts.every((prompt) => !prompt.includes('tom@example.com'))).toBe(true);
    const refused = run.examples.find((example) => example.id === 'dirty')!;
    expect(refused.outputs).toEqual(['']);
    expect(refused.checks![0]).toEqual([
      expect.objectContaining({ validator: 'pii', stage: 'input', action: 'refused' }),
    ]);
  });

  it("asks again when a custom validator's module changed, instead of replaying stale verdicts", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-custom-cache-'));
    const module = join(folder, 'check.mjs');
    writeFileSync(module, 'export default () => true;\n');
    const scripted = new ScriptedModel('scripted-custom', () => ' cat');
    const model = { name: 'scripted', provider: 'scripted', modelId: 'scripted-custom', model: scripted };
    const guarded = withSpec(animal, {
      guards: {
        input: [],
        output: [{ validator: 'custom', module, export: 'default', onFail: 'noop' }],
        maxReasks: 1,
        refrain: '',
      },
    });
    const cache = new ResponseCache(':memory:');
    const few = examples.slice(0, 3);
    const first = summarize(
      await evaluate({ task: guarded, split: 'test', examples: few, model, cache, stateDirectory: state }),
    );
    expect(first.guards!.custom.passRate).toBe(1);
    writeFileSync(module, 'export default () => false;\n// changed\n');
    const second = summarize(
      await evaluate({ task: guarded, split: 'test', examples: few, model, cache, stateDirectory: state }),
    );
    expect(scripted.calls).toBe(6);
    expect(second.guards!.custom.passRate).toBe(0);
    cache.close();
  });

  it("counts the judge validators' calls, tokens and cost", async () => {
    const judgeModel = new ScriptedModel('scripted-judge', () => 'SCORE: 8\nREASON: fine', [40, 8]);
    const guardJudge = {
      name: 'scripted:judge',
      provider: 'scripted',
      modelId: 'scripted-judge',
      model: judgeModel,
    };
    const judged = withSpec(animal, {
      guards: {
        input: [],
        output: [{ validator: 'judge', rubric: 'Names an animal.', threshold: 0.5, onFail: 'noop' }],
        maxReasks: 1,
        refrain: '',
      },
    });
    const run = await evaluate({
      task: judged,
      split: 'test',
      examples: examples.slice(0, 4),
      model: local,
      stateDirectory: state,
      guardJudge,
      prices: { 'scripted-judge': { input: 1, output: 2 } },
    });
    expect(judgeModel.calls).toBe(4);
    expect(run.guardJudge).toEqual({ calls: 4, inputTokens: 160, outputTokens: 32, cost: (160 + 64) / 1e6 });
    expect(summarize(run).guardJudge).toEqual({
      calls: 4,
      tokens: { input: 160, output: 32 },
      cost: (160 + 64) / 1e6,
    });
  });

  it('meters re-asks like any call, and keeps guarded answers apart in the cache', async () => {
    const scripted = new ScriptedModel('scripted-reask', (prompt) =>
      prompt.includes('not accepted') ? ' cat' : 'a cat, I think',
    );
    const model = { name: 'scripted', provider: 'scripted', modelId: 'scripted-reask', model: scripted };
    const reasking = withSpec(animal, {
      guards: {
        input: [],
        output: [{ validator: 'labels', onFail: 'reask', caseSensitive: false }],
        maxReasks: 2,
        refrain: '',
      },
    });
    const cache = new ResponseCache(':memory:');
    const few = examples.slice(0, 5);
    const run = await evaluate({
      task: reasking,
      split: 'test',
      examples: few,
      model,
      cache,
      stateDirectory: state,
    });
    expect(scripted.calls).toBe(10); // one answer and one re-ask per example
    expect(run.spend.calls).toBe(10);
    expect(run.inputTokens).toBe(10 * 10);
    expect(run.examples.every((example) => example.outputs[0] === ' cat')).toBe(true);
    const report = summarize(run);
    expect(report.guards!.labels).toMatchObject({ passRate: 0, finalPassRate: 1, actions: { reask: 5 } });
    // the same prompts without the guard are other requests: answered by the model, not the guarded cache
    await evaluate({ task: animal, split: 'test', examples: few, model, cache, stateDirectory: state });
    expect(scripted.calls).toBe(15);
    cache.close();
  });
});
