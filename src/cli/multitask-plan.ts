// Multitask prompt tuning's plan for `soft train --method multitask-prompt-tuning` (and compare-methods):
// a one-task multitask prompt started from a sampled or given prompt, or transferred from a multitask
// source (--source, --transfer average|shared|<task>), or, in compare-methods, from one held in memory.
import { resolve } from 'node:path';
import { baseModelNames } from './base-model-names.js';
import { seededRandom, type LoadedModel } from '../engine/index.js';
import { PromptuneError, ValidationError } from '../errors/index.js';
import {
  adapterMethod,
  evaluatePrompt,
  initMultitask,
  initSoftPrompt,
  loadMultitaskAdapter,
  multitaskTaskId,
  saveMultitaskAdapter,
  taskPrompt,
  tokenizerFingerprint,
  trainMultitaskAsync,
  transferMultitask,
  type LoadedMultitask,
  type MultitaskPrompt,
  type MultitaskTransfer,
  type PromptInit,
  type PromptLayout,
} from '../soft/index.js';
import { nearestTokensRecord } from './nearest-tokens-record.js';
import { numberOption } from './options.js';
import type { MethodArgs, MethodPlan } from './method-plan.js';

/**
 * The plan of --method multitask-prompt-tuning: from the prompt `start` describes (rank-1 factors unless
 * --task-rank), or transferred from --source.
 */
export function planMultitask(
  args: MethodArgs,
  loaded: LoadedModel,
  prompt: { virtualTokens: number; init: PromptInit; initKind: string; layout: PromptLayout },
  seed: number,
): MethodPlan {
  const { model } = loaded;
  const { virtualTokens, init, initKind, layout } = prompt;
  const askedRank = numberOption('task-rank', args['task-rank'], {
    integer: true,
    min: 1,
    max: Math.min(virtualTokens, model.config.hiddenSize),
    maxMeaning:
      virtualTokens <= model.config.hiddenSize ? 'the number of virtual tokens' : "the model's hidden size",
  });
  if (!args.source)
    return multitaskPlan(args, loaded, {
      initial: initMultitask(
        initSoftPrompt(model, loaded.tokenizer, virtualTokens, init, seededRandom(seed), layout),
        1,
        askedRank ?? 1,
        seededRandom(seed + 1),
      ),
      init: initKind,
    });
  const transfer = args.transfer ?? 'average';
  const start = transferStart(args.source, transfer, loaded, seed);
  if (askedRank !== undefined && askedRank !== start.initial.shape.ranks)
    throw new ValidationError(
      `--task-rank ${askedRank}: the prompt starts from --source ${args.source}, whose factors have rank ${start.initial.shape.ranks}`,
      { code: 'CLI_INVALID_OPTION', hint: 'Drop --task-rank: a transferred prompt keeps its source’s rank.' },
    );
  return multitaskPlan(args, loaded, start, {
    name: args.source,
    identity: resolve(args.source),
    transfer,
  });
}

/**
 * A one-task multitask prompt's plan from `start`; `source` names the multitask prompt it was transferred
 * from (`identity`: what a checkpoint must agree on, a folder's absolute path).
 */
function multitaskPlan(
  args: Pick<MethodArgs, 'model'>,
  loaded: LoadedModel,
  start: { initial: MultitaskPrompt; init: string },
  source?: { name: string; identity: string; transfer: string },
): MethodPlan {
  const { model } = loaded;
  const { initial } = start;
  const { virtualTokens: P, ranks } = initial.shape;
  return {
    method: 'multitask-prompt-tuning',
    virtualTokens: P,
    defaultLearningRate: 0.3,
    config: {
      method: 'multitask-prompt-tuning',
      virtualTokens: P,
      init: start.init,
      taskRank: ranks,
      layout: initial.layout,
      ...(source && { source: source.name }),
    },
    describe: `soft prompt (${P} virtual tokens) as a shared prompt scaled by rank-${ranks} task factors${source ? `, started from ${source.name} (${source.transfer})` : ''}`,
    async train(train, dev, options) {
      // a checkpoint of a prompt started otherwise (or placed otherwise) is not resumed
      const result = await trainMultitaskAsync(model, initial, train, dev, options, {
        start: source ? `${start.init} of ${source.identity}` : start.init,
        layout: initial.layout,
      });
      const prompt = taskPrompt(result.multitask, 0);
      return {
        ...result,
        evaluate: (examples, candidates) => evaluatePrompt(model, prompt, examples, { candidates }),
        save: (directory, metadata) =>
          saveMultitaskAdapter(directory, result.multitask, model, {
            tokenizer: { kind: loaded.tokenizer.kind, sha256: tokenizerFingerprint(loaded.tokenizer) },
            ...metadata,
            ...baseModelNames(args.model),
            init: start.init,
            method: 'multitask-prompt-tuning',
            tasks: metadata.task === undefined ? undefined : [metadata.task],
            nearestTokens: nearestTokensRecord(loaded, prompt),
          }),
      };
    },
  };
}

/**
 * A new task's multitask prompt started from `source`, a multitask prompt held in memory (compare-methods
 * trains it on the other tasks): the mean of its tasks' factors, as --transfer average.
 */
export function planTransferredMultitask(
  args: Pick<MethodArgs, 'model'>,
  loaded: LoadedModel,
  source: { multitask: MultitaskPrompt; name: string },
  seed: number,
): MethodPlan {
  const initial = transferMultitask(source.multitask, { kind: 'average' }, seededRandom(seed + 1));
  return multitaskPlan(
    args,
    loaded,
    { initial, init: 'transfer-average' },
    { name: source.name, identity: source.name, transfer: 'average' },
  );
}

/** The source task --transfer names; an unknown one is told the two other starts too. */
function transferTask(source: LoadedMultitask, transfer: string): number {
  try {
    return multitaskTaskId(source, transfer);
  } catch (error) {
    if (!PromptuneError.isInstance(error) || error.code !== 'ADAPTER_TASK_UNKNOWN') throw error;
    throw new ValidationError(`--transfer ${transfer}: ${error.message}`, {
      code: 'ADAPTER_TASK_UNKNOWN',
      hint: `${error.hint} Or --transfer average (the mean of its tasks' factors) or shared (its shared prompt, new factors).`,
    });
  }
}

/**
 * A one-task multitask prompt started from the multitask adapter in `source`: `transfer` is average (the
 * mean of its tasks' factors), shared (its shared prompt, new factors) or one of its tasks by name or id.
 */
function transferStart(
  source: string,
  transfer: string,
  loaded: LoadedModel,
  seed: number,
): { initial: MultitaskPrompt; init: string } {
  if (adapterMethod(source) !== 'MULTITASK_PROMPT_TUNING')
    throw new ValidationError(
      `--source ${source} is a ${adapterMethod(source)} adapter, not a multitask prompt`,
      {
        code: 'CLI_INVALID_OPTION',
        hint: 'Pass the folder soft train-multitask wrote (or a PEFT MULTITASK_PROMPT_TUNING adapter).',
      },
    );
  const loadedSource = loadMultitaskAdapter(source, loaded.model);
  const how: MultitaskTransfer =
    transfer === 'average' || transfer === 'shared'
      ? { kind: transfer }
      : { kind: 'task', task: transferTask(loadedSource, transfer) };
  return {
    initial: transferMultitask(loadedSource.multitask, how, seededRandom(seed + 1)),
    init: `transfer-${transfer}`,
  };
}
