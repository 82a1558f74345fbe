// `promptune soft train|train-multitask|eval|generate`: soft prompt tuning (and the other methods) on a
// local model, PEFT-compatible adapters; train's options are in ../soft-train-args.ts, eval and generate
// in soft-use.ts, train-multitask in soft-multitask.ts.
import { defineCommand, parseArgs } from 'citty';
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkModelWritable, loadModel } from '../../engine/index.js';
import { taskConstraint } from '../../guard/index.js';
import { PromptuneError, ValidationError } from '../../errors/index.js';
import { hasCheckpoint, recordedFingerprints } from '../../soft/index.js';
import { datasetFileIds } from '../../registry/index.js';
import { loadTask } from '../../tasks/index.js';
import { checkBaselineData, scoreBaseline, warnBelowBaseline } from '../soft-baseline.js';
import { checkPushedGuards } from '../pushed-guards.js';
import { numberOption } from '../options.js';
import { downloadProgress, progressBar } from '../progress.js';
import { recordRun } from '../run-recorder.js';
import { stopOnSignals } from '../stop-signals.js';
import {
  checkTaskFolder,
  labelCandidates,
  labelSet,
  readSoftData,
  warnDataShape,
  warnUnseenLabels,
} from '../soft-data.js';
import {
  candidateName,
  searchesByDefault,
  searchFlag,
  searchStart,
  warnLongTrials,
} from '../method-search.js';
import {
  checkLabelBeforeTraining,
  checkParentBeforeTraining,
  pushAdapter,
  softTaskName,
} from '../soft-push.js';
import {
  checkpointIdentity,
  defaultInit,
  methodRecord,
  planMethod,
  trainedParameterCount,
} from '../soft-methods.js';
import { hardPromptText, promptWords } from '../hard-prompt-text.js';
import {
  optimizerAt,
  progressText,
  quarterEpoch,
  growingEpochs,
  grownNote,
  warnLongInitText,
  warnLostAttempt,
  reportResume,
  stepEntry,
  historyEntry,
  checkOutputFolder,
  claimOutputFolder,
  DEFAULT_INIT_TEXT,
  warnLargeBatch,
  warnLongWarmup,
  warnRisingLoss,
  checkpointNote,
  peftLayoutNote,
} from '../soft-training.js';
import trainMultitask from './soft-multitask.js';
import { evaluateCommand, generateCommand } from './soft-use.js';
import { expandLike } from '../like-version.js';
import { checkTrainOptions, trainArgs } from '../soft-train-args.js';
import { readArtifact } from '../../optimize/index.js';
import { splitFiles, taskSplit } from '../data-folder.js';

const train = defineCommand({
  meta: {
    name: 'train',
    description:
      'Tune a frozen local model for a task: a soft prompt (default), a prefix, P-tuning, LoRA, or full fine-tuning (--method)',
  },
  args: trainArgs,
  async run({ args: parsed, rawArgs: raw }) {
    // --like: a version's method and shape, as if written on the command line (which wins)
    const like = parsed.like ? await expandLike(raw, { ...parsed, like: parsed.like }) : undefined;
    const rawArgs = like?.rawArgs ?? raw;
    const given = parsed.like
      ? { ...parseArgs<typeof trainArgs>(rawArgs, trainArgs), like: parsed.like }
      : parsed;
    const { training, trialSteps, written } = checkTrainOptions(given, rawArgs);
    // the words a text start takes: --init-from's hard prompt, --init-text, --baseline's prompt, or a
    // general instruction
    const artifact = given['init-from'] ? readArtifact(given['init-from']) : undefined;
    const baselineTask = given.baseline ? loadTask(given.baseline) : undefined;
    const initText = artifact
      ? hardPromptText(artifact.task, artifact.prompt)
      : (given['init-text'] ??
        ((baselineTask && promptWords(baselineTask.spec.prompt)) || DEFAULT_INIT_TEXT));
    const requested = { ...given, ...(artifact && { init: 'text' }), 'init-text': initText };
    const fields = { input: requested['input-field'], target: requested['target-field'] };
    const paths = Object.fromEntries(
      ['train', 'dev', 'test'].map((split) => [split, taskSplit(requested.data, split)]),
    );
    checkTaskFolder(requested.data, ['train', 'dev']);
    const { options: common, optimizer } = training;
    checkOutputFolder(requested.out);
    const { seed } = common;
    const loaded = await loadModel(requested.model, { hub: { onProgress: downloadProgress() } });
    // --like's version was trained on other weights: its shape applies (its widths are checked against
    // this model), but it is no longer the same adapter made again
    if (like?.trainedOn && !recordedFingerprints(loaded.model).includes(like.trainedOn.sha256))
      process.stderr.write(
        `warning: --like ${like.version} was trained on ${like.trainedOn.name}, whose weights differ from ${requested.model}'s: its method and shape are copied onto this model\n`,
      );
    // the labels first, from the training targets (the method and the start depend on them); the
    // examples are read again once the method says how many positions a prompt takes
    const trainTargets = readSoftData(paths.train, loaded, fields, 0).targets;
    if (baselineTask) checkBaselineData(baselineTask, trainTargets, requested.push);
    // a spec pushed with the adapter is checked before training, not refused after it
    if (baselineTask && requested.push)
      await checkPushedGuards(baselineTask.spec, dirname(baselineTask.path!), requested.label);
    const labels = labelSet(trainTargets);
    const args = { ...requested, init: defaultInit(requested, written, labels) };
    let plan = planMethod(args, loaded, labels, seed, written);
    const { virtualTokens } = plan;
    const trainData = readSoftData(paths.train, loaded, fields, virtualTokens);
    const devData = readSoftData(paths.dev, loaded, fields, virtualTokens);
    warnLargeBatch(common.batchSize ?? 8, trainData.examples.length);
    // read before training: a damaged test split is refused before the hours, not after
    const testData = existsSync(paths.test)
      ? readSoftData(paths.test, loaded, fields, virtualTokens)
      : undefined;
    warnUnseenLabels(labels, [devData, testData]);
    warnDataShape(trainData, [devData, testData]);
    // a whole model is written as its source was: known now
    if (plan.method === 'full-fine-tuning') checkModelWritable(loaded.info, args.out);
    await checkLabelBeforeTraining(args, [softTaskName(args)]);
    await checkParentBeforeTraining(args, softTaskName(args));
    let learningRate = numberOption('lr', args.lr, { above: 0 }) ?? plan.defaultLearningRate;
    const maxEpochs =
      common.maxEpochs ?? (plan.method === 'prompt-tuning' ? growingEpochs(written) : undefined);
    // the hand-written prompt first: a spec that cannot be scored is refused before any training, and
    // Ctrl-C while it is scored stops at once
    const baseline =
      baselineTask && existsSync(paths.test)
        ? await scoreBaseline(baselineTask, paths.test, args.model)
        : undefined;
    // Ctrl-C stops a search's trial or the run at a step, checkpointed; given back once training ends
    const stopping = stopOnSignals('training after the step under way and saving it');
    // what every run of this command shares, a search's trials included (they must resume alike)
    const trainOptions = {
      ...common,
      signal: stopping.signal,
      maxEpochs,
      evalEvery: common.evalEvery ?? quarterEpoch(trainData.examples.length, common.batchSize ?? 8),
      devCandidates: labels ? labelCandidates(loaded, devData, labels) : undefined,
    };
    let search: Awaited<ReturnType<typeof searchStart>> | undefined;
    warnLostAttempt(args.out);
    // ours from here (a second run into it waits), once nothing refuses the run: the claim makes the
    // folder; looked at again, as a run that held it may have finished it meanwhile
    await claimOutputFolder(args.out);
    checkOutputFolder(args.out);
    // small data: the start and rate chosen on dev unless the command line chose them, or a run that did
    // not search is there to resume
    const resumable = hasCheckpoint(args.out) && !existsSync(join(args.out, 'search'));
    const searching =
      args.search ||
      trialSteps !== undefined ||
      (searchesByDefault(plan.method, trainData.examples.length, written) && !resumable);
    if (searching && !args.search && trialSteps === undefined)
      process.stderr.write(
        `small data (${trainData.examples.length} training examples): choosing the init and learning rate on dev first (--no-search to skip)\n`,
      );
    // before any trial: a search tries the text start too, and the run may start from it
    const textStart = plan.method === 'prompt-tuning' || plan.method === 'prefix-tuning';
    if (textStart && (searching || plan.config.init === 'text'))
      warnLongInitText(loaded.tokenizer, args['init-text'], plan.virtualTokens);
    if (searching) {
      warnLongTrials(trialSteps, common, trainData.examples.length);
      search = await searchStart({
        args,
        loaded,
        labels,
        seed,
        train: trainData.examples,
        dev: devData.examples,
        options: trainOptions,
        optimizer,
        directory: args.out,
        trialSteps,
      });
      const { chosen } = search;
      plan = planMethod({ ...args, init: chosen.init ?? args.init }, loaded, labels, seed, written);
      learningRate = chosen.learningRate;
    }

    // --push records the training as a run while it trains: config, loss and dev accuracy per step
    const taskName = args.push ? softTaskName(args) : undefined;
    const recording = taskName
      ? await recordRun(args.db, {
          kind: 'soft-training',
          task: taskName,
          datasets: datasetFileIds(taskName, splitFiles(args.data)),
          config: {
            model: args.model,
            data: args.data,
            ...methodRecord(plan, args),
            lr: learningRate,
            ...(search && { search: search.trials }),
            ...(search && trialSteps && { searchSteps: trialSteps }),
            ...(args['init-from'] && { initFrom: args['init-from'] }),
            batchSize: Number(args['batch-size']),
            epochs: args.steps ? undefined : Number(args.epochs),
            maxEpochs,
            evalEvery: trainOptions.evalEvery,
            steps: args.steps ? Number(args.steps) : undefined,
            seed,
            trainExamples: trainData.examples.length,
            devExamples: devData.examples.length,
          },
        })
      : undefined;
    let recorded = false;
    try {
      const bar = progressBar('training');
      const result = await plan.train(trainData.examples, devData.examples, {
        ...trainOptions,
        optimizer: optimizerAt(optimizer, learningRate),
        run: checkpointIdentity(plan, args),
        directory: args.out,
        // the chosen trial is the run unless the trials were shorter (--search-steps)
        onResume: reportResume(args.out, search && !trialSteps ? candidateName(search.chosen) : undefined),
        onProgress: (progress) => {
          // a run that grew past its epochs says so: the bar's total moved back
          const grown = grownNote(progress.epoch, Number(args.epochs), maxEpochs);
          bar.update(progress.step, progress.totalSteps, progressText(progress) + grown);
          recording?.add([stepEntry(progress)]);
          recording?.progress(progress.step, progress.totalSteps);
        },
      });
      bar.finish();
      stopping.dispose();
      // the steps trained before this process (a resumed run, or a finished one pushed now) are the run's too
      recording?.add(result.history.filter((record) => record.step <= result.resumedFrom).map(historyEntry));
      warnRisingLoss(result.history, learningRate, plan.defaultLearningRate);
      warnLongWarmup(common.schedule?.warmupSteps, result.steps);
      // a label task is served constrained to its labels: its test label accuracy is what it answers
      const test = testData
        ? result.evaluate(testData.examples, labels && labelCandidates(loaded, testData, labels))
        : undefined;
      const metrics: Record<string, number> = {
        devExactMatch: result.best?.exactMatch ?? NaN,
        devLoss: result.best?.loss ?? NaN,
        ...(test ? { testExactMatch: test.exactMatch, testLoss: test.loss } : {}),
        ...(test?.likelihoodAccuracy !== undefined && { testLabelAccuracy: test.likelihoodAccuracy }),
      };
      const training = {
        // the method's settings, and the words a text init started from
        ...methodRecord(plan, args),
        steps: result.steps,
        bestStep: result.best?.step,
        lr: learningRate,
        trainableParameters: trainedParameterCount(plan, loaded.model, result.values),
        ...(search && { searchChose: search.chosen }),
        ...(search && trialSteps && { searchSteps: trialSteps }),
        ...(args['init-from'] && { initFrom: args['init-from'] }),
      };
      await result.save(args.out, {
        // the spec's task with --baseline (as --push registers it), else the data folder's name as written
        task: args.baseline ? softTaskName(args) : basename(resolve(args.data)),
        seed,
        metrics,
        training: { ...training, batchSize: Number(args['batch-size']) },
      });
      const pushed = args.push
        ? await pushAdapter(
            args,
            { data: args.data, adapter: args.out, labels, model: loaded.model },
            metrics,
            {
              ...training,
              seed,
            },
          )
        : undefined;
      const summary = {
        pushed: pushed?.name,
        adapter: args.out,
        steps: result.steps,
        resumedFrom: result.resumedFrom,
        best: result.best,
        test: test && {
          exactMatch: test.exactMatch,
          ...(test.likelihoodAccuracy !== undefined && { labelAccuracy: test.likelihoodAccuracy }),
          loss: test.loss,
          n: test.n,
        },
        baseline,
      };
      warnBelowBaseline(plan.describe, test?.exactMatch, baseline, pushed?.name);
      // label accuracy is measured among the labels: what a spec that constrains decoding serves
      const servedUnconstrained = Boolean(
        pushed ? pushed.unconstrained : baselineTask && !taskConstraint(baselineTask.spec),
      );
      if (args.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      else {
        if (baseline !== undefined)
          process.stdout.write(
            `before: hand-written prompt (${args.baseline}) test exact match ${baseline.toFixed(3)}\n`,
          );
        process.stdout.write(
          `after: ${plan.describe} ${test ? `test exact match ${test.exactMatch.toFixed(3)}, ${test.likelihoodAccuracy === undefined ? '' : `label accuracy ${test.likelihoodAccuracy.toFixed(3)} (${servedUnconstrained ? 'constrained to its labels; its spec serves it unconstrained' : 'served constrained to its labels'}), `}` : ''}dev ${result.best?.exactMatch.toFixed(3)} at step ${result.best?.step}\n`,
        );
        process.stdout.write(
          `${plan.method === 'full-fine-tuning' ? 'fine-tuned model' : 'adapter'} written to ${args.out}${pushed ? `, ${pushed.created ? 'registered' : 'already registered (the same adapter and data)'} as ${pushed.name}${args.label ? `, labelled ${args.label}` : ''}` : ''}\n`,
        );
        process.stderr.write(
          checkpointNote(args.out, plan.method === 'full-fine-tuning' ? 'model' : 'adapter'),
        );
        process.stderr.write(
          peftLayoutNote(
            plan.config.layout,
            loaded.tokenizer.bosTokenId,
            plan.method === 'multitask-prompt-tuning' ? args.source : undefined,
          ),
        );
      }
      if (recording) {
        recorded = true; // from here on the run is the training's (a failure to finish recording is not)
        await recording.complete(
          {
            steps: result.steps,
            resumedFrom: result.resumedFrom,
            bestStep: result.best?.step,
            ...metrics,
            ...(baseline !== undefined && { baselineTestExactMatch: baseline }),
            ...(metrics.testLabelAccuracy !== undefined && servedUnconstrained && { servedUnconstrained }),
            adapter: args.out,
            registered: pushed?.name,
          },
          pushed?.id,
        );
        process.stderr.write(`recorded as run ${recording.id}\n`);
      }
    } catch (caught) {
      // a folder whose run a search chose, continued without --search, differs in what the search chose
      const error =
        !search &&
        PromptuneError.isInstance(caught) &&
        caught.code === 'TRAIN_CHECKPOINT_MISMATCH' &&
        existsSync(join(args.out, 'search'))
          ? new ValidationError(caught.message, {
              code: caught.code,
              hint: `${args.out}'s run was chosen by a search: add ${searchFlag(args.out)} to continue or rescore it (its trials are kept), or choose another --out folder.`,
            })
          : caught;
      // the run records why training stopped; a failure to record that must not hide the error
      if (recording && !recorded) await recording.fail(error).catch(() => undefined);
      throw error;
    }
  },
});

export default defineCommand({
  meta: { name: 'soft', description: 'Soft prompt tuning' },
  subCommands: {
    train,
    'train-multitask': trainMultitask,
    eval: evaluateCommand,
    generate: generateCommand,
  },
});
