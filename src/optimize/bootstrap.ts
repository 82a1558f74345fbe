// The bootstrap optimizer (DSPy's BootstrapFewShot with random search): run the teacher (or student) on
// training examples with the seed prompt, keep those it gets right as demonstration candidates, then try
// random demo sets on dev. A candidate replaces the incumbent only when a paired bootstrap test says its
// improvement is significant. Every call is counted against the budget; replays come from the cache.
import { seededRandom } from '../engine/random.js';
import { pairedBootstrap } from '../eval/statistics.js';
import type { Example } from '../tasks/dataset.js';
import type { Task } from '../tasks/load-task.js';
import type { TaskSpec } from '../tasks/spec.js';
import { BudgetExceeded, BudgetTracker } from './budget.js';
import { scorePrompt } from './candidate.js';
import { makeArtifact, mean } from './artifact.js';
import type { OptimizeOptions, Optimizer, Trial } from './types.js';

/** Bootstrap settings. */
export interface BootstrapSettings {
  maxDemos: number;
  candidates: number;
}

/** A seeded Fisher-Yates shuffle of a copy. */
function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** A bootstrap optimizer trying `candidates` demo sets of up to `maxDemos` demos. */
export function bootstrapOptimizer(settings: BootstrapSettings = { maxDemos: 4, candidates: 8 }): Optimizer {
  return {
    name: 'bootstrap',
    async optimize(task: Task, options: OptimizeOptions) {
      const seed = options.seed ?? 0;
      const random = seededRandom(seed);
      const tracker = new BudgetTracker(options.budget);
      const student = tracker.wrap(options.student, 'student');
      const teacher = options.teacher ? tracker.wrap(options.teacher, 'teacher') : undefined;
      const alpha = options.alpha ?? 0.05;
      const history: Trial[] = [];
      const shared = { cache: options.cache, stateDirectory: options.stateDirectory };
      const record = (trial: Trial) => {
        history.push(trial);
        options.onTrial?.(trial);
      };

      const seedPrompt = task.spec.prompt;
      const baseline = await scorePrompt(task, seedPrompt, options.dev, student, shared);
      let incumbent = { prompt: seedPrompt, scores: baseline.scores };
      record({
        index: 0,
        description: `seed prompt (${seedPrompt.demos.length} demos)`,
        score: mean(baseline.scores),
        accepted: true,
        calls: baseline.calls,
      });

      // bootstrap demonstrations: examples the teacher answers correctly with the seed prompt
      const order = shuffled(
        options.train.map((_, i) => i),
        random,
      );
      const pool: Example[] = [];
      const wanted = settings.maxDemos * 3;
      const labeller = teacher ?? student;
      const role = teacher ? 'teacher' : 'student';
      // at most three rounds of labelling, so a model that rarely succeeds cannot spend the budget here
      for (
        let start = 0;
        start < Math.min(order.length, 3 * wanted) && pool.length < wanted;
        start += wanted
      ) {
        const batch = order.slice(start, start + wanted).map((i) => options.train[i]);
        if (!tracker.fits(role, batch.length)) break;
        const { scores } = await scorePrompt(task, seedPrompt, batch, labeller, shared);
        batch.forEach((example, i) => scores[i] >= 1 && pool.push(example));
      }
      if (pool.length === 0) pool.push(...order.slice(0, wanted).map((i) => options.train[i]));

      const target = task.spec.data.targetField;
      for (let c = 1; c <= settings.candidates; c++) {
        if (!tracker.fits('student', options.dev.length)) break;
        const count = 1 + Math.floor(random() * Math.min(settings.maxDemos, pool.length));
        const chosen = shuffled(pool, random).slice(0, count);
        const prompt: TaskSpec['prompt'] = {
          ...seedPrompt,
          demos: chosen.map((example) => ({ ...example.fields, [target]: example.target })),
        };
        let scored;
        try {
          scored = await scorePrompt(task, prompt, options.dev, student, shared);
        } catch (error) {
          if (error instanceof BudgetExceeded) break;
          throw error;
        }
        const test = pairedBootstrap(incumbent.scores, scored.scores, { seed: seed + c });
        const accepted = test.difference > 0 && test.pValue < alpha;
        if (accepted) incumbent = { prompt, scores: scored.scores };
        record({
          index: c,
          description: `${count} demos (lines ${chosen.map((example) => example.line).join(', ')})`,
          score: mean(scored.scores),
          accepted,
          calls: scored.calls,
        });
      }

      const artifact = makeArtifact(
        task,
        'bootstrap',
        seed,
        tracker.used.studentCalls + tracker.used.teacherCalls,
        incumbent.prompt,
        baseline.scores,
        incumbent.scores,
      );
      return { artifact, history };
    },
  };
}
