// Opens a model by reference — a .gguf file, a llama2.c .bin, a Hugging Face directory, or
// hf:<org>/<name> — and pairs it with its tokenizer, checking that the two fit together.
import { existsSync, statSync } from 'node:fs';
import { NotFoundError } from '../errors/index.js';
import { parameterCount, type ModelConfig } from './config.js';
import { defaultKernels, type Kernels } from './kernels/index.js';
import { LlamaModel } from './llama.js';
import { ggufTokenizer } from './tokenizers/gguf-tokenizer.js';
import {
  checkTokenizerFits,
  llama2cTokenizerBeside,
  loadTokenizerFile,
  loadTokenizerJson,
} from './tokenizers/load-tokenizer.js';
import type { Tokenizer } from './tokenizers/types.js';
import { FileReader } from './weights/file-reader.js';
import {
  classifierRepeatsEmbedding,
  ggufConfig,
  loadGguf,
  readGgufHeader,
  type GgufMetadata,
} from './weights/gguf.js';
import { loadHuggingFaceDirectory, readHuggingFaceConfig, safetensorsFiles } from './weights/hf-directory.js';
import { openSafetensors } from './weights/safetensors.js';
import { resolveHubReference, type HubOptions } from './weights/hub.js';
import { loadLlama2c, readLlama2cConfig } from './weights/llama2c.js';
import type { ModelWeights } from './weights/types.js';

/** The on-disk format a model was read from. */
export type ModelFormat = 'gguf' | 'llama2c' | 'safetensors';

/** What `model info` reports. */
export interface ModelInfo {
  reference: string;
  path: string;
  format: ModelFormat;
  architecture: string;
  parameters: number;
  vocabularySize: number;
  contextLength: number;
  tokenizer: string;
  config: ModelConfig;
}

/** A model ready to run, with its tokenizer. */
export interface LoadedModel {
  model: LlamaModel;
  tokenizer: Tokenizer;
  info: ModelInfo;
}

/** Options for loadModel. */
export interface LoadModelOptions {
  /** A tokenizer file to use instead of the model's own. */
  tokenizer?: string;
  kernels?: Kernels;
  hub?: HubOptions;
  /** Expand GGUF block types to float32 at load (default: keep them, with native kernels). */
  dequantize?: boolean;
}

/**
 * A model reference without `local:`, the provider prefix eval and the service take (`local:hf:org/name`,
 * `local:model.gguf`): the commands that load the engine's model take the same names (a file named
 * `local:…` is read as itself when it exists).
 */
function withoutLocalPrefix(reference: string): string {
  return reference.startsWith('local:') && !existsSync(reference)
    ? reference.slice('local:'.length)
    : reference;
}

/**
 * Which format a local path holds, judged by its content (directory, GGUF magic, else llama2.c); a file
 * named .gguf is read as GGUF whatever it holds, so one that is not says so (WEIGHT_BAD_MAGIC) instead of
 * failing as a llama2.c checkpoint.
 */
export function detectFormat(path: string): ModelFormat {
  if (!existsSync(path)) {
    throw new NotFoundError(`model ${path} does not exist`, {
      code: 'MODEL_NOT_FOUND',
      hint: 'Pass a .gguf file, a llama2.c .bin, a Hugging Face model directory, or hf:<org>/<name>.',
    });
  }
  if (statSync(path).isDirectory()) return 'safetensors';
  const reader = new FileReader(path);
  try {
    const magic = new TextDecoder().decode(reader.read(0, Math.min(4, reader.size), 'the magic number'));
    return magic === 'GGUF' || /\.gguf$/i.test(path) ? 'gguf' : 'llama2c';
  } finally {
    reader.close();
  }
}

/** The model a name refers to, as written (without `local:`) and as a local path (a hub model fetched). */
async function localModel(given: string, hub: HubOptions | undefined) {
  const reference = withoutLocalPrefix(given);
  const path = reference.startsWith('hf:') ? await resolveHubReference(reference, hub) : reference;
  return { reference, path, format: detectFormat(path) };
}

/** Loads a model and its tokenizer from a path or hub reference. */
export async function loadModel(given: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const { reference, path, format } = await localModel(given, options.hub);
  const kernels = options.kernels ?? defaultKernels();
  // quantized matrices stay quantized where the native kernels read them; the JS reference would crawl
  const keepQuantized = options.dequantize !== true && kernels.name === 'native';
  const { config, weights, tokenizer } = await readModel(path, format, { ...options, keepQuantized }, true);
  const model = new LlamaModel(config, weights!, kernels);
  return { model, tokenizer, info: modelInfo(reference, path, format, config, tokenizer) };
}

/**
 * A model's tokenizer (checked against its config), without its weights: for a process that counts
 * tokens beside an engine that runs the model elsewhere (the service's input guards).
 */
export async function loadModelTokenizer(
  given: string,
  options: Omit<LoadModelOptions, 'kernels'> = {},
): Promise<Tokenizer> {
  const { path, format } = await localModel(given, options.hub);
  return (await readModel(path, format, options, false)).tokenizer;
}

/**
 * What `model info` reports, read from the model's header or config and its tokenizer, without its
 * weights (a 7B model would otherwise be read and expanded to float32 just to print its shape).
 */
export async function inspectModel(
  given: string,
  options: Omit<LoadModelOptions, 'kernels'> = {},
): Promise<ModelInfo> {
  const { reference, path, format } = await localModel(given, options.hub);
  const { config, tokenizer } = await readModel(path, format, options, false);
  return modelInfo(reference, path, format, config, tokenizer);
}

/** Config, tokenizer (checked against the config) and, when asked, weights of a local model. */
async function readModel(
  path: string,
  format: ModelFormat,
  options: LoadModelOptions & { keepQuantized?: boolean },
  withWeights: boolean,
): Promise<{ config: ModelConfig; weights?: ModelWeights; tokenizer: Tokenizer }> {
  let config: ModelConfig;
  let weights: ModelWeights | undefined;
  let tokenizer: Tokenizer | undefined;
  if (format === 'gguf') {
    let metadata: GgufMetadata;
    if (withWeights)
      ({ config, weights, metadata } = await loadGguf(path, { keepQuantized: options.keepQuantized }));
    else {
      const header = await readGgufHeader(path);
      try {
        ({ metadata } = header);
        config = ggufConfig(metadata, header.tensors, path);
        // loadGguf shares a classifier stored again as output.weight; count its parameters the same way
        if (!config.tiedEmbeddings && classifierRepeatsEmbedding(header.tensors, header.reader))
          config.tiedEmbeddings = true;
      } finally {
        header.reader.close();
      }
    }
    if (!options.tokenizer) tokenizer = ggufTokenizer(metadata, path);
  } else if (format === 'safetensors') {
    if (withWeights) ({ config, weights } = loadHuggingFaceDirectory(path));
    else {
      ({ config } = readHuggingFaceConfig(path));
      // the weights' headers, not their values: a missing, empty, cut or folder weight file is said
      // here too, not only when the model is run
      openSafetensors(safetensorsFiles(path)).close();
    }
    if (!options.tokenizer) tokenizer = loadTokenizerJson(path, { eosTokenIds: config.eosTokenIds });
  } else {
    ({ config, weights } = withWeights ? loadLlama2c(path) : { config: readLlama2cConfig(path) });
    if (!options.tokenizer) tokenizer = llama2cTokenizerBeside(path, config.vocabularySize);
  }
  tokenizer ??= loadTokenizerFile(options.tokenizer!, config.vocabularySize);
  checkTokenizerFits(tokenizer, config.vocabularySize, path);
  return { config, weights, tokenizer };
}

function modelInfo(
  reference: string,
  path: string,
  format: ModelFormat,
  config: ModelConfig,
  tokenizer: Tokenizer,
): ModelInfo {
  return {
    reference,
    path,
    format,
    architecture: config.architecture,
    parameters: parameterCount(config),
    vocabularySize: config.vocabularySize,
    contextLength: config.contextLength,
    tokenizer: tokenizer.kind,
    config,
  };
}
