// Full fine-tuning against transformers (tools/reference/full_fine_tuning.py): on stories260K and tiny
// Qwen2, Qwen3, Gemma 2 and Gemma 3 checkpoints, one batch's loss and every parameter's gradient, then ten AdamW
// steps over all parameters (no decay on norms and biases): each step's loss and every parameter after
// them. Tensors are compared at the 48 flat indices the fixture keeps, and by their norms.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, stories } from '../../test/models.js';
import { defaultKernels, jsKernels } from '../engine/kernels/index.js';
import { LlamaModel } from '../engine/llama.js';
import { packWeights } from '../engine/weight-training.js';
import {
  huggingFaceArchitectures,
  LAYER_NORMS,
  loadHuggingFaceDirectory,
} from '../engine/weights/hf-directory.js';
import { huggingFaceNames, layerTensorName } from '../engine/weights/names.js';
import { openSafetensors } from '../engine/weights/safetensors.js';
import type { LayerWeights, ModelWeights } from '../engine/weights/types.js';
import { fullTrainable, trainableCopy } from './full-training.js';
import { adamStep, optimizerState } from './optimizer.js';
import type { TokenizedExample } from './sequences.js';

const folder = join(repositoryRoot, 'test', 'fixtures', 'full-fine-tuning');
const reference = JSON.parse(readFileSync(join(folder, 'reference.json'), 'utf8')) as {
  targetTokens: number;
  samples: number;
  steps: number;
  learningRate: number;
  weightDecay: number;
  models: Record<string, { rows: number[][]; loss: number; losses: number[]; parameters: string[] }>;
};
const tensors = openSafetensors([join(folder, 'reference.safetensors')]);
const referenceTensor = (name: string) => tensors.read(name);
const directories: Record<string, string> = {
  stories260K: stories.huggingFace,
  'tiny-qwen2': join(repositoryRoot, 'test', 'fixtures', 'tiny-qwen2'),
  'tiny-qwen3': join(repositoryRoot, 'test', 'fixtures', 'tiny-qwen3'),
  'tiny-gemma2': join(repositoryRoot, 'test', 'fixtures', 'tiny-gemma2'),
  'tiny-gemma3': join(repositoryRoot, 'test', 'fixtures', 'tiny-gemma3'),
};

/** Each transformers parameter name with the tensor of `weights` it is, and whether it is a norm. */
function byName(weights: ModelWeights, type: string): Map<string, { values: Float32Array; norm: boolean }> {
  const table = huggingFaceArchitectures[type].names ?? huggingFaceNames;
  const named = new Map<string, { values: Float32Array; norm: boolean }>();
  named.set(table.model.embedding, { values: weights.embedding as Float32Array, norm: false });
  named.set(table.model.finalNorm, { values: weights.finalNorm, norm: true });
  named.set(table.model.classifier, { values: weights.classifier as Float32Array, norm: false });
  weights.layers.forEach((layer, l) => {
    for (const [field, values] of Object.entries(layer) as [keyof LayerWeights, Float32Array | null][])
      if (values) named.set(layerTensorName(table, field, l), { values, norm: LAYER_NORMS.has(field) });
  });
  return named;
}

/** The tensor's norm and its values at the fixture's indices (minus a norm offset). */
function sampled(values: Float32Array, offset: number): { norm: number; sample: Float32Array } {
  const S = reference.samples;
  const count = values.length;
  const sample = Float32Array.from(
    { length: S },
    (_, i) => values[Math.floor((i * (count - 1)) / (S - 1))] - offset,
  );
  let sum = 0;
  for (const value of values) sum += (value - offset) ** 2;
  return { norm: Math.sqrt(sum), sample };
}

/** The largest difference at the sampled indices, relative to the reference tensor's largest sampled value. */
function compare(ours: Float32Array, expected: Float32Array): number {
  let worst = 0;
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(ours[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return worst / scale;
}

describe.each([
  ['js', jsKernels],
  ['default', defaultKernels()],
] as const)('full fine-tuning matches transformers (%s kernels)', (_kernels, kernels) => {
  it.each(Object.keys(reference.models))('%s: loss, every gradient, ten AdamW steps', (name) => {
    const expected = reference.models[name];
    const directory = directories[name];
    const { config, weights } = loadHuggingFaceDirectory(directory);
    const type = (JSON.parse(readFileSync(join(directory, 'config.json'), 'utf8')) as { model_type: string })
      .model_type;
    const offset = huggingFaceArchitectures[type].normOffset ?? 0;
    const frozen = new LlamaModel(config, weights, kernels);
    const { model, values } = trainableCopy(frozen);
    const trainable = fullTrainable(model, values);
    const rows: TokenizedExample[] = expected.rows.map((row) => ({
      inputIds: row.slice(0, -reference.targetTokens),
      targetIds: row.slice(-reference.targetTokens),
    }));
    const { loss, gradient } = trainable.lossAndGradient(rows);
    expect(Math.abs(loss - expected.loss)).toBeLessThan(2e-4 * Math.max(1, expected.loss));
    // every parameter transformers has is one of ours, and ours has no other
    const gradients = packWeights(model.weights, 'zero');
    gradients.values.set(gradient);
    const ourGradients = byName(gradients.weights, type);
    const distinct = new Set([...ourGradients.values()].map((tensor) => tensor.values));
    expect(distinct.size).toBe(expected.parameters.length);
    for (const parameter of expected.parameters) {
      const ours = ourGradients.get(parameter);
      expect(ours, parameter).toBeDefined();
      const { norm, sample } = sampled(ours!.values, 0);
      const expectedNorm = referenceTensor(`${name}.gradnorm.${parameter}`)[0];
      expect(Math.abs(norm - expectedNorm), parameter).toBeLessThan(1e-3 * Math.max(expectedNorm, 1e-3));
      expect(compare(sample, referenceTensor(`${name}.grad.${parameter}`)), parameter).toBeLessThan(1e-4);
    }
    // ten steps on the same batch, norms and biases without decay
    const state = optimizerState(values.length);
    const optimizer = {
      kind: 'adamw',
      learningRate: reference.learningRate,
      weightDecay: reference.weightDecay,
    } as const;
    const losses: number[] = [];
    for (let step = 0; step < reference.steps; step++) {
      const result = trainable.lossAndGradient(rows);
      losses.push(result.loss);
      adamStep(values, result.gradient, state, optimizer, reference.learningRate, trainable.decays);
    }
    losses.forEach((value, step) =>
      expect(Math.abs(value - expected.losses[step]), `step ${step + 1}`).toBeLessThan(
        2e-3 * Math.max(1, expected.losses[step]),
      ),
    );
    const trained = byName(model.weights, type);
    for (const parameter of expected.parameters) {
      const ours = trained.get(parameter)!;
      const { norm, sample } = sampled(ours.values, ours.norm ? offset : 0);
      const expectedNorm = referenceTensor(`${name}.trainednorm.${parameter}`)[0];
      expect(Math.abs(norm - expectedNorm), parameter).toBeLessThan(1e-4 * Math.max(expectedNorm, 1));
      // Adam divides by the gradient's own size, so a value whose gradient is near zero moves by rounding
      expect(compare(sample, referenceTensor(`${name}.trained.${parameter}`)), parameter).toBeLessThan(3e-3);
    }
    // the frozen model was not touched
    expect(packWeights(frozen.weights).values).toEqual(
      packWeights(loadHuggingFaceDirectory(directory).weights).values,
    );
  });
});
