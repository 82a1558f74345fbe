// Soft prompt training on stories260K's `name` task (a slice, to stay fast): the loss falls and dev
// exact match rises; a run stopped part-way resumes from its checkpoint to exactly the prompt an
// uninterrupted run reaches (from its binary checkpoint, and from one written with every number inline
// as before it); padding does not change the loss; generation with the cached KV prefix equals
// generation from the full embeddings.
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nameExamples } from '../../test/name-examples.js';
import { rewriteInline } from '../../test/checkpoint-files.js';
import { stories } from '../../test/models.js';
import { generate, inputGradients, loadModel, seededRandom } from '../engine/index.js';
import { InterruptedError } from '../errors/index.js';
import { evaluatePrompt } from './evaluate-prompt.js';
import { buildBatch } from './sequences.js';
import { SoftPromptSession } from './session.js';
import { initSoftPrompt } from './soft-prompt.js';
import { trainSoftPrompt, trainSoftPromptAsync } from './trainer.js';

describe('soft prompt training on stories260K', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const read = (split: string, count: number) => nameExamples(tokenizer, split, count);
  const train = read('train', 64);
  const dev = read('dev', 32);
  const initial = initSoftPrompt(model, tokenizer, 16, { kind: 'sample-vocab' }, seededRandom(0));
  const options = { epochs: 3, batchSize: 8, seed: 0 };

  it('refuses options out of range by name, before any step (not zero steps, nor missing data)', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ epochs: 0 }, 'epochs'],
      [{ steps: -5 }, 'steps'],
      [{ patience: -1 }, 'patience'],
      [{ batchSize: 0 }, 'batchSize'],
      [{ batchSize: 1.5 }, 'batchSize'],
      [{ clipNorm: -1 }, 'clipNorm'],
      [{ evalEvery: 0 }, 'evalEvery'],
      [{ optimizer: { kind: 'sgd', learningRate: 0.1 } }, 'optimizer.kind'],
      [{ optimizer: { kind: 'adamw', learningRate: 0.1, beta2: 1 } }, 'optimizer.beta2'],
      [{ schedule: { kind: 'linear' } }, 'schedule.kind'],
    ];
    for (const [given, option] of bad)
      expect(() => trainSoftPrompt(model, initial, train, dev, given)).toThrow(
        expect.objectContaining({
          code: 'TRAIN_OPTIONS',
          message: expect.stringMatching(new RegExp(`^training option ${option.replace('.', '\\.')} is `)),
        }) as Error,
      );
  });

  it('reports training speed over the steps alone, not the evaluations and waits between them', () => {
    // a clock that moves 1 ms a reading, and 10 s between steps (a slow dev evaluation, a caller)
    let time = 0;
    const { history } = trainSoftPrompt(model, initial, train, dev.slice(0, 4), {
      steps: 6,
      batchSize: 8,
      seed: 0,
      evalEvery: 2,
      now: () => (time += 1),
      onProgress: () => void (time += 10_000),
    });
    // over wall time the rate would fall about ten thousandfold from the first step to the last
    const rates = history.map((record) => record.tokensPerSecond);
    expect(rates.at(-1)!).toBeGreaterThan(rates[0] / 10);
  });

  it('trains to the same prompt giving the event loop a turn per step (trainSoftPromptAsync)', async () => {
    const settings = { steps: 6, batchSize: 8, seed: 0, evalEvery: 3 };
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    const steps: boolean[] = [];
    const together = await trainSoftPromptAsync(model, initial, train, dev, {
      ...settings,
      onProgress: (progress) => steps.push(progress.evaluated),
    });
    clearInterval(timer);
    const alone = trainSoftPrompt(model, initial, train, dev, settings);
    expect(Array.from(together.prompt.values)).toEqual(Array.from(alone.prompt.values));
    expect(together.history).toEqual(
      alone.history.map((record) => ({ ...record, tokensPerSecond: expect.any(Number) })),
    );
    expect(steps).toEqual([false, false, true, false, false, true]);
    expect(turns).toBeGreaterThan(0); // timers ran while it trained
  });

  it('stops before the step after an abort, saved at the step reached, and a rerun continues to the same prompt', async () => {
    const settings = { steps: 6, batchSize: 8, seed: 0, evalEvery: 3 };
    const alone = trainSoftPrompt(model, initial, train, dev, settings);
    const directory = mkdtempSync(join(tmpdir(), 'promptune-train-stopped-'));
    const controller = new AbortController();
    const stopped = await trainSoftPromptAsync(model, initial, train, dev, {
      ...settings,
      directory,
      signal: controller.signal,
      // step 4: between evaluations, where no checkpoint is written otherwise
      onProgress: ({ step }) => step === 4 && controller.abort(),
    }).catch((error: unknown) => error);
    expect(InterruptedError.isInstance(stopped)).toBe(true);
    expect(stopped).toMatchObject({
      code: 'TRAIN_INTERRUPTED',
      message: 'training stopped at step 4 of 6',
      hint: expect.stringContaining('holds step 4: run the same command again'),
    });
    const resumed = trainSoftPrompt(model, initial, train, dev, { ...settings, directory });
    expect(resumed.resumedFrom).toBe(4);
    expect(Array.from(resumed.prompt.values)).toEqual(Array.from(alone.prompt.values));
    expect(resumed.history).toEqual(
      alone.history.map((record) => ({ ...record, tokensPerSecond: expect.any(Number) })),
    );
    // aborted before it starts, with no folder: nothing trained, nothing claimed kept
    expect(() =>
      trainSoftPrompt(model, initial, train, dev, { ...settings, signal: AbortSignal.abort() }),
    ).toThrow(
      expect.objectContaining({
        message: 'training stopped at step 0 of 6',
        hint: expect.stringMatching(/^Nothing was trained/),
      }),
    );
  });

  it('padding does not change an example’s loss', () => {
    const batch = buildBatch(model, initial, train.slice(0, 4));
    const together = inputGradients(model, batch);
    const alone = train
      .slice(0, 4)
      .map((example) => inputGradients(model, buildBatch(model, initial, [example])));
    for (let row = 0; row < 4; row++) {
      const own = alone[row].losses.reduce((sum, value) => sum + value, 0);
      const inBatch = together.losses
        .subarray(row * batch.time, (row + 1) * batch.time)
        .reduce((sum, value) => sum + value, 0);
      expect(Math.abs(own - inBatch)).toBeLessThan(1e-4);
    }
  });

  it('lowers the loss, raises dev exact match, and resumes a stopped run exactly', () => {
    const before = evaluatePrompt(model, initial, dev);
    const straight = trainSoftPrompt(model, initial, train, dev, options);
    expect(straight.steps).toBe(24);
    expect(straight.history.at(-1)!.loss).toBeLessThan(straight.history[0].loss);
    expect(straight.best!.exactMatch).toBeGreaterThan(before.exactMatch + 0.2);

    const directory = mkdtempSync(join(tmpdir(), 'promptune-train-'));
    expect(() =>
      trainSoftPrompt(model, initial, train, dev, {
        ...options,
        directory,
        onProgress: ({ step }) => {
          if (step === 13) throw new Error('killed');
        },
      }),
    ).toThrow('killed');
    // one binary file, the last checkpoint's (the earlier ones were removed once it was whole)
    expect(readdirSync(directory).filter((name) => name.endsWith('.bin'))).toEqual([
      expect.stringMatching(/^checkpoint-8-[0-9a-f]{8}\.bin$/),
    ]);
    // what a write killed before its rename leaves is removed with the checkpoint it would have been
    writeFileSync(join(directory, 'checkpoint-12-0a1b2c3d.bin.99.tmp'), 'partial');
    const inline = mkdtempSync(join(tmpdir(), 'promptune-train-inline-'));
    cpSync(directory, inline, { recursive: true });
    rewriteInline(inline);
    const resumed = trainSoftPrompt(model, initial, train, dev, { ...options, directory });
    expect(resumed.resumedFrom).toBe(8);
    expect(Array.from(resumed.prompt.values)).toEqual(Array.from(straight.prompt.values));
    expect(readdirSync(directory).filter((name) => name.includes('.bin'))).toEqual([
      expect.stringMatching(/^checkpoint-24-[0-9a-f]{8}\.bin$/),
    ]);
    const lines = readFileSync(join(directory, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    const fromInline = trainSoftPrompt(model, initial, train, dev, { ...options, directory: inline });
    expect(fromInline.resumedFrom).toBe(8);
    expect(Array.from(fromInline.prompt.values)).toEqual(Array.from(straight.prompt.values));
  }, 240_000); // about 50 training steps: past 60 s on a busy 2-core machine

  it('trains past its epochs while the last epoch improved dev, and resumes such a run exactly', () => {
    const growing = { epochs: 1, maxEpochs: 4, batchSize: 8, seed: 0, evalEvery: 4 };
    const straight = trainSoftPrompt(model, initial, train, dev, growing);
    const evaluations = straight.history.filter((record) => record.devExactMatch !== undefined);
    const bestUpTo = (end: number) =>
      evaluations
        .filter((record) => record.step <= end)
        .reduce((best, record) =>
          record.devExactMatch > best.devExactMatch ||
          (record.devExactMatch === best.devExactMatch && record.devLoss < best.devLoss)
            ? record
            : best,
        );
    expect(straight.steps % 8).toBe(0);
    expect(straight.steps).toBeGreaterThan(8); // the first epoch improved on nothing before it
    // every epoch end it passed had found its best within that epoch; where it stopped, not (or the cap)
    for (let end = 8; end < straight.steps; end += 8) expect(bestUpTo(end).step).toBeGreaterThan(end - 8);
    if (straight.steps < 32) expect(bestUpTo(straight.steps).step).toBeLessThanOrEqual(straight.steps - 8);
    expect(straight.best!.step).toBe(bestUpTo(straight.steps).step);

    const directory = mkdtempSync(join(tmpdir(), 'promptune-train-growing-'));
    // killed before its first checkpoint, then past the first epoch: a rerun writes each step's line once
    for (const at of [3, 10])
      expect(() =>
        trainSoftPrompt(model, initial, train, dev, {
          ...growing,
          directory,
          onProgress: ({ step }) => {
            if (step === at) throw new Error('killed');
          },
        }),
      ).toThrow('killed');
    const resumed = trainSoftPrompt(model, initial, train, dev, { ...growing, directory });
    expect(resumed.resumedFrom).toBe(8);
    expect(resumed.steps).toBe(straight.steps);
    expect(Array.from(resumed.prompt.values)).toEqual(Array.from(straight.prompt.values));
    const steps = readFileSync(join(directory, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).step);
    expect(steps).toEqual(Array.from({ length: straight.steps }, (_, i) => i + 1));
    // a finished run that reran decides alike: it trains nothing more
    expect(trainSoftPrompt(model, initial, train, dev, { ...growing, directory }).steps).toBe(straight.steps);
  }, 240_000);

  it('generates from the cached KV prefix exactly as from the full embeddings', async () => {
    const session = new SoftPromptSession(model, tokenizer, initial);
    const texts = ['Once upon a time, there was a little girl named Sue.', 'Tom had a red ball.'];
    const fromPrefix = await session.generate(texts, { maxTokens: 12 });
    const C = model.config.hiddenSize;
    for (const [i, text] of texts.entries()) {
      const ids = tokenizer.encode(text);
      const embeddings = new Float32Array((ids.length + 16) * C);
      embeddings.set((model.weights.embedding as Float32Array).subarray(ids[0] * C, (ids[0] + 1) * C), 0);
      embeddings.set(initial.values, C);
      ids
        .slice(1)
        .forEach((id, t) =>
          embeddings.set(
            (model.weights.embedding as Float32Array).subarray(id * C, (id + 1) * C),
            (17 + t) * C,
          ),
        );
      const tokens = [ids[0], ...new Array(16).fill(0), ...ids.slice(1)];
      const [full] = await generate(model, tokenizer, [{ tokens, embeddings }], { maxTokens: 12 });
      expect(fromPrefix[i].tokens).toEqual(full.tokens);
    }
    expect(session.prefix!.lengths[0]).toBe(17);
  });
});
