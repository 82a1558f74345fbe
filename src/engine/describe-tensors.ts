// Each tensor of a model file with its stored type, shape, bytes in the file and bytes in memory once
// loaded (`promptune model info --tensors`). With the native kernels, matrices in GGML block types stay in
// them (as many bytes as in the file); everything else is held as float32.
import { defaultKernels } from './kernels/index.js';
import { detectFormat } from './load-model.js';
import { readGgufHeader } from './weights/gguf.js';
import { isBlockType, isTensorType, storedBytes, tensorTypes } from './weights/dequantize.js';

/** One tensor of a model file: its stored type, shape, and bytes in the file and in memory. */
export interface TensorDescription {
  name: string;
  type: string;
  shape: number[];
  fileBytes: number;
  memoryBytes: number;
}

/**
 * The tensors of a GGUF file (other formats: undefined, their sizes follow from the config). Memory is
 * counted as loadModel would hold them: `keepQuantized` defaults to whether the native kernels are there.
 */
export async function describeTensors(
  path: string,
  keepQuantized = defaultKernels().name === 'native',
): Promise<TensorDescription[] | undefined> {
  if (detectFormat(path) !== 'gguf') return undefined;
  const { tensors, reader } = await readGgufHeader(path);
  reader.close();
  return [...tensors].map(([name, { type, shape, count }]) => {
    const fileBytes = isTensorType(type) ? storedBytes(type, count) : Number.NaN;
    const kept =
      keepQuantized &&
      isTensorType(type) &&
      isBlockType(type) &&
      shape.length === 2 &&
      shape[1] % tensorTypes[type].blockValues === 0;
    return { name, type, shape, fileBytes, memoryBytes: kept ? fileBytes : count * 4 };
  });
}
