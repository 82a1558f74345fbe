// saveModelLike: a model written in its source's format loads back to the same config and the same
// weights, bit for bit (Gemma's norm offset taken off and put back, a tied classifier written once), with
// the source's tokenizer; sources it cannot write, and writing over the source, are refused.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, stories } from '../../test/models.js';
import { jsKernels } from './kernels/index.js';
import { LlamaModel } from './llama.js';
import { loadModel, type ModelFormat } from './load-model.js';
import { checkModelWritable, saveModelLike } from './save-model.js';
import { packWeights } from './weight-training.js';
import { loadHuggingFaceDirectory } from './weights/hf-directory.js';

const fixture = (name: string) => join(repositoryRoot, 'test', 'fixtures', name);

/** A model and where it came from: through loadModel (with its tokenizer), or a tokenizer-less fixture's weights. */
async function read(path: string, format: ModelFormat) {
  if (format === 'gguf' || existsSync(join(path, 'tokenizer.json'))) {
    const loaded = await loadModel(path, { kernels: jsKernels, dequantize: true });
    return { model: loaded.model, tokenizer: loaded.tokenizer };
  }
  const { config, weights } = loadHuggingFaceDirectory(path);
  return { model: new LlamaModel(config, weights, jsKernels), tokenizer: undefined };
}
const files = (directory: string) =>
  readdirSync(directory)
    .filter((file) => statSync(join(directory, file)).isFile())
    .sort();

describe('saveModelLike', () => {
  it.each([
    ['GGUF (stories260K)', stories.gguf, 'gguf'],
    ['Hugging Face, tied (stories260K)', stories.huggingFace, 'safetensors'],
    ['Hugging Face, untied with biases (Qwen2)', fixture('tiny-qwen2'), 'safetensors'],
    ['Hugging Face, norm offset (Gemma 2)', fixture('tiny-gemma2'), 'safetensors'],
  ] as const)('%s loads back to the same weights and config', async (_label, path, format) => {
    const source = { path, format };
    const loaded = await read(path, format);
    // change the weights as training would, so the test sees what was written, not the source
    const { weights, values } = packWeights(loaded.model.weights);
    for (let i = 0; i < values.length; i += 7) values[i] += 0.015625;
    const directory = mkdtempSync(join(tmpdir(), 'promptune-save-'));
    const changed = new LlamaModel(loaded.model.config, weights, jsKernels);
    const written = await saveModelLike(directory, changed, source);
    const reloaded = await read(written, format);
    expect(reloaded.model.config).toEqual(loaded.model.config);
    expect(packWeights(reloaded.model.weights).values).toEqual(values);
    expect(reloaded.model.weights.classifier === reloaded.model.weights.embedding).toBe(
      loaded.model.weights.classifier === loaded.model.weights.embedding,
    );
    expect(reloaded.tokenizer?.encode('Once upon a time')).toEqual(
      loaded.tokenizer?.encode('Once upon a time'),
    );
    // the config and tokenizer's files beside the weights; nothing else of the source's folder
    if (format === 'safetensors') {
      const describing = files(path).filter((file) =>
        /^(config|generation_config|tokenizer.*)\.json$/.test(file),
      );
      expect(files(directory)).toEqual([...describing, 'model.safetensors'].sort());
      const config = JSON.parse(readFileSync(join(directory, 'config.json'), 'utf8'));
      expect(config.torch_dtype ?? config.dtype ?? 'float32').toBe('float32');
    }
  });

  it("writes again over its own output when the source's files are read-only", async () => {
    // a downloaded or shared model folder is often read-only; its tokenizer files are copied beside the
    // new weights, and a rerun into the same folder must replace them (the copies were read-only too)
    const source = mkdtempSync(join(tmpdir(), 'promptune-save-read-only-'));
    for (const file of files(stories.huggingFace)) {
      copyFileSync(join(stories.huggingFace, file), join(source, file));
      chmodSync(join(source, file), 0o444);
    }
    const { model } = await read(source, 'safetensors');
    const directory = mkdtempSync(join(tmpdir(), 'promptune-save-'));
    await saveModelLike(directory, model, { path: source, format: 'safetensors' });
    await saveModelLike(directory, model, { path: source, format: 'safetensors' });
    for (const file of files(directory))
      expect(statSync(join(directory, file)).mode & 0o200, file).toBe(0o200);
  });

  it('refuses a llama2.c source, a fused checkpoint, and an output folder holding the source', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'promptune-save-'));
    expect(() => checkModelWritable({ path: stories.llama2c, format: 'llama2c' }, elsewhere)).toThrow(
      expect.objectContaining({ code: 'MODEL_WRITE_UNSUPPORTED' }),
    );
    expect(() =>
      checkModelWritable({ path: fixture('tiny-phi3'), format: 'safetensors' }, elsewhere),
    ).toThrow(expect.objectContaining({ code: 'MODEL_WRITE_UNSUPPORTED' }));
    // a GGUF in the output folder (its model.gguf would be written over), reached through a link too
    const gguf = join(elsewhere, 'model.gguf');
    copyFileSync(stories.gguf, gguf);
    symlinkSync(elsewhere, join(elsewhere, '..', `${basename(elsewhere)}-link`));
    for (const out of [elsewhere, join(elsewhere, '..', `${basename(elsewhere)}-link`)])
      expect(() => checkModelWritable({ path: gguf, format: 'gguf' }, out)).toThrow(
        expect.objectContaining({ code: 'MODEL_WRITE_OVER_SOURCE' }),
      );
    expect(() => checkModelWritable({ path: gguf, format: 'gguf' }, join(elsewhere, 'tuned'))).not.toThrow();
    const { model } = await read(fixture('tiny-qwen2'), 'safetensors');
    const source = { path: fixture('tiny-qwen2'), format: 'safetensors' } as const;
    await expect(saveModelLike(fixture('tiny-qwen2'), model, source)).rejects.toMatchObject({
      code: 'MODEL_WRITE_OVER_SOURCE',
    });
  });
});
