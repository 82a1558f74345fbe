// The bootstrap optimizer (DSPy's BootstrapFewShot with random search): run the teacher (or student) on
// training examples with the seed prompt, keep those it gets right as demonstration candidates, then try
// random demo sets on dev. A candidate replaces the incumbent only when a paired bootstrap test says its
// improvement is significant. Every call is counted against the budget; replays come from the cache.
import { seededRandom } from '../engine/random.js';
import type { Task } from '../tasks/load-task.js';
import type { TaskSpec } from '../tasks/spec.js';
import { BudgetExceeded, BudgetTracker } from './budget.js';
import { scorePrompt } from './candidate.js';
import { asDemos, demoPool, shuffled } from './demo-pool.js';
import { makeArtifact, mean, significantlyBetter } from './artifact.js';
import type { OptimizeOptions, Optimizer, Trial } from './types.js';

/** Bootstrap settings. */
export interface BootstrapSettings {
  maxDemos: number;
  candidates: number;
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

      // bootstrap demonstrations: examples the teacher (or student) answers correctly with the seed prompt
      const labeller = teacher
        ? { model: teacher, role: 'teacher' as const }
        : { model: student, role: 'student' as const };
      const pool = await demoPool(
        task,
        options.train,
        settings.maxDemos * 3,
        labeller,
        tracker,
        random,
        shared,
      );

      for (let c = 1; c <= settings.candidates; c++) {
        if (!tracker.fits('student', options.dev.length)) break;
        const count = 1 + Math.floor(random() * Math.min(settings.maxDemos, pool.length));
        const chosen = shuffled(pool, random).slice(0, count);
        const prompt: TaskSpec['prompt'] = {
          ...seedPrompt,
          demos: asDemos(task, chosen),
        };
        let scored;
        try {
          scored = await scorePrompt(task, prompt, options.dev, student, shared);
        } catch (error) {
          if (error instanceof BudgetExceeded) break;
          throw error;
        }
        const accepted = significantlyBetter(incumbent.scores, scored.scores, seed + c, alpha);
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
