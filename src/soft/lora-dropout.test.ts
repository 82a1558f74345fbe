// LoRA's dropout against the real PEFT (fixture: tools/reference/peft_lora_dropout.py, PEFT 0.21 with
// lora_dropout 0.3 on the peft-lora fixture's adapter, each dropout module drawing promptune's mask): a
// step's loss and every lora_A and lora_B gradient, and ten AdamW steps (each drawing its own masks)
// follow PEFT's losses and end on its matrices. And in a run: scoring dev never drops, a run with dropout
// trains otherwise than one without, and a run stopped part-way resumes to exactly the adapter of one
// that was not (the masks come from the seed and the step, not from a generator's state).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, stories } from '../../test/models.js';
import { readPeftFixture, type FixtureBatch } from '../../test/peft-fixtures.js';
import { loadModel, packAdapter } from '../engine/index.js';
import { loadLoraAdapter, loraTensors } from './lora-adapter.js';
import { loraTrainable, trainLoraAsync } from './lora-training.js';
import { adamStep, optimizerState } from './optimizer.js';

const { reference, tensors } = readPeftFixture<
  FixtureBatch & { loss: number; losses: number[]; probability: number; seed: number }
>('peft-lora-dropout');
const { folder: loraFixture } = readPeftFixture('peft-lora');

describe('LoRA dropout against PEFT', async () => {
  const { model } = await loadModel(stories.huggingFace);
  const { adapter } = loadLoraAdapter(join(loraFixture, 'adapter'), model);
  const names = Object.keys(loraTensors(adapter));
  const peftPacked = (prefix: string) =>
    Float32Array.from(names.flatMap((name) => Array.from(tensors.get(`${prefix}${name}`)!)));
  // the fixture's rows: BOS first, the last targetTokens the targets, right-padded in one batch
  const examples = reference.rows.map((row) => ({
    inputIds: row.slice(0, -reference.targetTokens),
    targetIds: row.slice(-reference.targetTokens),
  }));
  const { probability, seed } = reference;

  it("gives PEFT's loss and every lora_A and lora_B gradient with its masks", () => {
    const { adapter: packed, values } = packAdapter(adapter);
    const result = loraTrainable(model, packed, values, probability).lossAndGradient(examples, {
      seed,
      step: 1,
    });
    expect(result.loss).toBeCloseTo(reference.loss, 4);
    const peft = peftPacked('grad.');
    const scale = Math.max(...peft.map(Math.abs));
    const diff = maxAbsDiff(result.gradient, peft);
    console.log(
      `LoRA dropout gradient max abs diff ${diff.toExponential(2)} (largest ${scale.toExponential(2)})`,
    );
    expect(diff).toBeLessThan(1e-4 * scale);
    // the masks matter: without dropout the loss is another
    const plain = loraTrainable(model, packed, values).lossAndGradient(examples);
    expect(Math.abs(plain.loss - reference.loss)).toBeGreaterThan(0.01);
  });

  it("follows PEFT's losses for ten AdamW steps, each step its own masks, and ends on its matrices", () => {
    const { adapter: packed, values } = packAdapter(adapter);
    const trainable = loraTrainable(model, packed, values, probability);
    const state = optimizerState(values.length);
    const losses: number[] = [];
    for (let step = 1; step <= reference.steps; step++) {
      const { loss, gradient } = trainable.lossAndGradient(examples, { seed, step });
      losses.push(loss);
      const options = { kind: 'adamw', learningRate: reference.learningRate, weightDecay: 0 } as const;
      adamStep(values, gradient, state, options, reference.learningRate);
    }
    console.log(`LoRA dropout losses ${losses.map((loss) => loss.toFixed(4)).join(' ')}`);
    losses.forEach((loss, step) => expect(loss).toBeCloseTo(reference.losses[step], 3));
    const diff = maxAbsDiff(values, peftPacked('trained.'));
    console.log(`LoRA dropout trained matrices max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-3);
  });

  it('scores dev without dropping, trains otherwise than without it, and resumes a stopped run exactly', async () => {
    const { adapter: packed, values } = packAdapter(adapter);
    const dropping = loraTrainable(model, packed, values, 0.5).evaluate(examples);
    expect(dropping).toEqual(loraTrainable(model, packed, values).evaluate(examples));

    const train = [...examples, ...examples];
    const options = { epochs: 3, batchSize: 3, seed: 4, learningRate: 0.01 };
    const straight = await trainLoraAsync(model, adapter, train, examples, { ...options, dropout: 0.3 });
    const without = await trainLoraAsync(model, adapter, train, examples, options);
    expect(straight.history.map((record) => record.loss)).not.toEqual(
      without.history.map((record) => record.loss),
    );
    const directory = mkdtempSync(join(tmpdir(), 'promptune-lora-dropout-'));
    const stopped = trainLoraAsync(model, adapter, train, examples, {
      ...options,
      dropout: 0.3,
      directory,
      evalEvery: 2,
      onProgress: ({ step }) => {
        if (step === 5) throw new Error('killed');
      },
    });
    await expect(stopped).rejects.toThrow('killed');
    const resumed = await trainLoraAsync(model, adapter, train, examples, {
      ...options,
      dropout: 0.3,
      directory,
      evalEvery: 2,
    });
    expect(resumed.resumedFrom).toBe(4);
    const again = await trainLoraAsync(model, adapter, train, examples, {
      ...options,
      dropout: 0.3,
      evalEvery: 2,
    });
    expect(Array.from(packAdapter(resumed.adapter).values)).toEqual(
      Array.from(packAdapter(again.adapter).values),
    );
  });
});
