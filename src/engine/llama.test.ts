// The decoder against stories260K's float64 PyTorch reference, from every file format and on both
// kernel sets; and the equivalences the engine promises (embeddings = tokens, cache = no cache,
// padded batch = one by one, training's forward = inference's).
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, referenceLogits, stories } from '../../test/models.js';
import { jsKernels, loadNativeKernels } from './kernels/index.js';
import { inputGradients } from './input-gradients.js';
import { loadModel } from './load-model.js';

const reference = referenceLogits();
const expected = reference.logits.flat();
const native = loadNativeKernels();
const kernelSets = [jsKernels, ...(native ? [native] : [])];

describe.each([
  ['GGUF', stories.gguf],
  ['llama2.c', stories.llama2c],
  ['Hugging Face directory', stories.huggingFace],
])('stories260K from %s', (_format, path) => {
  it.each(kernelSets.map((kernels) => [kernels.name, kernels] as const))(
    'matches the reference logits on %s kernels',
    async (_name, kernels) => {
      const { model } = await loadModel(path, { kernels });
      const logits = model.forward({ batch: 1, time: 16, tokens: Int32Array.from(reference.fixed_tokens) });
      const diff = maxAbsDiff(logits, expected);
      console.log(`${_format} ${kernels.name}: max abs diff ${diff.toExponential(3)}`);
      expect(logits.length).toBe(16 * 512);
      expect(diff).toBeLessThan(1e-4);
    },
  );
});

describe('forward equivalences (stories260K, default kernels)', async () => {
  const { model } = await loadModel(stories.gguf);
  const C = model.config.hiddenSize;
  const V = model.config.vocabularySize;
  const tokens = Int32Array.from(reference.fixed_tokens);

  it('embeddings forward equals token forward when fed the embedding rows', () => {
    const embeddings = new Float32Array(16 * C);
    tokens.forEach((token, t) =>
      embeddings.set((model.weights.embedding as Float32Array).subarray(token * C, (token + 1) * C), t * C),
    );
    const fromTokens = model.forward({ batch: 1, time: 16, tokens });
    const fromEmbeddings = model.forward({ batch: 1, time: 16, embeddings });
    expect(maxAbsDiff(fromTokens, fromEmbeddings)).toBe(0);
  });

  it('cached decoding equals the uncached forward, position by position', () => {
    const full = model.forward({ batch: 1, time: 16, tokens });
    const cache = model.createCache(1, 32);
    const prefill = model.forward({ batch: 1, time: 6, tokens: tokens.subarray(0, 6), cache });
    expect(maxAbsDiff(prefill, full.subarray(0, 6 * V))).toBeLessThan(1e-5);
    for (let t = 6; t < 16; t++) {
      const step = model.forward({ batch: 1, time: 1, tokens: tokens.subarray(t, t + 1), cache });
      expect(maxAbsDiff(step, full.subarray(t * V, (t + 1) * V))).toBeLessThan(1e-5);
    }
    expect(cache.lengths[0]).toBe(16);
  });

  it('a right-padded batch gives each row the logits it gets alone', () => {
    const rows = [tokens.subarray(0, 16), tokens.subarray(0, 5), tokens.subarray(3, 12)];
    const T = 16;
    const batch = new Int32Array(rows.length * T).fill(2);
    rows.forEach((row, b) => batch.set(row, b * T));
    const lengths = Int32Array.from(rows, (row) => row.length);
    const together = model.forward({ batch: rows.length, time: T, tokens: batch, lengths });
    rows.forEach((row, b) => {
      const alone = model.forward({ batch: 1, time: row.length, tokens: row });
      // float32 GEMMs of different sizes sum in different orders: equal up to rounding
      expect(maxAbsDiff(together.subarray(b * T * V, (b * T + row.length) * V), alone)).toBeLessThan(1e-4);
    });
    const last = model.forward({ batch: rows.length, time: T, tokens: batch, lengths, logits: 'last' });
    rows.forEach((row, b) =>
      expect(
        maxAbsDiff(
          last.subarray(b * V, (b + 1) * V),
          together.subarray((b * T + row.length - 1) * V, (b * T + row.length) * V),
        ),
      ).toBeLessThan(1e-5),
    );
  });

  it('training runs the same forward pass: its losses are those of the inference logits', () => {
    // one forward pass serves both: per-position cross-entropy of inference's logits equals the losses
    // inputGradients computes from its own kept activations, to the last bit
    const embeddings = new Float32Array(16 * C);
    tokens.forEach((token, t) =>
      embeddings.set((model.weights.embedding as Float32Array).subarray(token * C, (token + 1) * C), t * C),
    );
    const targets = new Int32Array(16).fill(-1);
    for (let t = 0; t < 15; t++) targets[t] = tokens[t + 1];
    const { losses } = inputGradients(model, { batch: 1, time: 16, embeddings, targets });
    const logits = model.forward({ batch: 1, time: 16, embeddings });
    const expectedLosses = new Float32Array(16);
    model.kernels.crossEntropyForward(expectedLosses, logits, targets, 16, V);
    expect(Array.from(losses)).toEqual(Array.from(expectedLosses));
  });
});
