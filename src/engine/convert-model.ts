// Re-writes a GGUF model in another file type (`promptune model convert`): every tensor is read (any type
// promptune reads, dequantized), then written as the file type's mix asks, with the source's vocabulary
// and name. Converting from Hugging Face directories and llama2.c files is not here yet: their tokenizers
// would need writing as GGUF vocabularies.
import { ValidationError } from '../errors/index.js';
import { detectFormat } from './load-model.js';
import { resolveHubReference, type HubOptions } from './weights/hub.js';
import { GgufType, writeGguf, type GgufWriteSummary } from './weights/gguf-writer.js';
import { loadGguf, tokenizerMetadata } from './weights/gguf.js';
import { fileTypes, isFileType } from './weights/quant-mix.js';

/** Converts the GGUF model `reference` (a path or hf:) to `fileType` at `output`; returns what was written. */
export async function convertModel(
  reference: string,
  output: string,
  fileType: string,
  options: { hub?: HubOptions } = {},
): Promise<GgufWriteSummary> {
  if (!isFileType(fileType)) {
    throw new ValidationError(`unknown file type "${fileType}"`, {
      code: 'MODEL_CONVERT_TYPE',
      hint: `Use one of: ${Object.keys(fileTypes).join(', ')}.`,
    });
  }
  const input = reference.startsWith('hf:') ? await resolveHubReference(reference, options.hub) : reference;
  const format = detectFormat(input);
  if (format !== 'gguf') {
    throw new ValidationError(
      `${input} is a ${format === 'safetensors' ? 'Hugging Face directory' : 'llama2.c file'}`,
      {
        code: 'MODEL_CONVERT_SOURCE',
        hint: "model convert reads GGUF files for now; convert the model to an F16 GGUF with llama.cpp's convert_hf_to_gguf.py first.",
      },
    );
  }
  // block types stay as read, so a tensor whose type does not change is copied byte for byte
  const { config, weights, metadata, typedMetadata } = await loadGguf(input, { keepQuantized: true });
  const name = typeof metadata['general.name'] === 'string' ? metadata['general.name'] : undefined;
  return writeGguf(output, config, weights, {
    fileType,
    name,
    metadata: {
      ...tokenizerMetadata(typedMetadata),
      ...(name && { 'general.name': { type: GgufType.STRING, value: name } }),
    },
  });
}
