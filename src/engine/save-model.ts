// Writes a model whose weights changed (full fine-tuning) in the format it was loaded from, so every
// command that takes --model takes the result: a GGUF source gives model.gguf with the source's tokenizer
// and name (matrices float32), a Hugging Face directory gives model.safetensors beside copies of the
// source's config and tokenizer files. llama2.c files have no writer (their tokenizer is a separate file).
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ValidationError } from '../errors/index.js';
import type { LlamaModel } from './llama.js';
import type { ModelFormat } from './load-model.js';
import { writeGguf } from './weights/gguf-writer.js';
import { readGgufHeader, tokenizerMetadata } from './weights/gguf.js';
import { huggingFaceArchitectures, readHuggingFaceConfig } from './weights/hf-directory.js';
import { writeHuggingFaceWeights } from './weights/hf-writer.js';

/** Where a model was loaded from. */
export interface ModelSource {
  path: string;
  format: ModelFormat;
}

/** The transformers model_type of a Hugging Face directory. */
const modelTypeOf = (directory: string) => String(readHuggingFaceConfig(directory).raw.model_type);

/** Refuses, before any work, a source whose format savedModelLike cannot write. */
export function checkModelWritable(source: ModelSource): void {
  if (source.format === 'llama2c')
    throw new ValidationError(`${source.path} is a llama2.c file, which promptune does not write`, {
      code: 'MODEL_WRITE_UNSUPPORTED',
      hint: 'Start from the same model as GGUF or as a Hugging Face directory.',
    });
  if (source.format === 'safetensors') {
    const type = modelTypeOf(source.path);
    const family = Object.hasOwn(huggingFaceArchitectures, type) ? huggingFaceArchitectures[type] : undefined;
    if (!family || family.fused)
      throw new ValidationError(`promptune does not write ${type} checkpoints`, {
        code: 'MODEL_WRITE_UNSUPPORTED',
        hint: family
          ? `${type} checkpoints fuse tensors; start from the model as GGUF.`
          : 'Start from the model as GGUF.',
      });
  }
}

/**
 * Writes `model` into `directory` in the format of `source`; returns the path --model takes for it
 * (`directory`/model.gguf, or `directory` itself for a Hugging Face directory).
 */
export async function saveModelLike(
  directory: string,
  model: LlamaModel,
  source: ModelSource,
): Promise<string> {
  checkModelWritable(source);
  if (resolve(directory) === resolve(source.path))
    throw new ValidationError(`${directory} is the model it was trained from`, {
      code: 'MODEL_WRITE_OVER_SOURCE',
      hint: 'Choose another --out folder; the base model is never overwritten.',
    });
  mkdirSync(directory, { recursive: true });
  if (source.format === 'gguf') {
    const header = await readGgufHeader(source.path);
    header.reader.close();
    const name = header.metadata['general.name'];
    const path = join(directory, 'model.gguf');
    writeGguf(path, model.config, model.weights, {
      name: typeof name === 'string' ? `${name} (fine-tuned)` : undefined,
      metadata: tokenizerMetadata(header.typedMetadata),
    });
    return path;
  }
  // the config and tokenizer files as they are; the weights are new
  for (const file of readdirSync(source.path)) {
    const from = join(source.path, file);
    if (!statSync(from).isFile() || file.endsWith('.safetensors') || file === 'model.safetensors.index.json')
      continue;
    copyFileSync(from, join(directory, file));
  }
  writeHuggingFaceWeights(directory, model.config, model.weights, modelTypeOf(source.path));
  return directory;
}
