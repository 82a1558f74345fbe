// Parity on features stories260K lacks, against tools/reference/tiny_llama_family.py (an independent
// float64 PyTorch forward): Qwen2 Q/K/V biases with an untied classifier, llama3 RoPE scaling with a
// single key/value head, Mistral's sliding window. Each also survives a round trip through our GGUF writer and loader.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, repositoryRoot } from '../../test/models.js';
import { defaultKernels, jsKernels } from './kernels/index.js';
import { LlamaModel } from './llama.js';
import { loadGguf } from './weights/gguf.js';
import { writeGguf } from './weights/gguf-writer.js';
import { loadHuggingFaceDirectory } from './weights/hf-directory.js';

const directory = mkdtempSync(join(tmpdir(), 'promptune-family-'));

describe.each([
  ['tiny-mistral', { architecture: 'mistral', slidingWindow: 8, tiedEmbeddings: false }],
  ['tiny-qwen2', { architecture: 'qwen2', attentionBias: true, tiedEmbeddings: false }],
  ['tiny-llama3', { architecture: 'llama', attentionBias: false, tiedEmbeddings: true, kvHeads: 1 }],
])('%s', (name, expectedConfig) => {
  const folder = join(repositoryRoot, 'test', 'fixtures', name);
  const reference = JSON.parse(readFileSync(join(folder, 'reference.json'), 'utf8')) as {
    tokens: number[];
    logits: number[][];
  };
  const tokens = Int32Array.from(reference.tokens);
  const expected = reference.logits.flat();
  const { config, weights } = loadHuggingFaceDirectory(folder);

  it('reads the config', () => {
    expect(config).toMatchObject(expectedConfig);
    if (name === 'tiny-llama3') expect(config.ropeScaling?.type).toBe('llama3');
  });

  it.each([jsKernels, defaultKernels()].map((kernels) => [kernels.name, kernels] as const))(
    'matches the reference logits on %s kernels',
    (_kernels, kernels) => {
      const model = new LlamaModel(config, weights, kernels);
      const logits = model.forward({ batch: 1, time: tokens.length, tokens });
      const diff = maxAbsDiff(logits, expected);
      console.log(`${name} ${kernels.name}: max abs diff ${diff.toExponential(3)}`);
      expect(diff).toBeLessThan(1e-4);
    },
  );

  it('is sensitive to the feature under test (the test can fail)', () => {
    const kernels = defaultKernels();
    const withoutFeature: Record<string, () => LlamaModel> = {
      'tiny-mistral': () => new LlamaModel({ ...config, slidingWindow: undefined }, weights, kernels),
      'tiny-llama3': () => new LlamaModel({ ...config, ropeScaling: undefined }, weights, kernels),
      'tiny-qwen2': () => {
        const layers = weights.layers.map((layer) => ({
          ...layer,
          queryBias: null,
          keyBias: null,
          valueBias: null,
        }));
        return new LlamaModel(config, { ...weights, layers }, kernels);
      },
    };
    const without = withoutFeature[name]();
    expect(maxAbsDiff(without.forward({ batch: 1, time: tokens.length, tokens }), expected)).toBeGreaterThan(
      1e-2,
    );
  });

  it('round-trips through GGUF', async () => {
    const path = join(directory, `${name}.gguf`);
    writeGguf(path, config, weights);
    const loaded = await loadGguf(path);
    expect(loaded.config.architecture).toBe(name === 'tiny-qwen2' ? 'qwen2' : 'llama');
    const model = new LlamaModel(loaded.config, loaded.weights, defaultKernels());
    expect(maxAbsDiff(model.forward({ batch: 1, time: tokens.length, tokens }), expected)).toBeLessThan(1e-4);
  });
});
