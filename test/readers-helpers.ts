// Helpers for the bad-input tables of every reader: copy a good folder, damage one file (JSON edits,
// safetensors header edits, bytes patched to NaN), and check the refusal: a PromptuneError with the
// expected code, a hint, a message naming the file and field or line, and not one byte changed on disk.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { openSafetensors, writeSafetensors } from '../src/engine/index.js';
import { PromptuneError } from '../src/errors/index.js';

/** A fresh temporary folder holding copies of `files` (paths), under their own names. */
export function folderWith(prefix: string, files: string[]): string {
  const folder = mkdtempSync(join(tmpdir(), `promptune-readers-${prefix}-`));
  for (const file of files) copyFileSync(file, join(folder, file.split('/').at(-1)!));
  return folder;
}

/** Every file under `folder` with its size, modification time and content hash. */
export function snapshot(folder: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile()) continue;
    const { size, mtimeMs } = statSync(path);
    const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
    result[relative(folder, path)] = `${size} ${mtimeMs} ${hash}`;
  }
  return result;
}

/** What a refusal must carry: its code, and strings its message must contain (file paths, fields, lines). */
export interface Refusal {
  code: string;
  mentions: string[];
}

/** Runs `read`, expecting a refusal as described, and that nothing under `folder` changed. */
export async function expectRefusal(
  folder: string,
  read: () => unknown,
  expected: Refusal,
): Promise<PromptuneError> {
  const before = snapshot(folder);
  let error: unknown;
  try {
    await read();
  } catch (caught) {
    error = caught;
  }
  expect(PromptuneError.isInstance(error), `expected a PromptuneError, got ${String(error)}`).toBe(true);
  const refusal = error as PromptuneError;
  expect(refusal.code, refusal.message).toBe(expected.code);
  expect(refusal.hint).toBeTruthy();
  for (const mention of expected.mentions) expect(refusal.message).toContain(mention);
  expect(snapshot(folder)).toEqual(before);
  return refusal;
}

/** Rewrites a JSON file through `edit` (which may return another value, or text). */
export function editJson(path: string, edit: (value: Record<string, unknown>) => unknown): void {
  const edited = edit(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>);
  writeFileSync(path, typeof edited === 'string' ? edited : JSON.stringify(edited, null, 2));
}

/** Keeps the first `fraction` of a file's bytes, as an interrupted write or download would. */
export function truncateFile(path: string, fraction = 0.5): void {
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

type SafetensorsHeader = Record<string, { dtype: unknown; shape: unknown; data_offsets: number[] }>;

/** The parsed header of a safetensors file and where its data starts. */
export function safetensorsHeader(path: string): { header: SafetensorsHeader; dataStart: number } {
  const bytes = readFileSync(path);
  const length = Number(bytes.readBigUInt64LE(0));
  return {
    header: JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as SafetensorsHeader,
    dataStart: 8 + length,
  };
}

/** Rewrites a safetensors header through `edit` (given as parsed JSON, or returning raw header bytes). */
export function editSafetensorsHeader(
  path: string,
  edit: (header: SafetensorsHeader) => SafetensorsHeader | Buffer,
): void {
  const bytes = readFileSync(path);
  const { header, dataStart } = safetensorsHeader(path);
  const edited = edit(header);
  let json = Buffer.isBuffer(edited) ? edited : Buffer.from(JSON.stringify(edited));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, ' ')]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([length, json, bytes.subarray(dataStart)]));
}

/** Overwrites the float32 at `index` of a tensor stored at byte `start` of a file. */
export function patchFloat(path: string, start: number, index: number, value: number): void {
  const bytes = readFileSync(path);
  bytes.writeFloatLE(value, start + 4 * index);
  writeFileSync(path, bytes);
}

/** Overwrites float32 `index` of safetensors tensor `name`. */
export function patchSafetensorsFloat(path: string, name: string, index: number, value: number): void {
  const { header, dataStart } = safetensorsHeader(path);
  patchFloat(path, dataStart + header[name].data_offsets[0], index, value);
}

/** Rewrites safetensors file `path` with one more tensor `name` (float32), every other tensor as it was. */
export function addSafetensorsTensor(
  path: string,
  name: string,
  tensor: { shape: number[]; data: Float32Array },
): void {
  const source = openSafetensors([path]);
  const tensors = Object.fromEntries(
    source.names().map((each) => [each, { shape: source.shape(each), data: source.read(each) }]),
  );
  source.close();
  writeSafetensors(path, { ...tensors, [name]: tensor });
}
