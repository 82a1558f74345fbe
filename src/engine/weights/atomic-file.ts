// Writes (or copies) a whole file through a temporary name in the same folder and a rename, so readers
// (and a run killed mid-write) see the old file or the new one, never half of it, and a failed write
// leaves nothing behind. Used for models, adapters, checkpoints, reports and artifacts alike; `durable`
// also flushes it to the disk before the rename, for files another file will name (checkpoints).
import {
  chmodSync,
  closeSync,
  copyFileSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';

/** How a file is written. */
export interface AtomicWriteOptions {
  /** Flush the bytes to the disk before the rename, so a machine that stops keeps them too. */
  durable?: boolean;
}

/**
 * Writes `content` (text, bytes, or a function that appends bytes through `write`) to `path`
 * atomically.
 */
export function writeFileAtomically(
  path: string,
  content: string | Uint8Array | ((write: (bytes: Uint8Array) => void) => void),
  options: AtomicWriteOptions = {},
): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const descriptor = openSync(temporary, 'w');
  const write = (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length;) done += writeSync(descriptor, bytes, done);
  };
  try {
    if (typeof content === 'function') content(write);
    else write(typeof content === 'string' ? Buffer.from(content) : content);
    if (options.durable) fsyncSync(descriptor);
    closeSync(descriptor);
  } catch (error) {
    closeSync(descriptor);
    rmSync(temporary, { force: true });
    throw error;
  }
  renameInPlace(temporary, path);
}

/**
 * Copies the file `from` to `path` atomically (the operating system's copy, then the rename), writable
 * by its owner whatever the source's mode (a read-only model folder's files stay replaceable).
 */
export function copyFileAtomically(from: string, path: string, options: AtomicWriteOptions = {}): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    copyFileSync(from, temporary);
    chmodSync(temporary, statSync(temporary).mode | 0o200);
    if (options.durable) {
      const descriptor = openSync(temporary, 'r+');
      try {
        fsyncSync(descriptor);
      } finally {
        closeSync(descriptor);
      }
    }
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  renameInPlace(temporary, path);
}

/** Renames the finished temporary file over `path`; a rename refused (a folder there) leaves no temporary. */
function renameInPlace(temporary: string, path: string): void {
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
