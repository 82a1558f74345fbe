// The multitask prompt compare-methods transfers a task's multitask prompt from when it compares several
// tasks: one shared prompt and each other task's factors, trained on those tasks at once (as soft
// train-multitask trains them, with the comparison's budget), the way the method is meant to be used: a
// new task started from prompts trained on others, not from scratch.
import { seededRandom, type LoadedModel } from '../engine/index.js';
import {
  initMultitask,
  initSoftPrompt,
  trainMultitaskAsync,
  type MultitaskPrompt,
  type TrainOptions,
} from '../soft/index.js';
import { readSoftData } from './soft-data.js';
import { taskSplit } from './data-folder.js';

/**
 * The rank of the source's task factors: train-multitask's default (on the three shared tasks at once rank
 * 1 left gender near chance where rank 4 learned it), kept by a prompt transferred from it.
 */
export const SOURCE_TASK_RANK = 4;
/** The source's learning rate: prompt tuning's, as train-multitask's default. */
export const SOURCE_LEARNING_RATE = 0.3;

/** A source before training (its shape, for a plan's settings) and how to train it. */
export interface ComparisonSource {
  /** "a multitask prompt of animal, gender" */
  name: string;
  /** The source as it starts: a plan made from it has the settings of one made from the trained source. */
  untrained: MultitaskPrompt;
  /** Examples it trains on, all the other tasks' train splits. */
  trainExamples: number;
  train(
    options: Pick<TrainOptions, 'epochs' | 'batchSize' | 'seed' | 'signal' | 'onProgress'>,
  ): Promise<{ multitask: MultitaskPrompt; steps: number; devAccuracy: number }>;
}

/** The multitask prompt of `tasks` (each a folder of train/dev.jsonl) as compare-methods trains it. */
export function comparisonSource(
  loaded: LoadedModel,
  tasks: { name: string; directory: string }[],
  virtualTokens: number,
  seed: number,
  fields = { input: 'input', target: 'target' },
): ComparisonSource {
  const split = (name: string) =>
    tasks.flatMap((task, id) =>
      readSoftData(taskSplit(task.directory, name), loaded, fields, virtualTokens).examples.map(
        (example) => ({ ...example, task: id }),
      ),
    );
  const train = split('train');
  const dev = split('dev');
  const untrained = initMultitask(
    initSoftPrompt(
      loaded.model,
      loaded.tokenizer,
      virtualTokens,
      { kind: 'sample-vocab' },
      seededRandom(seed),
      'bos-first',
    ),
    tasks.length,
    SOURCE_TASK_RANK,
    seededRandom(seed + 1),
  );
  return {
    name: `a multitask prompt of ${tasks.map((task) => task.name).join(', ')}`,
    untrained,
    trainExamples: train.length,
    async train(options) {
      const result = await trainMultitaskAsync(loaded.model, untrained, train, dev, {
        ...options,
        optimizer: { kind: 'adamw', learningRate: SOURCE_LEARNING_RATE, weightDecay: 0 },
      });
      return {
        multitask: result.multitask,
        steps: result.steps,
        devAccuracy: result.best?.exactMatch ?? NaN,
      };
    },
  };
}
