// Every optimizer passes the shared conformance suite, each with scripted models whose behaviour its
// search can discover; plus what is particular to each.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rateLimitedOnce, ScriptedLanguageModel, ScriptedTeacher } from '../../test/scripted-model.js';
import { PromptuneError } from '../errors/index.js';
import { ResponseCache } from '../eval/index.js';
import { taskFromObject } from '../tasks/load-task.js';
import { bootstrapOptimizer } from './bootstrap.js';
import { optimizerConformance } from './optimizers.case.js';
import { copiesData, parseProposals, proposeOptimizer } from './propose.js';
import { searchOptimizer, tpeSuggest } from './search.js';
import { evolveOptimizer, frontierWeights } from './evolve.js';
import { makeOptimizer, optimizerNames, optimizersNeedingTeacher, presets } from './presets.js';
import { seededRandom } from '../engine/random.js';
import { sumExamples, sumsTask } from '../../test/sums-task.js';

// bootstrap: the student is right only with at least two demonstrations
optimizerConformance('bootstrap', () => bootstrapOptimizer());

// propose: the student is right only when the instruction asks for the number alone
const teacherReply =
  'INSTRUCTION: Be brief.\nINSTRUCTION: Answer with the number only.\nnot an instruction line';
optimizerConformance('propose', () => proposeOptimizer(), {
  solvable: (text) => /number only/.test(text),
  teacherReply,
});

// search: the student needs the right instruction and two demonstrations at once
optimizerConformance('search', () => searchOptimizer(), {
  solvable: (text) => /number only/.test(text) && text.split('Answer:').length - 2 >= 2,
  teacherReply,
});

// evolve: the student is right only when the instruction asks for the number alone (as for propose)
optimizerConformance('evolve', () => evolveOptimizer(), {
  solvable: (text) => /number only/.test(text),
  teacherReply: 'INSTRUCTION: Answer with the number only.',
});

describe('teacher', () => {
  // the command line refuses these optimizers without --teacher before a model loads: the list it reads
  // must be the optimizers that refuse to start without one
  it.each(optimizerNames)(
    '%s refuses to start without a teacher exactly when it is listed as needing one',
    async (name) => {
      const run = makeOptimizer(name, presets.light).optimize(sumsTask, {
        student: new ScriptedLanguageModel('scripted-sums', () => true),
        train: sumExamples(1, 12, 'sum-'),
        dev: sumExamples(100, 4, 'sum-'),
        budget: { student: { calls: 400 } },
        seed: 1,
        stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-teacher-')),
      });
      if (optimizersNeedingTeacher.includes(name))
        await expect(run).rejects.toMatchObject({ code: 'OPTIMIZE_NO_TEACHER' });
      else await expect(run).resolves.toBeDefined();
    },
  );
});

describe('evolve', () => {
  it('completes a winner on a dev set no larger than its Pareto set (nothing left to score)', async () => {
    const examples = (from: number, count: number) => sumExamples(from, count, 'sum-');
    // bare AI SDK models, as code passes them, not promptune's named ones
    const { artifact } = await evolveOptimizer().optimize(sumsTask, {
      student: new ScriptedLanguageModel('scripted-sums', (text) => /number only/.test(text)),
      teacher: new ScriptedTeacher('INSTRUCTION: Answer with the number only.'),
      train: examples(1, 30),
      dev: examples(100, 8), // under the 18 it scores candidates on: no rest of dev
      budget: { student: { calls: 400 } },
      seed: 1,
      stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-evolve-small-')),
    });
    expect(artifact.scores.best).toBe(1);
    expect(artifact.scores.seed).toBe(0);
  });

  it('weights Pareto-frontier candidates by how many examples each leads', () => {
    const weights = frontierWeights([{ scores: [1, 0, 0] }, { scores: [1, 1, 0] }, { scores: [0, 0, 1] }]);
    expect([...weights.entries()].sort()).toEqual([
      [0, 1],
      [1, 2],
      [2, 1],
    ]);
  });
});

describe('search', () => {
  it('TPE prefers the choices of the best observations', () => {
    const observations = [
      ...Array.from({ length: 6 }, () => ({ instruction: 1, demos: 2, score: 1 })),
      ...Array.from({ length: 18 }, (_, i) => ({
        instruction: i % 3 === 1 ? 0 : i % 3,
        demos: i % 2,
        score: 0,
      })),
    ];
    const random = seededRandom(5);
    const picks = Array.from({ length: 20 }, () => tpeSuggest(observations, [3, 3], random));
    expect(picks.filter(([instruction, demos]) => instruction === 1 && demos === 2).length).toBeGreaterThan(
      15,
    );
  });
});

describe('propose', () => {
  const task = taskFromObject(
    { name: 'sums', description: 'Add two numbers', prompt: { template: 'Q: {{input}}\nAnswer:' } },
    'sums',
  );
  const examples = Array.from({ length: 10 }, (_, i) => ({
    index: i,
    line: i + 1,
    fields: { input: `${i} + ${i + 1} (a long enough input text)` },
    target: String(2 * i + 1),
    id: `e${i}`,
  }));
  const model = (language: ScriptedLanguageModel | ScriptedTeacher) => ({
    name: 'scripted',
    provider: 'scripted',
    modelId: language.modelId,
    model: language,
  });

  it('parses proposals and detects copied validation text', () => {
    expect(parseProposals(teacherReply)).toEqual(['Be brief.', 'Answer with the number only.']);
    expect(copiesData('Solve: 3 + 4 (a long enough input text) like this', examples)).toBe(true);
    expect(copiesData('Answer with the number only.', examples)).toBe(false);
  });

  it('fails loudly when the teacher proposes nothing', async () => {
    const error = await proposeOptimizer()
      .optimize(task, {
        student: model(new ScriptedLanguageModel()),
        teacher: model(new ScriptedTeacher('I would rather not.')),
        train: examples,
        dev: examples,
        budget: {},
        stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-propose-')),
      })
      .catch((caught: unknown) => caught);
    expect(PromptuneError.isInstance(error) && error.code).toBe('OPTIMIZE_TEACHER_UNPARSEABLE');
  });

  it('does not cache a reply without proposals: a rerun asks the teacher again', async () => {
    const cache = new ResponseCache(':memory:');
    const run = (teacher: ScriptedTeacher) =>
      proposeOptimizer({ rounds: 1, proposalsPerRound: 2 }).optimize(task, {
        student: model(new ScriptedLanguageModel()),
        teacher: model(teacher),
        train: examples,
        dev: examples,
        budget: {},
        cache,
        stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-propose-')),
      });
    const refused = await run(new ScriptedTeacher('I would rather not.')).catch((caught: unknown) => caught);
    expect(PromptuneError.isInstance(refused) && refused.code).toBe('OPTIMIZE_TEACHER_UNPARSEABLE');
    const willing = new ScriptedTeacher('INSTRUCTION: Reply briefly.\nINSTRUCTION: reply briefly');
    const { history } = await run(willing);
    expect(willing.prompts).toHaveLength(1);
    // the same instruction twice is scored once: the repeat is rejected without a call
    expect(history.slice(1).map((trial) => [trial.description, trial.calls])).toEqual([
      ['instruction "Reply briefly."', 10],
      ['rejected (already tried): "reply briefly"', 0],
    ]);
  });

  it('retries a teacher that is rate limited, and times out one that does not answer', async () => {
    const run = (teacher: ScriptedTeacher, timeoutMs?: number) =>
      proposeOptimizer({ rounds: 1, proposalsPerRound: 1 }).optimize(task, {
        student: model(new ScriptedLanguageModel()),
        teacher: model(teacher),
        train: examples,
        dev: examples,
        budget: {},
        timeoutMs,
        stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-propose-')),
      });
    const { history } = await run(rateLimitedOnce(new ScriptedTeacher('INSTRUCTION: Reply briefly.')));
    expect(history.map((trial) => trial.description)).toContain('instruction "Reply briefly."');
    // a teacher that never answers: each attempt abandoned after the timeout, then the run fails
    const silent = new ScriptedTeacher('INSTRUCTION: Reply briefly.');
    let attempts = 0;
    silent.doGenerate = (options) => {
      attempts++;
      return new Promise((_, reject) =>
        options.abortSignal!.addEventListener('abort', () => reject(options.abortSignal!.reason)),
      );
    };
    await expect(run(silent, 20)).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(attempts).toBe(5); // the first and four retries
  }, 30_000);

  it('rejects and reports proposals that copy validation inputs, and shows the teacher its failures', async () => {
    const teacher = new ScriptedTeacher(
      'INSTRUCTION: For 3 + 4 (a long enough input text) say 7\nINSTRUCTION: Reply briefly.',
    );
    const { history } = await proposeOptimizer({ rounds: 1, proposalsPerRound: 2 }).optimize(task, {
      student: model(new ScriptedLanguageModel()),
      teacher: model(teacher),
      train: examples,
      dev: examples,
      budget: {},
      stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-propose-')),
    });
    expect(history.map((trial) => trial.description)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^rejected \(copies validation text\)/)]),
    );
    expect(teacher.prompts[0]).toContain('Where the best instruction fails');
  });
});
