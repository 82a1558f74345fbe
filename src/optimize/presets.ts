// Presets (light, medium, heavy) for the four optimizers, and what a run will spend before it starts:
// the most calls per role it can make on a cold cache, and their tokens and cost. The call counts are
// upper bounds (the optimizers stop early, and cached replays are free); tokens are estimated from the
// rendered prompts at about four characters per token.
import { callCost, type Price, type EvaluatedModel } from '../eval/index.js';
import { type Example, type Task, renderPrompt } from '../tasks/index.js';
import { bootstrapOptimizer, type BootstrapSettings } from './bootstrap.js';
import { evolveOptimizer, type EvolveSettings } from './evolve.js';
import { proposeOptimizer, type ProposeSettings } from './propose.js';
import { defaultSearchSettings, searchOptimizer, type SearchSettings } from './search.js';
import type { Optimizer } from './types.js';
import { nearestName, ValidationError } from '../errors/index.js';

/** The optimizers `makeOptimizer` builds by name. */
export const optimizerNames = ['bootstrap', 'propose', 'search', 'evolve'] as const;
/** One of `optimizerNames`. */
export type OptimizerName = (typeof optimizerNames)[number];
/**
 * The optimizers that ask a teacher model for instructions or reflections, and refuse to start without
 * one (the command line says so before it loads a model).
 */
export const optimizersNeedingTeacher: readonly OptimizerName[] = ['propose', 'evolve'];

/** Settings of every optimizer at one effort level, and the early-stopping patience. */
export interface Preset {
  bootstrap: BootstrapSettings;
  propose: ProposeSettings;
  search: SearchSettings;
  evolve: EvolveSettings;
  patience: number;
}

function preset(maxDemos: number, candidates: number, patience: number): Preset {
  return {
    bootstrap: { maxDemos, candidates },
    propose: { rounds: Math.max(1, Math.round(candidates / 3)), proposalsPerRound: 3 },
    search: { ...defaultSearchSettings, trials: candidates * 2, maxDemos },
    evolve: { iterations: candidates, minibatch: 6, mergeEvery: 4 },
    patience,
  };
}

/** Budget presets by name (light, medium, heavy): trials, candidates and minibatch sizes per optimizer. */
export const presets = {
  light: preset(3, 6, 6),
  medium: preset(4, 12, 10),
  heavy: preset(6, 24, 16),
} satisfies Record<string, Preset>; // its names typed: presets.lite does not compile

/** A preset's name. */
export type PresetName = keyof typeof presets;

/** The optimizer `name` with the preset's settings. */
export function makeOptimizer(name: OptimizerName, settings: Preset): Optimizer {
  if (name === 'propose') return proposeOptimizer(settings.propose);
  if (name === 'search') return searchOptimizer(settings.search);
  if (name === 'evolve') return evolveOptimizer(settings.evolve);
  if (name === 'bootstrap') return bootstrapOptimizer(settings.bootstrap);
  // a name read from a config file or plain JavaScript: not quietly bootstrap
  const nearest = nearestName(String(name), optimizerNames);
  throw new ValidationError(`there is no optimizer "${String(name)}"`, {
    code: 'OPTIMIZE_UNKNOWN',
    hint: `Name one of ${optimizerNames.join(', ')}${nearest ? ` (did you mean ${nearest}?)` : ''}.`,
  });
}

/** The most calls per role a run can make on a cold cache. */
export function maximumCalls(
  name: OptimizerName,
  settings: Preset,
  sizes: { train: number; dev: number; teacher: boolean },
): Record<'student' | 'teacher', number> {
  const { train, dev, teacher } = sizes;
  const labelling = (maxDemos: number) => Math.min(train, maxDemos * 9); // demoPool: 3 batches of 3 x maxDemos
  const split = (student: number, labels: number) =>
    teacher ? { student, teacher: labels } : { student: student + labels, teacher: 0 };
  switch (name) {
    case 'bootstrap': {
      const { maxDemos, candidates } = settings.bootstrap;
      return split(dev * (1 + candidates), labelling(maxDemos));
    }
    case 'propose': {
      const { rounds, proposalsPerRound } = settings.propose;
      return { student: dev * (1 + rounds * proposalsPerRound), teacher: rounds };
    }
    case 'search': {
      const { trials, validateEvery, minibatch, maxDemos } = settings.search;
      const scoring = dev * (1 + Math.floor(trials / validateEvery)) + trials * Math.min(minibatch, dev);
      const calls = split(scoring, labelling(maxDemos));
      return { student: calls.student, teacher: calls.teacher + (teacher ? 1 : 0) };
    }
    case 'evolve': {
      const { iterations, minibatch } = settings.evolve;
      return { student: dev + iterations * (2 * Math.min(minibatch, train) + dev), teacher: iterations };
    }
  }
}

/** What a run is expected to spend, per role. */
export interface SpendEstimate {
  calls: Record<'student' | 'teacher', number>;
  tokens: Record<'student' | 'teacher', number>;
  /** Dollars; undefined when a model's price is unknown. */
  dollars: number | undefined;
}

/** Calls (upper bound), tokens and dollars (estimates) of a run, before anything is spent. */
export function estimateSpend(
  task: Task,
  name: OptimizerName,
  settings: Preset,
  data: { train: Example[]; dev: Example[] },
  models: { student: EvaluatedModel; teacher?: EvaluatedModel },
  prices?: Record<string, Price>,
): SpendEstimate {
  const calls = maximumCalls(name, settings, {
    train: data.train.length,
    dev: data.dev.length,
    teacher: models.teacher !== undefined,
  });
  const sample = data.dev.slice(0, 20);
  const promptCharacters =
    sample.reduce(
      (sum, example) => sum + renderPrompt(task.spec, example.fields, 'estimate').length,
      (task.spec.prompt.system ?? '').length * sample.length,
    ) / Math.max(1, sample.length);
  // demos the optimizer may add cost about one rendered example each
  const demos = Math.max(settings.bootstrap.maxDemos, settings.search.maxDemos);
  const studentInput = Math.ceil((promptCharacters * (1 + (name === 'propose' ? 0 : demos))) / 4);
  const studentOutput = task.spec.generation.maxTokens;
  const [teacherInput, teacherOutput] = [800, 400]; // a proposal or reflection request and its reply
  const cost = (model: EvaluatedModel | undefined, count: number, input: number, output: number) =>
    count === 0 || !model ? 0 : callCost(model, count * input, count * output, prices);
  const studentDollars = cost(models.student, calls.student, studentInput, studentOutput);
  const teacherDollars = cost(models.teacher, calls.teacher, teacherInput, teacherOutput);
  return {
    calls,
    tokens: {
      student: calls.student * (studentInput + studentOutput),
      teacher: calls.teacher * (teacherInput + teacherOutput),
    },
    dollars:
      studentDollars === undefined || teacherDollars === undefined
        ? undefined
        : studentDollars + teacherDollars,
  };
}
