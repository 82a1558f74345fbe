// Budgets per role: hard token and money caps (worst case reserved before a call), a judge role whose
// verdicts are counted and cached, the missing-price error, and when no candidate can win significantly.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptedLanguageModel, ScriptedTeacher } from '../../test/scripted-model.js';
import { PromptuneError } from '../errors/index.js';
import { ResponseCache } from '../eval/response-cache.js';
import { taskFromObject } from '../tasks/load-task.js';
import { bootstrapOptimizer } from './bootstrap.js';
import { BudgetExceeded, BudgetTracker } from './budget.js';
import { noSignificantGainPossible } from './run.js';

const scripted = (model: ScriptedLanguageModel | ScriptedTeacher) => ({
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
    expect(refused).toBeInstanceOf(BudgetExceeded);
    expect((refused as BudgetExceeded).message).toContain('student token budget of 100');
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

  it('knows when no candidate can be significantly better', () => {
    expect(noSignificantGainPossible([...Array(19).fill(1), 0], 0.05)).toBe(true); // one example to win
    expect(noSignificantGainPossible([...Array(15).fill(1), 0, 0, 0, 0, 0], 0.05)).toBe(false);
    expect(noSignificantGainPossible(Array(20).fill(0), 0.05)).toBe(false);
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
    expect(second.details.usage.judge.calls).toBe(0);
    cache.close();
  });
});
