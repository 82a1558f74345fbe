// safetensors files (one or a sharded set): header parsing and float32 reads of F32, F16 and BF16
// tensors. Shapes are reported as stored; Hugging Face matrices are already (out, in).
import { WeightLoadError } from '../../errors/index.js';
import type { TensorSource } from './assemble.js';
import { dequantize, type TensorType } from './dequantize.js';
import { FileReader } from './file-reader.js';

interface Entry {
  dtype: string;
  shape: number[];
  start: number; // absolute byte offset in the file
  end: number;
  reader: FileReader;
}

const readableTypes: Record<string, TensorType> = { F32: 'F32', F16: 'F16', BF16: 'BF16' };

/** Parses one safetensors file's header into `entries`. */
function readHeader(reader: FileReader, entries: Map<string, Entry>): void {
  const path = reader.path;
  if (reader.size < 8) {
    throw new WeightLoadError(`${path}: ${reader.size} bytes is too short for a safetensors file`, {
      code: 'WEIGHT_TRUNCATED',
      hint: 'The file is truncated or empty; fetch it again.',
    });
  }
  const headerLength = Number(new DataView(reader.read(0, 8, 'header length').buffer).getBigUint64(0, true));
  if (headerLength > 100_000_000 || headerLength + 8 > reader.size) {
    throw new WeightLoadError(
      `${path}: header length ${headerLength} does not fit a file of ${reader.size} bytes`,
      {
        code: 'WEIGHT_BAD_MAGIC',
        hint: 'This is not a safetensors file, or it is truncated.',
      },
    );
  }
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(reader.read(8, headerLength, 'header')));
  } catch (error) {
    throw new WeightLoadError(`${path}: the safetensors header is not valid JSON`, {
      code: 'WEIGHT_BAD_MAGIC',
      hint: 'The file is corrupt or not a safetensors file.',
      cause: error,
    });
  }
  const base = 8 + headerLength;
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = info.data_offsets;
    if (base + end > reader.size) {
      throw new WeightLoadError(
        `${path}: tensor ${name} ends at byte ${base + end}, the file has ${reader.size}`,
        {
          code: 'WEIGHT_TRUNCATED',
          hint: 'The file is truncated (an interrupted download?); fetch it again.',
        },
      );
    }
    entries.set(name, { dtype: info.dtype, shape: info.shape, start: base + start, end: base + end, reader });
  }
}

/** A TensorSource over safetensors files; call `close` when done. */
export function openSafetensors(paths: string[]): TensorSource & { close(): void; names(): string[] } {
  const entries = new Map<string, Entry>();
  const readers: FileReader[] = [];
  try {
    for (const path of paths) {
      const reader = new FileReader(path);
      readers.push(reader);
      readHeader(reader, entries);
    }
  } catch (error) {
    readers.forEach((reader) => reader.close());
    throw error;
  }
  return {
    has: (name) => entries.has(name),
    shape: (name) => entries.get(name)!.shape,
    names: () => [...entries.keys()],
    read(name) {
      const entry = entries.get(name)!;
      const type = readableTypes[entry.dtype];
      if (!type) {
        throw new WeightLoadError(
          `${entry.reader.path}: tensor ${name} is ${entry.dtype}, which promptune cannot read`,
          {
            code: 'WEIGHT_UNSUPPORTED_QUANTIZATION',
            hint: 'Supported safetensors dtypes: F32, F16, BF16.',
          },
        );
      }
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const bytes = entry.reader.read(entry.start, entry.end - entry.start, `tensor ${name}`);
      return dequantize(bytes, type, count, `${entry.reader.path}: tensor ${name}`);
    },
    close: () => readers.forEach((reader) => reader.close()),
  };
}
