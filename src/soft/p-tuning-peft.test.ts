// P-tuning against the real PEFT (fixture: tools/reference/peft_p_tuning.py, PEFT 0.21 on stories260K,
// 4 virtual tokens from its MLP prompt encoder): the encoder's prompt gives PEFT's logits and loss, every
// gradient of the encoder's embedding, weights and biases; ten AdamW steps follow PEFT's losses and end on
// its parameters. PEFT's saved adapter (the encoder's output) loads as a soft prompt, and the adapter
// promptune writes holds its prompt as P_TUNING; with PROMPTUNE_PEFT_PYTHON, PEFT loads it too.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, stories } from '../../test/models.js';
import {
  expectPeftRoundTrip,
  readPeftFixture,
  rowLogitsDifference,
  type FixtureBatch,
} from '../../test/peft-fixtures.js';
import { loadModel } from '../engine/index.js';
import { packMlp, runMlp } from './encoder-mlp.js';
import { adamStep, optimizerState } from './optimizer.js';
import { loadAdapter, saveAdapter } from './peft-adapter.js';
import { lstmEncoderSize, viewLstmEncoder } from './lstm-encoder.js';
import { encodePrompt, promptEncoderTrainable } from './prompt-encoder.js';
import { buildBatch } from './sequences.js';
import type { SoftPrompt } from './soft-prompt.js';

const {
  folder: fixture,
  reference,
  tensors: fixtureTensors,
} = readPeftFixture<
  FixtureBatch & {
    virtualTokens: number;
    encoderHidden: number;
    loss: number;
    losses: number[];
  }
>('peft-p-tuning');

/** PEFT's encoder parameters in the order promptune packs them. */
const ORDER = [
  'embedding.weight',
  'mlp_head.0.weight',
  'mlp_head.0.bias',
  'mlp_head.2.weight',
  'mlp_head.2.bias',
  'mlp_head.4.weight',
  'mlp_head.4.bias',
];

describe('P-tuning against PEFT', async () => {
  const { model } = await loadModel(stories.huggingFace);
  const expected = fixtureTensors;
  const { hiddenSize: C, vocabularySize: V } = model.config;
  const P = reference.virtualTokens;
  const H = reference.encoderHidden;
  const shape = { rows: P, sizes: [C, H, H, C], activation: 'relu' as const };
  const packed = (prefix: string) => ORDER.map((name) => expected.get(`${prefix}.${name}`)!);
  const examples = reference.rows.map((row) => ({
    inputIds: row.slice(0, row.length - reference.targetTokens),
    targetIds: row.slice(row.length - reference.targetTokens),
  }));
  const promptOf = (values: Float32Array): SoftPrompt => ({
    virtualTokens: P,
    hiddenSize: C,
    values,
    layout: 'peft',
  });
  const T = buildBatch(model, promptOf(new Float32Array(P * C)), examples).time;
  const adamw = { kind: 'adamw', learningRate: reference.learningRate, weightDecay: 0 } as const;

  // what soft train --method p-tuning steps, on the fixture's rows
  const lossAndGradient = (encoder: ReturnType<typeof packMlp>) =>
    promptEncoderTrainable(model, encoder, 'peft').lossAndGradient(examples);

  it("gives PEFT's logits, loss and every gradient of the encoder", () => {
    const encoder = packMlp(packed('initial'), shape);
    const { loss, gradient } = lossAndGradient(encoder);
    expect(loss).toBeCloseTo(reference.loss, 4);
    const batch = buildBatch(model, promptOf(runMlp(model.kernels, encoder).output), examples);
    // PEFT's logits cover the virtual tokens too: (B, P + time, V) against ours (B, T, V)
    const logits = model.forward({ batch: batch.batch, time: T, embeddings: batch.embeddings });
    const peft = expected.get('logits')!;
    const diff = rowLogitsDifference(logits, peft, reference.rows, T, V, P);
    console.log(`P-tuning logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(2e-4);
    const theirs = packMlp(packed('grad'), shape).values;
    const scale = Math.max(...theirs.map(Math.abs));
    const gradientDiff = maxAbsDiff(gradient, theirs);
    console.log(
      `P-tuning gradient max abs diff ${gradientDiff.toExponential(2)} (largest ${scale.toExponential(2)})`,
    );
    expect(gradientDiff).toBeLessThan(1e-4 * scale);
  });

  it("follows PEFT's losses for ten AdamW steps and ends on its encoder", () => {
    const encoder = packMlp(packed('initial'), shape);
    const state = optimizerState(encoder.values.length);
    const losses: number[] = [];
    for (let step = 0; step < reference.steps; step++) {
      const { loss, gradient } = lossAndGradient(encoder);
      losses.push(loss);
      adamStep(encoder.values, gradient, state, adamw, reference.learningRate);
    }
    console.log(`P-tuning losses ${losses.map((loss) => loss.toFixed(4)).join(' ')}`);
    losses.forEach((loss, step) => expect(loss).toBeCloseTo(reference.losses[step], 3));
    const diff = maxAbsDiff(encoder.values, packMlp(packed('trained'), shape).values);
    console.log(`P-tuning trained encoder max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-3);
  });

  it("loads PEFT's adapter as the prompt its encoder made, and writes one PEFT loads", () => {
    const { prompt, config } = loadAdapter(join(fixture, 'adapter'), model);
    expect(config.peft_type).toBe('P_TUNING');
    const made = runMlp(model.kernels, packMlp(packed('initial'), shape)).output;
    expect(maxAbsDiff(prompt.values, made)).toBeLessThan(1e-5);
    expect(prompt.layout).toBe('peft');
    const directory = mkdtempSync(join(tmpdir(), 'promptune-p-tuning-'));
    saveAdapter(directory, prompt, model, {
      baseModelName: 'stories260K-hf',
      method: 'p-tuning',
      encoderHidden: H,
    });
    const written = JSON.parse(readFileSync(join(directory, 'adapter_config.json'), 'utf8'));
    expect(written).toMatchObject({ peft_type: 'P_TUNING', encoder_hidden_size: H, num_virtual_tokens: P });
    expect(loadAdapter(directory, model).prompt.values).toEqual(prompt.values);
    expectPeftRoundTrip('peft_p_tuning', directory, expected.get('logits')!, "promptune's P-tuning adapter");
  });
});

const lstm = readPeftFixture<
  FixtureBatch & {
    virtualTokens: number;
    encoderHidden: number;
    encoderLayers: number;
    loss: number;
    losses: number[];
  }
>('peft-p-tuning-lstm');

/** PEFT's LSTM encoder parameters in the order promptune packs them (named_parameters' order). */
const LSTM_ORDER = [
  'embedding.weight',
  ...[0, 1].flatMap((layer) =>
    ['', '_reverse'].flatMap((direction) =>
      ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map(
        (name) => `lstm_head.${name}_l${layer}${direction}`,
      ),
    ),
  ),
  'mlp_head.0.weight',
  'mlp_head.0.bias',
  'mlp_head.2.weight',
  'mlp_head.2.bias',
];

describe('P-tuning with the LSTM encoder against PEFT', async () => {
  const { model } = await loadModel(stories.huggingFace);
  const { reference: lstmReference, tensors } = lstm;
  const { hiddenSize: C, vocabularySize: V } = model.config;
  const P = lstmReference.virtualTokens;
  const shape = {
    rows: P,
    size: C,
    hidden: lstmReference.encoderHidden,
    layers: lstmReference.encoderLayers,
  };
  const packed = (prefix: string) => {
    const parts = LSTM_ORDER.map((name) => tensors.get(`${prefix}.${name}`)!);
    const values = new Float32Array(lstmEncoderSize(shape));
    let offset = 0;
    for (const part of parts) {
      values.set(part, offset);
      offset += part.length;
    }
    expect(offset).toBe(values.length);
    return viewLstmEncoder(values, shape);
  };
  const examples = lstmReference.rows.map((row) => ({
    inputIds: row.slice(0, row.length - lstmReference.targetTokens),
    targetIds: row.slice(row.length - lstmReference.targetTokens),
  }));
  const trainable = (encoder: ReturnType<typeof packed>) => promptEncoderTrainable(model, encoder, 'peft');

  it("gives PEFT's logits, loss and every gradient of the LSTM and its head", () => {
    const encoder = packed('initial');
    const { loss, gradient } = trainable(encoder).lossAndGradient(examples);
    expect(loss).toBeCloseTo(lstmReference.loss, 4);
    const prompt = encodePrompt(model, encoder, 'peft');
    const batch = buildBatch(model, prompt, examples);
    const logits = model.forward({ batch: batch.batch, time: batch.time, embeddings: batch.embeddings });
    const diff = rowLogitsDifference(logits, tensors.get('logits')!, lstmReference.rows, batch.time, V, P);
    console.log(`P-tuning (LSTM) logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(2e-4);
    const theirs = packed('grad').values;
    const scale = Math.max(...theirs.map(Math.abs));
    const gradientDiff = maxAbsDiff(gradient, theirs);
    console.log(
      `P-tuning (LSTM) gradient max abs diff ${gradientDiff.toExponential(2)} (largest ${scale.toExponential(2)})`,
    );
    expect(gradientDiff).toBeLessThan(1e-4 * scale);
  });

  it("follows PEFT's losses for ten AdamW steps and ends on its encoder", () => {
    const encoder = packed('initial');
    const state = optimizerState(encoder.values.length);
    const adamw = { kind: 'adamw', learningRate: lstmReference.learningRate, weightDecay: 0 } as const;
    const losses: number[] = [];
    for (let step = 0; step < lstmReference.steps; step++) {
      const { loss, gradient } = trainable(encoder).lossAndGradient(examples);
      losses.push(loss);
      adamStep(encoder.values, gradient, state, adamw, lstmReference.learningRate);
    }
    console.log(`P-tuning (LSTM) losses ${losses.map((loss) => loss.toFixed(4)).join(' ')}`);
    // within 1e-4 of each loss (about 0.002 here): which float32 kernels OpenBLAS runs (Haswell's, SkylakeX's,
    // Prescott's) moves the sums by an ulp, the ReLU kinks below make that a step of Adam's, and the losses of
    // later steps then differ by up to 0.0011 from kernels to kernels (measured)
    losses.forEach((loss, step) =>
      expect(Math.abs(loss - lstmReference.losses[step])).toBeLessThan(1e-4 * lstmReference.losses[step]),
    );
    const theirs = packed('trained').values;
    const diff = maxAbsDiff(encoder.values, theirs);
    const differences = encoder.values.map((value, i) => Math.abs(value - theirs[i])).sort();
    const at = (quantile: number) => differences[Math.floor(differences.length * quantile)];
    console.log(
      `P-tuning (LSTM) trained encoder max abs diff ${diff.toExponential(2)}, median ${at(0.5).toExponential(2)}, 99th percentile ${at(0.99).toExponential(2)}`,
    );
    // Adam moves a weight whose gradient is float32 noise by up to a whole step of 0.01, whichever way the
    // noise points, and a head unit at ReLU's zero gets 0 in one and 1e-9 in the other: how far the weights
    // drift apart in ten steps depends on the kernels (measured: median 1e-6 with OpenBLAS's SkylakeX
    // kernels, 5e-6 with Prescott's, 5e-5 with Haswell's; at most 1.0e-2), while a wrong gradient anywhere
    // moves the median toward the 0.1 of ten whole steps
    expect(at(0.5)).toBeLessThan(1e-4);
    expect(at(0.99)).toBeLessThan(1e-3);
    expect(diff).toBeLessThan(2e-2);
  });

  it("loads PEFT's LSTM adapter as the prompt its encoder made", () => {
    const { prompt, config } = loadAdapter(join(lstm.folder, 'adapter'), model);
    expect(config).toMatchObject({ peft_type: 'P_TUNING', encoder_reparameterization_type: 'LSTM' });
    expect(maxAbsDiff(prompt.values, encodePrompt(model, packed('initial'), 'peft').values)).toBeLessThan(
      1e-5,
    );
  });
});
