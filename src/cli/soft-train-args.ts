// The options of `promptune soft train` (src/cli/commands/soft.ts): the model and data, the method and
// its shape, the search, the training, the push; and their check before anything is read.
import type { ArgsDef, ParsedArgs } from 'citty';
import { ValidationError } from '../errors/index.js';
import { METHODS } from './method-plan.js';
import { refuseOtherMethodsOptions } from './method-options.js';
import { checkSearchOptions, searchStepsArgs, searchSteps } from './method-search.js';
import { choice, givenOptions, numberOption } from './options.js';
import { pushArgs } from './soft-push.js';
import { checkRunOptions, fieldArgs, promptArgs, trainingArgs, trainingOptions } from './soft-training.js';

/** soft train's options (also read again when --like adds a version's). */
export const trainArgs = {
  model: {
    type: 'string',
    required: true,
    description: 'Model: .gguf, llama2.c .bin, Hugging Face directory, or hf:<org>/<name>',
  },
  data: {
    type: 'string',
    required: true,
    description: 'Folder with train.jsonl and dev.jsonl, or .csv (test is evaluated at the end when present)',
  },
  out: {
    type: 'string',
    required: true,
    description: 'Adapter folder to write (also holds checkpoint.json and metrics.jsonl; a rerun resumes)',
  },
  method: {
    type: 'string',
    default: 'prompt-tuning',
    description:
      'prompt-tuning (a soft prompt), p-tuning (a soft prompt made by an MLP encoder), multitask-prompt-tuning (a shared prompt scaled by task factors; see --source and soft train-multitask), prefix-tuning (keys and values in every layer), lora (low-rank adapters on the projections) or full-fine-tuning (every weight of a copy of the model, written as a whole model)',
  },
  like: {
    type: 'string',
    description:
      "Train with a registry version's method and shape (<task>@<label|number|id>, or a label, number or id of --data's task): LoRA's rank, alpha and targets, a prefix's or prompt's positions, P-tuning's encoder, read off its adapter; options given beside it win. Not its learning rate, init or length. A multitask prompt made with other tasks starts from itself",
  },
  'virtual-tokens': {
    type: 'string',
    default: '16',
    description: 'Number of prompt vectors (prefix tuning: positions of keys and values)',
  },
  init: {
    // no default here: it depends on the method and the task (defaultInit), and the help would print one
    type: 'string',
    description:
      'sample-vocab, text, random, normal or class-labels (prefix tuning: the KV cache of those tokens, or random); default class-labels for prompt tuning on a task with few labels, else sample-vocab',
  },
  'init-from': {
    type: 'string',
    description:
      'Start the soft prompt from a hard prompt: an optimize --out artifact, its instruction text as --init text',
  },
  ...promptArgs,
  rank: { type: 'string', default: '8', description: 'LoRA rank' },
  alpha: {
    type: 'string',
    description: 'LoRA alpha (the product is scaled by alpha / rank; default 2 x rank)',
  },
  targets: {
    type: 'string',
    default: 'q,k,v,o,gate,up,down',
    description: 'LoRA: the projections to adapt, comma-separated',
  },
  rslora: {
    type: 'boolean',
    default: false,
    description:
      "LoRA: scale the product by alpha / √rank (rank-stabilized, PEFT's use_rslora) instead of alpha / rank",
  },
  dropout: {
    type: 'string',
    description:
      "LoRA: the probability of dropping each value of an adapted projection's input to its low-rank product while training (PEFT's lora_dropout; default 0)",
  },
  'prefix-projection': {
    type: 'boolean',
    default: false,
    description:
      "Prefix tuning: learn the prefix through a tanh MLP (PEFT's prefix_projection); the prefix it makes is saved",
  },
  'task-rank': {
    type: 'string',
    description:
      "Multitask prompt tuning: the rank of the task's factors (PEFT's num_ranks; default 1; with --source, the source's)",
  },
  source: {
    type: 'string',
    description:
      'Multitask prompt tuning: start from this multitask adapter (soft train-multitask --out), as --transfer says',
  },
  transfer: {
    type: 'string',
    description:
      "With --source: average (the mean of its tasks' factors; default), shared (its shared prompt, new factors) or one of its tasks by name or id",
  },
  encoder: {
    type: 'string',
    description:
      "P-tuning: the prompt encoder, mlp (default; PEFT's recommended) or lstm (a two-layer bidirectional LSTM and an MLP head)",
  },
  'encoder-hidden': {
    type: 'string',
    description:
      "The MLP's hidden size: p-tuning's encoder (default the model's hidden size) or --prefix-projection's (default the key width), as PEFT",
  },
  lr: {
    type: 'string',
    description:
      'Learning rate (default 0.3 for prompt tuning and multitask prompt tuning, 0.01 for p-tuning, 0.03 for prefix tuning, 0.001 for LoRA, 0.0003 for full fine-tuning)',
  },
  search: {
    // no default shown: prompt tuning on small data searches unless told not to
    type: 'boolean',
    description:
      "Choose the init and learning rate on dev as PEFT's protocol does: each candidate trained in full, or --search-steps long (prompt tuning: 6, or 9 on a label task; prefix tuning: 6; P-tuning, LoRA, full fine-tuning, a projected prefix and a multitask transfer: 3 learning rates), the best kept. Prompt tuning on at most 64 training examples searches unless --no-search, --lr, --init, --init-text, --init-from or --source is given",
    negativeDescription:
      'Train the defaults (or what --init and --lr say), with no search, whatever the data size',
  },
  ...searchStepsArgs,
  ...trainingArgs,
  baseline: {
    type: 'string',
    description:
      "A task spec whose hand-written prompt is scored first on --data's test split, for comparison (and whose task --push registers)",
  },
  json: { type: 'boolean', default: false, description: 'Print the result as JSON' },
  ...pushArgs,
  parent: {
    type: 'string',
    description:
      "With --push: the task's version this one re-tunes or replaces (its number, a label or an id prefix), recorded as its parent",
  },
  ...fieldArgs,
} satisfies ArgsDef;

/**
 * soft train's options checked for their values and how they combine, before anything is read (`job
 * submit` runs it on a job's command line too). The method's own shape (a rank, virtual tokens) is
 * checked against the model when it loads. A --like version adds its method and shape when the command
 * runs (read from the registry): with `methodKnown` false, what depends on the method is left to then.
 */
export function checkTrainOptions(
  given: Pick<ParsedArgs<typeof trainArgs>, keyof typeof trainArgs>,
  rawArgs: string[],
  methodKnown = true,
): {
  training: ReturnType<typeof trainingOptions>;
  trialSteps: number | undefined;
  /** The options written on the command line (givenOptions). */
  written: Set<string>;
} {
  const written = givenOptions(rawArgs);
  const training = trainingOptions(given);
  checkRunOptions(given, written);
  const trialSteps = searchSteps(given, written);
  numberOption('lr', given.lr, { above: 0 });
  if (!methodKnown) return { training, trialSteps, written };
  // --init-from is --init text with the hard prompt's words (a --search tries them as its text init);
  // the methods that start random or from zero refuse it rather than record it
  const fromWeights = given.method === 'full-fine-tuning';
  if (
    given['init-from'] &&
    (given.method === 'p-tuning' ||
      given.method === 'lora' ||
      fromWeights ||
      given['prefix-projection'] ||
      given.source)
  )
    throw new ValidationError(
      `--init-from starts a soft prompt or a prefix from words; ${given['prefix-projection'] ? 'a prefix made by --prefix-projection starts from random values' : given.source ? '--source starts it from a multitask prompt' : `--method ${given.method} starts from ${fromWeights ? "the model's own weights" : 'random values'}`}`,
      {
        code: 'CLI_INVALID_OPTION',
        hint: 'Drop --init-from (or --source), or use --method prompt-tuning or prefix-tuning.',
      },
    );
  const alsoInit = ['init', 'init-text'].find((option) => written.has(option));
  if (given['init-from'] && alsoInit)
    throw new ValidationError(
      `--init-from starts the run from the hard prompt's words; --${alsoInit} was given too`,
      { code: 'CLI_INVALID_OPTION', hint: `Drop --${alsoInit} (or --init-from).` },
    );
  checkSearchOptions(given, written);
  const method = choice('method', given.method, METHODS);
  refuseOtherMethodsOptions(method, given, written);
  // a whole model is not a registry version
  if (method === 'full-fine-tuning' && given.push)
    throw new ValidationError('--push registers an adapter; full fine-tuning makes a whole model', {
      code: 'CLI_INVALID_OPTION',
      hint: 'Drop --push; serve the fine-tuned model on its own (promptune serve --model <out>/model.gguf, or --model <out> from a Hugging Face source).',
    });
  return { training, trialSteps, written };
}
