// The options `soft train` and `soft train-multitask` share: their flags, and the TrainOptions and
// optimizer settings those flags give, checked the same way for both; and a step as their runs record it.
import type { Tokenizer } from '../engine/index.js';
import { ValidationError } from '../errors/index.js';
import type { RunEntry } from '../registry/index.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  binaryName,
  binaryOrLeftover,
  hasCheckpoint,
  type OptimizerOptions,
  type TrainOptions,
  type TrainProgress,
} from '../soft/index.js';
import { choice, numberOption, refuseIgnored, seedOption } from './options.js';
import { lockOutputFolder, outputLockName, type OutputLock } from './output-lock.js';

/** The fields of the examples. */
export const fieldArgs = {
  'input-field': { type: 'string', default: 'input', description: 'Input field of the examples' },
  'target-field': { type: 'string', default: 'target', description: 'Target field of the examples' },
} as const;

/**
 * The text --init text starts from when --init-text is not given (soft train: the words of --baseline's
 * prompt first): a general instruction, nothing about any one task.
 */
export const DEFAULT_INIT_TEXT = 'Read the text and give the answer. The answer is';

/**
 * Says on stderr when a text start is longer than the prompt: its first `virtualTokens` tokens are what
 * the run starts from (PEFT's text init cuts it alike), and the rest would be lost in silence.
 */
export function warnLongInitText(tokenizer: Tokenizer, text: string, virtualTokens: number): void {
  const ids = tokenizer.encode(text, { addBos: false });
  if (ids.length <= virtualTokens) return;
  const kept = tokenizer.decode(ids.slice(0, virtualTokens));
  process.stderr.write(
    `the init text is ${ids.length} tokens, longer than --virtual-tokens ${virtualTokens}: the run starts from its first ${virtualTokens}, ${JSON.stringify(kept)}, as PEFT's text init does (--virtual-tokens ${ids.length} keeps it whole)\n`,
  );
}

/**
 * Says on stderr when a job's retried attempt finds no --out at all: the last attempt's checkpoint is on
 * a machine this worker cannot see (an --out outside the job's shared folder), so training starts over.
 */
export function warnLostAttempt(out: string): void {
  const attempt = Number(process.env.PROMPTUNE_JOB_ATTEMPT);
  // inside the job's folder, a missing --out is an earlier attempt that never began training
  const outside = relative(process.cwd(), resolve(out)).startsWith('..');
  if (attempt > 1 && outside && !existsSync(out))
    process.stderr.write(
      `attempt ${attempt} of job ${process.env.PROMPTUNE_JOB}: ${out} is not here, so training starts from step 1; a retried job resumes only an --out every worker sees (inside the job's folder)\n`,
    );
}

/** Where a soft prompt goes, and the text --init text starts it from. */
export const promptArgs = {
  'init-text': {
    type: 'string',
    description: `Text for --init text (and --search's text start; default "${DEFAULT_INIT_TEXT}")`,
  },
  layout: {
    type: 'string',
    default: 'bos-first',
    description: 'bos-first ([BOS][prompt][input]) or peft ([prompt][BOS][input])',
  },
} as const;

/** The flags of a training run (the method's own flags and --lr are each command's). */
export const trainingArgs = {
  optimizer: { type: 'string', default: 'adamw', description: 'adamw or adam' },
  'weight-decay': { type: 'string', default: '0', description: 'Weight decay' },
  schedule: { type: 'string', default: 'constant', description: 'constant or cosine' },
  warmup: { type: 'string', default: '0', description: 'Warmup steps' },
  clip: { type: 'string', description: 'Clip the gradient norm to this' },
  epochs: { type: 'string', default: '6', description: 'Epochs' },
  'max-epochs': {
    type: 'string',
    description:
      'Past --epochs, train one more epoch at a time while the last one improved dev, up to this many (12 for prompt tuning and train-multitask when no --epochs or --steps is given)',
  },
  steps: { type: 'string', description: 'Stop after this many steps instead' },
  'batch-size': { type: 'string', default: '8', description: 'Examples per step' },
  'eval-every': {
    type: 'string',
    description: 'Steps between dev evaluations (default: four times an epoch)',
  },
  patience: { type: 'string', description: 'Stop after this many evaluations without improvement' },
  seed: { type: 'string', default: '0', description: 'Random seed (init and shuffling)' },
} as const;

/**
 * The steps between dev evaluations when --eval-every is not given (soft train, train-multitask): a
 * quarter of an epoch, so the best kept is chosen among four points an epoch (over three seeds on the
 * shared `name` task it raised test accuracy from 0.966 to 0.972 on average, at one more second of
 * scoring per evaluation).
 */
export function quarterEpoch(examples: number, batchSize: number): number {
  return Math.max(1, Math.floor(Math.ceil(examples / batchSize) / 4));
}

/**
 * How long a prompt run may grow when the command line does not say: soft train's prompt tuning and
 * train-multitask, slow to converge, train past their 6 epochs while an epoch improves dev, up to 12
 * (prompt tuning over three seeds on the shared tasks' test splits: the mean from 0.948 to 0.961, gender
 * with seed 2 from 0.863 to 0.984); a run given --epochs or --steps trains as long as it is told.
 */
export function growingEpochs(written: ReadonlySet<string>): number | undefined {
  return written.has('epochs') || written.has('steps') ? undefined : 12;
}

/** What a grown run's progress line adds: the epoch it reached past --epochs, and how far it may go. */
export function grownNote(epoch: number, epochs: number, maxEpochs: number | undefined): string {
  return maxEpochs && epoch > epochs
    ? ` (epoch ${epoch}: grown past ${epochs} while dev improved, up to ${maxEpochs})`
    : '';
}

/**
 * What a run says as it continues the checkpoint in --out (on stderr): a rerun's, or after a search, the
 * chosen trial's (`searched` names it), which the search trained to its end.
 */
export function reportResume(out: string, searched?: string): (step: number, totalSteps: number) => void {
  return (step, totalSteps) =>
    process.stderr.write(
      searched && step >= totalSteps
        ? `the search's best trial (${searched}) is the run, trained to its end (step ${step}): scoring it\n`
        : step >= totalSteps
          ? `${out} already holds this run to its end (step ${step}): scoring it again\n`
          : `continuing the run in ${out} from its checkpoint at step ${step} of ${totalSteps}\n`,
    );
}

/** The values of trainingArgs as citty gives them. */
export interface TrainingArgs {
  optimizer: string;
  'weight-decay': string;
  schedule: string;
  warmup: string;
  clip?: string;
  epochs: string;
  'max-epochs'?: string;
  steps?: string;
  'batch-size': string;
  'eval-every'?: string;
  patience?: string;
  seed: string;
}

/**
 * Refuses options a training run would ignore: --label, --admin, --db (unless --like reads it) or
 * --parent without --push, --epochs beside --steps, and the same field as input and target.
 */
export function checkRunOptions(
  args: { push?: boolean; like?: string; 'input-field': string; 'target-field': string },
  written: ReadonlySet<string>,
): void {
  if (!args.push)
    refuseIgnored(
      written,
      ['label', 'admin', ...(args.like === undefined ? ['db'] : []), 'parent'],
      'it says how --push registers the adapter',
      (option) => `Add --push, or drop --${option}.`,
    );
  if (written.has('steps'))
    refuseIgnored(
      written,
      ['epochs'],
      "--steps sets the run's length",
      () => 'Give --steps or --epochs, not both.',
    );
  if (args['input-field'] === args['target-field'])
    throw new ValidationError(`--input-field and --target-field both name "${args['input-field']}"`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'The target is what the model learns to write after the input: name two different fields.',
    });
}

/**
 * Refuses an --out folder that holds something other than a run to resume (an adapter, a model, another
 * run whose checkpoint was deleted): training into it would mix its files with the new run's. What a run
 * leaves before its first checkpoint (its metrics, its search's trials, a checkpoint's parts) is not.
 */
export function checkOutputFolder(out: string): void {
  if (!existsSync(out) || !statSync(out).isDirectory() || hasCheckpoint(out)) return;
  const others = readdirSync(out).filter(
    (name) =>
      name !== 'metrics.jsonl' &&
      name !== 'search' &&
      // a --like version's adapter, the start of a multitask transfer (like-version.ts)
      !/^like-[0-9a-f]{12}$/.test(name) &&
      !binaryOrLeftover.test(name) &&
      !name.endsWith('.tmp') &&
      !name.startsWith(outputLockName),
  );
  // a finished run whose checkpoint was deleted: its adapter is registered as it is, not trained again
  const finished = others.includes('adapter_config.json');
  if (others.length)
    throw new ValidationError(
      `--out ${out} holds ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''} and no run to resume`,
      {
        code: 'OUTPUT_NOT_EMPTY',
        hint: finished
          ? `It holds a finished adapter: register it with promptune registry push --adapter ${out} --task <spec>, or choose a new --out folder to train again.`
          : "Choose a new --out folder, or delete this one: training into it would mix its files with the new run's.",
      },
    );
}

/**
 * Claims a training's --out folder for this process (released when it exits), waiting, with a line on
 * stderr, while another run trains into it: a job submitted twice, or the command run in two terminals.
 */
export function claimOutputFolder(out: string): Promise<OutputLock> {
  return lockOutputFolder(out, {
    onWait: (holder, folder) =>
      process.stderr.write(
        `waiting: another run (pid ${holder.pid} on ${holder.host}, since ${new Date(holder.since).toISOString()}) trains into ${folder}; this one goes on when it ends (Ctrl-C to stop waiting)\n`,
      ),
  });
}

/** --max-epochs, which needs whole epochs to grow and at least --epochs of them. */
function maxEpochs(args: TrainingArgs): number | undefined {
  const epochs = numberOption('epochs', args.epochs, { integer: true, min: 1 });
  const most = numberOption('max-epochs', args['max-epochs'], { integer: true, min: epochs ?? 1 });
  if (most !== undefined && args.steps !== undefined)
    throw new ValidationError('--max-epochs grows a run by epochs; --steps fixes its length', {
      code: 'CLI_INVALID_OPTION',
      hint: 'Drop --steps (or --max-epochs).',
    });
  return most;
}

/**
 * The optimizer's settings at `learningRate`, in the order a search's trials write them too: a
 * checkpoint's settings compare as text.
 */
export function optimizerAt(
  optimizer: Omit<OptimizerOptions, 'learningRate'>,
  learningRate: number,
): OptimizerOptions {
  return { kind: optimizer.kind, learningRate, weightDecay: optimizer.weightDecay };
}

/** The progress bar's words for a training step: loss, the latest dev score, speed. */
export function progressText(progress: TrainProgress): string {
  const dev = progress.dev ? ` dev ${progress.dev.exactMatch.toFixed(3)}` : '';
  return `loss ${progress.loss.toFixed(3)}${dev} ${Math.round(progress.tokensPerSecond)} tok/s`;
}

/** A training step as a recorded run's entry: its loss and rate, and dev's scores when it evaluated. */
export function stepEntry(progress: TrainProgress): RunEntry {
  const evaluation = progress.evaluated ? progress.dev : undefined;
  return historyEntry({
    step: progress.step,
    epoch: progress.epoch,
    loss: progress.loss,
    learningRate: progress.learningRate,
    ...(evaluation && { devExactMatch: evaluation.exactMatch, devLoss: evaluation.loss }),
  });
}

/**
 * A step as the run records it, from the checkpoint's history (one a resumed or finished run trained
 * before this process) or, through stepEntry, from a step trained now.
 */
export function historyEntry(record: Record<string, number>): RunEntry {
  const evaluated = record.devExactMatch !== undefined;
  return {
    kind: 'step',
    position: record.step - 1,
    score: evaluated ? record.devExactMatch : null,
    passed: null,
    data: {
      step: record.step,
      epoch: record.epoch,
      loss: record.loss,
      learningRate: record.learningRate,
      ...(evaluated && { devAccuracy: record.devExactMatch, devLoss: record.devLoss }),
    },
  };
}

/** What the flags say: the run's options (without dev candidates, progress or folder) and the optimizer's kind and decay. */
export function trainingOptions(args: TrainingArgs): {
  options: TrainOptions & { seed: number };
  optimizer: Omit<OptimizerOptions, 'learningRate'>;
} {
  return {
    options: {
      epochs: numberOption('epochs', args.epochs, { integer: true, min: 1 }),
      maxEpochs: maxEpochs(args),
      steps: numberOption('steps', args.steps, { integer: true, min: 1 }),
      batchSize: numberOption('batch-size', args['batch-size'], { integer: true, min: 1 }),
      schedule: {
        kind: choice('schedule', args.schedule, ['constant', 'cosine'] as const),
        warmupSteps: numberOption('warmup', args.warmup, { integer: true, min: 0 }),
      },
      clipNorm: numberOption('clip', args.clip, { above: 0 }),
      evalEvery: numberOption('eval-every', args['eval-every'], { integer: true, min: 1 }),
      patience: numberOption('patience', args.patience, { integer: true, min: 1 }),
      seed: seedOption(args.seed)!,
    },
    optimizer: {
      kind: choice('optimizer', args.optimizer, ['adamw', 'adam'] as const),
      weightDecay: numberOption('weight-decay', args['weight-decay'], { min: 0 }),
    },
  };
}

/**
 * Says so when --batch-size is more than the training examples: the run is legal, but each step takes
 * them all (one step an epoch), which a user who meant a smaller batch would want to know before it trains.
 */
export function warnLargeBatch(batchSize: number, examples: number): void {
  if (batchSize > examples)
    process.stderr.write(
      `--batch-size ${batchSize} is more than the ${examples} training examples: each step trains on all ${examples}, one step an epoch\n`,
    );
}

/**
 * Says when --warmup was as long as the run or longer: the learning rate only rose, to `steps / warmup`
 * of --lr at the last step, and a cosine schedule never began to fall (it had been accepted in silence).
 */
export function warnLongWarmup(warmup: number | undefined, steps: number): void {
  if (!warmup || warmup < steps) return;
  process.stderr.write(
    `warning: --warmup ${warmup} is not shorter than the run's ${steps} steps: the learning rate only rose, to ${Math.round((100 * steps) / warmup)}% of --lr at the last step. Use a warmup of a small part of the run (often 5-10%).\n`,
  );
}

/**
 * Warns when training made the loss worse: the mean training loss of the run's last quarter of steps is
 * more than 1.5 times its first step's (a learning rate far too high saturates the model: loss stuck high,
 * gradients vanishing, and a prompt of huge values that still "succeeds" with test 0.000). Not for a run
 * of fewer than 4 steps, where one batch's loss is noise.
 */
export function warnRisingLoss(
  history: Record<string, number>[],
  learningRate: number,
  defaultLearningRate: number,
): void {
  const losses = history.map((record) => record.loss).filter((loss) => Number.isFinite(loss));
  if (losses.length < 4) return;
  const last = losses.slice(-Math.ceil(losses.length / 4));
  const first = losses[0];
  const end = last.reduce((sum, loss) => sum + loss, 0) / last.length;
  if (end <= 1.5 * first) return;
  const rate =
    learningRate > defaultLearningRate
      ? `the learning rate ${learningRate} (the method's default is ${defaultLearningRate}) is likely too high`
      : 'see metrics.jsonl for where it rose';
  process.stderr.write(
    `warning: the training loss rose from ${first.toFixed(3)} at the first step to ${end.toFixed(3)} over the last ${last.length} step${last.length === 1 ? '' : 's'}: training made the model worse; ${rate}\n`,
  );
}

// a finished run's checkpoints smaller than this are not worth a line (a soft prompt's are kilobytes)
const NOTABLE_CHECKPOINT_BYTES = 10 * 2 ** 20;

/**
 * The bytes of the checkpoint files a finished run leaves in `out` (its own, and its search trials' in
 * `out/search/`): they let the same command continue or score the run again, and a full fine-tuning's
 * is six times its model.
 */
export function checkpointBytes(out: string): number {
  let total = 0;
  const visit = (folder: string, depth: number) => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory() && depth < 2) visit(path, depth + 1);
      else if (entry.isFile() && binaryName.test(entry.name)) total += statSync(path).size;
    }
  };
  visit(out, 0);
  return total;
}

/** A line on a finished run's checkpoints when they are large enough to matter, else nothing. */
export function checkpointNote(out: string, written: 'model' | 'adapter'): string {
  const bytes = checkpointBytes(out);
  if (bytes < NOTABLE_CHECKPOINT_BYTES) return '';
  return `${out} keeps ${(bytes / 2 ** 20).toFixed(0)} MB of checkpoints (checkpoint-*.bin${existsSync(join(out, 'search')) ? ', and its search trials in search/' : ''}): the same command continues the run, scores it again or pushes it from them; once it is final (and pushed), they can be deleted: soft eval and generate read the ${written} beside them\n`;
}

/**
 * A line on a soft prompt saved in the bos-first layout for a model with a BOS token: PEFT loads the
 * adapter but always puts the prompt before BOS, so its outputs differ from promptune's; else nothing.
 * A prompt transferred from a `source` has the source's layout: the source is what to train again.
 */
export function peftLayoutNote(layout: unknown, bosTokenId: number | undefined, source?: string): string {
  if (layout !== 'bos-first' || bosTokenId === undefined) return '';
  const fix = source
    ? `its layout is its --source's (${source}): train that with soft train-multitask --layout peft`
    : 'train with --layout peft';
  return `layout bos-first ([BOS][prompt][input]): PEFT loads this adapter but puts the prompt before BOS, so its outputs differ from these; ${fix} for an adapter PEFT runs exactly as promptune does\n`;
}
