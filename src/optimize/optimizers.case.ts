// The optimizer conformance suite, run against every optimizer with scripted models (models whose
// answers depend on the prompt in documented ways: test/scripted-model.ts): each finds the better
// prompt within its budget, never exceeds a budget, and a rerun (a resumed run) makes no repeated calls.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptedLanguageModel, ScriptedTeacher } from '../../test/scripted-model.js';
import { ResponseCache } from '../eval/response-cache.js';
import type { Example } from '../tasks/dataset.js';
import { taskFromObject } from '../tasks/load-task.js';
import type { Optimizer } from './types.js';

const task = taskFromObject(
  { name: 'sums', prompt: { template: 'Q: {{input}}\nAnswer:' }, metrics: [{ name: 'exact-match' }] },
  'sums',
);
const examples = (from: number, count: number): Example[] =>
  Array.from({ length: count }, (_, i) => {
    const [a, b] = [from + i, 2 * (from + i) + 1];
    return {
      index: i,
      line: i + 1,
      fields: { input: `${a} + ${b}` },
      target: String(a + b),
      id: `sum-${from + i}`,
    };
  });

/** How the scripted models behave for an optimizer: the student's rule, and the teacher's fixed reply. */
export interface Scenario {
  solvable?: (text: string) => boolean;
  teacherReply?: string;
}

/** Runs the suite for the optimizer `make` builds, with scripted models as `scenario` describes. */
export function optimizerConformance(name: string, make: () => Optimizer, scenario: Scenario = {}): void {
  describe(`optimizer conformance: ${name}`, () => {
    const train = examples(1, 30);
    const dev = examples(100, 20);
    const studentOf = (model: ScriptedLanguageModel | ScriptedTeacher) => ({
      name: 'scripted',
      provider: 'scripted',
      modelId: model.modelId,
      model,
    });
    const newStudent = () => new ScriptedLanguageModel('scripted-sums', scenario.solvable);
    const teacherOf = () =>
      scenario.teacherReply === undefined
        ? {}
        : { teacher: studentOf(new ScriptedTeacher(scenario.teacherReply)) };

    // a run with room to find the better prompt: 400 student calls, seed 1, its own state folder
    const plainRun = (model: ScriptedLanguageModel) => ({
      student: studentOf(model),
      ...teacherOf(),
      train,
      dev,
      budget: { student: { calls: 400 } },
      seed: 1,
      stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-optimize-')),
    });

    it('finds the better prompt within its budget', async () => {
      const model = newStudent();
      const { artifact, history } = await make().optimize(task, plainRun(model));
      expect(artifact.scores.seed).toBe(0);
      expect(artifact.scores.best).toBe(1);
      expect(artifact.optimizer.stopped).toMatch(/perfect/); // early stopping: nothing left to gain
      expect(model.calls).toBeLessThanOrEqual(400);
      expect(history.some((trial) => trial.accepted && trial.index > 0)).toBe(true);
      // the artifact is plain JSON and carries no training data beyond its demos
      const json = JSON.parse(JSON.stringify(artifact));
      expect(json).toEqual(artifact);
      const demoInputs = new Set(artifact.prompt.demos.map((demo) => demo.input));
      for (const example of train)
        if (!demoInputs.has(example.fields.input))
          expect(JSON.stringify(artifact)).not.toContain(`"${example.fields.input}"`);
    });

    it('announces each scoring before its calls, and no scoring makes more student calls than it announced', async () => {
      const scorings: { size: number; studentCalls: number }[] = [];
      let outside = 0;
      await make().optimize(task, {
        ...plainRun(newStudent()),
        onScoring: (size) => scorings.push({ size, studentCalls: 0 }),
        onCall: (role) => {
          if (role !== 'student') return;
          const current = scorings.at(-1);
          if (current) current.studentCalls++;
          else outside++;
        },
      });
      expect(outside).toBe(0);
      expect(scorings[0]).toEqual({ size: dev.length, studentCalls: dev.length }); // the seed prompt on dev
      for (const scoring of scorings) expect(scoring.studentCalls).toBeLessThanOrEqual(scoring.size);
    });

    it('stopped by its signal, it is OPTIMIZE_INTERRUPTED naming the trials done, with the reason as cause', async () => {
      const stop = new AbortController();
      const reason = new Error('the caller stopped it');
      const error = await make()
        .optimize(task, { ...plainRun(newStudent()), signal: stop.signal, onTrial: () => stop.abort(reason) })
        .then(
          () => expect.unreachable('expected the run to stop'),
          (caught: unknown) => caught as { code: string; message: string; cause: unknown },
        );
      expect(error).toMatchObject({
        code: 'OPTIMIZE_INTERRUPTED',
        message: 'optimization stopped after 1 trial',
      });
      expect(error.cause).toBe(reason);
    });

    it('never exceeds a budget, however small', async () => {
      for (const cap of [20, 45, 70]) {
        const model = newStudent();
        await make()
          .optimize(task, {
            student: studentOf(model),
            ...teacherOf(),
            train,
            dev,
            budget: { student: { calls: cap } },
            seed: 2,
            stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-optimize-')),
          })
          .catch(() => undefined);
        expect(model.calls).toBeLessThanOrEqual(cap);
      }
    });

    it('never exceeds a money cap, and counts dollars per role', async () => {
      const model = newStudent();
      const prices = {
        'scripted-sums': { input: 1000, output: 1000 },
        'scripted-teacher': { input: 1000, output: 1000 },
      };
      const cap = 0.5;
      const result = await make()
        .optimize(task, {
          student: studentOf(model),
          ...teacherOf(),
          train,
          dev,
          budget: { total: { dollars: cap } },
          prices,
          seed: 4,
          stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-optimize-')),
        })
        .catch(() => undefined);
      // each scripted call uses 10 + 1 tokens (student) or 50 + 20 (teacher) at $1000 per million
      const teacherCalls = result?.details.usage.teacher.calls ?? 0;
      expect(model.calls * 11 * 1e-3 + teacherCalls * 70 * 1e-3).toBeLessThanOrEqual(cap);
      if (result) {
        const spent = result.details.usage.student.dollars! + result.details.usage.teacher.dollars!;
        expect(spent).toBeCloseTo(model.calls * 0.011 + teacherCalls * 0.07, 9);
        expect(result.details.stopped).toMatch(/dollar budget/);
      }
    });

    it('stops early when the prompt is perfect, or after `patience` trials without progress', async () => {
      const perfect = await make().optimize(task, {
        student: studentOf(new ScriptedLanguageModel('scripted-sums', () => true)),
        ...teacherOf(),
        train,
        dev,
        budget: {},
        stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-optimize-')),
      });
      expect(perfect.history).toHaveLength(1);
      expect(perfect.details.stopped).toMatch(/perfect/);
      const hopeless = await make().optimize(task, {
        student: studentOf(new ScriptedLanguageModel('scripted-sums', () => false)),
        ...teacherOf(),
        train,
        dev,
        budget: {},
        patience: 2,
        stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-optimize-')),
      });
      expect(hopeless.details.stopped).toMatch(/2 trials in a row without an accepted candidate/);
      expect(hopeless.history.length).toBeLessThanOrEqual(1 + 2 + 3); // a propose round holds 3 trials
      expect(hopeless.artifact.prompt).toEqual(task.spec.prompt);
    });

    /** The same run twice on one cache and state folder: both results, and whether the second called anything. */
    const runTwice = async (studentCalls: number) => {
      const state = mkdtempSync(join(tmpdir(), 'promptune-optimize-'));
      const cache = new ResponseCache(join(state, 'cache.sqlite'));
      const first = newStudent();
      const teacher = teacherOf();
      const run = () =>
        make().optimize(task, {
          student: studentOf(first),
          ...teacher,
          train,
          dev,
          budget: { student: { calls: studentCalls } },
          seed: 3,
          cache,
          stateDirectory: state,
        });
      const calls = () => [
        first.calls,
        teacher.teacher ? (teacher.teacher.model as ScriptedTeacher).calls : 0,
      ];
      try {
        const a = await run();
        const afterFirst = calls();
        const b = await run();
        return { a, b, calledAgain: calls().some((count, index) => count !== afterFirst[index]) };
      } finally {
        cache.close();
      }
    };

    it('a rerun (as after a kill) replays from the cache with zero model calls', async () => {
      const { a, b, calledAgain } = await runTwice(400);
      expect(calledAgain).toBe(false);
      expect(b.artifact.prompt).toEqual(a.artifact.prompt);
    });

    it('run again after its budget stopped it, replays to the same prompt and asks nothing', async () => {
      // the seed and two candidates' worth of dev calls: the budget, not the plan, stops it
      const { a, b, calledAgain } = await runTwice(3 * dev.length);
      expect(calledAgain).toBe(false);
      expect(b.artifact.prompt).toEqual(a.artifact.prompt);
      expect(b.history.length).toBe(a.history.length);
      expect(b.artifact.optimizer.spend).toMatchObject({
        calls: a.artifact.optimizer.spend!.calls,
        earlierCalls: a.artifact.optimizer.spend!.calls,
      });
    });
  });
}
