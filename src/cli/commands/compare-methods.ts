// `promptune compare-methods --model <m> --data <dir> [--data <dir> …] [--methods …] [--report out.html]`:
// trains each method on each task with the same budget and prints the comparison (method-comparison.ts):
// parameters, speed, memory, accuracy by training-set size, forgetting and serving cost per task. Each
// measurement is journaled as it is made, so a stopped comparison (Ctrl-C, a crash) continues where it was.
// --push records it as a `comparison` run of each task while it runs: the dashboard shows its progress
// and its table (comparison-runs.ts).
import { defineCommand, type ParsedArgs } from 'citty';
import { resolve } from 'node:path';
import { checkModelWritable, loadModel, writeFileAtomically, type LoadedModel } from '../../engine/index.js';
import { PromptuneError, ValidationError } from '../../errors/index.js';
import { checkFullFineTuningSize, fullFineTuningFits, parameterCount } from '../../soft/index.js';
import { openComparisonJournal } from '../comparison-journal.js';
import { checkOutputFile } from '../output-file.js';
import { comparisonPage } from '../method-comparison-page.js';
import { comparisonStandings, standingLines } from '../comparison-significance.js';
import { readHeldOutText } from '../held-out-text.js';
import { trainPickLine } from '../comparison-pick.js';
import { fieldArgs } from '../soft-training.js';
import { comparisonBudgetLines } from '../comparison-budget.js';
import { comparisonRows, comparisonTable } from '../comparison-table.js';
import { recordComparisons } from '../comparison-runs.js';
import { compareMethods } from '../method-comparison.js';
import {
  givenOptions,
  listOption,
  meantOption,
  numberOption,
  repeatedOption,
  seedOption,
} from '../options.js';
import { downloadProgress, progressBar } from '../progress.js';
import { checkTaskFolder, taskFolderNames } from '../soft-data.js';
import { METHODS, planMethod, type Method, type MethodArgs } from '../soft-methods.js';
import { stopOnSignals } from '../stop-signals.js';
import { readExamples } from '../../tasks/index.js';
import { taskSplit } from '../data-folder.js';

/** compare-methods's options. */
const compareArgs = {
  model: { type: 'string', required: true, description: 'The base model (as soft train takes it)' },
  data: {
    type: 'string',
    required: true,
    description: 'A task folder with train/dev/test.jsonl, or .csv (repeatable)',
  },
  methods: {
    type: 'string',
    default: METHODS.join(','),
    description: `Methods, comma-separated: ${METHODS.join(', ')}`,
  },
  sizes: { type: 'string', default: '16,64,256,all', description: 'Training-set sizes, comma-separated' },
  epochs: { type: 'string', default: '6', description: 'Epochs for every method' },
  'batch-size': { type: 'string', default: '8', description: 'Examples per step' },
  seed: { type: 'string', default: '0', description: 'Random seed' },
  'virtual-tokens': { type: 'string', default: '16', description: 'Prompt tuning: prompt vectors' },
  rank: { type: 'string', default: '8', description: 'LoRA: rank' },
  'held-out': {
    type: 'string',
    description:
      'Text whose perplexity before and after each method measures forgetting: a .txt file (passages separated by blank lines) or .jsonl ({"text": …} lines), of the base model\'s own kind; default each task\'s test inputs',
  },
  ...fieldArgs,
  report: { type: 'string', description: 'Also write the table as an HTML page here' },
  json: {
    type: 'boolean',
    default: false,
    description: "Print every measurement, and each task's standing (which differences are real), as JSON",
  },
  journal: {
    type: 'string',
    default: '.promptune/compare-methods.jsonl',
    description: 'Where each measurement is kept as it is made; a rerun takes the ones it finds there',
  },
  resume: {
    type: 'boolean',
    default: true,
    description: 'Take measurements made before from the journal (--no-resume measures them again)',
  },
  push: {
    type: 'boolean',
    default: false,
    description:
      'Record the comparison as a run of each task in the registry while it runs (the dashboard shows its table)',
  },
  db: {
    type: 'string',
    default: '.promptune/registry.sqlite',
    description: 'Registry for --push (DATABASE_URL selects Postgres)',
  },
} as const;

/**
 * compare-methods's options checked for their values and how they combine, before anything is read
 * (`job submit` runs it on a job's command line too).
 */
export function checkCompareMethodsOptions(args: ParsedArgs<typeof compareArgs>, rawArgs: string[]) {
  const given = repeatedOption(rawArgs, 'data');
  const folders = given.length ? given : [args.data];
  const methods = listOption(args.methods.split(',')).map((name) => {
    if ((METHODS as readonly string[]).includes(name)) return name as Method;
    const meant = meantOption(name, METHODS);
    throw new ValidationError(
      `--methods: ${name} is not a method${meant ? `; did you mean ${meant}?` : ''}`,
      { code: 'CLI_INVALID_OPTION', hint: `Choose from ${METHODS.join(', ')}.` },
    );
  });
  const sizes = listOption(args.sizes.split(',')).map((size) => {
    if (size === 'all') return 'all' as const;
    const count = Number(size);
    if (!Number.isInteger(count) || count < 1)
      throw new ValidationError(`--sizes: ${size} is not a size`, {
        code: 'CLI_INVALID_OPTION',
        hint: 'A size is a whole number of training examples from 1, or all (the whole train split): --sizes 16,64,256,all.',
      });
    return count;
  });
  const named: [string, readonly (string | number)[]][] = [
    ['data', folders.map((folder) => resolve(folder))],
    ['methods', methods],
    ['sizes', sizes],
  ];
  for (const [option, values] of named) {
    const twice = values.find((value, index) => values.indexOf(value) !== index);
    if (twice !== undefined)
      throw new ValidationError(`--${option} names ${twice} twice`, {
        code: 'CLI_INVALID_OPTION',
        hint: `Name each once: it would be trained twice and its rows merged.`,
      });
  }
  const names = taskFolderNames(folders);
  const fields = { input: args['input-field'], target: args['target-field'] };
  if (fields.input === fields.target)
    throw new ValidationError(`--input-field and --target-field both name "${fields.input}"`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Name the field the model reads and the one it should answer with.',
    });
  checkMethodOptions(methods, givenOptions(rawArgs), args);
  const epochs = numberOption('epochs', args.epochs, { integer: true, min: 1 })!;
  const batchSize = numberOption('batch-size', args['batch-size'], { integer: true, min: 1 })!;
  const seed = seedOption(args.seed)!;
  return { folders, methods, sizes, names, fields, epochs, batchSize, seed };
}

export default defineCommand({
  meta: {
    name: 'compare-methods',
    description: 'Train each tuning method on the same tasks and budget, and compare them',
  },
  args: compareArgs,
  async run({ args, rawArgs }) {
    const { folders, methods, sizes, names, fields, epochs, batchSize, seed } = checkCompareMethodsOptions(
      args,
      rawArgs,
    );
    for (const folder of folders) checkTaskFolder(folder, ['train', 'dev', 'test']);
    const heldOut = args['held-out'] ? readHeldOutText(args['held-out']) : undefined;
    // before the hours of training, not after: the table must not be lost to a bad --report path
    checkOutputFile('report', args.report, 'the HTML page');
    const warn = (message: string) => process.stderr.write(`${message}\n`);
    const journal = openComparisonJournal(args.journal, warn);
    const loaded = await loadModel(args.model, { hub: { onProgress: downloadProgress() } });
    // by default the baseline runs where it fits; named, a model too large for it is refused before
    // any method trains
    const parameters = parameterCount(loaded.model);
    if (!fullFineTuningFits(parameters) && methods.includes('full-fine-tuning')) {
      if (repeatedOption(rawArgs, 'methods').length > 0) checkFullFineTuningSize(parameters);
      methods.splice(methods.indexOf('full-fine-tuning'), 1);
      process.stderr.write(
        `full fine-tuning left out: ${parameters.toLocaleString('en-US')} weights need more memory than this machine has\n`,
      );
    }
    const methodArgs = {
      'virtual-tokens': args['virtual-tokens'],
      rank: args.rank,
      init: 'sample-vocab',
      'init-text': '',
      layout: 'bos-first',
      targets: 'q,k,v,o,gate,up,down',
    };
    checkMethodLimits(methods, loaded, { ...methodArgs, model: args.model }, seed);
    const settings = {
      model: args.model,
      methods,
      sizes,
      epochs,
      batchSize,
      seed,
      virtualTokens: Number(args['virtual-tokens']),
      rank: Number(args.rank),
    };
    const recording = args.push
      ? await recordComparisons(
          args.db,
          folders.map((folder, index) => ({ name: names[index], directory: folder })),
          settings,
        )
      : undefined;
    // Ctrl-C stops the training under way; what was measured before it is in the journal
    const stopping = stopOnSignals('the comparison after the step under way and keeping what it measured');
    let bar: ReturnType<typeof progressBar> | undefined;
    const measurements = await compareMethods({
      loaded,
      model: args.model,
      tasks: folders.map((folder, index) => ({ name: names[index], directory: folder })),
      methods,
      sizes,
      epochs,
      batchSize,
      seed,
      methodArgs,
      fields,
      heldOut,
      // --no-resume measures everything again, and journals it (the latest line of a key is the one read)
      journal: args.resume ? journal : { ...journal, find: () => undefined },
      signal: stopping.signal,
      onProgress: (message) => {
        bar?.finish();
        bar = undefined;
        warn(message);
      },
      // a bar redrawn in place on a terminal; in a log, the lines before and after each measurement
      onStep: (step, totalSteps) => {
        if (!process.stderr.isTTY) return;
        bar ??= progressBar('training');
        bar.update(step, totalSteps);
      },
      onMeasured: recording?.measured,
    })
      .catch(async (error: unknown) => {
        await recording?.fail(error);
        throw error;
      })
      .finally(() => {
        bar?.finish();
        stopping.dispose();
      });
    const splits = folders.map((folder) => splitSizes(folder, fields));
    const trainSizes = Object.fromEntries(names.map((name, index) => [name, splits[index].train]));
    const standings = comparisonStandings(measurements);
    // what every number shared, beside them: the table alone did not say its epochs or learning rates
    const budget = {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      seed: settings.seed,
      virtualTokens: settings.virtualTokens,
      rank: settings.rank,
    };
    if (args.json)
      process.stdout.write(
        JSON.stringify(
          {
            settings: {
              ...budget,
              learningRates: Object.fromEntries(measurements.map((item) => [item.method, item.learningRate])),
            },
            measurements,
            standings,
          },
          null,
          2,
        ) + '\n',
      );
    else {
      process.stdout.write(comparisonTable(measurements, trainSizes) + '\n');
      const shared = comparisonBudgetLines(measurements, budget);
      if (shared.length) process.stdout.write(`\n${shared.join('\n')}\n`);
      // which differences are real, at each task's largest size, and how to train the pick
      const lines = standings.flatMap((standing) => [
        ...standingLines(standing),
        ...trainPickLine(
          standing,
          { ...args, data: folders[names.indexOf(standing.task)] ?? folders[0] },
          { unwritable: writeRefusal(loaded), trainSplit: trainSizes[standing.task] },
        ),
      ]);
      if (lines.length) process.stdout.write(`\n${lines.join('\n')}\n`);
    }
    if (args.report)
      writeFileAtomically(
        args.report,
        comparisonPage(measurements, comparisonRows(measurements, trainSizes), {
          model: args.model,
          epochs,
          batchSize,
          seed,
          virtualTokens: args['virtual-tokens'],
          rank: args.rank,
          heldOut: heldOut?.name,
          tasks: folders.map((folder, index) => ({
            name: names[index],
            directory: resolve(folder),
            ...splits[index],
          })),
          writtenAt: new Date().toISOString(),
        }),
      );
    // after the table and the page: a registry that fails now loses neither (the journal keeps the rest)
    if (recording)
      await recording.complete().then(
        (ids) => ids.forEach((id) => process.stderr.write(`recorded as run ${id}\n`)),
        (error: unknown) =>
          process.stderr.write(
            `warning: the comparison's runs were not recorded (${error instanceof Error ? error.message : String(error)}); its table and journal are whole\n`,
          ),
      );
  },
});

/**
 * Why soft train could not write a fully fine-tuned copy of the model (a llama2.c file, a checkpoint of
 * fused tensors), which compare-methods, training the copy in memory, never meets; undefined if it can.
 */
function writeRefusal(loaded: LoadedModel): { message: string; hint?: string } | undefined {
  try {
    // an output folder apart from the model's: only the format is in question
    checkModelWritable(loaded.info, resolve(loaded.info.path, '..', '..', 'promptune-compare-methods-pick'));
    return undefined;
  } catch (error) {
    if (PromptuneError.isInstance(error) && error.code === 'MODEL_WRITE_UNSUPPORTED')
      return { message: error.message, hint: error.hint };
    return undefined;
  }
}

/** How many examples each split of a task folder holds (the page says what a "0.031" is out of). */
function splitSizes(
  folder: string,
  fields: { input: string; target: string },
): { train: number; dev: number; test: number } {
  const count = (split: string) =>
    readExamples(taskSplit(folder, split), { inputFields: [fields.input], targetField: fields.target })
      .length;
  return { train: count('train'), dev: count('dev'), test: count('test') };
}

/**
 * Refuses, before any training, what a method's plan would refuse when its turn came, hours in: a rank
 * past the model's hidden size, more prompt vectors than the context or the vocabulary holds. Each
 * method is planned once, untrained (full fine-tuning, which copies the model, and multitask prompt
 * tuning, planned as prompt tuning is, aside).
 */
function checkMethodLimits(
  methods: Method[],
  loaded: LoadedModel,
  methodArgs: Omit<MethodArgs, 'method'>,
  seed: number,
): void {
  const planned = new Set(
    methods.flatMap((method) =>
      method === 'full-fine-tuning'
        ? []
        : method === 'multitask-prompt-tuning'
          ? ['prompt-tuning']
          : [method],
    ),
  );
  for (const method of planned) {
    try {
      planMethod({ ...methodArgs, method }, loaded, undefined, seed);
    } catch (error) {
      // compare-methods starts every prompt from sampled vocabulary: fewer vectors is the one way out
      if (PromptuneError.isInstance(error) && error.code === 'SOFT_PROMPT_INIT')
        throw new ValidationError(`--virtual-tokens ${methodArgs['virtual-tokens']}: ${error.message}`, {
          code: 'CLI_INVALID_OPTION',
          hint: 'Use fewer --virtual-tokens: compare-methods starts every prompt from sampled vocabulary tokens.',
        });
      throw error;
    }
  }
}

/** Refuses a method option no method named uses (it would be ignored), and a value no method takes. */
function checkMethodOptions(
  methods: Method[],
  written: Set<string>,
  args: { rank: string; 'virtual-tokens': string },
): void {
  const users: [string, Method[]][] = [
    ['rank', ['lora']],
    ['virtual-tokens', ['prompt-tuning', 'p-tuning', 'multitask-prompt-tuning', 'prefix-tuning']],
  ];
  for (const [option, using] of users) {
    numberOption(option, args[option as 'rank' | 'virtual-tokens'], { integer: true, min: 1 });
    if (written.has(option) && !methods.some((method) => using.includes(method)))
      throw new ValidationError(
        `--${option} applies to ${using.join(', ')}, and --methods names none of them`,
        {
          code: 'CLI_INVALID_OPTION',
          hint: `Drop --${option}, or add a method that uses it to --methods.`,
        },
      );
  }
}
