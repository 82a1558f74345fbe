// Writes a whole file through a temporary name in the same folder and a rename, so readers (and a run
// killed mid-write) see the old file or the new one, never half of it, and a failed write leaves
// nothing behind. Used for models, adapters, checkpoints, reports and artifacts alike.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/**
 * Writes `content` (text, bytes, or a function that appends bytes through `write`) to `path`
 * atomically.
 */
export function writeFileAtomically(
  path: string,
  content: string | Uint8Array | ((write: (bytes: Uint8Array) => void) => void),
): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const descriptor = openSync(temporary, 'w');
  const write = (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length;) done += writeSync(descriptor, bytes, done);
  };
  try {
    if (typeof content === 'function') content(write);
    else write(typeof content === 'string' ? Buffer.from(content) : content);
    closeSync(descriptor);
  } catch (error) {
    closeSync(descriptor);
    rmSync(temporary, { force: true });
    throw error;
  }
  renameSync(temporary, path);
}
