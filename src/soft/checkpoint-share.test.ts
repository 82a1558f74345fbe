// Checkpoints that cost more than their share of the run are skipped: with writes made to cost 10 s
// on the run's clock (a 135M model's 3.2 GB is about that), a 5% share writes the first evaluation's
// and the last, a killed run resumes from the last one written and reaches exactly the prompt of an
// uninterrupted run; a share of 1 writes at every evaluation as before.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nameExamples } from '../../test/name-examples.js';
import { stories } from '../../test/models.js';
import { loadModel, seededRandom } from '../engine/index.js';
import { initSoftPrompt } from './soft-prompt.js';
import { trainSoftPrompt, type TrainOptions } from './trainer.js';

/** A clock that moves 0.1 s per step and 10 s for each checkpoint written (a new checkpoint.json file). */
function slowWrites(directory: string): { now: () => number; step: () => void } {
  let time = 0;
  let file: number | undefined;
  return {
    now: () => {
      const written = statSync(join(directory, 'checkpoint.json'), { throwIfNoEntry: false })?.ino;
      if (written !== undefined && written !== file) {
        file = written;
        time += 10_000;
      }
      return time;
    },
    step: () => {
      time += 100;
    },
  };
}

describe('checkpoints within their share of the run', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const train = nameExamples(tokenizer, 'train', 32);
  const dev = nameExamples(tokenizer, 'dev', 16);
  const initial = initSoftPrompt(model, tokenizer, 8, { kind: 'sample-vocab' }, seededRandom(0));
  const options: TrainOptions = { epochs: 3, batchSize: 8, seed: 0, evalEvery: 2 }; // 12 steps
  const straight = trainSoftPrompt(model, initial, train, dev, options);
  const folders: string[] = [];
  const folder = () => {
    folders.push(mkdtempSync(join(tmpdir(), 'promptune-share-')));
    return folders.at(-1)!;
  };
  afterAll(() => {
    for (const path of folders) rmSync(path, { recursive: true, force: true });
  });

  /** Trains into `directory` with slow writes, killed after step `killAt` when given. */
  const run = (directory: string, share: number | undefined, killAt?: number) => {
    const clock = slowWrites(directory);
    return trainSoftPrompt(model, initial, train, dev, {
      ...options,
      directory,
      checkpointShare: share,
      now: clock.now,
      onProgress: ({ step }) => {
        clock.step();
        if (step === killAt) throw new Error('killed');
      },
    });
  };

  it('skips what costs more than 5% of the run, keeps the last, and resumes exactly', () => {
    const directory = folder();
    expect(() => run(directory, undefined, 11)).toThrow('killed');
    const resumed = run(directory, undefined);
    // written at step 2 (the first second of writing is free), then skipped at 4, 6, 8 and 10
    expect(resumed.resumedFrom).toBe(2);
    expect(Array.from(resumed.values)).toEqual(Array.from(straight.values));
    expect(resumed.history).toEqual(
      straight.history.map((record) => ({ ...record, tokensPerSecond: expect.any(Number) })),
    );
    // the last step's checkpoint is always written: a rerun trains nothing
    expect(run(directory, undefined).resumedFrom).toBe(12);
  }, 120_000);

  it('writes at every evaluation with a share of 1', () => {
    const directory = folder();
    expect(() => run(directory, 1, 11)).toThrow('killed');
    const resumed = run(directory, 1);
    expect(resumed.resumedFrom).toBe(10);
    expect(Array.from(resumed.values)).toEqual(Array.from(straight.values));
  }, 120_000);

  it('refuses a share outside (0, 1]', () => {
    for (const share of [0, -0.1, 1.5, Number.NaN])
      expect(() =>
        trainSoftPrompt(model, initial, train, dev, { ...options, checkpointShare: share }),
      ).toThrow(expect.objectContaining({ code: 'TRAIN_OPTIONS' }));
  });
});
