// Training a key/value prefix runs no placeholder positions: each row attends to the prefix as its past.
// Checked against the serving path, which runs the placeholders and overwrites their keys and values
// (decoder.ts prefixForward): the same loss, and the prefix gradient its central differences give, on
// Gemma 2 (soft-capped attention, sliding windows of 5 shorter than a row) and Gemma 3 (QK-norm, heads of
// 32 that take the native GEMM path), with the JS and default kernels.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../test/models.js';
import { inputGradients } from './input-gradients.js';
import { keyValueWidth, type KeyValuePrefix } from './key-value-prefix.js';
import { defaultKernels, jsKernels } from './kernels/index.js';
import { LlamaModel } from './llama.js';
import { seededRandom } from './random.js';
import { loadHuggingFaceDirectory } from './weights/hf-directory.js';

const [B, P, own] = [2, 3, 9];
const T = P + own;

/** Token-mean cross-entropy (float64) over the targeted positions of the serving path's logits. */
function servingLoss(
  model: LlamaModel,
  prefix: KeyValuePrefix,
  embeddings: Float32Array,
  targets: Int32Array,
) {
  const V = model.config.vocabularySize;
  const logits = model.forward({ batch: B, time: T, embeddings, adapters: [prefix, prefix] });
  let total = 0;
  let count = 0;
  targets.forEach((target, i) => {
    if (target < 0) return;
    const row = logits.subarray(i * V, (i + 1) * V);
    const maximum = Math.max(...row);
    let sum = 0;
    for (const value of row) sum += Math.exp(value - maximum);
    total += maximum + Math.log(sum) - row[target];
    count++;
  });
  return total / count;
}

describe.each([
  ['js', jsKernels],
  ['default', defaultKernels()],
] as const)('a prefix attended as a past (%s kernels)', (_name, kernels) => {
  it.each(['tiny-gemma2', 'tiny-gemma3'])('%s: the serving path’s loss and gradient', (name) => {
    const { config, weights } = loadHuggingFaceDirectory(join(repositoryRoot, 'test', 'fixtures', name));
    const model = new LlamaModel(config, weights, kernels);
    const random = seededRandom(7);
    const { hiddenSize: C, vocabularySize: V, layers: L } = config;
    const values = Float32Array.from({ length: L * 2 * P * keyValueWidth(config) }, () => random() * 2 - 1);
    const prefix: KeyValuePrefix = { kind: 'prefix', length: P, values };
    // placeholders (zeros, no targets), then the rows' own vectors; row 1 ends early (padding)
    const embeddings = new Float32Array(B * T * C);
    for (let b = 0; b < B; b++)
      for (let i = (b * T + P) * C; i < (b + 1) * T * C; i++) embeddings[i] = random() * 2 - 1;
    const targets = new Int32Array(B * T).fill(-1);
    for (const t of [P + 1, P + 5, T - 1]) targets[t] = Math.floor(random() * V);
    for (const t of [P, P + 4]) targets[T + t] = Math.floor(random() * V);

    const result = inputGradients(model, { batch: B, time: T, embeddings, targets, adapter: prefix });
    const expected = servingLoss(model, prefix, embeddings, targets);
    expect(Math.abs(result.loss - expected)).toBeLessThan(1e-5 * expected);
    expect(result.count).toBe(5);
    // the placeholders get neither loss nor gradient
    for (let b = 0; b < B; b++) {
      expect(result.losses.subarray(b * T, b * T + P).every((loss) => loss === 0)).toBe(true);
      expect(result.dembeddings.subarray(b * T * C, (b * T + P) * C).every((value) => value === 0)).toBe(
        true,
      );
    }
    // the prefix gradient: central differences of the serving loss at entries of every layer
    const gradient = result.adapterGradients!;
    const scale = Math.max(...gradient.map(Math.abs));
    const step = 1e-2;
    let worst = 0;
    for (let trial = 0; trial < 12; trial++) {
      const i = Math.floor((trial / 12) * values.length + random() * (values.length / 12));
      const saved = values[i];
      values[i] = saved + step;
      const plus = servingLoss(model, prefix, embeddings, targets);
      values[i] = saved - step;
      const minus = servingLoss(model, prefix, embeddings, targets);
      values[i] = saved;
      worst = Math.max(worst, Math.abs((plus - minus) / (2 * step) - gradient[i]));
    }
    expect(worst / scale).toBeLessThan(2e-2);
  });

  it('drops a target on the last placeholder, as PEFT does, and refuses rows of placeholders only', () => {
    const { config, weights } = loadHuggingFaceDirectory(
      join(repositoryRoot, 'test', 'fixtures', 'tiny-gemma2'),
    );
    const model = new LlamaModel(config, weights, kernels);
    const random = seededRandom(3);
    const values = Float32Array.from(
      { length: config.layers * 2 * P * keyValueWidth(config) },
      () => random() - 0.5,
    );
    const adapter: KeyValuePrefix = { kind: 'prefix', length: P, values };
    const embeddings = Float32Array.from({ length: B * T * config.hiddenSize }, () => random() - 0.5);
    const targets = new Int32Array(B * T).fill(-1);
    targets[T - 1] = 5;
    targets[2 * T - 2] = 7;
    const plain = inputGradients(model, { batch: B, time: T, embeddings, targets, adapter });
    const withPlaceholderTarget = targets.slice();
    withPlaceholderTarget[P - 1] = 4; // a row with no token before its first target
    const dropped = inputGradients(model, {
      batch: B,
      time: T,
      embeddings,
      targets: withPlaceholderTarget,
      adapter,
    });
    expect(dropped.count).toBe(2);
    expect(dropped.loss).toBe(plain.loss);
    expect(() =>
      inputGradients(model, {
        batch: B,
        time: P,
        embeddings,
        targets: new Int32Array(B * P).fill(1),
        adapter,
      }),
    ).toThrow(expect.objectContaining({ code: 'ADAPTER_PREFIX_UNPLACED' }));
  });
});
