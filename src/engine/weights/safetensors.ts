// safetensors files (one or a sharded set): the header read through a schema and checked against the
// file (dtype known, shape and byte range agreeing, ranges inside the data and not overlapping), and
// float32 reads of F32, F16 and BF16 tensors. Shapes are reported as stored; Hugging Face matrices are
// already (out, in). It does not map the file: tensors are read when asked for.
import { z } from 'zod';
import { parseJsonBytes, WeightLoadError } from '../../errors/index.js';
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

/** Bits per element of every dtype the safetensors format defines (readable or not). */
const dtypeBits: Record<string, number> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  I64: 64,
  U64: 64,
  F64: 64,
  C64: 64,
};

const byteOffset = z.number().int().nonnegative();
const tensorEntry = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([byteOffset, byteOffset]),
});
const headerSchema = z
  .object({ __metadata__: z.record(z.string(), z.string()).optional() })
  .catchall(tensorEntry);

/** Headers larger than this are not safetensors headers (the format caps them at 100 MB). */
const maximumHeaderLength = 100_000_000;

/** Parses one safetensors file's header into `entries`, checking every entry against the file. */
function readHeader(reader: FileReader, entries: Map<string, Entry>): void {
  const path = reader.path;
  if (reader.size < 8) {
    throw new WeightLoadError(`${path}: ${reader.size} bytes is too short for a safetensors file`, {
      code: 'WEIGHT_TRUNCATED',
      hint: 'The file is truncated or empty; fetch it again.',
    });
  }
  const headerLength = Number(new DataView(reader.read(0, 8, 'header length').buffer).getBigUint64(0, true));
  if (headerLength > maximumHeaderLength || headerLength + 8 > reader.size) {
    throw new WeightLoadError(
      `${path}: header length ${headerLength} does not fit a file of ${reader.size} bytes`,
      {
        code: 'WEIGHT_BAD_MAGIC',
        hint: 'This is not a safetensors file, or it is truncated.',
      },
    );
  }
  const header = parseJsonBytes(reader.read(8, headerLength, 'header'), headerSchema, {
    where: `safetensors header of ${path}`,
    code: 'WEIGHT_BAD_HEADER',
    hint: 'The file is corrupt or not a safetensors file; fetch it again.',
    kind: WeightLoadError,
  });
  const base = 8 + headerLength;
  const dataSize = reader.size - base;
  const ranges: { name: string; start: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const info = value as z.output<typeof tensorEntry>;
    const bad = (what: string) =>
      new WeightLoadError(`${path}: tensor ${name}: ${what}`, {
        code: 'WEIGHT_BAD_HEADER',
        hint: 'The safetensors header contradicts itself; the file is corrupt. Fetch it again.',
      });
    const bits = dtypeBits[info.dtype];
    if (bits === undefined)
      throw bad(
        `dtype ${JSON.stringify(info.dtype)} is not a safetensors dtype (${Object.keys(dtypeBits).join(', ')})`,
      );
    const [start, end] = info.data_offsets;
    if (start > end) throw bad(`data_offsets [${start}, ${end}] end before they start`);
    const count = info.shape.reduce((a, b) => a * b, 1);
    const expected = Math.ceil((count * bits) / 8);
    if (end - start !== expected)
      throw bad(
        `data_offsets [${start}, ${end}] hold ${end - start} bytes; shape [${info.shape}] of ${info.dtype} needs ${expected}`,
      );
    if (end > dataSize) {
      throw new WeightLoadError(
        `${path}: tensor ${name} ends at byte ${base + end}, the file has ${reader.size}`,
        {
          code: 'WEIGHT_TRUNCATED',
          hint: 'The file is truncated (an interrupted download?); fetch it again.',
        },
      );
    }
    ranges.push({ name, start, end });
    entries.set(name, { dtype: info.dtype, shape: info.shape, start: base + start, end: base + end, reader });
  }
  // As the safetensors library reads a file: the tensors' bytes follow each other from the start of
  // the data to the end of the file, with nothing between or after them (it refuses both).
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  const contradiction = (what: string) =>
    new WeightLoadError(`${path}: ${what}`, {
      code: 'WEIGHT_BAD_HEADER',
      hint: 'The safetensors header contradicts the file (the safetensors library refuses it too); the file is corrupt. Fetch it again.',
    });
  let covered = 0;
  let previous: (typeof ranges)[number] | undefined;
  for (const next of ranges) {
    if (next.start < covered && previous)
      throw contradiction(
        `tensors ${previous.name} [${previous.start}, ${previous.end}] and ${next.name} [${next.start}, ${next.end}] overlap`,
      );
    if (next.start > covered)
      throw contradiction(
        `${next.start - covered} bytes before tensor ${next.name} [${next.start}, ${next.end}] belong to no tensor`,
      );
    covered = next.end;
    previous = next;
  }
  if (covered !== dataSize)
    throw contradiction(
      `${dataSize - covered} bytes after the last tensor's data (byte ${base + covered}) belong to no tensor`,
    );
}

/** A TensorSource over safetensors files; call `close` when done. */
export function openSafetensors(
  paths: string[],
): TensorSource & { close(): void; names(): string[]; file(name: string): string } {
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
    file: (name) => entries.get(name)!.reader.path,
    read(name) {
      const entry = entries.get(name)!;
      const type = readableTypes[entry.dtype];
      if (!type) {
        throw new WeightLoadError(
          `${entry.reader.path}: tensor ${name} is ${entry.dtype}, which promptune cannot read`,
          {
            // F64, integers, booleans are element types, not quantizations
            code: 'WEIGHT_UNSUPPORTED_DTYPE',
            hint: 'Supported safetensors dtypes: F32, F16, BF16; save the tensors in one of them (torch: .to(torch.float32)).',
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
