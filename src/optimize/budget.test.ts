// Budgets per role: hard token and money caps (worst case reserved before a call), a judge role whose
// verdicts are counted and cached, the missing-price error, when no candidate can win significantly, and
// caps that hold across a killed or failed run and its resume (the spend journal). Scripted models: this
// is budget logic, which needs controlled model behaviour.
import { APICallError } from '@ai-sdk/provider';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptedLanguageModel, ScriptedModel, ScriptedTeacher } from '../../test/scripted-model.js';
import { BudgetExceededError, PromptuneError } from '../errors/index.js';
import { resolveModel } from '../providers/index.js';
import { freePort } from '../../test/postgres.js';
import { ResponseCache } from '../eval/response-cache.js';
import { SpendJournal } from '../eval/spend-journal.js';
import { taskFromObject } from '../tasks/load-task.js';
import { bootstrapOptimizer } from './bootstrap.js';
import { BudgetTracker } from './budget.js';
import { proposeOptimizer } from './propose.js';
import { noSignificantGainPossible } from './run.js';

const scripted = (model: ScriptedModel) => ({
  name: 'scripted',
  provider: 'scripted',
  modelId: model.modelId,
  model,
});
const examples = Array.from({ length: 12 }, (_, i) => ({
  index: i,
  line: i + 1,
  fields: { input: `${i} + ${i + 2}` },
  target: String(2 * i + 2),
  id: `e${i}`,
}));
const question = (text: string) => ({
  prompt: [{ role: 'user' as const, content: [{ type: 'text' as const, text: `${text}\nAnswer:` }] }],
  maxOutputTokens: 4,
});

describe('BudgetTracker', () => {
  it('refuses a call whose worst case could cross a token cap, before sending it', async () => {
    const inner = new ScriptedLanguageModel();
    const tracker = new BudgetTracker({ student: { tokens: 100 } });
    const model = tracker.wrap(scripted(inner), 'student');
    // worst case: 16 framing + 13 bytes + 4 output = 33 tokens; real use 11 per call, so the 8th
    // call (77 used + 33) could cross the cap
    for (let i = 0; i < 7; i++) await model.model.doGenerate(question('1 + 2'));
    expect(tracker.used.student).toMatchObject({ calls: 7, inputTokens: 70, outputTokens: 7 });
    const refused = await Promise.resolve(model.model.doGenerate(question('1 + 2'))).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect((refused as BudgetExceededError).message).toContain('student token budget of 100');
    expect(inner.calls).toBe(7);
  });

  it('needs a price to enforce a money cap', async () => {
    const tracker = new BudgetTracker({ total: { dollars: 1 } });
    const model = tracker.wrap(scripted(new ScriptedLanguageModel()), 'student');
    const error = await Promise.resolve(model.model.doGenerate(question('1 + 2'))).catch(
      (caught: unknown) => caught,
    );
    expect(PromptuneError.isInstance(error) && error.code).toBe('OPTIMIZE_NO_PRICE');
  });

  it('refuses a money cap on an openai-compatible API elsewhere without a price (it may not be free)', async () => {
    const tracker = new BudgetTracker({ total: { dollars: 1 } });
    const inner = new ScriptedLanguageModel();
    const model = tracker.wrap(
      {
        ...scripted(inner),
        name: 'openai-compatible:https://api.together.xyz/v1#llama',
        provider: 'openai-compatible',
      },
      'student',
    );
    const error = await Promise.resolve(model.model.doGenerate(question('1 + 2'))).catch(
      (caught: unknown) => caught,
    );
    expect(PromptuneError.isInstance(error) && error.code).toBe('OPTIMIZE_NO_PRICE');
    expect(inner.calls).toBe(0);
  });

  it('knows when no candidate can be significantly better', () => {
    expect(noSignificantGainPossible([...Array(19).fill(1), 0], 0.05)).toBe(true); // one example to win
    // right or wrong: McNemar's exact test needs six fixed and none broken (2 / 2^6 = 0.031); five give 0.0625
    expect(noSignificantGainPossible([...Array(15).fill(1), ...Array(5).fill(0)], 0.05)).toBe(true);
    expect(noSignificantGainPossible([...Array(14).fill(1), ...Array(6).fill(0)], 0.05)).toBe(false);
    expect(noSignificantGainPossible(Array(20).fill(0), 0.05)).toBe(false);
    // graded scores: the bootstrap's bound
    expect(noSignificantGainPossible([...Array(19).fill(1), 0.5], 0.05)).toBe(true);
    expect(noSignificantGainPossible([...Array(15).fill(1), ...Array(5).fill(0.5)], 0.05)).toBe(false);
  });
});

describe('the judge role', () => {
  const task = taskFromObject(
    {
      name: 'judged-sums',
      prompt: { template: 'Q: {{input}}\nAnswer:' },
      metrics: [{ name: 'judge', options: { rubric: 'Is the sum right?' } }],
    },
    'judged-sums',
  );

  it('counts judge calls against their own cap and replays verdicts from the cache', async () => {
    const state = mkdtempSync(join(tmpdir(), 'promptune-judge-'));
    const cache = new ResponseCache(join(state, 'cache.sqlite'));
    const judge = new ScriptedTeacher('SCORE: 3\nFEEDBACK: wrong sum');
    const run = () =>
      bootstrapOptimizer({ maxDemos: 2, candidates: 3 }).optimize(task, {
        student: scripted(new ScriptedLanguageModel()),
        judge: scripted(judge),
        train: examples,
        dev: examples,
        budget: { judge: { calls: 30 } },
        cache,
        stateDirectory: state,
      });
    const first = await run();
    expect(first.details.usage.judge.calls).toBe(judge.calls);
    expect(judge.calls).toBeLessThanOrEqual(30);
    expect(first.history[0].score).toBeCloseTo(0.3);
    const callsAfterFirst = judge.calls;
    const second = await run();
    expect(judge.calls).toBe(callsAfterFirst);
    // the first run's calls count as spent (the budget holds over both), none of them made again
    expect(second.details.usage.judge.calls).toBe(callsAfterFirst);
    expect(second.details.earlier?.judge.calls).toBe(callsAfterFirst);
    cache.close();
  });
});

describe('a finished run run again', () => {
  const task = taskFromObject(
    { name: 'sums', prompt: { template: 'Q: {{input}}\nAnswer:' }, generation: { maxTokens: 4 } },
    'sums',
  );
  it('is a new run with a budget of its own when there is no cache to replay it from', async () => {
    const state = mkdtempSync(join(tmpdir(), 'promptune-nocache-'));
    const student = new ScriptedLanguageModel();
    const run = () =>
      bootstrapOptimizer({ maxDemos: 2, candidates: 3 }).optimize(task, {
        student: scripted(student),
        train: examples,
        dev: examples,
        budget: { student: { calls: 3 * examples.length } },
        stateDirectory: state,
      });
    const first = await run();
    const second = await run(); // had spent the first run's calls as its own, and failed OPTIMIZE_BUDGET
    expect(second.artifact.prompt).toEqual(first.artifact.prompt);
    expect(second.details.earlier?.student.calls ?? 0).toBe(0);
  });

  it('is refused before any call with no dev examples, or a cap that is not a number of at least 0', async () => {
    const student = new ScriptedLanguageModel();
    const run = (dev: typeof examples, budget: object) =>
      bootstrapOptimizer({ maxDemos: 2, candidates: 3 })
        .optimize(task, {
          student: scripted(student),
          train: examples,
          dev,
          budget,
          stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-refused-')),
        })
        .catch((error: unknown) => error);
    // with none, the seed prompt had scored 0 of 0 and the run had stopped as "perfect on dev"
    expect(await run([], { student: { calls: 5 } })).toMatchObject({ code: 'OPTIMIZE_NO_DEV' });
    expect(await run(examples, { student: { calls: -5 } })).toMatchObject({
      code: 'OPTIMIZE_BAD_BUDGET',
      message: "the budget's student.calls is -5, not a number of at least 0",
    });
    expect(await run(examples, { total: { dollars: Number.NaN } })).toMatchObject({
      code: 'OPTIMIZE_BAD_BUDGET',
    });
    expect(student.calls).toBe(0);
    // Infinity caps nothing, as before
    expect(await run(examples, { student: { calls: Infinity } })).toMatchObject({
      artifact: expect.any(Object),
    });
  });
});

describe('budgets across a kill and resume', () => {
  const task = taskFromObject(
    { name: 'sums', prompt: { template: 'Q: {{input}}\nAnswer:' }, generation: { maxTokens: 4 } },
    'sums',
  );
  const journalPath = () => join(mkdtempSync(join(tmpdir(), 'promptune-spend-')), 'run.spend.jsonl');

  it('count what a killed run spent from the start, a call in flight at its worst case', async () => {
    const path = journalPath();
    const killed = new BudgetTracker({ student: { calls: 8 } }, undefined, new SpendJournal(path));
    const model = killed.wrap(scripted(new ScriptedLanguageModel()), 'student');
    for (let i = 0; i < 3; i++) await model.model.doGenerate(question('1 + 2'));
    const hanging = new ScriptedLanguageModel();
    hanging.doGenerate = () => new Promise(() => {}); // sent, never answered: the process dies here
    void killed.wrap(scripted(hanging), 'student').model.doGenerate(question('1 + 2'));
    const resumed = new BudgetTracker({ student: { calls: 8 } }, undefined, new SpendJournal(path));
    // 3 answered calls of 10 + 1 tokens, and one at its worst case: 16 framing + 13 bytes in, 4 out
    expect(resumed.earlier.student).toMatchObject({ calls: 4, inputTokens: 30 + 29, outputTokens: 3 + 4 });
    const inner = new ScriptedLanguageModel();
    const again = resumed.wrap(scripted(inner), 'student');
    for (let i = 0; i < 4; i++) await again.model.doGenerate(question('1 + 2'));
    const refused = await Promise.resolve(again.model.doGenerate(question('1 + 2'))).catch((error) => error);
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect(inner.calls).toBe(4);
    expect(resumed.used.student.calls).toBe(8);
  });

  it('count no call whose request never left, so a rerun once the server is up has the whole cap', async () => {
    const path = journalPath();
    const down = new BudgetTracker({ student: { calls: 3 } }, undefined, new SpendJournal(path));
    // a real socket: a port just bound and closed, so nothing listens and no connection is made
    const port = await freePort();
    const unreachable = await resolveModel(`openai-compatible:http://127.0.0.1:${port}/v1#m`, {
      environment: {},
    });
    const model = down.wrap(unreachable, 'student');
    for (let i = 0; i < 5; i++)
      await expect(model.model.doGenerate(question('1 + 2'))).rejects.toThrow(/ECONNREFUSED|fetch failed/);
    expect(down.used.student).toMatchObject({ calls: 0, inputTokens: 0, outputTokens: 0 });
    const rerun = new BudgetTracker({ student: { calls: 3 } }, undefined, new SpendJournal(path));
    expect(rerun.earlier.student.calls).toBe(0);
    const inner = new ScriptedLanguageModel();
    const up = rerun.wrap(scripted(inner), 'student');
    for (let i = 0; i < 3; i++) await up.model.doGenerate(question('1 + 2'));
    expect(inner.calls).toBe(3);
  });

  it("plan with the killed run's answers as free until replayed, then as spent", async () => {
    const path = journalPath();
    const killed = new BudgetTracker({}, undefined, new SpendJournal(path));
    const model = killed.wrap(scripted(new ScriptedLanguageModel()), 'student');
    for (let i = 0; i < 6; i++) await model.model.doGenerate(question('1 + 2'));
    const resumed = new BudgetTracker({ student: { calls: 8 } }, undefined, new SpendJournal(path));
    const student = resumed.wrap(scripted(new ScriptedLanguageModel()), 'student');
    // an unbroken run would now be at 0 calls: the 6 cached answers it is about to replay are paid for
    expect([resumed.fits('student', 8), resumed.fits('student', 9)]).toEqual([true, false]);
    for (let i = 0; i < 6; i++) student.replayed!({ inputTokens: 10, outputTokens: 1 });
    expect([resumed.fits('student', 2), resumed.fits('student', 3)]).toEqual([true, false]);
    expect(resumed.used.student.calls).toBe(6); // replays cost nothing
  });

  it('hold a money cap over a failed run and its rerun, which replays without paying twice', async () => {
    const state = mkdtempSync(join(tmpdir(), 'promptune-spend-'));
    const cache = new ResponseCache(join(state, 'cache.sqlite'));
    const prices = {
      'scripted-sums': { input: 1000, output: 1000 }, // $0.011 a call
      'scripted-teacher': { input: 100, output: 100 }, // $0.007 a call
    };
    const students = [new ScriptedLanguageModel(), new ScriptedLanguageModel()];
    // proposals that depend on the request (which lists the instructions tried so far): new each round
    const propose = (request: string) =>
      [1, 2, 3].map((k) => `INSTRUCTION: Variant ${request.length}.${k}`).join('\n');
    const teachers = [0, 1].map(() => new ScriptedModel('scripted-teacher', propose, [50, 20]));
    // the first run's teacher fails on its second request (the provider refuses it)
    const failing = teachers[0].doGenerate.bind(teachers[0]);
    teachers[0].doGenerate = async (options) => {
      if (teachers[0].calls === 1)
        throw new APICallError({ message: 'overloaded', url: 'x', requestBodyValues: {}, statusCode: 400 });
      return failing(options);
    };
    const run = (i: number) =>
      proposeOptimizer().optimize(task, {
        student: scripted(students[i]),
        teacher: scripted(teachers[i]),
        train: examples,
        dev: examples,
        budget: { total: { dollars: 1 } },
        prices,
        cache,
        stateDirectory: state,
      });
    await expect(run(0)).rejects.toThrow('overloaded');
    expect([students[0].calls, teachers[0].calls]).toEqual([12 * 4, 1]);
    const result = await run(1);
    const paid =
      (students[0].calls + students[1].calls) * 0.011 + (teachers[0].calls + teachers[1].calls) * 0.007;
    expect(paid).toBeLessThanOrEqual(1); // an unbroken run's plan costs $1.34
    expect(result.details.earlier!.student.calls).toBe(48);
    expect(result.details.earlier!.teacher.calls).toBe(2); // the refused request counts as a call
    const total = result.artifact.optimizer.spend!;
    expect(total.dollars).toBeCloseTo(paid, 9);
    expect(total.earlierCalls).toBe(50);
    expect(result.details.stopped).toMatch(/dollar budget of 1 is spent/);
    cache.close();
  });
});
