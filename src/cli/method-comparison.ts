// The measurements behind `promptune compare-methods`: each method trained on the same task, model and
// budget (epochs, batch size, seed; each method's own default learning rate), at several training-set
// sizes, and for each: trainable parameters, seconds per step, the peak resident memory while training,
// test accuracy, forgetting (perplexity of held-out text, --held-out's or the task's test inputs, before
// and after the method is applied) and what serving N tasks on one model costs (bytes kept per task, work per token;
// full fine-tuning, the baseline, keeps a whole model per task). Beside other tasks, multitask prompt
// tuning starts each task from a multitask prompt trained on the others (comparison-source.ts). With a
// journal each measurement is kept as it is made, and one kept before is taken instead of trained again
// (comparison-journal.ts).
import { availableParallelism, loadavg } from 'node:os';
import type { LoadedModel } from '../engine/index.js';
import { DatasetError, InterruptedError, ValidationError } from '../errors/index.js';
import { percentile } from '../eval/index.js';
import {
  evaluatePrompt,
  modelFingerprint,
  noPrompt,
  tokenizerFingerprint,
  type MultitaskPrompt,
  type PromptEvaluation,
  type TokenizedExample,
} from '../soft/index.js';
import { comparisonSource, SOURCE_LEARNING_RATE } from './comparison-source.js';
import { measurementKey, taskDataHash, type ComparisonJournal } from './comparison-journal.js';
import type { MethodMeasurement } from './method-measurement.js';
import {
  labelCandidates,
  labelSet,
  readSoftData,
  warnDataShape,
  warnUnseenLabels,
  type SoftData,
} from './soft-data.js';
import { heldOutExamples, type HeldOutText } from './held-out-text.js';
import { trainingOrder } from './training-subsets.js';
import {
  methodRecord,
  planMethod,
  trainedParameterCount,
  type Method,
  type MethodArgs,
} from './soft-methods.js';
import { taskSplit } from './data-folder.js';
import { planTransferredMultitask } from './multitask-plan.js';

/** What compare-methods runs. */
export interface ComparisonOptions {
  loaded: LoadedModel;
  model: string;
  tasks: { name: string; directory: string }[];
  methods: Method[];
  /** Training-set sizes; 'all' is the whole split. */
  sizes: (number | 'all')[];
  epochs: number;
  batchSize: number;
  seed: number;
  /** The examples' input and target fields (default input and target). */
  fields?: { input: string; target: string };
  /**
   * The text whose perplexity before and after measures forgetting (--held-out); absent, each task's
   * test inputs (the shared story tasks': stories of the model's own kind).
   */
  heldOut?: HeldOutText;
  /** Method options (rank, virtual tokens, …) as soft train takes them. */
  methodArgs: Omit<MethodArgs, 'model' | 'method'>;
  /** Where each measurement is kept as it is made, and found instead of measured again. */
  journal?: ComparisonJournal;
  /** Stops the training under way at its next step (InterruptedError, COMPARISON_INTERRUPTED). */
  signal?: AbortSignal;
  /** A line as each measurement starts ("[3/72] name: LoRA … on 64 examples") and ends (its result). */
  onProgress?: (message: string) => void;
  /** Each training step of the measurement under way. */
  onStep?: (step: number, totalSteps: number) => void;
  /**
   * Each measurement as it is made or found in the journal (`kept`), with how many of its task's are
   * done and how many its task has (methods × its sizes).
   */
  onMeasured?: (measurement: MethodMeasurement, task: { done: number; total: number; kept: boolean }) => void;
}

const DEFAULT_FIELDS = { input: 'input', target: 'target' };

/** Held-out text as examples: BOS and the first token given, the rest of the text to predict. */
function textExamples(examples: TokenizedExample[]): TokenizedExample[] {
  return examples
    .filter((example) => example.inputIds.length > 2)
    .map((example) => ({ inputIds: example.inputIds.slice(0, 2), targetIds: example.inputIds.slice(2) }));
}

/** Trains and measures every method at every size on every task. */
export async function compareMethods(options: ComparisonOptions): Promise<MethodMeasurement[]> {
  const { loaded, journal } = options;
  const fields = options.fields ?? DEFAULT_FIELDS;
  // other fields read other examples from the same files: a measurement's key says so (the default's
  // keys are as before)
  const fieldsKey =
    fields.input === DEFAULT_FIELDS.input && fields.target === DEFAULT_FIELDS.target ? undefined : fields;
  const results: MethodMeasurement[] = [];
  // what a measurement depends on besides its method and size: the weights and tokenizer, not the path
  const model = journal && {
    weights: modelFingerprint(loaded.model),
    tokenizer: tokenizerFingerprint(loaded.tokenizer),
  };
  const trainSplits = options.tasks.map((task) =>
    readSoftData(taskSplit(task.directory, 'train'), loaded, fields, 0),
  );
  // every task's splits read before the first training too, with a prompt's positions where a
  // method has them: a bad line, or an example too long beside the prompt, in the last task's file is
  // said now, not after the other tasks' hours
  const positions = options.methods.some((method) => method !== 'lora' && method !== 'full-fine-tuning')
    ? Number(options.methodArgs['virtual-tokens'])
    : 0;
  // each task's test split as read here: its inputs are the held-out text without --held-out
  const testSplits: SoftData[] = [];
  for (const [index, task] of options.tasks.entries()) {
    const [dev, test] = ['dev', 'test'].map((split) =>
      readSoftData(taskSplit(task.directory, split), loaded, fields, positions),
    );
    testSplits.push(test);
    if (positions) readSoftData(taskSplit(task.directory, 'train'), loaded, fields, positions);
    // a label no training example has is scored wrong by every method: said before the hours, as soft
    // train says it
    warnUnseenLabels(labelSet(trainSplits[index].targets), [dev, test]);
    warnDataShape(trainSplits[index], [dev, test]);
  }
  // a size past a task's examples is all of them, measured once
  const sizesOf = (examples: number) => [
    ...new Set(options.sizes.map((size) => (size === 'all' ? examples : Math.min(size, examples)))),
  ];
  // a size past a task's examples says so once, before the hours
  for (const [index, split] of trainSplits.entries())
    for (const size of options.sizes)
      if (size !== 'all' && size > split.examples.length)
        options.onProgress?.(
          `--sizes ${size}: ${options.tasks[index].name} has ${split.examples.length} training examples; measured as all of them`,
        );
  const total = trainSplits.reduce(
    (sum, split) => sum + options.methods.length * sizesOf(split.examples.length).length,
    0,
  );
  for (const [taskIndex, task] of options.tasks.entries()) {
    const path = (split: string) => taskSplit(task.directory, split);
    const taskTotal = options.methods.length * sizesOf(trainSplits[taskIndex].examples.length).length;
    let taskDone = 0;
    const measured = (measurement: MethodMeasurement, kept: boolean) => {
      results.push(measurement);
      options.onMeasured?.(measurement, { done: ++taskDone, total: taskTotal, kept });
    };
    const labels = labelSet(trainSplits[taskIndex].targets);
    const data = journal && taskDataHash(task.directory);
    // the smaller training sets: the first N of one seeded order, a label task's labels in turn
    const order = trainingOrder(trainSplits[taskIndex].targets, labels, options.seed);
    // the held-out text, cut once to what the context holds beside the longest prompt compared, so
    // that every method and the frozen model are measured on the same tokens
    const heldOut = options.heldOut
      ? heldOutExamples(options.heldOut, loaded.tokenizer, loaded.model.config.contextLength, positions)
      : textExamples(testSplits[taskIndex].examples);
    if (heldOut.length === 0)
      throw new DatasetError(
        `${options.heldOut ? `--held-out ${options.heldOut.name}` : `${task.name}'s test inputs`}: no passage is longer than two tokens, so there is no perplexity to measure forgetting by`,
        {
          code: 'HELD_OUT_INVALID',
          hint: 'Give --held-out passages of text of the base model’s own kind, a sentence or more each.',
        },
      );
    let before: number | undefined; // the frozen model's perplexity, the same for every method
    let frozen: MethodMeasurement['frozen']; // the frozen model's test scores, the row to beat
    for (const method of options.methods) {
      const methodArgs = { ...options.methodArgs, model: options.model, method };
      // beside other tasks, a task's multitask prompt starts from one trained on the others (trained
      // when a size first needs it); its plan from the untrained source has the trained one's settings
      const others = options.tasks.filter((_, index) => index !== taskIndex);
      const source =
        method === 'multitask-prompt-tuning' && others.length > 0
          ? comparisonSource(
              loaded,
              others,
              Number(options.methodArgs['virtual-tokens']),
              options.seed,
              fields,
            )
          : undefined;
      const transferred = (multitask: MultitaskPrompt) =>
        planTransferredMultitask(methodArgs, loaded, { multitask, name: source!.name }, options.seed);
      let trainedSource: MultitaskPrompt | undefined;
      // training never changes a plan's initial parameters: one plan serves every size
      const plan = source
        ? transferred(source.untrained)
        : planMethod(methodArgs, loaded, labels, options.seed);
      // the splits as this method lays them out (a prompt's positions count against the context)
      const [train, dev] = ['train', 'dev'].map(
        (split) => readSoftData(path(split), loaded, fields, plan.virtualTokens).examples,
      );
      const testData = readSoftData(path('test'), loaded, fields, plan.virtualTokens);
      const test = testData.examples;
      // a label task is scored among its labels too, as it is served
      const candidates = labels && labelCandidates(loaded, testData, labels);
      for (const size of sizesOf(train.length)) {
        // all of them in the file's order, as soft train reads them; fewer, the first of the seeded order
        const used = size >= train.length ? train : order.slice(0, size).map((index) => train[index]);
        const cell = `${task.name}: ${plan.describe} on ${used.length} examples`;
        const counted = `[${results.length + 1}/${total}] ${cell}`;
        const key =
          journal &&
          measurementKey({
            model,
            data,
            task: task.name,
            method: methodRecord(plan, methodArgs),
            epochs: options.epochs,
            batchSize: options.batchSize,
            seed: options.seed,
            learningRate: plan.defaultLearningRate,
            trainExamples: used.length,
            // a subset's examples (the file's first N before; a seeded order, labels in turn, since)
            ...(used.length < train.length && { subset: 'seeded, labels in turn' }),
            // what each measurement holds beside the test exact match, since they were added
            measures: ['label accuracy', 'frozen', 'median step', 'attention multiply-adds'],
            ...(fieldsKey && { fields: fieldsKey }),
            ...(options.heldOut && { heldOut: options.heldOut.sha256 }),
            ...(source && {
              source: {
                tasks: others.map((other) => ({ task: other.name, data: taskDataHash(other.directory) })),
                learningRate: SOURCE_LEARNING_RATE,
              },
            }),
          });
        const kept = key && journal.find(key);
        // its per-example results are one per test example (the key holds the split's hash): another
        // length was edited in, and would pair with nothing or fake a larger test
        const strings = kept
          ? [kept.testCorrect, kept.testLabelCorrect, kept.frozen?.testCorrect, kept.frozen?.testLabelCorrect]
          : [];
        const misfit = strings.find((digits) => digits !== undefined && digits.length !== test.length);
        if (kept && misfit !== undefined)
          throw journalEdited(
            `${journal.path} keeps ${misfit.length} per-example results for ${cell}, whose test split has ${test.length} examples`,
          );
        if (kept && (kept.task !== task.name || kept.method !== method || kept.trainExamples !== used.length))
          throw journalEdited(
            `${journal.path} keeps ${kept.task}: ${kept.method} on ${kept.trainExamples} examples under the key of ${cell}`,
          );
        if (kept) {
          options.onProgress?.(`${counted}: measured before (${journal.path})`);
          measured(kept, true);
          continue;
        }
        options.onProgress?.(counted);
        const stopIn = (what: string) => (error: unknown) => {
          if (!InterruptedError.isInstance(error)) throw error;
          throw stopped(what, { made: results.length, total }, journal);
        };
        const stop = stopIn(cell);
        if (source && !trainedSource) {
          options.onProgress?.(
            `  first ${source.name}, trained on ${others.length === 1 ? 'its' : 'their'} ${source.trainExamples.toLocaleString('en-US')} examples, to start from`,
          );
          const trained = await source
            .train({
              epochs: options.epochs,
              batchSize: options.batchSize,
              seed: options.seed,
              signal: options.signal,
              onProgress: (progress) => options.onStep?.(progress.step, progress.totalSteps),
            })
            // the source is kept in memory only: a rerun trains it again
            .catch(stopIn(`${source.name} (the start of ${cell}; not kept, a rerun trains it again)`));
          trainedSource = trained.multitask;
          options.onProgress?.(
            `  ${source.name}: dev accuracy ${trained.devAccuracy.toFixed(3)}, ${trained.steps} steps`,
          );
        }
        before ??= evaluateFrozen(loaded, heldOut);
        frozen ??= frozenScores(loaded, path('test'), fields, labels);
        let peak = process.memoryUsage().rss;
        const stepSeconds: number[] = [];
        let load = loadPerCore();
        const started = performance.now();
        const result = await (trainedSource ? transferred(trainedSource) : plan)
          .train(used, dev, {
            epochs: options.epochs,
            batchSize: options.batchSize,
            optimizer: { kind: 'adamw', learningRate: plan.defaultLearningRate, weightDecay: 0 },
            seed: options.seed,
            signal: options.signal,
            onProgress: (progress) => {
              peak = Math.max(peak, process.memoryUsage().rss);
              load = Math.max(load, loadPerCore());
              stepSeconds.push(progress.stepSeconds);
              options.onStep?.(progress.step, progress.totalSteps);
            },
          })
          .catch(stop);
        const trainingSeconds = (performance.now() - started) / 1000;
        const testResult: PromptEvaluation = result.evaluate(test, candidates);
        const parameters = trainedParameterCount(plan, loaded.model, result.values);
        const measurement: MethodMeasurement = {
          task: task.name,
          method,
          ...(source && { sourceTasks: others.map((other) => other.name) }),
          trainExamples: used.length,
          trainableParameters: parameters,
          learningRate: plan.defaultLearningRate,
          steps: result.steps,
          secondsPerStep: percentile(stepSeconds, 50) ?? NaN,
          peakResidentMegabytes: peak / 2 ** 20,
          loadPerCore: Number(load.toFixed(2)),
          testAccuracy: testResult.exactMatch,
          ...(testResult.likelihoodAccuracy !== undefined && {
            testLabelAccuracy: testResult.likelihoodAccuracy,
          }),
          ...perExample(testResult),
          frozen,
          trainingSeconds: Number(trainingSeconds.toFixed(3)),
          devAccuracy: result.best?.exactMatch ?? NaN,
          heldOutPerplexity: { before, after: result.evaluate(heldOut).perplexity },
          measuredAt: new Date().toISOString(),
          serving: servingCost(loaded, method, parameters, plan.virtualTokens),
        };
        if (key) journal.add(key, measurement);
        measured(measurement, false);
        options.onProgress?.(
          `  test accuracy ${measurement.testAccuracy.toFixed(3)}${Number.isNaN(measurement.devAccuracy) ? '' : ` (dev ${measurement.devAccuracy.toFixed(3)})`}, ${measurement.steps} step${measurement.steps === 1 ? '' : 's'} of ${measurement.secondsPerStep.toFixed(3)} s`,
        );
      }
    }
  }
  return results;
}

/** A journal line that cannot be what was measured under its key. */
const journalEdited = (message: string) =>
  new ValidationError(message, {
    code: 'COMPARE_JOURNAL_INVALID',
    hint: 'The journal was edited; move it aside (or delete the line) and run again to measure it anew.',
  });

/** The machine's 1-minute load average per core (0 where the platform keeps none). */
function loadPerCore(): number {
  return loadavg()[0] / availableParallelism();
}

/** The error for a comparison stopped on request while it trained `cell`. */
function stopped(
  cell: string,
  { made, total }: { made: number; total: number },
  journal: ComparisonJournal | undefined,
): InterruptedError {
  return new InterruptedError(`compare-methods stopped while training ${cell}`, {
    code: 'COMPARISON_INTERRUPTED',
    hint:
      made === 0
        ? 'Nothing was measured yet; run it again to start over.'
        : journal
          ? `${made} of the ${total} measurements ${made === 1 ? 'is' : 'are'} kept in ${journal.path}: run the same command again to measure the rest.`
          : `Without a journal the ${made} measurements made were not kept; run it again to start over.`,
  });
}

/** The frozen model's test scores with the input alone: exact match, and among the labels for a label task. */
function frozenScores(
  loaded: LoadedModel,
  path: string,
  fields: { input: string; target: string },
  labels: string[] | undefined,
): NonNullable<MethodMeasurement['frozen']> {
  const data = readSoftData(path, loaded, fields, 0);
  const candidates = labels && labelCandidates(loaded, data, labels);
  const result = evaluatePrompt(loaded.model, noPrompt(loaded.model), data.examples, { candidates });
  return {
    testAccuracy: result.exactMatch,
    ...(result.likelihoodAccuracy !== undefined && { testLabelAccuracy: result.likelihoodAccuracy }),
    ...perExample(result),
  };
}

/** An evaluation's per-example results as strings of 0s and 1s (testCorrect, testLabelCorrect). */
function perExample(result: PromptEvaluation): Pick<MethodMeasurement, 'testCorrect' | 'testLabelCorrect'> {
  const digits = (correct: boolean[]) => correct.map((right) => (right ? '1' : '0')).join('');
  return {
    testCorrect: digits(result.correct),
    ...(result.labelCorrect && { testLabelCorrect: digits(result.labelCorrect) }),
  };
}

/** The frozen model's perplexity on the examples' targets. */
function evaluateFrozen(loaded: LoadedModel, examples: TokenizedExample[]): number {
  return evaluatePrompt(loaded.model, noPrompt(loaded.model), examples).perplexity;
}

/** Bytes a task keeps and work per token, from the method's shape and the model's config. */
function servingCost(
  loaded: LoadedModel,
  method: Method,
  parameters: number,
  virtualTokens: number,
): MethodMeasurement['serving'] {
  const { layers, heads, kvHeads, headDim } = loaded.model.config;
  if (method === 'full-fine-tuning')
    // every task is a whole model: nothing shared, nothing added per token
    return {
      bytesPerTask: parameters * 4,
      extraMultiplyAddsPerToken: 0,
      extraPositionsPerRequest: 0,
      sharesModel: false,
    };
  if (method === 'lora')
    // each adapted projection adds x A^T (r x in) and (.) B^T (out x r): as many multiply-adds as parameters
    return {
      bytesPerTask: parameters * 4,
      extraMultiplyAddsPerToken: parameters,
      extraPositionsPerRequest: 0,
      sharesModel: true,
    };
  // a prompt's vectors, and the keys and values of its positions, cached once per task; a prefix is
  // those keys and values itself (an MLP that made it is not kept)
  const cached = layers * 2 * kvHeads * headDim * virtualTokens * 4;
  // each token's every query head scores the cached positions and sums their values: the same unit as
  // LoRA's products, so the two compare
  const attended = layers * heads * headDim * 2 * virtualTokens;
  if (method === 'prefix-tuning')
    return {
      bytesPerTask: cached,
      extraMultiplyAddsPerToken: attended,
      extraPositionsPerRequest: virtualTokens,
      sharesModel: true,
    };
  // P-tuning's encoder is not kept, nor a multitask prompt's factors: the prompt made is what is served
  const vectors =
    method === 'p-tuning' || method === 'multitask-prompt-tuning'
      ? virtualTokens * loaded.model.config.hiddenSize
      : parameters;
  return {
    bytesPerTask: vectors * 4 + cached,
    extraMultiplyAddsPerToken: attended,
    extraPositionsPerRequest: virtualTokens,
    sharesModel: true,
  };
}
