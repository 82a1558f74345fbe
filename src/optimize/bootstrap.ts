// The bootstrap optimizer (DSPy's BootstrapFewShot with random search): run the teacher (or student) on
// training examples with the seed prompt, keep those it gets right as demonstration candidates, then try
// random demo sets on dev. A candidate replaces the incumbent only when a paired bootstrap test says its
// improvement is significant. Every call is counted against the budget; replays come from the cache.
import { BudgetExceededError } from '../errors/index.js';
import { seededRandom } from '../engine/index.js';
import type { Task, TaskSpec } from '../tasks/index.js';
import { scorePrompt } from './candidate.js';
import { asDemos, demoPool, shuffled } from './demo-pool.js';
import { significantlyBetter } from './artifact.js';
import { startRun, stoppable } from './run.js';
import type { OptimizeOptions, Optimizer, ScoredPrompt } from './types.js';
import { mean } from '../eval/index.js';

/** Bootstrap settings. */
export interface BootstrapSettings {
  maxDemos: number;
  candidates: number;
}

/** A bootstrap optimizer trying `candidates` demo sets of up to `maxDemos` demos. */
export function bootstrapOptimizer(settings: BootstrapSettings = { maxDemos: 4, candidates: 8 }): Optimizer {
  return stoppable({
    name: 'bootstrap',
    async optimize(task: Task, options: OptimizeOptions) {
      const run = await startRun(task, options, 'bootstrap', {
        seedDescription: `seed prompt (${task.spec.prompt.demos.length} demo${task.spec.prompt.demos.length === 1 ? '' : 's'})`,
        plan: settings,
      });
      const { seed, tracker, student, shared, baseline, record } = run;
      const random = seededRandom(seed);
      const alpha = options.alpha ?? 0.05;
      const seedPrompt = task.spec.prompt;
      let incumbent: ScoredPrompt = {
        prompt: seedPrompt,
        scores: baseline.scores,
        outputs: baseline.outputs,
      };
      let stopped: string | undefined;

      // bootstrap demonstrations: examples the teacher (or student) answers correctly with the seed prompt
      const pool = await demoPool(task, run, options.train, settings.maxDemos * 3, random);

      for (let c = 1; c <= settings.candidates; c++) {
        stopped = run.stopReason(incumbent.scores);
        if (stopped) break;
        if (!tracker.fits('student', options.dev.length)) {
          stopped = 'the student budget cannot score another candidate';
          break;
        }
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
          if (!BudgetExceededError.isInstance(error)) throw error;
          stopped = error.message;
          break;
        }
        const accepted = significantlyBetter(incumbent.scores, scored.scores, seed + c, alpha);
        if (accepted) incumbent = { prompt, scores: scored.scores, outputs: scored.outputs };
        record({
          index: c,
          description: `${count} demo${count === 1 ? '' : 's'} (line${count === 1 ? '' : 's'} ${chosen.map((example) => example.line).join(', ')})`,
          score: mean(scored.scores),
          accepted,
          calls: scored.calls,
          parseRate: scored.parseRate,
          ...(scored.contentFiltered && { contentFiltered: scored.contentFiltered }),
        });
      }

      return run.finish(incumbent, stopped);
    },
  });
}
