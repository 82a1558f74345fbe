// `promptune compare-methods --model <m> --data <dir> [--data <dir> …] [--methods …] [--report out.html]`:
// trains each method on each task with the same budget and prints the comparison (method-comparison.ts):
// parameters, speed, memory, accuracy by training-set size, forgetting and serving cost per task. Each
// measurement is journaled as it is made, so a stopped comparison (Ctrl-C, a crash) continues where it was.
// --push records it as a `comparison` run of each task while it runs: the dashboard shows its progress
// and its table (comparison-runs.ts).
import { defineCommand } from 'citty';
import { resolve } from 'node:path';
import { loadModel, writeFileAtomically } from '../../engine/index.js';
import { ValidationError } from '../../errors/index.js';
import { checkFullFineTuningSize, fullFineTuningFits, parameterCount } from '../../soft/index.js';
import { openComparisonJournal } from '../comparison-journal.js';
import { checkOutputFile } from '../output-file.js';
import { comparisonPage } from '../method-comparison-page.js';
import { recordComparisons } from '../comparison-runs.js';
import { compareMethods } from '../method-comparison.js';
import type { MethodMeasurement } from '../method-measurement.js';
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
import { METHOD_NAMES, METHODS, type Method } from '../soft-methods.js';
import { stopOnSignals } from '../stop-signals.js';
import { readExamples } from '../../tasks/index.js';
import { taskSplit } from '../data-folder.js';

export default defineCommand({
  meta: {
    name: 'compare-methods',
    description: 'Train each tuning method on the same tasks and budget, and compare them',
  },
  args: {
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
    report: { type: 'string', description: 'Also write the table as an HTML page here' },
    json: { type: 'boolean', default: false, description: 'Print every measurement as JSON' },
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
  },
  async run({ args, rawArgs }) {
    const given = repeatedOption(rawArgs, 'data');
    const folders = given.length ? given : [args.data];
    for (const folder of folders) checkTaskFolder(folder, ['train', 'dev', 'test']);
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
    checkMethodOptions(methods, givenOptions(rawArgs), args);
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
    const settings = {
      model: args.model,
      methods,
      sizes,
      epochs: Number(args.epochs),
      batchSize: Number(args['batch-size']),
      seed: Number(args.seed),
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
      epochs: numberOption('epochs', args.epochs, { integer: true, min: 1 })!,
      batchSize: numberOption('batch-size', args['batch-size'], { integer: true, min: 1 })!,
      seed: seedOption(args.seed)!,
      methodArgs: {
        'virtual-tokens': args['virtual-tokens'],
        rank: args.rank,
        init: 'sample-vocab',
        'init-text': '',
        layout: 'bos-first',
        targets: 'q,k,v,o,gate,up,down',
      },
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
    if (recording)
      for (const id of await recording.complete()) process.stderr.write(`recorded as run ${id}\n`);
    if (args.json) process.stdout.write(JSON.stringify(measurements, null, 2) + '\n');
    else process.stdout.write(comparisonTable(measurements) + '\n');
    if (args.report)
      writeFileAtomically(
        args.report,
        comparisonPage(measurements, comparisonRows(measurements), {
          model: args.model,
          epochs: Number(args.epochs),
          batchSize: Number(args['batch-size']),
          seed: Number(args.seed),
          virtualTokens: args['virtual-tokens'],
          rank: args.rank,
          tasks: folders.map((folder, index) => ({
            name: names[index],
            directory: resolve(folder),
            ...splitSizes(folder),
          })),
          writtenAt: new Date().toISOString(),
        }),
      );
  },
});

/** How many examples each split of a task folder holds (the page says what a "0.031" is out of). */
function splitSizes(folder: string): { train: number; dev: number; test: number } {
  const count = (split: string) =>
    readExamples(taskSplit(folder, split), { inputFields: ['input'], targetField: 'target' }).length;
  return { train: count('train'), dev: count('dev'), test: count('test') };
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

/** One row per task and method: the numbers at the largest size, accuracy at every size. */
export function comparisonRows(measurements: MethodMeasurement[]): string[][] {
  const groups = new Map<string, MethodMeasurement[]>();
  for (const measurement of measurements) {
    const key = `${measurement.task}\u0000${methodName(measurement)}`;
    groups.set(key, [...(groups.get(key) ?? []), measurement]);
  }
  const header = [
    'task',
    'method',
    'trainable parameters',
    's/step',
    'peak RSS MB',
    'test accuracy by train size',
    'held-out perplexity before → after',
    'KB per served task',
    'extra per request',
  ];
  const rows = [...groups.values()].map((group) => {
    const largest = group.reduce((a, b) => (b.trainExamples > a.trainExamples ? b : a));
    const { serving } = largest;
    return [
      largest.task,
      methodName(largest),
      largest.trainableParameters.toLocaleString('en-US'),
      largest.secondsPerStep.toFixed(3),
      largest.peakResidentMegabytes.toFixed(0),
      group.map((item) => `${item.trainExamples}: ${item.testAccuracy.toFixed(3)}`).join(', '),
      `${largest.heldOutPerplexity.before.toFixed(2)} → ${largest.heldOutPerplexity.after.toFixed(2)}`,
      (serving.bytesPerTask / 1024).toFixed(1),
      !serving.sharesModel
        ? 'a model of its own'
        : serving.extraPositionsPerRequest
          ? `${serving.extraPositionsPerRequest} positions`
          : `${serving.extraMultiplyAddsPerToken.toLocaleString('en-US')} multiply-adds/token`,
    ];
  });
  return [header, ...rows];
}

/**
 * A row's method by name: "multitask prompt tuning (from animal, gender)" for a transferred one, "(one
 * task)" for one trained from scratch on its task alone.
 */
function methodName(measurement: MethodMeasurement): string {
  const name = METHOD_NAMES[measurement.method];
  if (measurement.sourceTasks) return `${name} (from ${measurement.sourceTasks.join(', ')})`;
  return measurement.method === 'multitask-prompt-tuning' ? `${name} (one task)` : name;
}

/** The comparison as a Markdown table. */
export function comparisonTable(measurements: MethodMeasurement[]): string {
  const [header, ...rows] = comparisonRows(measurements);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
