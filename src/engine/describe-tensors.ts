// Each tensor of a model file with its stored type, shape, bytes in the file and bytes in memory once
// loaded (`promptune model info --tensors`). The engine holds every matrix as float32 today, so memory
// is four bytes a value whatever the file stores; quantized kernels will change that column.
import { detectFormat } from './load-model.js';
import { readGgufHeader } from './weights/gguf.js';
import { storedBytes, isTensorType } from './weights/dequantize.js';

/** One tensor of a model file: its stored type, shape, and bytes in the file and in memory. */
export interface TensorDescription {
  name: string;
  type: string;
  shape: number[];
  fileBytes: number;
  memoryBytes: number;
}

/** The tensors of a GGUF file (other formats: undefined, their sizes follow from the config). */
export async function describeTensors(path: string): Promise<TensorDescription[] | undefined> {
  if (detectFormat(path) !== 'gguf') return undefined;
  const { tensors, reader } = await readGgufHeader(path);
  reader.close();
  return [...tensors].map(([name, info]) => ({
    name,
    type: info.type,
    shape: info.shape,
    fileBytes: isTensorType(info.type) ? storedBytes(info.type, info.count) : Number.NaN,
    memoryBytes: info.count * 4,
  }));
}
