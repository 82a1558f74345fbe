// Choosing how a run starts on dev, as PEFT's protocol does for prompt tuning (the grids for the other
// methods are promptune's): `soft train --search` and `soft train-multitask --search`. Each candidate
// (prompt tuning: init in {sample-vocab, text}, and class-labels on a label task, x learning rate in
// {0.003, 0.03, 0.3}; prefix tuning: the KV cache of {sample-vocab, text} x {0.01, 0.03, 0.1}, or the
// rates alone through --prefix-projection; P-tuning: {0.001, 0.01, 0.1}; LoRA: {1e-4, 1e-3, 1e-2}; full
// fine-tuning: {1e-4, 3e-4, 1e-3}; multitask prompt tuning as prompt tuning, or the rates alone from a
// --source) is trained in full with the run's own options, each in <out>/search/<candidate>/ with its own
// checkpoint (a killed search resumes there), and the best on dev (exact match, then loss) is chosen. The
// chosen trial's checkpoint and metrics become the run's, so the run itself resumes at its end instead of
// training that candidate again. The trials are listed in <out>/search/trials.json. With --search-steps,
// each trial trains only that many steps (a cheaper choice on less evidence), and the chosen start then
// trains as the run from its beginning.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomically, type LoadedModel, makeDirectory } from '../engine/index.js';
import { ValidationError } from '../errors/index.js';
import {
  copyCheckpoint,
  hasCheckpoint,
  type TokenizedExample,
  type TrainOptions,
  type TrainProgress,
} from '../soft/index.js';
import { numberOption } from './options.js';
import { checkpointIdentity, planMethod, type MethodArgs } from './soft-methods.js';
import { progressBar } from './progress.js';
import { optimizerAt } from './soft-training.js';

/** One candidate's start: its init (prompt tuning) and learning rate. */
export interface Candidate {
  init?: string;
  learningRate: number;
}

/** A candidate as it did on dev. */
export interface Trial extends Candidate {
  devExactMatch: number;
  devLoss: number;
}

const trialsSchema = z.array(
  z.object({
    init: z.string().optional(),
    learningRate: z.number(),
    devExactMatch: z.number(),
    devLoss: z.number(),
  }),
);

/**
 * The candidates PEFT's protocol tries for a method (a prefix made by an MLP starts random, and a prompt
 * transferred from a multitask source starts from it: rates only).
 */
export function searchCandidates(
  method: string,
  projection = false,
  source = false,
  labels = false,
): Candidate[] {
  if (method === 'lora') return [1e-4, 1e-3, 1e-2].map((learningRate) => ({ learningRate }));
  if (method === 'full-fine-tuning') return [1e-4, 3e-4, 1e-3].map((learningRate) => ({ learningRate }));
  // P-tuning's encoder starts random: only the rate is chosen
  if (method === 'p-tuning') return [0.001, 0.01, 0.1].map((learningRate) => ({ learningRate }));
  const rates = method === 'prefix-tuning' ? [0.01, 0.03, 0.1] : [0.003, 0.03, 0.3];
  if ((method === 'prefix-tuning' && projection) || source)
    return rates.map((learningRate) => ({ learningRate }));
  // prompt tuning on a label task also tries its default start, the labels' embeddings
  const inits =
    method === 'prompt-tuning' && labels
      ? ['class-labels', 'sample-vocab', 'text']
      : ['sample-vocab', 'text'];
  return inits.flatMap((init) => rates.map((learningRate) => ({ init, learningRate })));
}

/** A candidate in words and as a folder name: "text lr 0.03". */
export const candidateName = (candidate: Candidate): string =>
  `${candidate.init ? `${candidate.init} ` : ''}lr ${candidate.learningRate}`;

/** The flag that gives a search a budget of steps per trial (soft train, train-multitask). */
export const searchStepsArgs = {
  'search-steps': {
    type: 'string',
    description:
      'Train each --search trial only this many steps (a cheaper choice on less evidence; it implies --search), then the chosen start from its beginning as the run (default: every trial trained as long as the run, the best one becoming it)',
  },
} as const;

/** --search-steps as a number, refused beside --no-search. */
export function searchSteps(
  given: { search?: boolean; 'search-steps'?: string },
  written: ReadonlySet<string>,
): number | undefined {
  const steps = numberOption('search-steps', given['search-steps'], { integer: true, min: 1 });
  if (steps !== undefined && written.has('search') && !given.search)
    throw new ValidationError("--search-steps sets how long --search's trials train; --no-search was given", {
      code: 'CLI_INVALID_OPTION',
      hint: 'Drop --search-steps (or --no-search).',
    });
  return steps;
}

/** The flag that continues a search of `key` (its key.json): --search, or --search-steps N. */
function flagOfKey(key: string | undefined): string {
  try {
    const steps = (JSON.parse(key ?? 'null') as { trialSteps?: unknown } | null)?.trialSteps;
    return typeof steps === 'number' ? `--search-steps ${steps}` : '--search';
  } catch {
    return '--search'; // an unreadable key: the search's own check names it
  }
}

/**
 * The flag that continues the run a search in `directory` chose: --search, or --search-steps N when its
 * trials were that long (its key says), for a hint to a rerun that left it out.
 */
export function searchFlag(directory: string): string {
  const path = join(directory, 'search', 'key.json');
  return flagOfKey(existsSync(path) ? readFileSync(path, 'utf8') : undefined);
}

/**
 * Says when --search-steps trains each trial at least as long as the run itself would be (its --steps, or
 * its epochs of `examples` in batches, before any growth): the full search (--search) then costs less, as
 * its chosen trial becomes the run.
 */
export function warnLongTrials(
  trialSteps: number | undefined,
  run: { steps?: number; epochs?: number; batchSize?: number },
  examples: number,
): void {
  const runSteps = run.steps ?? (run.epochs ?? 6) * Math.ceil(examples / (run.batchSize ?? 8));
  if (trialSteps !== undefined && trialSteps >= runSteps)
    process.stderr.write(
      `--search-steps ${trialSteps} is not shorter than the run (${runSteps} steps): --search trains the same trials and keeps the chosen one as the run, instead of training it again\n`,
    );
}

/** A trial's options: the run's, or `steps` long when the search has a budget of steps per trial. */
export function trialOptions<Options extends { steps?: number; epochs?: number; maxEpochs?: number }>(
  options: Options,
  steps: number | undefined,
): Options {
  return steps === undefined ? options : { ...options, steps, epochs: undefined, maxEpochs: undefined };
}

/** The search key's fields in a person's words: the options that set them, or what they count. */
const keyWords: Record<string, string> = {
  model: '--model',
  method: '--method',
  rank: '--rank',
  alpha: '--alpha',
  targets: '--targets',
  layout: '--layout',
  projection: '--prefix-projection',
  encoder: '--encoder-hidden',
  encoderKind: '--encoder',
  virtualTokens: '--virtual-tokens',
  initText: '--init-text',
  taskRank: '--task-rank',
  dropout: '--dropout',
  rslora: '--rslora',
  source: '--source',
  transfer: '--transfer',
  train: 'training examples',
  dev: 'dev examples',
  trialSteps: 'steps per trial (--search-steps)',
};

/**
 * The fields two search keys differ in, and those differences in words (`--rank 4 → 8`); a key that
 * cannot be read differs as "the key".
 */
function keyDifferences(saved: string, key: string): { fields: string[]; words: string } {
  const read = (text: string): Record<string, unknown> | undefined => {
    try {
      const value: unknown = JSON.parse(text);
      return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const [before, now] = [read(saved), read(key)];
  if (!before || !now) return { fields: [], words: 'the key' };
  const fields = [...new Set([...Object.keys(before), ...Object.keys(now)])].filter(
    (field) => JSON.stringify(before[field]) !== JSON.stringify(now[field]),
  );
  const shown = (value: unknown) => (value === undefined ? 'none' : String(value));
  const words = fields
    .map((field) => `${keyWords[field] ?? field} ${shown(before[field])} → ${shown(now[field])}`)
    .join('; ');
  return { fields, words: words || 'the key' };
}

/** The most training examples on which prompt tuning searches by default. */
export const SMALL_DATA = 64;

/**
 * Whether a run searches without --search: prompt tuning on small data, where the start matters most and
 * a search is cheap (with 16 examples of the shared tasks it raised test exact match on `name` from 0.605
 * to 0.863 and on `gender` from 0.348 to 0.422; on `animal` it chose the default), unless the command line
 * says how to start or whether to search.
 */
export function searchesByDefault(method: string, examples: number, written: ReadonlySet<string>): boolean {
  const chosen = ['search', 'lr', 'init', 'init-from', 'init-text', 'source'].some((option) =>
    written.has(option),
  );
  return method === 'prompt-tuning' && examples <= SMALL_DATA && !chosen;
}

/** A finished trial's line: "search 2/6: text lr 0.03: dev 0.945 (loss 0.214)". */
const trialLine = (trial: Trial, index: number, count: number): string =>
  `search ${index + 1}/${count}: ${candidateName(trial)}: dev ${trial.devExactMatch.toFixed(3)} (loss ${trial.devLoss.toFixed(3)})\n`;

/** The search's choice in words. */
const chosenLine = (chosen: Trial): string =>
  `search chose ${candidateName(chosen)} (dev ${chosen.devExactMatch.toFixed(3)})\n`;

/** What the search needs of the command. */
export interface SearchInput {
  args: MethodArgs;
  loaded: LoadedModel;
  labels: string[] | undefined;
  seed: number;
  train: TokenizedExample[];
  dev: TokenizedExample[];
  /** The run's own options: every trial trains as the run would. */
  options: Omit<TrainOptions, 'optimizer' | 'directory' | 'onProgress'>;
  optimizer: { kind: 'adamw' | 'adam'; weightDecay?: number };
  /** The adapter folder: trials go in its search/ folder, the chosen checkpoint in it. */
  directory: string;
  /** --search-steps: each trial trains this many steps, and the run starts afresh from the chosen start. */
  trialSteps?: number;
}

/** Trains (or resumes, or reads back) every candidate; returns the trials and the chosen one. */
export async function searchStart(input: SearchInput): Promise<{ trials: Trial[]; chosen: Trial }> {
  const candidates = searchCandidates(
    input.args.method,
    input.args['prefix-projection'],
    input.args.source !== undefined,
    input.labels !== undefined,
  );
  // trials made with other method options (alpha, targets, the init text, …), data or model than these
  // are not reused: their checkpoints would not say so (only the training options are in them)
  const { model, method, rank, alpha, targets, layout } = input.args;
  const key = JSON.stringify({
    model,
    method,
    rank,
    alpha,
    targets,
    layout,
    projection: input.args['prefix-projection'] ? (input.args['encoder-hidden'] ?? 'width') : undefined,
    encoder: input.args['encoder-hidden'],
    // a value equal to the default keys as the default: naming it does not start the search over
    encoderKind: input.args.encoder === 'mlp' ? undefined : input.args.encoder,
    virtualTokens: input.args['virtual-tokens'],
    initText: input.args['init-text'],
    taskRank: input.args['task-rank'] === '1' ? undefined : input.args['task-rank'],
    dropout: Number(input.args.dropout ?? 0) || undefined,
    rslora: input.args.rslora || undefined,
    source: input.args.source,
    transfer: input.args.transfer,
    train: input.train.length,
    dev: input.dev.length,
    trialSteps: input.trialSteps,
  });
  return runSearch({
    candidates,
    key,
    directory: input.directory,
    trialSteps: input.trialSteps,
    trainCandidate: async (candidate, directory, onProgress, onResume) => {
      const trialArgs = { ...input.args, init: candidate.init ?? input.args.init };
      const plan = planMethod(trialArgs, input.loaded, input.labels, input.seed);
      return plan.train(input.train, input.dev, {
        ...trialOptions(input.options, input.trialSteps),
        optimizer: optimizerAt(input.optimizer, candidate.learningRate),
        // as the run that continues from it will say
        run: checkpointIdentity(plan, trialArgs),
        directory,
        onProgress,
        onResume,
      });
    },
  });
}

/** What a search needs of any command: its candidates, what its trials depend on, and how one trains. */
export interface SearchRun {
  candidates: Candidate[];
  /** Everything a trial depends on beside the run's training options; a search of another key is refused. */
  key: string;
  /** The run's folder: trials go in its search/ folder, the chosen checkpoint in it. */
  directory: string;
  /**
   * --search-steps: the trials train this many steps (trainCandidate makes them so, and the key names it),
   * and the chosen trial's checkpoint is not the run's: the run trains from the chosen start.
   */
  trialSteps?: number;
  /**
   * Trains (or resumes) a candidate in `directory` as the run itself would (or `trialSteps` long), with
   * the run's checkpoint identity, so the run resumes from the chosen trial's checkpoint; its steps go to
   * `onProgress`, and a checkpoint it continues from to `onResume`.
   */
  trainCandidate: (
    candidate: Candidate,
    directory: string,
    onProgress: (progress: TrainProgress) => void,
    onResume: (step: number, totalSteps: number) => void,
  ) => Promise<{ best?: { exactMatch: number; loss: number } }>;
}

/**
 * Trains every candidate in <directory>/search/<candidate>/ (a killed search resumes there, a finished
 * one reads back), chooses the best on dev (exact match, then loss), and makes its checkpoint the run's.
 * It shows each trial's steps on a progress bar and writes each trial's score and the choice to stderr.
 */
export async function runSearch(input: SearchRun): Promise<{ trials: Trial[]; chosen: Trial }> {
  const { candidates, key } = input;
  const folder = join(input.directory, 'search');
  const keyPath = join(folder, 'key.json');
  const saved = existsSync(keyPath) ? readFileSync(keyPath, 'utf8') : undefined;
  if (saved !== undefined && saved !== key) {
    // trials of other options are another run's: neither mixed into this one nor deleted for it
    const differences = keyDifferences(saved, key);
    throw new ValidationError(`${folder} holds a search made with other options (${differences.words})`, {
      code: 'TRAIN_CHECKPOINT_MISMATCH',
      hint:
        differences.fields.join() === 'trialSteps'
          ? `Its trials' length is part of it: rerun with ${flagOfKey(saved)} to continue or rescore it, or choose a new --out.`
          : 'Choose a new --out for this run, or delete that folder (and its checkpoint) to start over.',
    });
  }
  makeDirectory(folder);
  writeFileAtomically(keyPath, key);
  process.stderr.write(
    input.trialSteps === undefined
      ? `search: ${candidates.length} trials, each trained as long as the run; the best on dev becomes the run\n`
      : `search: ${candidates.length} trials of ${input.trialSteps} step${input.trialSteps === 1 ? '' : 's'} each (--search-steps); the best on dev then trains as the run from its start\n`,
  );
  const trials: Trial[] = [];
  for (const [index, candidate] of candidates.entries()) {
    const name = candidateName(candidate);
    const directory = join(folder, name.replace(/ /g, '-'));
    // "trial 2/6 (sample-vocab lr 0.03): step 12/48 25% …": which trial, then its steps
    const label = `trial ${index + 1}/${candidates.length} (${name})`;
    const bar = progressBar(`${label}: step`);
    // a finished trial resumes at its last step: its checkpoint holds the best on dev, nothing is trained
    const result = await input
      .trainCandidate(
        candidate,
        directory,
        (progress) => bar.update(progress.step, progress.totalSteps, `loss ${progress.loss.toFixed(3)}`),
        // a killed search continues where it stopped, and says so; a trial done before is read back
        (step, totalSteps) =>
          process.stderr.write(
            step >= totalSteps
              ? `${label}: trained before (step ${step}), read back\n`
              : `${label}: continuing from its checkpoint at step ${step} of ${totalSteps}\n`,
          ),
      )
      .finally(() => bar.finish());
    const trial = {
      ...candidate,
      devExactMatch: result.best?.exactMatch ?? 0,
      devLoss: result.best?.loss ?? Number.MAX_VALUE,
    };
    trials.push(trial);
    process.stderr.write(trialLine(trial, index, candidates.length));
  }
  writeFileAtomically(
    join(folder, 'trials.json'),
    JSON.stringify(trialsSchema.parse(trials), null, 2) + '\n',
  );
  const chosen = trials.reduce((best, trial) =>
    trial.devExactMatch > best.devExactMatch ||
    (trial.devExactMatch === best.devExactMatch && trial.devLoss < best.devLoss)
      ? trial
      : best,
  );
  process.stderr.write(chosenLine(chosen));
  // the run continues from the chosen trial's end, unless it has a checkpoint of its own already (or the
  // trials were shorter than the run: it starts afresh from the chosen start)
  const from = join(folder, candidateName(chosen).replace(/ /g, '-'));
  if (input.trialSteps === undefined && !hasCheckpoint(input.directory)) {
    // the checkpoint last, and whole: its presence says the copy is done
    writeFileAtomically(join(input.directory, 'metrics.jsonl'), readFileSync(join(from, 'metrics.jsonl')));
    copyCheckpoint(from, input.directory);
  }
  return { trials, chosen };
}

/**
 * Refuses what --search would ignore or override (--lr, --init: it chooses both), and --init-text
 * where nothing starts from text. --init-from stays: its words are the search's text start.
 */
export function checkSearchOptions(
  given: {
    search?: boolean;
    'search-steps'?: string;
    init?: string;
    'init-from'?: string;
    method?: string;
    source?: string;
    'prefix-projection'?: boolean;
  },
  written: ReadonlySet<string>,
): void {
  const chosen = ['lr', 'init'].find((option) => written.has(option));
  const searching = given.search || written.has('search-steps');
  const flag = given.search ? '--search' : '--search-steps';
  if (searching && chosen)
    throw new ValidationError(
      `${flag} chooses the ${chosen === 'lr' ? 'learning rate' : 'init'}; --${chosen} was given too`,
      {
        code: 'CLI_INVALID_OPTION',
        hint: `Drop --${chosen} (or ${flag}).`,
      },
    );
  // where no start is words, --init text is no way out either
  const noText =
    given.source !== undefined
      ? '--source starts it from a multitask prompt'
      : given['prefix-projection']
        ? 'a prefix made by --prefix-projection starts from random values'
        : ['lora', 'p-tuning', 'full-fine-tuning'].includes(given.method ?? '')
          ? `--method ${given.method} does not start from words`
          : undefined;
  if (written.has('init-text') && noText)
    throw new ValidationError(`--init-text would be ignored: ${noText}`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Drop --init-text.',
    });
  if (written.has('init-text') && !searching && !given['init-from'] && given.init !== 'text')
    throw new ValidationError(
      `--init-text would be ignored: the run starts from ${given.init ? `--init ${given.init}` : 'its default init'}`,
      { code: 'CLI_INVALID_OPTION', hint: 'Add --init text, or drop --init-text.' },
    );
}
