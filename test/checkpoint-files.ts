// The trainer's checkpoint as files, for tests that damage one or rewrite it as an older promptune wrote
// it: checkpoint.json and the binary file it names (parameters float32, Adam's moments float64, the best
// parameters float32; little-endian), read and written here without the reader under test.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** checkpoint.json as the trainer writes it now. */
export interface SavedCheckpoint {
  step: unknown;
  optimizer: { step: number };
  best?: { step: number; exactMatch: number; loss: number };
  history: unknown[];
  settings: string;
  tensors: { file: string; parameters: number; sha256: string };
  [field: string]: unknown;
}

/** The arrays of a checkpoint's binary file (copies: change them and write them back). */
export interface CheckpointArrays {
  values: Float32Array;
  m: Float64Array;
  v: Float64Array;
  best?: Float32Array;
}

/** checkpoint.json in `directory`, parsed. */
export const readSaved = (directory: string): SavedCheckpoint =>
  JSON.parse(readFileSync(join(directory, 'checkpoint.json'), 'utf8')) as SavedCheckpoint;

/** The path of the binary file checkpoint.json names. */
export const binaryPath = (directory: string): string => join(directory, readSaved(directory).tensors.file);

/** The arrays in the binary file of the checkpoint in `directory`. */
export function readArrays(directory: string): CheckpointArrays {
  const saved = readSaved(directory);
  const bytes = readFileSync(binaryPath(directory));
  const { parameters } = saved.tensors;
  const slice = (offset: number, length: number) =>
    bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + length);
  return {
    values: new Float32Array(slice(0, 4 * parameters)),
    m: new Float64Array(slice(4 * parameters, 8 * parameters)),
    v: new Float64Array(slice(12 * parameters, 8 * parameters)),
    best: saved.best && new Float32Array(slice(20 * parameters, 4 * parameters)),
  };
}

/** Writes changed arrays back into the binary file, with a SHA-256 in checkpoint.json that matches them. */
export function writeArrays(directory: string, arrays: CheckpointArrays): void {
  const saved = readSaved(directory);
  const bytes = Buffer.concat(
    [arrays.values, arrays.m, arrays.v, ...(arrays.best ? [arrays.best] : [])].map((array) =>
      Buffer.from(array.buffer, array.byteOffset, array.byteLength),
    ),
  );
  writeFileSync(join(directory, saved.tensors.file), bytes);
  saved.tensors.sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(directory, 'checkpoint.json'), JSON.stringify(saved));
}

/** Rewrites the checkpoint in `directory` as promptune wrote it before its binary file: every number inline. */
export function rewriteInline(directory: string): void {
  const { tensors, best, optimizer, ...saved } = readSaved(directory);
  const arrays = readArrays(directory);
  // settings then named neither the examples nor the method's options
  const { data: _data, run: _run, ...settings } = JSON.parse(saved.settings) as Record<string, unknown>;
  const inline = {
    ...saved,
    settings: JSON.stringify(settings),
    values: Array.from(arrays.values),
    optimizer: { step: optimizer.step, m: Array.from(arrays.m), v: Array.from(arrays.v) },
    best: best && { ...best, values: Array.from(arrays.best!) },
  };
  writeFileSync(join(directory, 'checkpoint.json'), JSON.stringify(inline));
  rmSync(join(directory, tensors.file));
}
