// Full fine-tuning of a model past what a JSON checkpoint could hold: 6.95M weights, whose checkpoint
// as JSON text (four arrays of them) would outgrow V8's longest string, train, checkpoint into the
// binary file and resume to exactly the weights of a run that was not stopped. The size check refuses
// only what would not fit in memory.
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomWeights } from '../../test/random-weights.js';
import { defaultKernels, LlamaModel, seededRandom, type ModelConfig } from '../engine/index.js';
import {
  checkFullFineTuningSize,
  FULL_FINE_TUNING_BYTES_PER_WEIGHT,
  fullFineTuningFits,
  parameterCount,
  trainFullAsync,
} from './full-training.js';
import type { TokenizedExample } from './sequences.js';

const config: ModelConfig = {
  architecture: 'llama',
  hiddenSize: 512,
  intermediateSize: 1408,
  layers: 2,
  heads: 8,
  kvHeads: 8,
  headDim: 64,
  vocabularySize: 512,
  contextLength: 64,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  ropeStyle: 'interleaved',
  tiedEmbeddings: false,
  attentionBias: false,
  bosTokenId: 1,
  eosTokenIds: [2],
};

describe('full fine-tuning of a model of 6.95M weights', () => {
  const base = new LlamaModel(config, randomWeights(config, 5), defaultKernels());
  const random = seededRandom(3);
  const ids = (count: number) => Array.from({ length: count }, () => 3 + Math.floor(random() * 500));
  const examples: TokenizedExample[] = Array.from({ length: 12 }, () => ({
    inputIds: ids(8),
    targetIds: ids(2),
  }));
  const [train, dev] = [examples.slice(0, 8), examples.slice(8)];
  const options = { steps: 2, batchSize: 4, evalEvery: 1, seed: 0 };

  it('checkpoints into its binary file and resumes exactly', async () => {
    const parameters = parameterCount(base);
    expect(parameters).toBe(6_949_376);
    const straight = await trainFullAsync(base, train, dev, options);
    const directory = mkdtempSync(join(tmpdir(), 'promptune-full-size-'));
    await expect(
      trainFullAsync(base, train, dev, {
        ...options,
        directory,
        onProgress: ({ step }) => {
          if (step === 1) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    // the parameters and the best (float32), Adam's moments (float64)
    const files = readdirSync(directory).filter((name) => name.endsWith('.bin'));
    expect(files).toHaveLength(1);
    const [file] = files;
    expect(statSync(join(directory, file)).size).toBe(parameters * (4 + 8 + 8 + 4));
    const resumed = await trainFullAsync(base, train, dev, { ...options, directory });
    expect(resumed.resumedFrom).toBe(1);
    // compared as bytes: a deep equality of 7M elements takes a minute
    const bytes = (values: Float32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    expect(bytes(resumed.values).equals(bytes(straight.values))).toBe(true);
    expect(resumed.history.map((record) => record.loss)).toEqual(
      straight.history.map((record) => record.loss),
    );
  }, 120_000);
});

describe('the full fine-tuning size check', () => {
  it("takes SmolLM2-135M's 134.5M weights on 24 GB and refuses 1.24B", () => {
    const memory = 24e9;
    expect(fullFineTuningFits(134_515_008, memory)).toBe(true);
    expect(() => checkFullFineTuningSize(134_515_008, memory)).not.toThrow();
    expect(fullFineTuningFits(1_235_814_400, memory)).toBe(false);
    expect(() => checkFullFineTuningSize(1_235_814_400, memory)).toThrow(
      expect.objectContaining({
        code: 'FULL_FINE_TUNING_TOO_LARGE',
        message: expect.stringContaining(
          `full fine-tuning of 1,235,814,400 weights keeps about ${((1_235_814_400 * FULL_FINE_TUNING_BYTES_PER_WEIGHT) / 1e9).toFixed(1)} GB`,
        ),
      }),
    );
  });
});
