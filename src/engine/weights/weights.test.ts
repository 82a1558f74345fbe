// Weight files: the GGUF writer round-trips our models (F32 exactly, quantized types within their
// precision, HF rotate-half heads re-interleaved), and every kind of bad file fails with a code.
import { copyFileSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeStoriesCheckpoint } from '../../../test/checkpoints.js';
import { maxAbsDiff, referenceLogits, sharedModels, stories } from '../../../test/models.js';
import { PromptuneError } from '../../errors/index.js';
import { loadModel } from '../load-model.js';
import { dequantize, floatToHalf, halfToFloat, quantize } from './dequantize.js';
import { loadGguf, tokenizerMetadata } from './gguf.js';
import { writeGguf, GgufType } from './gguf-writer.js';

const reference = referenceLogits();
const tokens = Int32Array.from(reference.fixed_tokens);
const directory = mkdtempSync(join(tmpdir(), 'promptune-weights-'));

async function logitsOf(path: string): Promise<Float32Array> {
  const { model } = await loadModel(path);
  return model.forward({ batch: 1, time: 16, tokens });
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<PromptuneError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(
    PromptuneError.isInstance(error),
    `expected a PromptuneError with code ${code}, got ${String(error)}`,
  ).toBe(true);
  expect((error as PromptuneError).code).toBe(code);
  expect((error as PromptuneError).hint).toBeTruthy();
  return error as PromptuneError;
}

describe('element types', () => {
  it('half precision encodes and decodes exactly representable values, and rounds others', () => {
    for (const value of [0, 1, -2, 0.5, 65504, 2 ** -24, -0.333251953125])
      expect(halfToFloat(floatToHalf(value))).toBe(value);
    expect(Math.abs(halfToFloat(floatToHalf(0.1)) - 0.1)).toBeLessThan(1e-4);
  });
  it.each([
    ['F16', 1e-3],
    ['BF16', 1e-2],
    ['Q8_0', 2e-2],
    ['Q4_0', 0.25],
  ] as const)('%s round-trips random values within its precision', (type, tolerance) => {
    const values = Float32Array.from({ length: 96 }, (_, i) => Math.sin(i * 1.7) * 1.5);
    const back = dequantize(quantize(values, type), type, values.length, 'test');
    expect(maxAbsDiff(back, values)).toBeLessThan(tolerance);
  });
});

describe('GGUF writer', () => {
  it('an F32 GGUF written from the llama2.c checkpoint reproduces the reference logits bit for bit', async () => {
    const { model } = await loadModel(stories.llama2c);
    const { typedMetadata } = await loadGguf(stories.gguf);
    const path = join(directory, 'stories-f32.gguf');
    writeGguf(path, model.config, model.weights, { metadata: tokenizerMetadata(typedMetadata) });
    const original = model.forward({ batch: 1, time: 16, tokens });
    expect(maxAbsDiff(await logitsOf(path), original)).toBe(0);
    const { tokenizer } = await loadModel(path);
    expect(tokenizer.encode(reference.prompt)).toEqual(reference.prompt_ids);
  });

  it('a GGUF written from the Hugging Face directory re-interleaves Q/K and matches', async () => {
    const { model } = await loadModel(stories.huggingFace);
    const path = join(directory, 'stories-from-hf.gguf');
    writeGguf(path, model.config, model.weights, {
      metadata: tokenizerMetadata((await loadGguf(stories.gguf)).typedMetadata),
    });
    const loaded = await loadGguf(path);
    expect(loaded.config.ropeStyle).toBe('interleaved');
    expect(maxAbsDiff(await logitsOf(path), reference.logits.flat())).toBeLessThan(1e-4);
    const original = readFileSync(stories.gguf);
    expect(original.length).toBeGreaterThan(0);
  });

  it.each([
    ['F16', 0.05],
    ['BF16', 0.5],
    ['Q8_0', 0.5],
  ] as const)('a %s GGUF loads and stays close to the reference', async (type, tolerance) => {
    const { model } = await loadModel(stories.gguf);
    const path = join(directory, `stories-${type}.gguf`);
    writeGguf(path, model.config, model.weights, {
      type,
      metadata: tokenizerMetadata((await loadGguf(stories.gguf)).typedMetadata),
    });
    const diff = maxAbsDiff(await logitsOf(path), reference.logits.flat());
    console.log(`${type}: max abs logit diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(tolerance);
  });
});

describe('bad model files', () => {
  it('a missing file', async () => {
    await expectCode(loadModel(join(directory, 'nope.gguf')), 'MODEL_NOT_FOUND');
  });

  it("llama.cpp's vocabulary-only GGUF given as the model (it said a tensor was missing)", async () => {
    const vocabulary = join(sharedModels, 'llamacpp-vocab', 'ggml-vocab-gpt-2.gguf');
    const error = await expectCode(loadGguf(vocabulary), 'WEIGHT_NO_TENSORS');
    expect(error.message).toBe(`${vocabulary} holds no tensors: it is a vocabulary-only GGUF, not a model`);
  });

  it("an adapter's folder given as the model", async () => {
    const adapter = join(sharedModels, 'stories260K-hf', 'peft-prompt-tuning-example');
    const error = await expectCode(loadModel(adapter), 'MODEL_IS_ADAPTER');
    expect(error.message).toBe(`${adapter} holds an adapter (adapter_config.json), not a model`);
    expect(error.hint).toContain('the base model it was trained on (stories260K-hf)');
  });

  it('a folder holding a GGUF file given as the model', async () => {
    const folder = join(sharedModels, 'stories260K');
    const error = await expectCode(loadModel(folder), 'MODEL_NOT_FOUND');
    expect(error.hint).toBe(
      `It holds stories260K.gguf: pass that file as the model (${join(folder, 'stories260K.gguf')}).`,
    );
  });

  it('a truncated GGUF', async () => {
    const path = join(directory, 'truncated.gguf');
    copyFileSync(stories.gguf, path);
    truncateSync(path, 600_000);
    const error = await expectCode(loadModel(path), 'WEIGHT_TRUNCATED');
    expect(error.message).toContain(path);
  });

  it('a GGUF cut inside its header', async () => {
    const path = join(directory, 'header-cut.gguf');
    copyFileSync(stories.gguf, path);
    truncateSync(path, 2000);
    await expectCode(loadModel(path), 'WEIGHT_TRUNCATED');
  });

  it('a truncated llama2.c checkpoint', async () => {
    const path = join(directory, 'truncated.bin');
    copyFileSync(stories.llama2c, path);
    copyFileSync(stories.tokenizer512, join(directory, 'tok512.bin'));
    truncateSync(path, 500_000);
    await expectCode(loadModel(path), 'WEIGHT_TRUNCATED');
  });

  it('a truncated safetensors file', async () => {
    const folder = mkdtempSync(join(directory, 'hf-'));
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'])
      copyFileSync(join(stories.huggingFace, file), join(folder, file));
    truncateSync(join(folder, 'model.safetensors'), 700_000);
    await expectCode(loadModel(folder), 'WEIGHT_TRUNCATED');
  });

  it('a file with the wrong magic', async () => {
    const path = join(directory, 'not-a-model.bin');
    writeFileSync(path, 'this is plain text, not a model checkpoint at all, just words and more words.');
    await expectCode(loadModel(path), 'WEIGHT_BAD_MAGIC');
  });

  it('a file named .gguf that is not one, short or long (not a truncated llama2.c checkpoint)', async () => {
    for (const [name, text] of [
      ['short.gguf', 'not a model\n'],
      ['long.gguf', 'this is plain text, not a model checkpoint at all, just words and more words.'],
    ]) {
      const path = join(directory, name);
      writeFileSync(path, text);
      const error = await expectCode(loadModel(path), 'WEIGHT_BAD_MAGIC');
      expect(error.message).toContain('not the GGUF magic');
    }
  });

  it('an unsupported architecture', async () => {
    const { model } = await loadModel(stories.gguf);
    const path = join(directory, 'falcon.gguf');
    writeGguf(path, model.config, model.weights, {
      metadata: { 'general.architecture': { type: GgufType.STRING, value: 'falcon' } },
    });
    const error = await expectCode(loadModel(path), 'WEIGHT_UNSUPPORTED_ARCHITECTURE');
    expect(error.message).toContain('falcon');
  });

  it('an unsupported Hugging Face model_type', async () => {
    const folder = mkdtempSync(join(directory, 'hf-'));
    const config = JSON.parse(readFileSync(join(stories.huggingFace, 'config.json'), 'utf8'));
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...config, model_type: 'gpt2' }));
    await expectCode(loadModel(folder), 'WEIGHT_UNSUPPORTED_ARCHITECTURE');
  });

  it('an unsupported quantization (GGUF tensor type IQ2_XXS)', async () => {
    const path = join(directory, 'q4k.gguf');
    const bytes = readFileSync(stories.gguf);
    // the first tensor info (token_embd.weight) follows the metadata; patch its type id F32 (0) to IQ2_XXS (16)
    const name = Buffer.from('token_embd.weight');
    const at = bytes.indexOf(name) + name.length + 4 + 2 * 8; // after the name: n_dims u32 and two u64 dims
    expect(bytes.readUInt32LE(at)).toBe(0);
    bytes.writeUInt32LE(16, at);
    writeFileSync(path, bytes);
    const error = await expectCode(loadModel(path), 'WEIGHT_UNSUPPORTED_QUANTIZATION');
    expect(error.message).toContain('token_embd.weight is stored as IQ2_XXS');
  });

  it('an unsupported safetensors dtype', async () => {
    const folder = mkdtempSync(join(directory, 'hf-'));
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
      copyFileSync(join(stories.huggingFace, file), join(folder, file));
    const original = readFileSync(join(stories.huggingFace, 'model.safetensors'));
    const headerLength = Number(original.readBigUInt64LE(0));
    const header = original
      .subarray(8, 8 + headerLength)
      .toString('utf8')
      // I32 has F32's width, so the header stays consistent (an I8 tensor of F32's bytes is a corrupt header)
      .replace('"dtype":"F32"', '"dtype":"I32"');
    const patched = Buffer.concat([
      original.subarray(0, 8),
      Buffer.from(header.padEnd(headerLength)),
      original.subarray(8 + headerLength),
    ]);
    writeFileSync(join(folder, 'model.safetensors'), patched);
    await expectCode(loadModel(folder), 'WEIGHT_UNSUPPORTED_DTYPE');
  });

  it('a tokenizer that does not match the model', async () => {
    await expectCode(
      loadModel(stories.gguf, { tokenizer: join(sharedModels, 'gpt2-tokenizer', 'tokenizer.json') }),
      'TOKENIZER_MISMATCH',
    );
  });

  it('a llama2.c checkpoint without its tokenizer', async () => {
    const folder = mkdtempSync(join(directory, 'bin-'));
    copyFileSync(stories.llama2c, join(folder, 'stories260K.bin'));
    await expectCode(loadModel(join(folder, 'stories260K.bin')), 'TOKENIZER_NOT_FOUND');
  });

  it('a prompt longer than the context', async () => {
    const { model, tokenizer } = await loadModel(stories.huggingFace);
    const { generate } = await import('../generate.js');
    const long = tokenizer.encode('Once upon a time, there was a little girl. '.repeat(60));
    expect(long.length).toBeGreaterThan(model.config.contextLength);
    const error = await expectCode(
      generate(model, tokenizer, [{ tokens: long }], { maxTokens: 4 }),
      'CONTEXT_OVERFLOW',
    );
    // no number of new tokens would fit: the hint says to shorten, not to ask for 0 tokens
    expect(error.hint).toBe(
      `The prompt alone is longer than the model's context: shorten it to at most ${model.config.contextLength} tokens.`,
    );
    // one token short of the context: one new token fits, not two
    const fits = long.slice(0, model.config.contextLength);
    const two = await expectCode(
      generate(model, tokenizer, [{ tokens: fits }], { maxTokens: 2 }),
      'CONTEXT_OVERFLOW',
    );
    expect(two.hint).toContain('ask for at most 1 new token (');
    expect(() => model.forward({ batch: 1, time: long.length, tokens: Int32Array.from(long) })).toThrow(
      /context limit/,
    );
  });
});

describe('more checkpoint layouts', () => {
  it('a sharded Hugging Face checkpoint (index + two safetensors files) loads like the single file', async () => {
    const folder = mkdtempSync(join(directory, 'sharded-'));
    writeStoriesCheckpoint(folder, { sharded: true });
    expect(maxAbsDiff(await logitsOf(folder), await logitsOf(stories.huggingFace))).toBe(0);
  });

  it('a llama2.c version-1 export (the "ak42" header) loads like the legacy file', async () => {
    const { model } = await loadModel(stories.llama2c);
    const { config, weights } = model;
    // version1_export: header, then norms, embedding, attention, MLP (w1, w2, w3) stacked over layers
    const header = new DataView(new ArrayBuffer(256));
    header.setUint32(0, 0x616b3432, true);
    header.setInt32(4, 1, true);
    [
      config.hiddenSize,
      config.intermediateSize,
      config.layers,
      config.heads,
      config.kvHeads,
      config.vocabularySize,
      config.contextLength,
    ].forEach((value, i) => header.setInt32(8 + 4 * i, value, true));
    header.setUint8(36, 1); // shared classifier
    const stack = (field: keyof (typeof weights.layers)[0]) =>
      weights.layers.map((layer) => layer[field] as Float32Array);
    const parts: Float32Array[] = [
      ...stack('attentionNorm'),
      ...stack('mlpNorm'),
      weights.finalNorm,
      weights.embedding as Float32Array,
      ...stack('query'),
      ...stack('key'),
      ...stack('value'),
      ...stack('attentionOutput'),
      ...stack('gate'),
      ...stack('down'),
      ...stack('up'),
    ];
    const folder = mkdtempSync(join(directory, 'v1-'));
    const path = join(folder, 'stories260K-v1.bin');
    writeFileSync(
      path,
      Buffer.concat([
        Buffer.from(header.buffer),
        ...parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)),
      ]),
    );
    copyFileSync(stories.tokenizer512, join(folder, 'tok512.bin'));
    expect(maxAbsDiff(await logitsOf(path), model.forward({ batch: 1, time: 16, tokens }))).toBe(0);
  });
});
