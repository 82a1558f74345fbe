// The evolve optimizer (GEPA style): reflective evolution of the instruction. Each iteration draws a
// parent from the per-example Pareto frontier on a fixed subset of dev (the Pareto set), runs it on a
// training minibatch, shows the teacher the failures with the metric's textual feedback (and feedback
// remembered from earlier rounds), and asks for a rewritten instruction. The child is kept only if it
// beats its parent on that same minibatch, and then scored on the Pareto set. Every few iterations two
// frontier candidates are merged (one's instruction with the other's demos). At the end the best
// candidate is scored on the rest of dev (calls reserved for it) and replaces the seed only on a
// significant paired improvement on all of dev.
import { BudgetExceededError, cutText, PromptuneError } from '../errors/index.js';
import { seededRandom } from '../engine/index.js';
import type { Example, Task, TaskSpec } from '../tasks/index.js';
import { significantlyBetter } from './artifact.js';
import { scorePrompt } from './candidate.js';
import { shuffled } from './demo-pool.js';
import { ask, copiesData, parseProposals } from './propose.js';
import { startRun, stoppable } from './run.js';
import type { OptimizeOptions, Optimizer, ScoredPrompt } from './types.js';
import { mean } from '../eval/index.js';

/** Evolve settings. */
export interface EvolveSettings {
  iterations: number;
  minibatch: number;
  mergeEvery: number;
  /** Dev examples candidates are scored on while searching (default: all of dev, at most 3 minibatches or 12). */
  paretoSize?: number;
}

type Candidate = ScoredPrompt; // scores and outputs per Pareto-set example

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
  earlier: string[] = [],
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
    earlier.length
      ? `Feedback from earlier rounds, on other examples:\n${earlier.map((note) => `- ${note}`).join('\n')}`
      : '',
    'Write one improved instruction on a line starting with "INSTRUCTION:".',
  ]
    .filter(Boolean)
    .join('\n\n');
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
  return stoppable({
    name: 'evolve',
    async optimize(task: Task, options: OptimizeOptions) {
      const run = await startRun(task, options, 'evolve', {
        requireTeacher: true,
        seedDescription: 'seed prompt',
        plan: settings,
      });
      const { seed, tracker, student, shared, baseline, record } = run;
      const teacher = run.teacher!; // startRun refused a run without one
      const random = seededRandom(seed);
      // the Pareto set: a seeded subset of dev; the rest is scored once, for the final candidate
      const paretoSize = Math.min(
        options.dev.length,
        settings.paretoSize ?? Math.max(12, 3 * settings.minibatch),
      );
      const paretoIndices = shuffled(
        options.dev.map((_, i) => i),
        random,
      )
        .slice(0, paretoSize)
        .sort((a, b) => a - b);
      const inPareto = new Set(paretoIndices);
      const paretoSet = paretoIndices.map((i) => options.dev[i]);
      const restIndices = options.dev.map((_, i) => i).filter((i) => !inPareto.has(i));
      const reserve = restIndices.length; // calls kept for scoring the final candidate on the rest
      const onPareto = (values: { scores: number[]; outputs: string[] }) => ({
        scores: paretoIndices.map((i) => values.scores[i]),
        outputs: paretoIndices.map((i) => values.outputs[i]),
      });
      const candidates: Candidate[] = [{ prompt: task.spec.prompt, ...onPareto(baseline) }];
      const restExamples = restIndices.map((i) => options.dev[i]);
      const restScored = new Map<string, ScoredPrompt>();
      /** A candidate's results on the rest of dev, scored at most once. */
      const scoreRest = async (candidate: Candidate) => {
        const key = JSON.stringify(candidate.prompt);
        if (!restScored.has(key)) {
          const rest = await scorePrompt(task, candidate.prompt, restExamples, student, shared);
          restScored.set(key, { prompt: candidate.prompt, scores: rest.scores, outputs: rest.outputs });
        }
        return restScored.get(key)!;
      };
      let stopped: string | undefined;
      // ties go to the newer candidate: it beat a frontier parent on a minibatch the older one never saw
      const best = () => candidates.reduce((a, b) => (mean(b.scores) >= mean(a.scores) ? b : a));
      const size = Math.min(settings.minibatch, options.train.length);
      // minibatches walk through a shuffled training set, epoch by epoch, so every example is seen
      let order: Example[] = [];
      const nextMinibatch = () => {
        if (order.length < size) order = shuffled(options.train, random);
        return order.splice(0, size);
      };
      // distinct feedback from earlier rollouts, newest first: the teacher learns from every round,
      // including those whose child was rejected
      let memory: string[] = [];
      // a prompt already scored is never paid for twice
      const seen = new Set([JSON.stringify(task.spec.prompt)]);
      const addIfBetter = async (
        child: TaskSpec['prompt'],
        minibatch: Example[],
        parentScores: number[],
        index: number,
        label: string,
      ) => {
        if (seen.has(JSON.stringify(child))) {
          record({
            index,
            description: `${label} (the same as an earlier candidate: not scored again)`,
            score: mean(parentScores),
            accepted: false,
            calls: 0,
          });
          return false;
        }
        if (!tracker.fits('student', minibatch.length + paretoSet.length + reserve)) return false;
        seen.add(JSON.stringify(child));
        const trial = await scorePrompt(task, child, minibatch, student, shared);
        // accepted only if it beats its parent on the same minibatch
        const better = mean(trial.scores) > mean(parentScores);
        let devScore = mean(trial.scores);
        if (better) {
          const full = await scorePrompt(task, child, paretoSet, student, shared);
          candidates.push({ prompt: child, scores: full.scores, outputs: full.outputs });
          devScore = mean(full.scores);
        }
        record({
          index,
          description: `${label}${better ? '' : ' (no better than its parent on the minibatch)'}`,
          score: devScore,
          accepted: better,
          ...(!better && { minibatch: minibatch.length }),
          calls: trial.calls,
          parseRate: trial.parseRate,
          ...(trial.contentFiltered && { contentFiltered: trial.contentFiltered }),
        });
        return better;
      };

      try {
        for (let iteration = 1; iteration <= settings.iterations; iteration++) {
          // perfect on the Pareto set is only perfect if the rest of dev agrees (its calls are reserved)
          const leader = best();
          if (reserve > 0 && leader.scores.every((score) => score >= 1)) {
            const rest = leader === candidates[0] ? baseline : await scoreRest(leader);
            if (rest.scores.every((score) => score >= 1)) {
              stopped = 'the best prompt is perfect on dev';
              break;
            }
          }
          stopped = run.stopReason(leader.scores, { significance: false, perfect: reserve === 0 });
          if (stopped) break;
          if (!tracker.fits('student', size + reserve) || !tracker.fits('teacher', 1)) {
            stopped = 'the budget cannot run another iteration';
            break;
          }
          const weights = frontierWeights(candidates);
          const [a, b] = shuffled([...weights.keys()], random)
            .slice(0, 2)
            .map((i) => candidates[i]);
          const merged = b && { ...a.prompt, demos: b.prompt.demos };
          // merge (when it makes a new prompt): one frontier candidate's instruction with another's demos
          if (iteration % settings.mergeEvery === 0 && merged && !seen.has(JSON.stringify(merged))) {
            const minibatch = nextMinibatch();
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
          const minibatch = nextMinibatch();
          const rollout = await scorePrompt(task, parent.prompt, minibatch, student, shared);
          if (rollout.scores.every((score) => score >= 1)) {
            record({
              index: iteration,
              description: 'the parent is perfect on its minibatch: nothing to reflect on',
              score: mean(rollout.scores),
              accepted: false,
              calls: rollout.calls,
            });
            continue;
          }
          const reply = await ask(
            teacher,
            reflectionRequest(
              task,
              parent.prompt.system,
              minibatch,
              rollout.outputs,
              rollout.feedback,
              rollout.scores,
              memory,
            ),
            shared.cache,
            seed + iteration,
            (text) => text.trim() !== '',
            shared,
          );
          memory = [...new Set([...rollout.feedback.filter(Boolean), ...memory])].slice(0, 12);
          const instruction = reflectedInstruction(reply);
          if (copiesData(instruction, options.dev)) {
            record({
              index: iteration,
              description: `rejected (copies validation text): ${JSON.stringify(cutText(instruction, 80))}`,
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
            `reflection: ${JSON.stringify(cutText(instruction, 80))}`,
          );
        }
      } catch (error) {
        if (!BudgetExceededError.isInstance(error)) throw error;
        stopped = error.message;
      }

      // the best candidate, completed on the rest of dev, replaces the seed only when its improvement
      // over the seed on all of dev is significant
      const top = best();
      if (top === candidates[0]) return run.finish({ prompt: top.prompt, ...baseline }, stopped);
      let full: ScoredPrompt | undefined = { prompt: top.prompt, scores: [], outputs: [] };
      try {
        const rest = await scoreRest(top);
        options.dev.forEach((_, i) => {
          const [from, at] = inPareto.has(i)
            ? [top, paretoIndices.indexOf(i)]
            : [rest, restIndices.indexOf(i)];
          full!.scores.push(from.scores[at]);
          full!.outputs.push(from.outputs[at]);
        });
      } catch (error) {
        if (!BudgetExceededError.isInstance(error)) throw error;
        stopped = `${error.message} (before the best candidate was scored on all of dev: the seed is kept)`;
        full = undefined;
      }
      const chosen =
        full && significantlyBetter(baseline.scores, full.scores, seed, options.alpha)
          ? full
          : { prompt: task.spec.prompt, ...baseline };
      return run.finish(chosen, stopped);
    },
  });
}
