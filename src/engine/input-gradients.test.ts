// Gradients to the input embeddings against ../shared's soft_prompt_fixture.json (an independent
// PyTorch implementation): the loss and the prompt gradient of a 16-token soft prompt on stories260K,
// then 10 Adam steps (loss and prompt after each), on both kernel sets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, sharedModels, stories } from '../../test/models.js';
import { inputGradients } from './input-gradients.js';
import { jsKernels, loadNativeKernels } from './kernels/index.js';
import { LlamaModel } from './llama.js';
import { loadLlama2c } from './weights/llama2c.js';

interface Fixture {
  n_prompt: number;
  dim: number;
  input_ids_padded: number[][];
  labels: number[][];
  optimizer: { lr: number; beta1: number; beta2: number; eps: number };
  float64: { initial_prompt: number[][]; initial_loss: number; initial_grad: number[][] };
  float32: {
    initial_loss: number;
    initial_grad: number[][];
    loss_after_step: number[];
    prompt_after_step: number[][][];
  };
}

const fixture = JSON.parse(
  readFileSync(join(sharedModels, 'stories260K', 'soft_prompt_fixture.json'), 'utf8'),
) as Fixture;
const { config, weights } = loadLlama2c(stories.llama2c);
const B = fixture.input_ids_padded.length;
const T = fixture.input_ids_padded[0].length;
const P = fixture.n_prompt;
const C = fixture.dim;

/** Layout [BOS][prompt][input][target][padding]: prompt rows at positions 1..P, pads embed as id 0. */
function embed(prompt: Float32Array): Float32Array {
  const embeddings = new Float32Array(B * T * C);
  fixture.input_ids_padded.forEach((ids, b) =>
    ids.forEach((id, t) => {
      const row =
        t >= 1 && t <= P
          ? prompt.subarray((t - 1) * C, t * C)
          : (weights.embedding as Float32Array).subarray(id * C, (id + 1) * C);
      embeddings.set(row, (b * T + t) * C);
    }),
  );
  return embeddings;
}

/** Position t predicts the label at t + 1 (-100 in the fixture means none). */
const targets = Int32Array.from({ length: B * T }, (_, i) => {
  const [b, t] = [Math.floor(i / T), i % T];
  const label = t + 1 < T ? fixture.labels[b][t + 1] : -100;
  return label === -100 ? -1 : label;
});

function promptGradient(model: LlamaModel, prompt: Float32Array) {
  const { loss, dembeddings } = inputGradients(model, {
    batch: B,
    time: T,
    embeddings: embed(prompt),
    targets,
  });
  const gradient = new Float32Array(P * C);
  for (let b = 0; b < B; b++) for (let i = 0; i < P * C; i++) gradient[i] += dembeddings[(b * T + 1) * C + i];
  return { loss, gradient };
}

const native = loadNativeKernels();

describe.each([jsKernels, ...(native ? [native] : [])].map((kernels) => [kernels.name, kernels] as const))(
  'soft prompt fixture on %s kernels',
  (name, kernels) => {
    const model = new LlamaModel(config, weights, kernels);
    const initial = Float32Array.from(fixture.float64.initial_prompt.flat());

    it('initial loss and prompt gradient', () => {
      const { loss, gradient } = promptGradient(model, initial);
      const diff = maxAbsDiff(gradient, fixture.float64.initial_grad.flat());
      console.log(
        `${name}: loss ${loss} (reference ${fixture.float64.initial_loss}), gradient max abs diff ${diff.toExponential(2)}`,
      );
      expect(Math.abs(loss - fixture.float64.initial_loss)).toBeLessThan(1e-5);
      expect(diff).toBeLessThan(1e-6);
    });

    it('10 Adam steps follow the reference', () => {
      const { lr, beta1, beta2, eps } = fixture.optimizer;
      const prompt = Float64Array.from(initial);
      const m = new Float64Array(P * C);
      const v = new Float64Array(P * C);
      for (let step = 1; step <= 10; step++) {
        const { gradient } = promptGradient(model, Float32Array.from(prompt));
        for (let i = 0; i < P * C; i++) {
          m[i] = beta1 * m[i] + (1 - beta1) * gradient[i];
          v[i] = beta2 * v[i] + (1 - beta2) * gradient[i] * gradient[i];
          prompt[i] -=
            ((lr / (1 - beta1 ** step)) * m[i]) / (Math.sqrt(v[i]) / Math.sqrt(1 - beta2 ** step) + eps);
        }
        const { loss } = promptGradient(model, Float32Array.from(prompt));
        expect(
          Math.abs(loss - fixture.float32.loss_after_step[step - 1]),
          `loss after step ${step}`,
        ).toBeLessThan(2e-5);
        expect(
          maxAbsDiff(prompt, fixture.float32.prompt_after_step[step - 1].flat()),
          `prompt after step ${step}`,
        ).toBeLessThan(2e-5);
      }
    });
  },
);
