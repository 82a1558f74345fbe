// Writes float32 tensors as a safetensors file (Hugging Face's format: an 8-byte header length, a JSON
// header padded with spaces to a multiple of 8 bytes, then the raw little-endian data), atomically via
// a temporary file. Used for PEFT adapters and sharded exports; it does not convert dtypes.
import { writeFileAtomically } from './atomic-file.js';

/** A tensor to write: its shape and float32 values. */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** Writes `tensors` (in the given order) with optional string metadata to `path`. */
export function writeSafetensors(
  path: string,
  tensors: Record<string, NamedTensor>,
  metadata: Record<string, string> = {},
): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    header[name] = {
      dtype: 'F32',
      shape: tensor.shape,
      data_offsets: [offset, offset + tensor.data.byteLength],
    };
    offset += tensor.data.byteLength;
  }
  // pad by bytes, not characters: non-ASCII metadata takes more bytes than characters
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  writeFileAtomically(path, (write) => {
    write(length);
    write(headerBytes);
    for (const tensor of Object.values(tensors))
      write(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  });
}
