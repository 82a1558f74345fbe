// The evolve optimizer (GEPA style): reflective evolution of the instruction. Each iteration draws a
// parent from the per-example Pareto frontier on dev, runs it on a training minibatch, shows the teacher
// the failures with the metric's textual feedback, and asks for a rewritten instruction. The child is kept
// only if it beats its parent on that same minibatch, and then scored on dev. Every few iterations two
// frontier candidates are merged (one's instruction with the other's demos). The best candidate replaces
// the seed only on a significant paired improvement on dev.
import { PromptuneError } from '../errors/index.js';
import { seededRandom } from '../engine/random.js';
import type { Example } from '../tasks/dataset.js';
import type { Task } from '../tasks/load-task.js';
import type { TaskSpec } from '../tasks/spec.js';
import { mean, significantlyBetter } from './artifact.js';
import { BudgetExceeded } from './budget.js';
import { scorePrompt } from './candidate.js';
import { shuffled } from './demo-pool.js';
import { ask, copiesData, parseProposals } from './propose.js';
import { startRun } from './run.js';
import type { OptimizeOptions, Optimizer, ScoredPrompt } from './types.js';

/** Evolve settings. */
export interface EvolveSettings {
  iterations: number;
  minibatch: number;
  mergeEvery: number;
}

type Candidate = ScoredPrompt; // scores and outputs per dev example

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** Indices of candidates on the per-example Pareto frontier, each weighted by how many examples it leads. */
export function frontierWeights(candidates: { scores: number[] }[]): Map<number, number> {
  const weights = new Map<number, number>();
  const examples = candidates[0]?.scores.length ?? 0;
  for (let e = 0; e < examples; e++) {
    const best = Math.max(...candidates.map((candidate) => candidate.scores[e]));
    candidates.forEach(
      (candidate, i) => candidate.scores[e] === best && weights.set(i, (weights.get(i) ?? 0) + 1),
    );
  }
  return weights;
}

function pick(weights: Map<number, number>, random: () => number): number {
  const total = [...weights.values()].reduce((sum, weight) => sum + weight, 0);
  let draw = random() * total;
  for (const [index, weight] of weights) if ((draw -= weight) < 0) return index;
  return [...weights.keys()].at(-1)!;
}

/** The reflection request: the instruction, and what went wrong with it on a minibatch. */
export function reflectionRequest(
  task: Task,
  instruction: string | undefined,
  minibatch: Example[],
  outputs: string[],
  feedback: string[],
  scores: number[],
): string {
  const cases = minibatch.map(
    (example, i) =>
      `- input: ${show(Object.values(example.fields)[0])}\n  expected: ${show(example.target)}\n  output: ${outputs[i]}\n  score: ${scores[i]}${feedback[i] ? `\n  feedback: ${feedback[i]}` : ''}`,
  );
  return [
    'You improve the instruction given to a language model for a task, by reflecting on its mistakes.',
    `Task: ${task.spec.description || task.spec.name}`,
    `Current instruction: ${JSON.stringify(instruction ?? '')}`,
    `Results on some examples:\n${cases.join('\n')}`,
    'Write one improved instruction on a line starting with "INSTRUCTION:".',
  ].join('\n\n');
}

/**
 * The instruction in a reflection reply: the INSTRUCTION: line, else the contents of a ``` block, else
 * the first non-empty line.
 */
export function reflectedInstruction(reply: string): string {
  const [marked] = parseProposals(reply);
  const fenced = /```[^\n]*\n([\s\S]*?)```/.exec(reply)?.[1]?.trim();
  const instruction =
    marked ??
    (fenced || undefined) ??
    reply
      .split('\n')
      .map((line) => line.trim())
      .find(Boolean);
  if (!instruction)
    throw new PromptuneError('the teacher returned an empty reflection', {
      code: 'OPTIMIZE_TEACHER_UNPARSEABLE',
      hint: 'Use a stronger teacher model.',
    });
  return instruction;
}

/** An evolve optimizer. */
export function evolveOptimizer(
  settings: EvolveSettings = { iterations: 8, minibatch: 6, mergeEvery: 4 },
): Optimizer {
  return {
    name: 'evolve',
    async optimize(task: Task, options: OptimizeOptions) {
      const run = await startRun(task, options, 'evolve', {
        requireTeacher: true,
        seedDescription: 'seed prompt',
      });
      const { seed, tracker, student, shared, baseline, record } = run;
      const teacher = run.teacher!; // startRun refused a run without one
      const random = seededRandom(seed);
      const candidates: Candidate[] = [
        { prompt: task.spec.prompt, scores: baseline.scores, outputs: baseline.outputs },
      ];
      let stopped: string | undefined;
      const best = () => candidates.reduce((a, b) => (mean(b.scores) > mean(a.scores) ? b : a));
      const size = Math.min(settings.minibatch, options.train.length);
      const addIfBetter = async (
        child: TaskSpec['prompt'],
        minibatch: Example[],
        parentScores: number[],
        index: number,
        label: string,
      ) => {
        if (!tracker.fits('student', minibatch.length + options.dev.length)) return false;
        const trial = await scorePrompt(task, child, minibatch, student, shared);
        // accepted only if it beats its parent on the same minibatch
        const better = mean(trial.scores) > mean(parentScores);
        let devScore = mean(trial.scores);
        if (better) {
          const full = await scorePrompt(task, child, options.dev, student, shared);
          candidates.push({ prompt: child, scores: full.scores, outputs: full.outputs });
          devScore = mean(full.scores);
        }
        record({
          index,
          description: `${label}${better ? '' : ' (no better than its parent on the minibatch)'}`,
          score: devScore,
          accepted: better,
          calls: trial.calls,
          parseRate: trial.parseRate,
        });
        return better;
      };

      try {
        for (let iteration = 1; iteration <= settings.iterations; iteration++) {
          stopped = run.stopReason(best().scores, { significance: false });
          if (stopped) break;
          if (!tracker.fits('student', size) || !tracker.fits('teacher', 1)) {
            stopped = 'the budget cannot run another iteration';
            break;
          }
          const weights = frontierWeights(candidates);
          if (iteration % settings.mergeEvery === 0 && weights.size >= 2) {
            // merge: one frontier candidate's instruction with another's demos
            const [a, b] = shuffled([...weights.keys()], random)
              .slice(0, 2)
              .map((i) => candidates[i]);
            const merged = { ...a.prompt, demos: b.prompt.demos };
            const minibatch = shuffled(options.train, random).slice(0, size);
            const parent = await scorePrompt(task, a.prompt, minibatch, student, shared);
            await addIfBetter(
              merged,
              minibatch,
              parent.scores,
              iteration,
              'merge of two frontier candidates',
            );
            continue;
          }
          const parent = candidates[pick(weights, random)];
          const minibatch = shuffled(options.train, random).slice(0, size);
          const rollout = await scorePrompt(task, parent.prompt, minibatch, student, shared);
          const reply = await ask(
            teacher,
            reflectionRequest(
              task,
              parent.prompt.system,
              minibatch,
              rollout.outputs,
              rollout.feedback,
              rollout.scores,
            ),
            shared.cache,
            seed + iteration,
          );
          const instruction = reflectedInstruction(reply);
          if (copiesData(instruction, options.dev)) {
            record({
              index: iteration,
              description: `rejected (copies validation text): ${JSON.stringify(instruction.slice(0, 80))}`,
              score: 0,
              accepted: false,
              calls: 0,
            });
            continue;
          }
          await addIfBetter(
            { ...parent.prompt, system: instruction },
            minibatch,
            rollout.scores,
            iteration,
            `reflection: ${JSON.stringify(instruction.slice(0, 80))}`,
          );
        }
      } catch (error) {
        if (!(error instanceof BudgetExceeded)) throw error;
        stopped = error.message;
      }

      // the best candidate on dev replaces the seed only when the improvement is significant
      const top = best();
      const chosen = significantlyBetter(baseline.scores, top.scores, seed, options.alpha)
        ? top
        : candidates[0];
      return run.finish(chosen, stopped);
    },
  };
}
