// GGUF files in every file type: written by our writer (ggml's quantizers), read back by our loader, and
// converted by `promptune model convert`. A model whose rows are whole K-quant blocks shows each type's
// error against float32 falling as its bits rise; the CLI converts the real stories260K GGUF.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultKernels,
  inputGradients,
  isQuantized,
  LlamaModel,
  matrixBytes,
  writeGguf,
  type ModelConfig,
} from '../src/engine/index.js';
import { modelFingerprint } from '../src/soft/index.js';
import { loadGguf } from '../src/engine/weights/gguf.js';
import { maxAbsDiff, repositoryRoot, stories } from './models.js';
import { randomWeights } from './random-weights.js';

const directory = mkdtempSync(join(tmpdir(), 'promptune-convert-'));

/** Rows of 256 and 512 values, so every K-quant applies without falling back. */
const config: ModelConfig = {
  architecture: 'llama',
  hiddenSize: 256,
  intermediateSize: 512,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  headDim: 64,
  vocabularySize: 256,
  contextLength: 128,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  ropeStyle: 'interleaved',
  tiedEmbeddings: false,
  attentionBias: false,
  bosTokenId: 1,
  eosTokenIds: [2],
};

describe('GGUF file types through our writer and loader', () => {
  const weights = randomWeights(config, 11);
  const tokens = Int32Array.from({ length: 12 }, (_, i) => (i * 37 + 5) % 256);
  const exact = new LlamaModel(config, weights, defaultKernels()).forward({ batch: 1, time: 12, tokens });
  const scale = Math.max(...exact.map(Math.abs));

  it('each K-quant mix stays closer to float32 the more bits it has', async () => {
    const errors: Record<string, number> = {};
    for (const fileType of ['q2_k', 'q3_k_m', 'q4_k_m', 'q5_k_m', 'q6_k', 'q8_0'] as const) {
      const path = join(directory, `random-${fileType}.gguf`);
      const written = writeGguf(path, config, weights, { fileType });
      const loaded = await loadGguf(path);
      expect(loaded.metadata['general.file_type']).toBeGreaterThan(0);
      const logits = new LlamaModel(loaded.config, loaded.weights, defaultKernels()).forward({
        batch: 1,
        time: 12,
        tokens,
      });
      errors[fileType] = maxAbsDiff(logits, exact) / scale;
      if (fileType === 'q4_k_m')
        expect(new Set(written.tensors.map((tensor) => tensor.type))).toEqual(
          new Set(['Q4_K', 'Q6_K', 'F32']),
        );
    }
    console.log(`relative max logit error: ${JSON.stringify(errors)}`);
    const ordered = Object.values(errors);
    for (let i = 1; i < ordered.length; i++) expect(ordered[i]).toBeLessThan(ordered[i - 1]);
    expect(errors.q8_0).toBeLessThan(0.05);
    expect(errors.q2_k).toBeLessThan(1);
  });
});

describe('quantized weights kept in memory', () => {
  it('give the logits and input gradients of the same file expanded to float32, in a fraction of the memory', async () => {
    const weights = randomWeights(config, 11);
    const path = join(directory, 'kept-q4_k_m.gguf');
    writeGguf(path, config, weights, { fileType: 'q4_k_m' });
    const open = async (keepQuantized: boolean) => {
      const loaded = await loadGguf(path, { keepQuantized });
      return new LlamaModel(loaded.config, loaded.weights, defaultKernels());
    };
    const kept = await open(true);
    const expanded = await open(false);
    expect(isQuantized(kept.weights.layers[0].query)).toBe(true);
    expect(isQuantized(expanded.weights.layers[0].query)).toBe(false);
    const bytes = (model: LlamaModel) =>
      model.weights.layers.reduce(
        (sum, layer) => sum + matrixBytes(layer.query) + matrixBytes(layer.down),
        0,
      );
    expect(bytes(kept) * 5).toBeLessThan(bytes(expanded));
    // adapters are tied to a model by this hash: the same file hashes alike in either form
    expect(modelFingerprint(kept)).toBe(modelFingerprint(expanded));
    const tokens = Int32Array.from({ length: 12 }, (_, i) => (i * 37 + 5) % 256);
    for (const time of [1, 12]) {
      // one position takes the decode-step kernel, twelve the tiled one
      const input = { batch: 1, time, tokens: tokens.subarray(0, time) };
      const a = kept.forward(input);
      const b = expanded.forward(input);
      expect(maxAbsDiff(a, b) / Math.max(...b.map(Math.abs))).toBeLessThan(1e-5);
    }
    const embeddings = Float32Array.from({ length: 12 * 256 }, (_, i) => Math.sin(i) * 0.1);
    const targets = Int32Array.from(tokens);
    const gradient = (model: LlamaModel) =>
      inputGradients(model, { batch: 1, time: 12, embeddings, targets }).dembeddings;
    const expected = gradient(expanded);
    expect(maxAbsDiff(gradient(kept), expected) / Math.max(...expected.map(Math.abs))).toBeLessThan(1e-4);
  });
});

function promptune(...args: string[]) {
  const result = spawnSync(process.execPath, [join(repositoryRoot, 'bin', 'promptune.js'), ...args], {
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('promptune model convert', () => {
  it('converts the stories260K GGUF to Q8_0, which model info and generate then read', () => {
    const out = join(directory, 'stories-q8_0.gguf');
    const converted = promptune('model', 'convert', '--model', stories.gguf, '--to', 'Q8_0', '--out', out);
    expect(converted.stderr).toBe('');
    expect(converted.stdout).toMatch(/^wrote .*stories-q8_0\.gguf: .* kB, 47 tensors \(.*Q8_0 \d+/);
    const info = JSON.parse(promptune('model', 'info', '--model', out, '--json').stdout);
    expect(info.parameters).toBe(260032);
    expect(info.storage.Q8_0.tensors).toBeGreaterThan(20);
    expect(info.storage.F32.memoryBytes).toBeGreaterThan(0);
    // converting to the type it already has copies every block: the same file, byte for byte
    const again = join(directory, 'stories-q8_0-again.gguf');
    expect(promptune('model', 'convert', '--model', out, '--to', 'q8_0', '--out', again).status).toBe(0);
    expect(readFileSync(again).equals(readFileSync(out))).toBe(true);
    const generated = promptune(
      'generate',
      '--model',
      out,
      '--prompt',
      'Once upon a time',
      '--max-tokens',
      '8',
    );
    expect(generated.status).toBe(0);
    expect(generated.stdout.length).toBeGreaterThan(0);
  });

  it('refuses an unknown file type and a source it cannot convert, with a code and a hint', () => {
    const unknown = promptune(
      'model',
      'convert',
      '--model',
      stories.gguf,
      '--to',
      'q9_k',
      '--out',
      join(directory, 'x.gguf'),
    );
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(
      /unknown file type "q9_k"\nhint: Use one of: f32, .*q4_k_m.*\ncode: MODEL_CONVERT_TYPE/,
    );
    const directorySource = promptune(
      'model',
      'convert',
      '--model',
      stories.huggingFace,
      '--to',
      'q8_0',
      '--out',
      join(directory, 'y.gguf'),
    );
    expect(directorySource.status).toBe(1);
    expect(directorySource.stderr).toMatch(/code: MODEL_CONVERT_SOURCE/);
  });

  it('lists every tensor with its type and memory', () => {
    const listed = promptune('model', 'info', '--model', stories.gguf, '--tensors');
    expect(listed.stdout).toMatch(/tensor types\s+F32 \d+/);
    expect(listed.stdout).toMatch(
      /blk\.0\.attn_q\.weight\s+F32\s+64 x 64\s+file\s+16\.4 kB\s+memory\s+16\.4 kB/,
    );
  });
});
