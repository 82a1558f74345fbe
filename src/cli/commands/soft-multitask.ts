// `promptune soft train-multitask`: multitask prompt tuning on several tasks at once (one --data folder per
// task). One shared prompt and each task's rank-R factors train together, every batch mixing the tasks;
// dev selects on all of them, four times an epoch, and a run of default length grows past 6 epochs while
// an epoch improves dev (as soft train's prompt tuning); --search chooses the shared prompt's init and the
// rate on dev as PEFT's protocol does (method-search.ts). The adapter (PEFT's MULTITASK_PROMPT_TUNING,
// the tasks named in promptune.json) serves a task by name (soft eval|generate --task) and is the --source
// a new task starts from (soft train --method multitask-prompt-tuning --source <out>). --push registers
// each task as a version of its own task: a one-task adapter (the shared prompt and that task's factors)
// in <out>/tasks/<name>/, and records the training as a run of each task (the same steps; dev scored over
// all the tasks).
import { defineCommand, type ParsedArgs } from 'citty';
import { join } from 'node:path';
import { baseModelNames } from '../base-model-names.js';
import { loadModel, seededRandom } from '../../engine/index.js';
import { ValidationError } from '../../errors/index.js';
import { datasetFileIds } from '../../registry/index.js';
import {
  evaluatePrompt,
  initMultitask,
  initSoftPrompt,
  saveMultitaskAdapter,
  taskPrompt,
  tokenizerFingerprint,
  trainMultitaskAsync,
  transferMultitask,
  type PromptLayout,
  type TokenizedExample,
  type TrainProgress,
} from '../../soft/index.js';
import {
  candidateName,
  checkSearchOptions,
  runSearch,
  searchCandidates,
  searchSteps,
  searchStepsArgs,
  trialOptions,
  warnLongTrials,
} from '../method-search.js';
import { choice, givenOptions, numberOption, repeatedOption } from '../options.js';
import { downloadProgress, progressBar } from '../progress.js';
import { stopOnSignals } from '../stop-signals.js';
import {
  checkTaskFolder,
  labelCandidates,
  labelSet,
  readSoftData,
  taskFolderNames,
  warnDataShape,
  warnUnseenLabels,
} from '../soft-data.js';
import { failRuns, recordRuns } from '../run-recorder.js';
import { checkLabelBeforeTraining, pushAdapter, pushArgs, softTaskName } from '../soft-push.js';
import { nearestTokensRecord } from '../nearest-tokens-record.js';
import {
  fieldArgs,
  optimizerAt,
  progressText,
  promptArgs,
  historyEntry,
  stepEntry,
  trainingArgs,
  trainingOptions,
  checkOutputFolder,
  claimOutputFolder,
  checkRunOptions,
  growingEpochs,
  grownNote,
  reportResume,
  quarterEpoch,
  DEFAULT_INIT_TEXT,
  warnLargeBatch,
  warnRisingLoss,
  peftLayoutNote,
} from '../soft-training.js';
import { splitFile, splitFiles, taskSplit } from '../data-folder.js';

// the multitask prompt's learning rate unless --lr (prompt tuning's)
const DEFAULT_LEARNING_RATE = 0.3;

const INIT_KINDS = ['sample-vocab', 'text', 'random', 'normal'] as const;
/** How the shared prompt starts. */
type InitKind = (typeof INIT_KINDS)[number];

/** One task's data: its name (the folder's), splits read for the prompt, and dev's label candidates. */
interface TaskData {
  name: string;
  train: TokenizedExample[];
  dev: TokenizedExample[];
  test?: TokenizedExample[];
  devCandidates?: TokenizedExample[][];
  /** The test split's label candidates (a label task's): its label accuracy, as it is served. */
  testCandidates?: TokenizedExample[][];
  /** Its labels when its targets are a few. */
  labels?: string[];
}

/** train-multitask's options. */
const multitaskArgs = {
  model: { type: 'string', required: true, description: 'The base model (as soft train)' },
  data: {
    type: 'string',
    required: true,
    description:
      'A task folder with train.jsonl and dev.jsonl, or .csv (test evaluated at the end); give --data once per task',
  },
  out: {
    type: 'string',
    required: true,
    description: 'Adapter folder to write (also holds checkpoint.json and metrics.jsonl; a rerun resumes)',
  },
  'virtual-tokens': { type: 'string', default: '16', description: 'Number of prompt vectors' },
  'task-rank': {
    type: 'string',
    // PEFT's num_ranks is 1; on the three shared tasks at once rank 1 left gender near chance (test
    // 0.613, 0.801, 0.656 over three seeds) where rank 4 reached 0.949, 0.926, 0.934
    default: '4',
    description: "The rank of each task's factors (PEFT's num_ranks, whose default is 1)",
  },
  init: {
    type: 'string',
    default: 'sample-vocab',
    description: 'The shared prompt: sample-vocab, text, random or normal',
  },
  ...promptArgs,
  lr: { type: 'string', default: String(DEFAULT_LEARNING_RATE), description: 'Learning rate' },
  search: {
    type: 'boolean',
    default: false,
    description:
      "Choose the shared prompt's init (sample-vocab or text) and the learning rate (0.003, 0.03, 0.3) on dev as PEFT's protocol does: 6 runs, each trained in full (or --search-steps long), the best kept",
  },
  ...searchStepsArgs,
  ...trainingArgs,
  json: { type: 'boolean', default: false, description: 'Print the result as JSON' },
  ...pushArgs,
  push: {
    ...pushArgs.push,
    description:
      "Register each task's prompt as a soft version of its own task (named by its data folder), with its lineage",
  },
  ...fieldArgs,
} as const;

/**
 * train-multitask's options checked for their values and how they combine, before anything is read
 * (`job submit` runs it on a job's command line too).
 */
export function checkMultitaskOptions(args: ParsedArgs<typeof multitaskArgs>, rawArgs: string[]) {
  const folders = repeatedOption(rawArgs, 'data');
  if (folders.length < 2)
    throw new ValidationError(`train-multitask trains several tasks; --data named ${folders.length}`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Give --data once per task folder; for one task use soft train --method multitask-prompt-tuning.',
    });
  const names = taskFolderNames(folders);
  const virtualTokens = numberOption('virtual-tokens', args['virtual-tokens'], {
    integer: true,
    min: 1,
  })!;
  const taskRank = numberOption('task-rank', args['task-rank'], {
    integer: true,
    min: 1,
    max: virtualTokens,
  })!;
  const initKind: InitKind = choice('init', args.init, INIT_KINDS);
  const layout = choice('layout', args.layout, ['bos-first', 'peft'] as const) as PromptLayout;
  const learningRate = numberOption('lr', args.lr, { above: 0 })!;
  const training = trainingOptions(args);
  const written = givenOptions(rawArgs);
  checkRunOptions(args, written);
  // --init has a default here: only a written one says how the run starts
  checkSearchOptions({ ...args, init: written.has('init') ? args.init : undefined }, written);
  const trialSteps = searchSteps(args, written);
  return {
    folders,
    names,
    virtualTokens,
    taskRank,
    initKind,
    layout,
    learningRate,
    training,
    written,
    trialSteps,
  };
}

export default defineCommand({
  meta: {
    name: 'train-multitask',
    description: 'Train one multitask prompt on several tasks at once (a shared prompt and task factors)',
  },
  args: multitaskArgs,
  async run({ args, rawArgs }) {
    const checked = checkMultitaskOptions(args, rawArgs);
    const { folders, names, virtualTokens, taskRank, layout, written, trialSteps } = checked;
    let { initKind, learningRate } = checked;
    const { options: given, optimizer } = checked.training;
    for (const folder of folders) checkTaskFolder(folder, ['train', 'dev']);
    checkOutputFolder(args.out);
    const fields = { input: args['input-field'], target: args['target-field'] };
    const initText = args['init-text'] ?? DEFAULT_INIT_TEXT;

    const loaded = await loadModel(args.model, { hub: { onProgress: downloadProgress() } });
    const tasks: TaskData[] = folders.map((folder, task) => {
      const read = (split: string) => {
        const data = readSoftData(taskSplit(folder, split), loaded, fields, virtualTokens);
        return { data, examples: data.examples.map((example) => ({ ...example, task })) };
      };
      const train = read('train');
      const dev = read('dev');
      const test = splitFile(folder, 'test') ? read('test') : undefined;
      const labels = labelSet(train.data.targets);
      warnUnseenLabels(labels, [dev.data, test?.data]);
      warnDataShape(train.data, [dev.data, test?.data]);
      return {
        name: names[task],
        train: train.examples,
        dev: dev.examples,
        test: test?.examples,
        devCandidates: labels && labelCandidates(loaded, dev.data, labels),
        testCandidates: labels && test && labelCandidates(loaded, test.data, labels),
        labels,
      };
    });
    // as soft train's prompt tuning: dev four times an epoch of the pooled examples, and growing past
    // --epochs while an epoch improves dev unless the length was given
    const pooled = tasks.reduce((sum, task) => sum + task.train.length, 0);
    warnLargeBatch(given.batchSize ?? 8, pooled);
    // Ctrl-C stops a search's trial or the run at a step, checkpointed; given back once training ends
    const stopping = stopOnSignals('training after the step under way and saving it');
    const options = {
      ...given,
      signal: stopping.signal,
      maxEpochs: given.maxEpochs ?? growingEpochs(written),
      evalEvery: given.evalEvery ?? quarterEpoch(pooled, given.batchSize ?? 8),
    };
    /** The multitask prompt a run starts from: the shared prompt from `kind`, the factors random. */
    const start = (kind: InitKind) =>
      initMultitask(
        initSoftPrompt(
          loaded.model,
          loaded.tokenizer,
          virtualTokens,
          kind === 'text' ? { kind, text: initText } : { kind },
          seededRandom(options.seed),
          layout,
        ),
        tasks.length,
        taskRank,
        seededRandom(options.seed + 1),
      );
    const train = tasks.flatMap((task) => task.train);
    const dev = tasks.flatMap((task) => task.dev);
    // log-likelihood accuracy on dev when every task is a label task
    const devCandidates = tasks.every((task) => task.devCandidates)
      ? tasks.flatMap((task) => task.devCandidates!)
      : undefined;
    /**
     * Trains (or resumes) the run from `kind` at `rate` in `directory` (a search's trial `steps` long
     * with --search-steps); what a checkpoint must agree on names both.
     */
    const trainFrom = (
      kind: InitKind,
      rate: number,
      directory: string,
      onProgress: (progress: TrainProgress) => void,
      onResume?: (step: number, totalSteps: number) => void,
      steps?: number,
    ) =>
      trainMultitaskAsync(
        loaded.model,
        start(kind),
        train,
        dev,
        {
          ...trialOptions(options, steps),
          devCandidates,
          optimizer: optimizerAt(optimizer, rate),
          directory,
          onProgress,
          onResume,
        },
        { taskNames: names.join('\n'), start: kind, layout },
      );
    await checkLabelBeforeTraining(
      args,
      folders.map((folder) => softTaskName({ data: folder })),
    );
    // ours from here (a second run into it waits), once nothing refuses the run: the claim makes the
    // folder; looked at again, as a run that held it may have finished it meanwhile
    await claimOutputFolder(args.out);
    checkOutputFolder(args.out);
    // --search: the shared prompt's init and the rate chosen on dev, each candidate trained in full (or
    // --search-steps long)
    let search: Awaited<ReturnType<typeof runSearch>> | undefined;
    if (args.search || trialSteps !== undefined) {
      warnLongTrials(trialSteps, options, pooled);
      search = await runSearch({
        candidates: searchCandidates('multitask-prompt-tuning'),
        key: JSON.stringify({
          model: args.model,
          method: 'train-multitask',
          // the tasks by name (as the checkpoints name them), not by how their paths were spelled
          tasks: names,
          virtualTokens,
          taskRank,
          layout,
          initText,
          train: train.length,
          dev: dev.length,
          trialSteps,
        }),
        directory: args.out,
        trialSteps,
        trainCandidate: (candidate, directory, onProgress, onResume) =>
          trainFrom(
            candidate.init as InitKind,
            candidate.learningRate,
            directory,
            onProgress,
            onResume,
            trialSteps,
          ),
      });
      initKind = search.chosen.init as InitKind;
      learningRate = search.chosen.learningRate;
    }
    // the training's settings, as each task's run and the adapter's record both keep them
    const settings = {
      method: 'multitask-prompt-tuning',
      virtualTokens,
      taskRank,
      layout,
      ...(initKind === 'text' && { initText }),
      lr: learningRate,
      batchSize: options.batchSize,
    };
    // --push records the training as a run of each task while it trains
    const recordings = args.push
      ? await recordRuns(
          args.db,
          folders.map((folder, id) => {
            const task = softTaskName({ data: folder });
            return {
              kind: 'soft-training' as const,
              task,
              datasets: datasetFileIds(task, splitFiles(folder)),
              config: {
                model: args.model,
                data: folder,
                ...settings,
                tasks: names,
                taskId: id,
                init: initKind,
                ...(search && { search: search.trials }),
                ...(search && trialSteps && { searchSteps: trialSteps }),
                epochs: options.steps ? undefined : options.epochs,
                maxEpochs: options.maxEpochs,
                steps: options.steps,
                evalEvery: options.evalEvery,
                seed: options.seed,
                trainExamples: tasks[id].train.length,
                devExamples: tasks[id].dev.length,
              },
            };
          }),
        )
      : [];
    const trainAndPush = async () => {
      const bar = progressBar('training');
      const result = await trainFrom(
        initKind,
        learningRate,
        args.out,
        (progress) => {
          const grown = grownNote(progress.epoch, Number(args.epochs), options.maxEpochs);
          bar.update(progress.step, progress.totalSteps, progressText(progress) + grown);
          const entry = stepEntry(progress);
          for (const recording of recordings) {
            recording.add([entry]);
            recording.progress(progress.step, progress.totalSteps);
          }
        },
        reportResume(args.out, search && !trialSteps ? candidateName(search.chosen) : undefined),
      );
      bar.finish();
      stopping.dispose();
      // the steps trained before this process (a resumed run, or a finished one pushed now) are the runs' too
      const before = result.history.filter((record) => record.step <= result.resumedFrom).map(historyEntry);
      for (const recording of recordings) recording.add(before);
      warnRisingLoss(result.history, learningRate, DEFAULT_LEARNING_RATE);
      const scores = tasks.map((task, id) => {
        const prompt = taskPrompt(result.multitask, id);
        const dev = evaluatePrompt(loaded.model, prompt, task.dev);
        const test =
          task.test && evaluatePrompt(loaded.model, prompt, task.test, { candidates: task.testCandidates });
        return {
          task: task.name,
          id,
          dev: dev.exactMatch,
          test: test?.exactMatch,
          // a label task's test label accuracy: what the version answers served, constrained to its labels
          ...(test?.likelihoodAccuracy !== undefined && { testLabelAccuracy: test.likelihoodAccuracy }),
        };
      });
      const metrics = Object.fromEntries(
        scores.flatMap((score) => [
          [`${score.task}.devExactMatch`, score.dev],
          ...(score.test === undefined ? [] : [[`${score.task}.testExactMatch`, score.test]]),
          ...(score.testLabelAccuracy === undefined
            ? []
            : [[`${score.task}.testLabelAccuracy`, score.testLabelAccuracy]]),
        ]),
      );
      const record = {
        ...baseModelNames(args.model),
        tokenizer: { kind: loaded.tokenizer.kind, sha256: tokenizerFingerprint(loaded.tokenizer) },
        method: 'multitask-prompt-tuning' as const,
        init: initKind,
        tasks: names,
        seed: options.seed,
        metrics: { devExactMatch: result.best?.exactMatch ?? NaN, ...metrics },
        training: {
          ...settings,
          steps: result.steps,
          bestStep: result.best?.step,
          // the shared prompt and every task's factors
          trainableParameters: result.values.length,
          data: folders,
          ...(search && { searchChose: search.chosen }),
          ...(search && trialSteps && { searchSteps: trialSteps }),
        },
      };
      saveMultitaskAdapter(args.out, result.multitask, loaded.model, record);
      // each task a version of its own task: the shared prompt with that task's factors alone
      const pushed: { task: string; version: string; id: string }[] = [];
      if (args.push)
        for (const [id, task] of tasks.entries()) {
          const directory = join(args.out, 'tasks', task.name);
          const score = scores[id];
          const taskMetrics = {
            devExactMatch: score.dev,
            ...(score.test === undefined ? {} : { testExactMatch: score.test }),
            ...(score.testLabelAccuracy === undefined ? {} : { testLabelAccuracy: score.testLabelAccuracy }),
          };
          const training = { ...record.training, task: task.name, taskId: id };
          const alone = transferMultitask(result.multitask, { kind: 'task', task: id }, seededRandom(0));
          saveMultitaskAdapter(directory, alone, loaded.model, {
            ...record,
            tasks: [task.name],
            task: task.name,
            metrics: taskMetrics,
            training,
            nearestTokens: nearestTokensRecord(loaded, taskPrompt(alone, 0)),
          });
          const version = await pushAdapter(
            args,
            { data: folders[id], adapter: directory, labels: task.labels, model: loaded.model },
            taskMetrics,
            {
              ...training,
              seed: options.seed,
            },
          );
          pushed.push({ task: task.name, version: version.name, id: version.id });
        }
      return { result, scores, pushed };
    };
    // each run records why training stopped; a failure to record that must not hide the error
    const { result, scores, pushed } = await trainAndPush().catch(async (error: unknown) => {
      await failRuns(recordings, error);
      throw error;
    });
    for (const [id, recording] of recordings.entries()) {
      const score = scores[id];
      await recording.complete(
        {
          steps: result.steps,
          resumedFrom: result.resumedFrom,
          bestStep: result.best?.step,
          devExactMatch: score.dev,
          ...(score.test === undefined ? {} : { testExactMatch: score.test }),
          ...(score.testLabelAccuracy === undefined ? {} : { testLabelAccuracy: score.testLabelAccuracy }),
          adapter: join(args.out, 'tasks', score.task),
          registered: pushed[id].version,
        },
        pushed[id].id,
      );
      process.stderr.write(`${score.task}: recorded as run ${recording.id}\n`);
    }
    const summary = {
      adapter: args.out,
      steps: result.steps,
      resumedFrom: result.resumedFrom,
      best: result.best,
      tasks: scores,
      ...(args.push && { pushed: pushed.map(({ task, version }) => ({ task, version })) }),
    };
    if (args.json) {
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      return;
    }
    const width = Math.max(4, ...names.map((name) => name.length));
    process.stdout.write(
      `multitask prompt (${virtualTokens} virtual tokens, ${tasks.length} tasks of rank ${taskRank}), best dev ${result.best?.exactMatch.toFixed(3)} at step ${result.best?.step}\n`,
    );
    const labelled = scores.some((score) => score.testLabelAccuracy !== undefined);
    process.stdout.write(
      `${'task'.padEnd(width)}  id  dev exact  test exact${labelled ? '  test label (as served)' : ''}\n`,
    );
    for (const score of scores)
      process.stdout.write(
        `${score.task.padEnd(width)}  ${String(score.id).padStart(2)}  ${score.dev.toFixed(3).padStart(9)}  ${(score.test?.toFixed(3) ?? '-').padStart(10)}${labelled ? `  ${(score.testLabelAccuracy?.toFixed(3) ?? '-').padStart(22)}` : ''}\n`,
      );
    for (const { task, version } of pushed) process.stdout.write(`${task} registered as ${version}\n`);
    process.stderr.write(peftLayoutNote(layout, loaded.tokenizer.bosTokenId));
    process.stdout.write(
      `adapter written to ${args.out}; a task's prompt: soft eval|generate --task <name>; a new task from it: soft train --method multitask-prompt-tuning --source ${args.out}\n`,
    );
  },
});
