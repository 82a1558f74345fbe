// `soft train --search`: PEFT's protocol for choosing how a method starts. Each candidate (prompt tuning:
// init in {sample-vocab, text} x learning rate in {0.003, 0.03, 0.3}; LoRA: learning rate in {1e-4, 1e-3,
// 1e-2}) trains for a budget of epochs, the best on dev (exact match, then loss) is chosen, and the real
// run trains with it. The trials are written to <out>/search.json, so a rerun (a resumed run) reuses
// them instead of searching again; one made for other candidates or data is searched again.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomically, type LoadedModel } from '../engine/index.js';
import { readJsonFile } from '../errors/index.js';
import type { TokenizedExample, TrainOptions } from '../soft/index.js';
import { planMethod, type MethodArgs } from './soft-methods.js';

/** One candidate's start: its init (prompt tuning) and learning rate. */
export interface Candidate {
  init?: string;
  learningRate: number;
}

/** A candidate as it did on dev after the budget. */
export interface Trial extends Candidate {
  devExactMatch: number;
  devLoss: number;
}

const trialSchema = z.object({
  init: z.string().optional(),
  learningRate: z.number(),
  devExactMatch: z.number(),
  devLoss: z.number(),
});
const searchFileSchema = z.object({ key: z.string(), trials: z.array(trialSchema) });

/** The candidates PEFT's protocol tries for a method. */
export function searchCandidates(method: string): Candidate[] {
  if (method === 'lora') return [1e-4, 1e-3, 1e-2].map((learningRate) => ({ learningRate }));
  return ['sample-vocab', 'text'].flatMap((init) =>
    [0.003, 0.03, 0.3].map((learningRate) => ({ init, learningRate })),
  );
}

/** What the search needs of the command. */
export interface SearchInput {
  args: MethodArgs;
  loaded: LoadedModel;
  labels: string[] | undefined;
  seed: number;
  train: TokenizedExample[];
  dev: TokenizedExample[];
  /** The options every trial shares (batch size, schedule, …); epochs is the budget. */
  options: Omit<TrainOptions, 'optimizer' | 'directory' | 'onProgress'> & { epochs: number };
  optimizer: { kind: 'adamw' | 'adam'; weightDecay?: number };
  /** Where search.json goes (the adapter folder). */
  directory: string;
  onTrial?: (trial: Trial, index: number, count: number) => void;
}

/** Runs (or reads back) the trials; returns them and the chosen one. */
export async function searchStart(input: SearchInput): Promise<{ trials: Trial[]; chosen: Trial }> {
  const candidates = searchCandidates(input.args.method);
  const key = JSON.stringify({
    candidates,
    method: input.args.method,
    rank: input.args.rank,
    virtualTokens: input.args['virtual-tokens'],
    seed: input.seed,
    budget: input.options.epochs,
    batch: input.options.batchSize,
    train: input.train.length,
    dev: input.dev.length,
  });
  const path = join(input.directory, 'search.json');
  let trials: Trial[] | undefined;
  if (existsSync(path)) {
    const saved = readJsonFile(path, searchFileSchema, {
      where: `search results ${path}`,
      code: 'TRAIN_SEARCH_INVALID',
      hint: 'search.json is damaged; delete it to search again.',
    });
    if (saved.key === key) trials = saved.trials;
  }
  if (!trials) {
    trials = [];
    for (const [index, candidate] of candidates.entries()) {
      const plan = planMethod(
        { ...input.args, init: candidate.init ?? input.args.init },
        input.loaded,
        input.labels,
        input.seed,
      );
      const result = await plan.train(input.train, input.dev, {
        ...input.options,
        optimizer: { ...input.optimizer, learningRate: candidate.learningRate },
      });
      const trial = {
        ...candidate,
        devExactMatch: result.best?.exactMatch ?? 0,
        devLoss: result.best?.loss ?? Number.MAX_VALUE,
      };
      trials.push(trial);
      input.onTrial?.(trial, index, candidates.length);
    }
    mkdirSync(input.directory, { recursive: true });
    writeFileAtomically(path, JSON.stringify({ key, trials }, null, 2) + '\n');
  } else trials.forEach((trial, index) => input.onTrial?.(trial, index, trials!.length));
  const chosen = trials.reduce((best, trial) =>
    trial.devExactMatch > best.devExactMatch ||
    (trial.devExactMatch === best.devExactMatch && trial.devLoss < best.devLoss)
      ? trial
      : best,
  );
  return { trials, chosen };
}
