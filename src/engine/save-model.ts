// Writes a model whose weights changed (full fine-tuning) in the format it was loaded from, so every
// command that takes --model takes the result: a GGUF source gives model.gguf with the source's tokenizer
// and name (matrices float32), a Hugging Face directory gives model.safetensors beside the source's config
// (its dtype now float32) and copies of its generation and tokenizer files. llama2.c files have no writer
// (their tokenizer is a separate file).
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ValidationError } from '../errors/index.js';
import type { LlamaModel } from './llama.js';
import type { ModelFormat } from './load-model.js';
import { writeGguf } from './weights/gguf-writer.js';
import { readGgufHeader, tokenizerMetadata } from './weights/gguf.js';
import { readHuggingFaceConfig } from './weights/hf-directory.js';
import { copyFileAtomically, writeFileAtomically } from './weights/atomic-file.js';
import { writableFamily, writeHuggingFaceWeights } from './weights/hf-writer.js';
import { makeDirectory } from './make-directory.js';

/** Where a model was loaded from. */
export interface ModelSource {
  path: string;
  format: ModelFormat;
}

/** The files of a Hugging Face directory that describe the model and its tokenizer, copied beside new weights. */
const DESCRIBING_FILES = [
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'tokenizer.model',
  'vocab.json',
  'merges.txt',
  'chat_template.jinja',
  'chat_template.json',
];

/** The real path of `path`, or of its nearest existing parent with the rest appended (a folder not made yet). */
function realPath(path: string): string {
  const absolute = resolve(path);
  if (existsSync(absolute)) return realpathSync(absolute);
  const parent = dirname(absolute);
  return parent === absolute ? absolute : join(realPath(parent), basename(absolute));
}

/**
 * Refuses, before any work, a source whose format saveModelLike cannot write, and an output folder that
 * holds the source (writing there could replace the base model).
 */
export function checkModelWritable(source: ModelSource, directory: string): void {
  const inside = relative(realPath(directory), realPath(source.path));
  if (!inside.startsWith('..') && !isAbsolute(inside))
    throw new ValidationError(`the base model ${source.path} is inside the output folder ${directory}`, {
      code: 'MODEL_WRITE_OVER_SOURCE',
      hint: 'Choose another --out folder; the base model is never written over.',
    });
  if (source.format === 'llama2c')
    throw new ValidationError(`${source.path} is a llama2.c file, which promptune does not write`, {
      code: 'MODEL_WRITE_UNSUPPORTED',
      hint: 'Start from the same model as GGUF or as a Hugging Face directory.',
    });
  if (source.format === 'safetensors')
    writableFamily(String(readHuggingFaceConfig(source.path).raw.model_type));
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
  checkModelWritable(source, directory);
  makeDirectory(directory);
  if (source.format === 'gguf') {
    const header = await readGgufHeader(source.path);
    header.reader.close();
    const name = header.metadata['general.name'];
    const path = join(directory, 'model.gguf');
    writeGguf(path, model.config, model.weights, {
      name: typeof name === 'string' ? `${name.replace(/ \(fine-tuned\)$/, '')} (fine-tuned)` : undefined,
      metadata: tokenizerMetadata(header.typedMetadata),
    });
    return path;
  }
  // the config (its weights now float32) and the tokenizer's files as they are; the weights are new
  const config = readHuggingFaceConfig(source.path).raw;
  for (const field of ['torch_dtype', 'dtype']) if (field in config) config[field] = 'float32';
  writeFileAtomically(join(directory, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  for (const file of DESCRIBING_FILES)
    if (existsSync(join(source.path, file)))
      copyFileAtomically(join(source.path, file), join(directory, file));
  writeHuggingFaceWeights(directory, model.config, model.weights, String(config.model_type));
  return directory;
}
