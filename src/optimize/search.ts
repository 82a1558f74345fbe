// The search optimizer (MIPROv2 style): instruction candidates (the seed's plus a teacher's proposals)
// times demo-set candidates (the seed's plus bootstrapped sets), searched with a Tree-structured Parzen
// Estimator over the two choices. Trials are scored on seeded dev minibatches; every few trials the best
// combination so far is validated on the full dev set and replaces the incumbent only on a significant
// paired improvement.
import { BudgetExceededError } from '../errors/index.js';
import { seededRandom } from '../engine/index.js';
import type { Task, TaskSpec } from '../tasks/index.js';
import { significantlyBetter } from './artifact.js';
import { scorePrompt } from './candidate.js';
import { asDemos, demoPool, shuffled } from './demo-pool.js';
import { askForInstructions } from './propose.js';
import { startRun, stoppable } from './run.js';
import type { OptimizeOptions, Optimizer, ScoredPrompt } from './types.js';
import { mean } from '../eval/index.js';

/** Search settings. */
export interface SearchSettings {
  trials: number;
  instructions: number; // proposals asked of the teacher
  demoSets: number;
  maxDemos: number;
  minibatch: number;
  validateEvery: number;
  startupTrials: number; // random trials before TPE takes over
}

/** The search optimizer's settings when a preset or option sets none. */
export const defaultSearchSettings: SearchSettings = {
  trials: 16,
  instructions: 4,
  demoSets: 4,
  maxDemos: 4,
  minibatch: 8,
  validateEvery: 4,
  startupTrials: 4,
};

interface Observation {
  instruction: number;
  demos: number;
  score: number;
}

/**
 * Picks the next (instruction, demo set) by TPE over two categorical choices: split observations into
 * the best quarter and the rest, estimate each choice's frequency in both (with add-one smoothing), and
 * take, among candidates drawn from the good estimate, the one maximizing good/bad.
 */
export function tpeSuggest(
  observations: Observation[],
  sizes: [number, number],
  random: () => number,
): [number, number] {
  const sorted = [...observations].sort((a, b) => b.score - a.score);
  const cut = Math.max(1, Math.ceil(sorted.length / 4));
  const good = sorted.slice(0, cut);
  const bad = sorted.slice(cut);
  const density = (group: Observation[], key: 'instruction' | 'demos', value: number, size: number) =>
    (group.filter((observation) => observation[key] === value).length + 1) / (group.length + size);
  const draw = (key: 'instruction' | 'demos', size: number) => {
    const weights = Array.from({ length: size }, (_, value) => density(good, key, value, size));
    let pick = random() * weights.reduce((sum, weight) => sum + weight, 0);
    for (let value = 0; value < size; value++) if ((pick -= weights[value]) < 0) return value;
    return size - 1;
  };
  let best: [number, number] = [0, 0];
  let bestRatio = -Infinity;
  for (let candidate = 0; candidate < 24; candidate++) {
    const choice: [number, number] = [draw('instruction', sizes[0]), draw('demos', sizes[1])];
    const ratio =
      (density(good, 'instruction', choice[0], sizes[0]) * density(good, 'demos', choice[1], sizes[1])) /
      (density(bad, 'instruction', choice[0], sizes[0]) * density(bad, 'demos', choice[1], sizes[1]));
    if (ratio > bestRatio) [best, bestRatio] = [choice, ratio];
  }
  return best;
}

/** A search optimizer with the given settings. */
export function searchOptimizer(settings: SearchSettings = defaultSearchSettings): Optimizer {
  return stoppable({
    name: 'search',
    async optimize(task: Task, options: OptimizeOptions) {
      const run = await startRun(task, options, 'search', {
        seedDescription: 'seed prompt',
        plan: settings,
      });
      const { seed, tracker, student, teacher, shared, baseline, record } = run;
      const random = seededRandom(seed);
      const seedPrompt = task.spec.prompt;
      let incumbent: ScoredPrompt = {
        prompt: seedPrompt,
        scores: baseline.scores,
        outputs: baseline.outputs,
      };
      let stopped: string | undefined;

      // the search space (without proposals when the teacher's budget cannot pay for asking)
      const proposals =
        teacher && tracker.fits('teacher', 1)
          ? await askForInstructions(
              task,
              options.train,
              teacher,
              settings.instructions,
              options.dev,
              shared.cache,
              seed,
              shared,
            ).catch((error: unknown) => {
              if (BudgetExceededError.isInstance(error)) return [];
              throw error;
            })
          : [];
      const instructions = [seedPrompt.system, ...proposals];
      const pool = await demoPool(task, run, options.train, settings.maxDemos * 3, random);
      const demoSets = [
        seedPrompt.demos,
        ...Array.from({ length: settings.demoSets }, () =>
          asDemos(
            task,
            shuffled(pool, random).slice(
              0,
              1 + Math.floor(random() * Math.min(settings.maxDemos, pool.length)),
            ),
          ),
        ),
      ];
      const promptOf = ([instruction, demos]: [number, number]): TaskSpec['prompt'] => ({
        ...seedPrompt,
        system: instructions[instruction],
        demos: demoSets[demos],
      });

      const observations: Observation[] = [];
      try {
        for (let trial = 1; trial <= settings.trials; trial++) {
          const size = Math.min(settings.minibatch, options.dev.length);
          stopped = run.stopReason(incumbent.scores);
          if (stopped) break;
          if (!tracker.fits('student', size)) {
            stopped = 'the student budget cannot score another trial';
            break;
          }
          const choice: [number, number] =
            trial <= settings.startupTrials
              ? [Math.floor(random() * instructions.length), Math.floor(random() * demoSets.length)]
              : tpeSuggest(observations, [instructions.length, demoSets.length], random);
          const minibatch = shuffled(options.dev, random).slice(0, size);
          const scored = await scorePrompt(task, promptOf(choice), minibatch, student, shared);
          observations.push({ instruction: choice[0], demos: choice[1], score: mean(scored.scores) });
          let accepted = false;
          if (trial % settings.validateEvery === 0 && tracker.fits('student', options.dev.length)) {
            // validate the combination with the best average minibatch score so far on the full dev set
            const averages = new Map<string, number[]>();
            for (const observation of observations)
              averages.set(`${observation.instruction},${observation.demos}`, [
                ...(averages.get(`${observation.instruction},${observation.demos}`) ?? []),
                observation.score,
              ]);
            const [bestKey] = [...averages.entries()].sort((a, b) => mean(b[1]) - mean(a[1]))[0];
            const best = bestKey.split(',').map(Number) as [number, number];
            const full = await scorePrompt(task, promptOf(best), options.dev, student, shared);
            accepted = significantlyBetter(incumbent.scores, full.scores, seed + trial, options.alpha);
            if (accepted) incumbent = { prompt: promptOf(best), scores: full.scores, outputs: full.outputs };
          }
          record({
            index: trial,
            description: `instruction ${choice[0]} x demo set ${choice[1]} on ${size} examples`,
            score: mean(scored.scores),
            accepted,
            ...(size < options.dev.length && { minibatch: size }),
            calls: scored.calls,
            parseRate: scored.parseRate,
            ...(scored.contentFiltered && { contentFiltered: scored.contentFiltered }),
          });
        }
      } catch (error) {
        if (!BudgetExceededError.isInstance(error)) throw error;
        stopped = error.message;
      }
      return run.finish(incumbent, stopped);
    },
  });
}
