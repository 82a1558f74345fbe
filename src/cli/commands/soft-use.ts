// `promptune soft eval|generate`: an adapter folder (ours or PEFT's, a multitask prompt's task, or a
// model full fine-tuning wrote) scored on a dataset, or continuing a prompt.
import { defineCommand } from 'citty';
import { loadModel, outputNotFinite } from '../../engine/index.js';
import { ValidationError } from '../../errors/index.js';
import {
  checkBaseModel,
  evaluatePrompt,
  loadTrainedAdapter,
  matchesFingerprint,
  noPrompt,
  readFineTunedModel,
  SoftPromptSession,
} from '../../soft/index.js';
import { listOption, numberOption, repeatedOption, seedOption } from '../options.js';
import { downloadProgress } from '../progress.js';
import { labelCandidates, labelSet, readSoftData, warnTargetsNotLabels } from '../soft-data.js';
import { fieldArgs } from '../soft-training.js';

/** What both commands load (loadAdapted): the base model, the adapter folder, and how to take it. */
const adaptedArgs = {
  model: { type: 'string', required: true, description: 'The base model' },
  adapter: {
    type: 'string',
    required: true,
    description: 'Adapter folder (ours or PEFT’s), or a folder full fine-tuning wrote',
  },
  force: { type: 'boolean', default: false, description: 'Use an adapter made for another base model' },
  task: {
    type: 'string',
    description: 'Of a multitask adapter: the task whose prompt to use, by name or id',
  },
} as const;

export const evaluateCommand = defineCommand({
  meta: {
    name: 'eval',
    description:
      'Score an adapter (soft prompt, P-tuning, prefix, LoRA, multitask) or a fine-tuned model on a dataset',
  },
  args: {
    ...adaptedArgs,
    data: { type: 'string', required: true, description: 'A .jsonl (or .csv) file of examples' },
    labels: {
      type: 'string',
      description:
        'Comma-separated candidate labels for log-likelihood accuracy (default: the targets, when few)',
    },
    json: { type: 'boolean', default: false, description: 'Print JSON' },
    ...fieldArgs,
  },
  async run({ args }) {
    const fields = { input: args['input-field'], target: args['target-field'] };
    const { loaded, prompt, adapter } = await loadAdapted(args);
    const data = readSoftData(args.data, loaded, fields, prompt.virtualTokens);
    const labels = args.labels ? listOption(args.labels.split(',')) : labelSet(data.targets);
    if (args.labels && labels) warnTargetsNotLabels(labels, data);
    const result = evaluatePrompt(loaded.model, prompt, data.examples, {
      candidates: labels ? labelCandidates(loaded, data, labels) : undefined,
      adapter,
    });
    // a NaN loss is an overflowed forward pass, not a score of 0
    if (!Number.isFinite(result.loss)) throw outputNotFinite(`loss on ${args.data} is ${result.loss}`);
    const summary = {
      accuracy: result.exactMatch,
      n: result.n,
      likelihoodAccuracy: result.likelihoodAccuracy,
      loss: result.loss,
      perplexity: result.perplexity,
    };
    if (args.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else
      process.stdout.write(
        `exact match ${result.exactMatch.toFixed(4)} (n ${result.n})${result.likelihoodAccuracy === undefined ? '' : `, log-likelihood accuracy ${result.likelihoodAccuracy.toFixed(4)}`}, loss ${result.loss.toFixed(4)}, perplexity ${result.perplexity.toFixed(3)}\n`,
      );
  },
});

export const generateCommand = defineCommand({
  meta: {
    name: 'generate',
    description:
      'Continue a prompt with an adapter (soft prompt, P-tuning, prefix, LoRA, multitask) or a fine-tuned model',
  },
  args: {
    ...adaptedArgs,
    prompt: { type: 'string', required: true, description: 'Text to continue' },
    'max-tokens': { type: 'string', default: '32', description: 'Most tokens to generate' },
    temperature: { type: 'string', default: '0', description: 'Sampling temperature; 0 is greedy' },
    seed: { type: 'string', default: '0', description: 'Random seed' },
    stop: { type: 'string', description: 'Stop at this text (repeatable)' },
  },
  async run({ args, rawArgs }) {
    const { loaded, prompt, adapter } = await loadAdapted(args);
    const session = new SoftPromptSession(loaded.model, loaded.tokenizer, prompt, adapter);
    const events = session.stream([args.prompt], {
      maxTokens: numberOption('max-tokens', args['max-tokens'], { integer: true, min: 1 }),
      temperature: numberOption('temperature', args.temperature, { min: 0 }),
      seed: seedOption(args.seed),
      stop: repeatedOption(rawArgs, 'stop'),
    });
    for await (const event of events) if ('delta' in event) process.stdout.write(event.delta);
    process.stdout.write('\n');
  },
});

/**
 * The model and what runs with it for soft eval and soft generate: the base model and the adapter folder's
 * prompt or adapter, or, for a folder full fine-tuning wrote, the model it holds alone.
 */
async function loadAdapted(args: { model: string; adapter: string; force: boolean; task?: string }) {
  const tuned = readFineTunedModel(args.adapter);
  if (tuned && args.task !== undefined)
    throw new ValidationError(`a task was named (${args.task}), but ${args.adapter} is a fine-tuned model`, {
      code: 'ADAPTER_NOT_MULTITASK',
      hint: 'Name a task only for a multitask adapter; drop --task.',
    });
  const hub = { onProgress: downloadProgress() };
  // as for an adapter: --model must be the model it was tuned from
  if (tuned && !args.force) checkBaseModel(tuned.metadata, (await loadModel(args.model, { hub })).model);
  const loaded = await loadModel(tuned?.path ?? args.model, { hub });
  if (tuned) return { loaded, prompt: noPrompt(loaded.model), adapter: undefined };
  const { prompt, adapter, metadata } = loadTrainedAdapter(args.adapter, loaded.model, {
    force: args.force,
    task: args.task,
  });
  // PEFT's own folder records no weights to check: only its shapes were (said, not refused)
  if (!metadata)
    process.stderr.write(
      `${args.adapter} has no promptune.json (a PEFT folder): only its shapes were checked against ${args.model}, not that it was trained on these weights\n`,
    );
  // what --force let through is said: the numbers that follow are of an adapter on weights it never saw
  if (args.force && metadata && !matchesFingerprint(loaded.model, metadata.baseModel.sha256))
    process.stderr.write(
      `--force: ${args.adapter} was trained on ${metadata.baseModel.name}, whose weights differ from ${args.model}'s; it runs on them all the same\n`,
    );
  return { loaded, prompt, adapter };
}
