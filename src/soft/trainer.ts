// Trains a soft prompt (or any Trainable: a LoRA adapter, see lora-training.ts) on a frozen model: shuffled
// right-padded batches, loss on target tokens only,
// Adam/AdamW with a schedule and clipping, evaluation on dev every k steps with early stopping and the
// best prompt kept, a checkpoint after every evaluation so a killed run resumes where it stopped (fewer
// when writing them would cost more than a twentieth of the run: a 135M model's is 3.2 GB), and
// metrics appended as JSONL. Every run is reproducible from its seed (epoch e shuffles with seed + e).
// A checkpoint is read through a schema and checked against the run before anything is written; a run
// whose prompt stops being finite stops with TRAIN_DIVERGED and leaves its last checkpoint as it was.
import { checkTrainOptions } from './train-options-check.js';
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  inputGradients,
  seededRandom,
  writeFileAtomically,
  type Kernels,
  type LlamaModel,
  makeDirectory,
} from '../engine/index.js';
import { InterruptedError, ValidationError, withEnvironmentErrors } from '../errors/index.js';
import { writeCheckpoint } from './checkpoint-write.js';
import { hasCheckpoint, readCheckpoint } from './checkpoint.js';
import { evaluatePrompt, type PromptEvaluation } from './evaluate-prompt.js';
import {
  adamStep,
  clipGradient,
  learningRateAt,
  optimizerState,
  validateOptimizer,
  type OptimizerOptions,
  type OptimizerState,
  type Schedule,
} from './optimizer.js';
import { buildBatch, promptGradient, type TokenizedExample } from './sequences.js';
import type { SoftPrompt } from './soft-prompt.js';

/** What the trainer steps: one vector of parameters, a batch's loss and gradient, and scores on dev. */
export interface Trainable {
  /** The parameters, stepped in place. */
  values: Float32Array;
  /** What a checkpoint of this run must also agree on (sizes, a LoRA adapter's scale and targets), beside the options. */
  shape: Record<string, number | string>;
  /** Values per row when a bad value in a checkpoint is named (the hidden size for vectors). */
  rowSize: number;
  /** Where weight decay applies (1) and where not (0: norms and biases, as transformers' Trainer); default everywhere. */
  decays?: Uint8Array;
  /** Where the optimizer's step runs (full fine-tuning: every weight of the model); default the JS kernels. */
  kernels?: Kernels;
  /** A batch's loss and gradient; `draw` is what a step's random choices (LoRA's dropout) come from. */
  lossAndGradient(
    rows: TokenizedExample[],
    draw?: StepDraw,
  ): { loss: number; gradient: Float32Array; tokens: number };
  evaluate(examples: TokenizedExample[], candidates?: TokenizedExample[][]): PromptEvaluation;
}

/** The run's seed and the step being taken (1-based): a rerun or a resumed run draws alike. */
export interface StepDraw {
  seed: number;
  step: number;
}

/** A soft prompt as a Trainable: its vectors, their gradient summed over each row's prompt positions. */
export function promptTrainable(model: LlamaModel, prompt: SoftPrompt): Trainable {
  return {
    values: prompt.values,
    shape: { n: prompt.virtualTokens },
    rowSize: prompt.hiddenSize,
    lossAndGradient(rows) {
      const batch = buildBatch(model, prompt, rows);
      const { loss, dembeddings } = inputGradients(model, batch);
      const tokens = batch.lengths.reduce((sum, length) => sum + length, 0);
      return { loss, gradient: promptGradient(prompt, batch, dembeddings), tokens };
    },
    evaluate: (examples, candidates) => evaluatePrompt(model, prompt, examples, { candidates }),
  };
}

/** Training settings. */
export interface TrainOptions {
  epochs?: number; // default 6 (or derived from steps)
  /**
   * Past `epochs`, train one more epoch at a time while the last one found a better dev score, up to
   * this many epochs (default `epochs`: no extension). Ignored with `steps`.
   */
  maxEpochs?: number;
  steps?: number; // stop after this many steps instead of whole epochs
  batchSize?: number; // default 8
  optimizer?: OptimizerOptions; // default AdamW, lr 0.3, no weight decay (PEFT's reference setup)
  schedule?: Schedule; // default constant
  clipNorm?: number; // default none
  evalEvery?: number; // steps between dev evaluations; default once per epoch
  patience?: number; // stop after this many evaluations without improvement; default never
  seed?: number; // default 0
  /** Folder for checkpoint.json and metrics.jsonl; resumes from its checkpoint when present. */
  directory?: string;
  /**
   * The largest share of the run's time that writing checkpoints may take (default 0.05; 1 writes at
   * every evaluation). Past it, an evaluation's checkpoint is skipped until the share is back under it;
   * the first second of writing and the run's last checkpoint are never skipped. A killed run then
   * redoes the steps since the last one written, identically.
   */
  checkpointShare?: number;
  /** The clock, in milliseconds (default `performance.now`): the rate and the checkpoints' share read it. */
  now?: () => number;
  /** Candidate labels per dev example, for log-likelihood accuracy. */
  devCandidates?: TokenizedExample[][];
  onProgress?: (progress: TrainProgress) => void;
  /** Called once when the run continues a checkpoint: the step it holds, and the run's steps so far. */
  onResume?: (step: number, totalSteps: number) => void;
  /**
   * What else a checkpoint must agree on to be resumed (the method's settings, how it started): a
   * rerun with another layout or init text then refuses instead of mixing two runs.
   */
  run?: Record<string, unknown>;
  /**
   * Stops the run before its next step once aborted: the step reached is checkpointed (with a
   * `directory`), so a rerun continues from it, and the run throws InterruptedError (TRAIN_INTERRUPTED).
   * The async trainers see an abort between steps; a synchronous run only one made before it started.
   */
  signal?: AbortSignal;
}

/** What the progress bar shows. */
export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  learningRate: number;
  /** Training tokens a second over the steps themselves (dev evaluations and checkpoints left out). */
  tokensPerSecond: number;
  /** This step's own seconds (its forward, backward and update; no evaluation or checkpoint). */
  stepSeconds: number;
  elapsedSeconds: number;
  /** The latest dev evaluation (of this step when `evaluated`, else of an earlier one). */
  dev?: PromptEvaluation;
  /** Whether dev was evaluated at this step. */
  evaluated: boolean;
  best?: { step: number; exactMatch: number; loss: number };
}

/** The result: the best prompt on dev (the last one without dev data) and the history. */
export interface TrainResult extends TrainedValues {
  prompt: SoftPrompt;
}

/** What training any Trainable gives: the best values on dev (the last without dev data) and the history. */
export interface TrainedValues {
  values: Float32Array;
  best: { step: number; exactMatch: number; loss: number } | undefined;
  history: Record<string, number>[];
  steps: number;
  resumedFrom: number;
}

/** A short digest of the examples' tokens (and tasks), in order. */
function examplesDigest(splits: TokenizedExample[][]): string {
  const hash = createHash('sha256');
  for (const examples of splits) {
    for (const example of examples)
      hash.update(
        JSON.stringify([example.inputIds, example.targetIds, example.bos ?? true, example.task ?? 0]),
      );
    hash.update('|');
  }
  return hash.digest('hex').slice(0, 16);
}

/** The examples of one epoch, in the order that epoch's seed gives. */
function epochOrder(count: number, seed: number, epoch: number): number[] {
  const random = seededRandom(seed * 1000003 + epoch);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Trains `initial` (not modified) on `train`, selecting on `dev`. */
export function trainSoftPrompt(
  model: LlamaModel,
  initial: SoftPrompt,
  train: TokenizedExample[],
  dev: TokenizedExample[],
  options: TrainOptions = {},
): TrainResult {
  const prompt: SoftPrompt = { ...initial, values: initial.values.slice() };
  const result = runToEnd(trainingSteps(promptTrainable(model, prompt), train, dev, options));
  return { ...result, prompt: { ...prompt, values: result.values } };
}

/**
 * trainSoftPrompt, giving the event loop a turn after every step: timers, I/O and other work (a run's
 * progress written to the registry, a server's requests) go on while it trains in the same thread.
 */
export async function trainSoftPromptAsync(
  model: LlamaModel,
  initial: SoftPrompt,
  train: TokenizedExample[],
  dev: TokenizedExample[],
  options: TrainOptions = {},
): Promise<TrainResult> {
  const prompt: SoftPrompt = { ...initial, values: initial.values.slice() };
  const result = await trainAsync(promptTrainable(model, prompt), train, dev, options);
  return { ...result, prompt: { ...prompt, values: result.values } };
}

/** Trains a Trainable (its values are stepped in place), giving the event loop a turn after every step. */
export async function trainAsync(
  trainable: Trainable,
  train: TokenizedExample[],
  dev: TokenizedExample[],
  options: TrainOptions = {},
): Promise<TrainedValues> {
  const steps = trainingSteps(trainable, train, dev, options);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function runToEnd<T>(steps: Generator<unknown, T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** The training loop, yielding each step's progress, returning the result. */
function* trainingSteps(
  trainable: Trainable,
  train: TokenizedExample[],
  dev: TokenizedExample[],
  options: TrainOptions,
): Generator<TrainProgress, TrainedValues> {
  checkTrainOptions(options);
  const batchSize = options.batchSize ?? 8;
  const optimizer: OptimizerOptions = options.optimizer ?? {
    kind: 'adamw',
    learningRate: 0.3,
    weightDecay: 0,
  };
  validateOptimizer(optimizer);
  const checkpointShare = options.checkpointShare ?? 0.05;
  if (!(checkpointShare > 0 && checkpointShare <= 1))
    throw new ValidationError(`checkpoint share ${checkpointShare}`, {
      code: 'TRAIN_OPTIONS',
      hint: 'Give checkpointShare a share of the run time above 0 and at most 1 (1: a checkpoint at every evaluation).',
    });
  if (train.length === 0)
    throw new ValidationError('no training examples', {
      code: 'TRAIN_NO_DATA',
      hint: 'Give train.jsonl at least one example.',
    });
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  let totalSteps = options.steps ?? (options.epochs ?? 6) * stepsPerEpoch;
  const maxSteps = options.steps ?? Math.max(options.maxEpochs ?? 0, options.epochs ?? 6) * stepsPerEpoch;
  const evalEvery = options.evalEvery ?? stepsPerEpoch;
  const seed = options.seed ?? 0;
  const schedule = options.schedule ?? { kind: 'constant' };
  const settings = JSON.stringify({
    batchSize,
    optimizer,
    totalSteps,
    ...(maxSteps > totalSteps && { maxSteps }),
    evalEvery,
    seed,
    schedule,
    clip: options.clipNorm,
    ...trainable.shape,
    train: train.length,
    dev: dev.length,
    // the examples themselves: a rerun on other data of the same size does not resume this run
    data: examplesDigest([train, dev]),
    run: options.run,
  });

  const values = trainable.values;
  let state: OptimizerState | undefined; // from the checkpoint, or fresh: never both at once (a weight's 16 bytes)
  let best: { step: number; exactMatch: number; loss: number; values: Float32Array } | undefined;
  let stale = 0;
  let history: Record<string, number>[] = [];
  let step = 0;
  const { directory } = options;
  const checkpointPath = directory ? join(directory, 'checkpoint.json') : undefined;
  const metricsPath = directory ? join(directory, 'metrics.jsonl') : undefined;
  if (directory) withEnvironmentErrors(() => makeDirectory(directory));
  if (directory && hasCheckpoint(directory)) {
    const saved = readCheckpoint(directory, {
      settings,
      size: values.length,
      hiddenSize: trainable.rowSize,
      totalSteps: maxSteps,
    });
    ({ step, history } = saved);
    // a run that had been extended resumes inside the epoch it had reached
    totalSteps = Math.max(totalSteps, Math.min(maxSteps, Math.ceil(step / stepsPerEpoch) * stepsPerEpoch));
    best = saved.best;
    stale = saved.evaluationsWithoutImprovement;
    values.set(saved.values);
    state = saved.optimizer;
    if (step > 0) options.onResume?.(step, totalSteps);
  }
  let checkpointed = step; // the step the folder's checkpoint holds (0: none, or nothing trained)
  // steps after the checkpoint (all of them, without one) are redone identically; their lines are
  // written again, not after the lines of a run killed before its first checkpoint
  if (metricsPath)
    withEnvironmentErrors(() =>
      writeFileAtomically(metricsPath, history.map((record) => JSON.stringify(record) + '\n').join('')),
    );
  state ??= optimizerState(values.length);
  /** The error for a run whose numbers stopped being finite; the last checkpoint is left as it was. */
  const diverged = (at: number, what: string) =>
    new ValidationError(`training diverged at step ${at}: ${what}`, {
      code: 'TRAIN_DIVERGED',
      hint: `Lower the learning rate (now ${optimizer.learningRate}) or clip the gradient; ${checkpointPath ? `${checkpointPath} still holds the last good state` : 'nothing was saved'}.`,
    });
  const resumedFrom = step;
  const now = options.now ?? (() => performance.now());
  const started = now();
  let writingSeconds = 0; // spent writing checkpoints in this process
  let tokensSeen = 0;
  // the time in the steps themselves: dev evaluations and checkpoints are not training speed
  let stepSeconds = 0;
  let lastEvaluation: PromptEvaluation | undefined;
  const better = (evaluation: PromptEvaluation) =>
    !best ||
    evaluation.exactMatch > best.exactMatch ||
    (evaluation.exactMatch === best.exactMatch && evaluation.loss < best.loss);

  // one more epoch when the last one improved dev, while the run may grow (a rerun decides alike)
  const extendsOneEpoch = () =>
    totalSteps < maxSteps && best !== undefined && best.step > totalSteps - stepsPerEpoch;
  /** Writes the run's state at the step reached, and how long that took. */
  const checkpoint = (directory: string) => {
    const writeStarted = now();
    withEnvironmentErrors(() =>
      writeCheckpoint(directory, {
        step,
        values,
        optimizer: state!,
        best,
        evaluationsWithoutImprovement: stale,
        history,
        settings,
      }),
    );
    checkpointed = step;
    writingSeconds += (now() - writeStarted) / 1000;
  };
  /** The error for a run stopped on request, its state saved first. */
  const interrupted = () => {
    if (directory && step > checkpointed) checkpoint(directory);
    const kept = directory && step > 0;
    return new InterruptedError(`training stopped at step ${step} of ${totalSteps}`, {
      code: 'TRAIN_INTERRUPTED',
      hint: kept
        ? `${join(directory, 'checkpoint.json')} holds step ${step}: run the same command again to continue from there.`
        : 'Nothing was trained yet, or there is no folder to keep it in; run it again to start over.',
    });
  };
  while (!(options.patience !== undefined && stale >= options.patience)) {
    if (step >= totalSteps) {
      if (!extendsOneEpoch()) break;
      totalSteps += stepsPerEpoch;
    }
    if (options.signal?.aborted) throw interrupted();
    const epoch = Math.floor(step / stepsPerEpoch);
    const order = epochOrder(train.length, seed, epoch);
    const index = step % stepsPerEpoch;
    const rows = order.slice(index * batchSize, (index + 1) * batchSize).map((i) => train[i]);
    const stepStarted = now();
    const { loss, gradient, tokens } = trainable.lossAndGradient(rows, { seed, step: step + 1 });
    const norm = clipGradient(gradient, options.clipNorm);
    step++;
    const learningRate = learningRateAt(optimizer.learningRate, step, totalSteps, schedule);
    const badValue = adamStep(
      values,
      gradient,
      state,
      optimizer,
      learningRate,
      trainable.decays,
      trainable.kernels,
    );
    if (!Number.isFinite(loss) || badValue >= 0)
      throw diverged(step, `the loss is ${loss}, value ${badValue} of the parameters ${values[badValue]}`);
    tokensSeen += tokens;
    const thisStep = (now() - stepStarted) / 1000;
    stepSeconds += thisStep;
    const elapsedSeconds = (now() - started) / 1000;
    const record: Record<string, number> = {
      step,
      epoch: epoch + 1,
      loss,
      learningRate,
      gradientNorm: norm,
      tokensPerSecond: tokensSeen / Math.max(stepSeconds, 1e-9),
    };
    if (dev.length && (step % evalEvery === 0 || step === totalSteps)) {
      lastEvaluation = trainable.evaluate(dev, options.devCandidates);
      // before the checkpoint: a NaN dev loss would be saved as null and make it unreadable
      if (!Number.isFinite(lastEvaluation.loss))
        throw diverged(step, `the dev loss is ${lastEvaluation.loss}`);
      record.devExactMatch = lastEvaluation.exactMatch;
      record.devLoss = lastEvaluation.loss;
      if (lastEvaluation.likelihoodAccuracy !== undefined)
        record.devLikelihoodAccuracy = lastEvaluation.likelihoodAccuracy;
      if (better(lastEvaluation)) {
        const { exactMatch, loss } = lastEvaluation;
        // into the copy kept before: a new copy of every weight each time is seconds at SmolLM2's size
        if (best) best = { step, exactMatch, loss, values: copyInto(best.values, values) };
        else best = { step, exactMatch, loss, values: values.slice() };
        stale = 0;
      } else stale++;
    }
    history.push(record);
    if (metricsPath) withEnvironmentErrors(() => appendFileSync(metricsPath, JSON.stringify(record) + '\n'));
    // the run's end (not an epoch end it grows past): a rerun must find it whole
    const last =
      (step === totalSteps && !extendsOneEpoch()) ||
      (options.patience !== undefined && stale >= options.patience);
    const affordable = () =>
      writingSeconds < 1 || writingSeconds <= checkpointShare * ((now() - started) / 1000);
    if (directory && (last || (record.devExactMatch !== undefined && affordable()))) checkpoint(directory);
    const progress: TrainProgress = {
      step,
      totalSteps,
      epoch: epoch + 1,
      loss,
      learningRate,
      tokensPerSecond: record.tokensPerSecond,
      stepSeconds: thisStep,
      elapsedSeconds,
      dev: lastEvaluation,
      evaluated: record.devExactMatch !== undefined,
      best: best && { step: best.step, exactMatch: best.exactMatch, loss: best.loss },
    };
    options.onProgress?.(progress);
    yield progress;
  }
  return {
    values: (best?.values ?? values).slice(),
    best: best && { step: best.step, exactMatch: best.exactMatch, loss: best.loss },
    history,
    steps: step,
    resumedFrom,
  };
}

/** `source`'s values in `target` when it has their size (a new copy otherwise). */
function copyInto(target: Float32Array, source: Float32Array): Float32Array {
  if (target.length !== source.length) return source.slice();
  target.set(source);
  return target;
}
